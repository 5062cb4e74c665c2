"""Continuous reconciliation as pure rules: what the venue said x cache -> decisions.

The node's maintenance jobs (``livetrade.node.maintenance``) ask the venue and
apply; everything they decide is decided here, without I/O, clocks or logging:

- ``inflight``: orders waiting for the venue's answer (the guide's in-flight table);
- ``open_orders``: the cache's open orders against the venue's bulk answer (the
  guide's consistency table and its caveats), and the targeted query before a
  terminal state;
- ``tracker``: the retry counter shared by both, and the last query times that
  spread single-order queries fairly over cycles;
- ``resolve``: terminal events, and reconciliation from reports through startup
  reconciliation's ``reconcile_mass_status``;
- ``positions``: position drifts and their confirmation;
- ``own_books``: own resting orders against the public book;
- ``recent_fills``: trade ids applied in the last minute;
- ``snapshots``: order and position snapshots.

See ``docs/continuous-reconciliation.md``.
"""

from livetrade.execution.checks.decisions import Action as Action
from livetrade.execution.checks.decisions import Answer as Answer
from livetrade.execution.checks.decisions import AnswerKind as AnswerKind
from livetrade.execution.checks.decisions import Decision as Decision
from livetrade.execution.checks.decisions import OrderMark as OrderMark
from livetrade.execution.checks.inflight import fairest_first as fairest_first
from livetrade.execution.checks.inflight import inflight_due as inflight_due
from livetrade.execution.checks.inflight import judge_inflight as judge_inflight
from livetrade.execution.checks.open_orders import OpenCheckPlan as OpenCheckPlan
from livetrade.execution.checks.open_orders import judge_probe as judge_probe
from livetrade.execution.checks.open_orders import plan_open_check as plan_open_check
from livetrade.execution.checks.own_books import BookInconsistency as BookInconsistency
from livetrade.execution.checks.own_books import OwnLevel as OwnLevel
from livetrade.execution.checks.own_books import audit_own_book as audit_own_book
from livetrade.execution.checks.own_books import own_levels as own_levels
from livetrade.execution.checks.positions import DriftTracker as DriftTracker
from livetrade.execution.checks.positions import PositionDrift as PositionDrift
from livetrade.execution.checks.positions import position_drifts as position_drifts
from livetrade.execution.checks.recent_fills import RecentFills as RecentFills
from livetrade.execution.checks.resolve import agrees as agrees
from livetrade.execution.checks.resolve import not_found_target as not_found_target
from livetrade.execution.checks.resolve import reconcile_reports as reconcile_reports
from livetrade.execution.checks.resolve import resolution_event as resolution_event
from livetrade.execution.checks.settings import CheckSettings as CheckSettings
from livetrade.execution.checks.snapshots import OrderSnapshot as OrderSnapshot
from livetrade.execution.checks.snapshots import PositionSnapshot as PositionSnapshot
from livetrade.execution.checks.snapshots import order_snapshot as order_snapshot
from livetrade.execution.checks.snapshots import position_snapshot as position_snapshot
from livetrade.execution.checks.tracker import OrderTracker as OrderTracker

__all__ = [
    "Action",
    "Answer",
    "AnswerKind",
    "BookInconsistency",
    "CheckSettings",
    "Decision",
    "DriftTracker",
    "OpenCheckPlan",
    "OrderMark",
    "OrderSnapshot",
    "OrderTracker",
    "OwnLevel",
    "PositionDrift",
    "PositionSnapshot",
    "RecentFills",
    "agrees",
    "audit_own_book",
    "fairest_first",
    "inflight_due",
    "judge_inflight",
    "judge_probe",
    "not_found_target",
    "order_snapshot",
    "own_levels",
    "plan_open_check",
    "position_drifts",
    "position_snapshot",
    "reconcile_reports",
    "resolution_event",
]

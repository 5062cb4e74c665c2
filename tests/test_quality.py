"""The project's own gates, run as tests so the one test command checks everything.

ruff (with the ASYNC rules), flake8-async (which catches swallowed Cancelled and
missing checkpoints that ruff does not) and mypy --strict must be clean; the
pure layers must not import I/O libraries; no module grows past 800 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "livetrade"

PURE_PACKAGES = [
    "model",
    "errors.py",
    "msgbus.py",
    "clock.py",
    "execution/messages.py",
    "execution/gate.py",
    "node/lifecycle.py",
    "cache",
    "risk",
    "trading/portfolio.py",
    "trading/order_factory.py",
    "trading/contingency.py",
    "execution/reconciliation",
    "execution/checks",
    "adapters/sandbox/messages.py",
    "adapters/sandbox/matching.py",
    "adapters/sandbox/accounts.py",
    "adapters/sandbox/exchange.py",
    "adapters/sandbox/engine.py",
    "adapters/sandbox/checks.py",
    "adapters/sandbox/reports.py",
    "adapters/sandbox/snapshot.py",
    "adapters/sandbox/terms.py",
]
FORBIDDEN_IN_PURE = {
    "trio",
    "trio_websocket",
    "trio_util",
    "httpx",
    "httpx2",
    "sqlite3",
    "coredis",
    "redis",
    "cattrs",
    "tomllib",
    "socket",
    "asyncio",
    "logging",
    "time",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "livetrade", "tests", "scripts", "examples")
    assert result.returncode == 0, result.stdout + result.stderr


def test_flake8_async_is_clean() -> None:
    files = [
        str(p.relative_to(ROOT))
        for p in _python_files(PACKAGE, ROOT / "scripts", ROOT / "examples")
    ]
    result = _run(
        "flake8_async",
        "--startable-in-context-manager=run,_run,_hold_nursery,watch_signals",
        *files,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def _python_files(*roots: Path) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        files.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return files


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, id=str(p.relative_to(ROOT)))
        for p in _python_files(*(PACKAGE / name for name in PURE_PACKAGES))
    ],
)
def test_pure_layers_do_no_io(path: Path) -> None:
    """The domain model imports no I/O, clock or async library (DESIGN section 1)."""
    bad = _imported_top_levels(path) & FORBIDDEN_IN_PURE
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_model_does_not_import_upper_layers() -> None:
    """livetrade.model depends only on itself and livetrade.errors."""
    for path in _python_files(PACKAGE / "model"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("livetrade.")
            ):
                assert node.module.startswith(("livetrade.model", "livetrade.errors")), (
                    f"{path.relative_to(ROOT)} imports {node.module}"
                )


def test_no_module_is_a_god_file() -> None:
    """One concept per module: none over 800 lines."""
    big = {
        str(p.relative_to(ROOT)): n
        for p in _python_files(PACKAGE)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert not big

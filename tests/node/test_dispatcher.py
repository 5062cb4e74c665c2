"""The dispatcher drains streams in priority order, with backpressure and no drops."""

from __future__ import annotations

import logging

import pytest
import trio
import trio.testing

from livetrade.node.channels import STREAMS, Channels
from livetrade.node.dispatcher import Dispatcher


def recording(channels: Channels, seen: list[tuple[str, object]], **kwargs: object) -> Dispatcher:
    handlers = {name: (lambda item, name=name: seen.append((name, item))) for name in STREAMS}
    return Dispatcher(channels, handlers, **kwargs)  # type: ignore[arg-type]


def test_cancel_behind_100k_quotes_is_handled_first() -> None:
    """An exec command queued after 100,000 quotes is handled before any quote."""
    channels = Channels(qsize=200_000)
    seen: list[tuple[str, object]] = []
    dispatcher = recording(channels, seen)
    for i in range(100_000):
        channels.inbox("data_events").send_nowait(i)
    channels.inbox("exec_commands").send_nowait("cancel O-1")
    assert dispatcher.drain() == 100_001
    assert seen[0] == ("exec_commands", "cancel O-1")
    assert [item for _, item in seen[1:]] == list(range(100_000))


def test_streams_are_drained_in_priority_order() -> None:
    channels = Channels(qsize=10)
    seen: list[tuple[str, object]] = []
    dispatcher = recording(channels, seen)
    for name in reversed(STREAMS):
        channels.inbox(name).send_nowait(name)
    dispatcher.drain()
    assert [name for name, _ in seen] == list(STREAMS)


def test_command_raised_while_draining_quotes_waits_at_most_one_batch() -> None:
    """A cancel sent by a quote handler is handled within 64 quotes (the dispatcher's check)."""
    channels = Channels(qsize=10_000)
    order: list[object] = []

    def on_quote(i: object) -> None:
        order.append(i)
        if i == 10:
            channels.inbox("exec_commands").send_nowait("cancel")

    handlers = {name: order.append for name in STREAMS}
    handlers["data_events"] = on_quote
    dispatcher = Dispatcher(channels, handlers, batch=100)
    for i in range(1_000):
        channels.inbox("data_events").send_nowait(i)
    dispatcher.drain()
    assert order.index("cancel") == 64  # quotes 0..63, then the dispatcher looks up


def test_handler_error_is_logged_reported_and_the_rest_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channels = Channels(qsize=10)
    handled: list[object] = []
    errors: list[tuple[str, object]] = []

    def fragile(item: object) -> None:
        if item == "bad":
            raise RuntimeError("boom")
        handled.append(item)

    handlers = {name: handled.append for name in STREAMS}
    handlers["exec_events"] = fragile
    dispatcher = Dispatcher(
        channels, handlers, on_error=lambda stream, item, exc: errors.append((stream, item))
    )
    for item in ("ok-1", "bad", "ok-2"):
        channels.inbox("exec_events").send_nowait(item)
    with caplog.at_level(logging.ERROR):
        dispatcher.drain()
    assert handled == ["ok-1", "ok-2"]
    assert errors == [("exec_events", "bad")]
    assert "error handling exec_events item 'bad'" in caplog.text


def test_missing_handler_is_refused() -> None:
    with pytest.raises(ValueError, match="no handler for streams: time_events"):
        Dispatcher(Channels(1), {n: print for n in STREAMS if n != "time_events"})


async def test_full_stream_applies_backpressure_without_dropping(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    """With qsize 2, a producer of 5 items waits for the dispatcher; all 5 arrive in order."""
    channels = Channels(qsize=2)
    seen: list[tuple[str, object]] = []
    dispatcher = recording(channels, seen)
    sent = trio.Event()

    async def producer() -> None:
        for i in range(5):
            await channels.inbox("exec_events").send(i)
        sent.set()

    with caplog.at_level(logging.WARNING):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(producer)
            await trio.testing.wait_all_tasks_blocked()
            assert not sent.is_set()  # blocked: 2 queued, the third waits
            assert channels.statistics().queued["exec_events"] == 2
            await nursery.start(dispatcher.run)
            await sent.wait()
            await trio.testing.wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()
    assert [item for _, item in seen] == [0, 1, 2, 3, 4]
    assert caplog.text.count("stream exec_events is full (2 items)") == 1


async def test_items_are_handled_at_the_virtual_time_they_arrive(
    autojump_clock: trio.testing.MockClock,
) -> None:
    channels = Channels(qsize=10)
    times: list[float] = []
    handlers = {name: (lambda _item: times.append(trio.current_time())) for name in STREAMS}
    dispatcher = Dispatcher(channels, handlers)
    async with trio.open_nursery() as nursery:
        await nursery.start(dispatcher.run)
        start = trio.current_time()
        for delay in (0.5, 1.25, 3.0):
            await trio.sleep_until(start + delay)
            await channels.inbox("time_events").send("tick")
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert [t - start for t in times] == [0.5, 1.25, 3.0]


async def test_posted_items_spill_in_order_when_the_channel_is_full() -> None:
    from livetrade.node.channels import Channels
    from livetrade.node.dispatcher import Dispatcher

    channels = Channels(2)
    seen: list[object] = []
    handlers = {
        name: seen.append
        for name in ("exec_commands", "exec_events", "time_events", "data_commands", "data_events")
    }
    dispatcher = Dispatcher(channels, handlers)
    inbox = channels.inbox("exec_commands")
    for item in range(5):
        inbox.post(item)
    assert channels.statistics().queued["exec_commands"] == 5
    assert len(inbox.spill) == 3
    assert dispatcher.drain() == 5
    assert seen == [0, 1, 2, 3, 4]
    assert channels.is_empty()

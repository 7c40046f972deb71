"""The hub's loop: ready queue, timers, errors, other threads, stopping and closing (every hub)."""

from __future__ import annotations

import importlib
import io
import logging
import random
import socket
import sys
import threading
import time
from typing import Any

import pytest
from greenlet import GreenletExit, getcurrent, greenlet

import eventlet
from eventlet import hubs
from eventlet.hubs import hub as hubmod
from eventlet.hubs.hub import EV_READ, BaseHub, Timer
from eventlet.hubs.timer import _as_timer, _entry_of
from eventlet.testing import virtual_clock
from eventlet.testing.virtual_clock import make_virtual_clock_hub


def test_call_soon_runs_in_order_from_the_hub(any_hub: BaseHub) -> None:
    seen = []
    for i in range(5):
        any_hub.call_soon(lambda i=i: seen.append((i, getcurrent() is any_hub.greenlet)))
    eventlet.sleep(0)
    assert seen == [(i, True) for i in range(5)]


def test_a_turn_runs_only_what_was_queued_before_it(any_hub: BaseHub) -> None:
    seen: list[int] = []

    def again(n: int) -> None:
        seen.append(n)
        any_hub.call_soon(again, n + 1)

    any_hub.call_soon(again, 0)
    eventlet.sleep(0)
    eventlet.sleep(0)
    # every turn ran exactly one link of the chain, and the main greenlet got its turns
    assert 1 <= len(seen) <= 3
    any_hub._ready.clear()


def test_switch_from_the_hub_is_refused(any_hub: BaseHub) -> None:
    errors = []

    def from_hub() -> None:
        try:
            any_hub.switch()
        except RuntimeError as exc:
            errors.append(str(exc))

    any_hub.call_soon(from_hub)
    eventlet.sleep(0)
    assert "from the hub" in errors[0]


def test_switch_out_hook_is_called(any_hub: BaseHub) -> None:
    calls = []

    class Hooked(greenlet):
        def switch_out(self) -> None:
            calls.append("out")

    def body() -> None:
        eventlet.sleep(0)

    first, second = Hooked(body, any_hub.greenlet), Hooked(body, any_hub.greenlet)
    any_hub.call_soon(first.switch)
    any_hub.call_soon(second.switch)  # the hook is looked up once per class: found again
    eventlet.sleep(0)
    eventlet.sleep(0)
    assert calls == ["out", "out"]
    assert first.dead
    assert second.dead


def test_callback_exception_is_logged_and_hub_survives(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise ValueError("callback failed")

    any_hub.call_soon(boom)
    any_hub.schedule_call_global(0, boom)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.sleep(0)
        eventlet.sleep(0.001)
    messages = [r for r in caplog.records if r.name == "eventlet.hub"]
    assert len(messages) == 2
    assert all("callback failed" in str(r.exc_info[1]) for r in messages if r.exc_info)
    eventlet.sleep(0)  # still alive


def test_resumed_greenlet_dying_of_an_exception_is_logged(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    def body() -> None:
        eventlet.sleep(0)  # queued on the hub as the greenlet itself
        raise ValueError("greenlet failed")

    raw = greenlet(body, any_hub.greenlet)
    any_hub.call_soon(raw.switch)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.sleep(0)
        eventlet.sleep(0)
    [record] = [r for r in caplog.records if r.name == "eventlet.hub"]
    assert record.exc_info is not None
    assert "greenlet failed" in str(record.exc_info[1])
    assert raw.dead
    eventlet.sleep(0)  # the hub goes on


def test_callback_exceptions_are_printed_to_stderr_by_default(
    any_hub: BaseHub, capsys: pytest.CaptureFixture[str]
) -> None:
    any_hub.call_soon(lambda: 1 / 0)
    eventlet.sleep(0)
    err = capsys.readouterr().err
    assert err.startswith("Exception in hub callback <function")
    assert "Traceback (most recent call last)" in err
    assert "ZeroDivisionError" in err


def test_hub_exceptions_can_be_silenced(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    any_hub.debug_exceptions = False
    any_hub.call_soon(lambda: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.sleep(0)
    assert capsys.readouterr().err == ""  # not printed; the log record stays, for logging to route
    [record] = [r for r in caplog.records if r.name == "eventlet.hub"]
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


def test_a_report_survives_a_broken_or_missing_stderr(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("stderr is gone")

    for stream in (Broken(), None):
        monkeypatch.setattr(sys, "stderr", stream)
        caplog.clear()
        any_hub.call_soon(lambda: 1 / 0)
        with caplog.at_level(logging.DEBUG, logger="eventlet.hub"):
            eventlet.sleep(0)
        assert [r.levelno for r in caplog.records if r.name == "eventlet.hub"][:1] == [logging.ERROR]


def test_keyboard_interrupt_in_callback_reaches_main_and_hub_restarts(any_hub: BaseHub) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    any_hub.call_soon(interrupt)
    with pytest.raises(KeyboardInterrupt):
        eventlet.sleep(0)
    assert any_hub.greenlet.dead
    assert not any_hub.running
    eventlet.sleep(0)  # a new loop greenlet takes over
    assert any_hub.running


def test_system_exit_from_a_green_thread_reaches_main(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    def leave() -> None:
        raise SystemExit(3)

    gt = eventlet.spawn(leave)
    with caplog.at_level(logging.CRITICAL, logger="eventlet.hub"), pytest.raises(SystemExit):
        eventlet.sleep(0)
    with pytest.raises(SystemExit):
        gt.wait()


def test_timers_fire_in_deadline_then_schedule_order() -> None:
    with virtual_clock() as hub:
        order: list[str] = []
        for name, delay in [("c", 0.3), ("a", 0.1), ("b", 0.2), ("a2", 0.1), ("now", 0), ("neg", -1)]:
            hub.schedule_call_global(delay, order.append, name)
        eventlet.sleep(1)
        assert order == ["now", "neg", "a", "a2", "b", "c"]


def test_timer_cancel_and_states(any_hub: BaseHub) -> None:
    fired: list[object] = []
    base = any_hub.get_timers_count()  # the test's own timeout is one
    timer = any_hub.schedule_call_global(0, fired.append, 1)
    assert any_hub.get_timers_count() == base + 1
    assert timer.pending
    assert not timer.called
    assert "pending" in repr(timer)
    timer.cancel()
    timer.cancel()
    assert not timer.pending
    assert timer.called
    assert "done" in repr(timer)
    assert any_hub.get_timers_count() == base
    eventlet.sleep(0.001)
    assert fired == []
    done = any_hub.schedule_call_global(0, fired.append, 2)
    eventlet.sleep(0.001)
    assert fired == [2]
    assert not done.pending
    done.cancel()  # after it fired: nothing happens
    assert any_hub.get_timers_count() == base


def test_schedule_call_local_is_dropped_when_its_thread_dies(any_hub: BaseHub) -> None:
    fired: list[object] = []

    def owner() -> None:
        any_hub.schedule_call_local(0.001, fired.append, "local")
        any_hub.schedule_call_global(0.001, fired.append, "global")

    eventlet.spawn(owner).wait()
    eventlet.sleep(0.01)
    assert fired == ["global"]


def test_add_timer_schedules_a_timer_made_by_hand(any_hub: BaseHub) -> None:
    fired: list[object] = []
    timer = Timer(0, fired.append, 1)
    assert timer.hub is None
    assert timer.pending
    deadline = any_hub.add_timer(timer)
    assert deadline == timer.deadline == timer.scheduled_time
    assert timer.hub is any_hub
    with pytest.raises(ValueError, match="scheduled already"):
        any_hub.add_timer(timer)
    eventlet.sleep(0.001)
    assert fired == [1]
    assert not timer.pending
    with pytest.raises(ValueError, match="fired or was cancelled"):
        any_hub.add_timer(timer)


def test_heap_is_compacted_after_many_cancels() -> None:
    with virtual_clock() as hub:
        rng = random.Random(7)
        fired: list[int] = []
        timers = [hub.schedule_call_global(rng.random(), fired.append, i) for i in range(5000)]
        for timer in timers[::2]:
            timer.cancel()
        for timer in timers[1::4]:
            timer.cancel()
        assert hub.get_timers_count() - hub.timers_canceled == 1250
        assert hub.statistics()["timers"] == 1250
        # Rebuilt as the cancelled ones became half of the store (checked at every 16th cancel).
        assert hub.get_timers_count() < 5000
        assert hub.timers_canceled * 2 < hub.get_timers_count() + 32
        assert len(hub._timer_entries()) == hub.get_timers_count()
        assert [t.deadline for t in hub.get_timers()] == sorted(t.deadline for t in hub.get_timers())
        eventlet.sleep(2)
        assert sorted(fired) == list(range(3, 5000, 4))
        assert not hub._near


def test_compaction_while_timers_fire() -> None:
    """A timer callback that cancels enough timers to compact the heap mid-firing."""
    with virtual_clock() as hub:
        fired: list[int] = []
        later = [hub.schedule_call_global(0.5, fired.append, i) for i in range(3000)]

        def cancel_most() -> None:
            for timer in later[:2500]:
                timer.cancel()
            hub._next_deadline()  # the idle path compacts: the firing loop holds the same list

        hub.schedule_call_global(0.1, cancel_most)
        hub.schedule_call_global(0.1, fired.append, -1)
        eventlet.sleep(1)
        assert fired == [-1, *range(2500, 3000)]
        assert hub.timers_canceled == 0


def test_timers_fire_by_deadline_then_scheduling_order_across_heap_run_and_buckets() -> None:
    """Bucketed timers are sorted onto the run; later short timers go to the heap: one order."""
    with virtual_clock() as hub:
        rng = random.Random(11)
        fired: list[int] = []
        start = hub.clock()
        timers = [hub.schedule_call_global(rng.randrange(200) / 1000, fired.append, i) for i in range(3000)]
        for timer in timers[::3]:
            timer.cancel()
        eventlet.sleep(0.05)  # some slots have begun: their timers were sorted onto the run
        while not hub._run:  # until the current slot still holds timers to come
            eventlet.sleep(0.0005)
        assert hub._bucket_keys
        assert hub.clock() < start + 0.1
        head = _as_timer(hub._run[0])
        assert head.deadline > hub.clock()  # still to fire
        head.cancel()
        hub._next_deadline()  # drops the cancelled head of the run
        assert hub._run[0] is not _entry_of(head)
        # Due within the slots already begun: into the heap, interleaved with the run's entries.
        timers += [
            hub.schedule_call_global(rng.randrange(5) / 1000, fired.append, 3000 + i) for i in range(300)
        ]
        eventlet.sleep(1)
        live = [
            (_entry_of(timer)[0], _entry_of(timer)[1], i)
            for i, timer in enumerate(timers)
            if (i % 3 or i >= 3000) and timer != head
        ]
        assert fired == [i for _deadline, _seq, i in sorted(live)]
        assert not hub._run
        assert not hub._near
        assert hub.get_timers_count() == 0


def test_call_threadsafe_wakes_a_sleeping_hub(any_hub: BaseHub) -> None:
    woken: eventlet.Event[Any] | None = eventlet.Event() if hasattr(eventlet, "Event") else None
    got: list[str] = []
    main = getcurrent()

    def from_thread() -> None:
        any_hub.call_threadsafe(got.append, "a")
        any_hub.call_threadsafe(got.append, "b")
        any_hub.call_threadsafe(main.switch, "woken")

    thread = threading.Thread(target=from_thread)
    timer = any_hub.schedule_call_global(30, main.throw, AssertionError("not woken"))
    thread.start()
    try:
        assert any_hub.switch() == "woken"
    finally:
        timer.cancel()
        thread.join()
    assert got == ["a", "b"]
    del woken


def test_abort_stops_the_loop_and_a_switch_restarts_it(any_hub: BaseHub) -> None:
    eventlet.sleep(0)
    assert any_hub.running
    any_hub.abort(wait=True)
    assert not any_hub.running
    assert any_hub.greenlet.dead
    gt = eventlet.spawn(lambda: 5)
    assert gt.wait() == 5
    assert any_hub.running


def test_stopping_the_loop_forgets_the_parents_queued_yield(any_hub: BaseHub) -> None:
    fired: list[int] = []
    eventlet.sleep(0)
    any_hub.abort()
    eventlet.sleep(0)  # queued, but the loop stops and returns to us (its parent) instead
    assert not any_hub.running
    assert getcurrent() not in any_hub._ready
    any_hub.schedule_call_global(0, fired.append, 1)
    eventlet.sleep(0.001)  # a new loop fires the timer before anything resumes us
    assert fired == [1]


def test_abort_from_inside_a_green_thread(any_hub: BaseHub) -> None:
    def stopper() -> None:
        any_hub.abort()

    eventlet.spawn(stopper)
    any_hub.switch()  # the loop ends after the turn and comes back here (its parent)
    assert not any_hub.running


def test_abort_from_another_thread(any_hub: BaseHub) -> None:
    eventlet.sleep(0)
    thread = threading.Timer(0.01, any_hub.abort)
    thread.start()
    any_hub.switch()
    thread.join()
    assert not any_hub.running


def test_run_twice_is_refused(any_hub: BaseHub) -> None:
    eventlet.sleep(0)
    with pytest.raises(RuntimeError, match="already running"):
        greenlet(any_hub.run).switch()


def test_close_is_idempotent_and_a_closed_hub_does_not_run() -> None:
    hub = hubs._resolve(None)()
    hub.schedule_call_global(1, print)
    hub.call_soon(print)
    hub.close()
    hub.close()
    assert hub.closed
    assert hub.get_timers_count() == 0
    assert not hub._ready
    with pytest.raises(RuntimeError, match="closed"):
        greenlet(hub.run).switch()


def test_close_from_inside_the_loop_is_refused(any_hub: BaseHub) -> None:
    errors = []

    def close() -> None:
        try:
            any_hub.close()
        except RuntimeError as exc:
            errors.append(exc)

    any_hub.call_soon(close)
    eventlet.sleep(0)
    assert errors
    assert not any_hub.closed


def test_killing_the_hub_greenlet_ends_its_loop(any_hub: BaseHub) -> None:
    eventlet.sleep(0)
    any_hub.greenlet.throw(GreenletExit)
    assert any_hub.greenlet.dead
    assert not any_hub.running


def test_statistics(any_hub: BaseHub) -> None:
    before = any_hub.statistics()["switches"]
    base = any_hub.get_timers_count()
    any_hub.schedule_call_global(5, print).cancel()
    timer = any_hub.schedule_call_global(5, print)
    eventlet.sleep(0)
    stats = any_hub.statistics()
    assert stats["timers"] == base + 1
    assert stats["ready"] == 0
    assert stats["listeners"] == 0
    assert stats["switches"] > before
    timer.cancel()


def test_a_thread_switched_to_while_the_loop_is_dead_adopts_the_new_loop(any_hub: BaseHub) -> None:
    eventlet.sleep(0)
    any_hub.abort(wait=True)
    assert any_hub.greenlet.dead
    # parent: the dead loop greenlet
    gt: eventlet.greenthread.GreenThread[Any] = eventlet.greenthread.GreenThread(any_hub.greenlet)

    main = getcurrent()

    def body() -> str:
        any_hub.call_soon(main.switch)  # we were switched to directly: hand control back
        eventlet.sleep(0)  # switches to the hub: a new loop greenlet, which becomes our parent
        return "adopted"

    gt.switch(body, (), {})
    assert gt.parent is any_hub.greenlet
    assert not any_hub.greenlet.dead
    assert gt.wait() == "adopted"


def test_keyboard_interrupt_in_a_timer_reaches_main(any_hub: BaseHub) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    any_hub.schedule_call_global(0, interrupt)
    with pytest.raises(KeyboardInterrupt):
        eventlet.sleep(0.001)
    eventlet.sleep(0)


def test_the_heap_can_run_empty_while_firing() -> None:
    with virtual_clock() as hub:
        main = getcurrent()
        fired: list[int] = []
        hub.schedule_call_global(1, fired.append, 1)
        hub.schedule_call_global(1, hub.call_soon, main.switch)  # wakes main via the ready queue
        hub.switch()
        assert fired == [1]
        assert not hub._near


def test_close_forgets_registrations_and_listeners() -> None:
    import socket

    hub = hubs._resolve(None)()
    a, b = socket.socketpair()
    try:
        listener = hub.add(hubmod.READ, a.fileno(), print, print)
        hub.close()
        assert hub._fds == {}
        hub.remove(listener)  # its fd is gone: nothing to do
        assert listener.spent
    finally:
        a.close()
        b.close()


def test_timers_of_a_begun_slot_go_straight_to_a_large_heap() -> None:
    with virtual_clock() as hub:
        fired: list[str] = []
        far = [hub.schedule_call_global(10 + i / 1000, fired.append, "far") for i in range(hubmod.SMALL_HEAP)]
        hub._place_incoming()  # as the hub's next timer pass does: they fill the near deque up
        bucketed = [hub.schedule_call_global(5, fired.append, "bucketed") for _ in range(10)]
        hub._place_incoming()
        assert hub._bucketed == 10
        assert len(hub._near) == hubmod.SMALL_HEAP
        eventlet.sleep(6)  # the bucket's slot began: merged into the heap, and fired
        assert fired == ["bucketed"] * 10
        assert hub._bucketed == 0
        hub.schedule_call_global(0, fired.append, "now")  # its slot has begun: into the heap
        hub._place_incoming()
        assert hub._bucketed == 0
        eventlet.sleep(0.1)
        assert fired[-1] == "now"
        for timer in far + bucketed:
            timer.cancel()


def test_busy_yielding_does_not_starve_a_socket_reader(any_hub: BaseHub) -> None:
    # A green thread that never stops yielding keeps the ready queue busy: the hub must still poll.
    a, b = socket.socketpair()
    got: list[bytes] = []

    def reader() -> None:
        hubs.wait_fd(a.fileno(), EV_READ)
        got.append(a.recv(10))

    def spinner() -> int:
        turns = 0
        while not got and turns < 100_000:  # bounded: a starved reader fails, never hangs
            turns += 1
            eventlet.sleep(0)
        return turns

    reading = eventlet.spawn(reader)
    spinning = eventlet.spawn(spinner)
    eventlet.sleep(0)
    b.send(b"data")
    assert spinning.wait() < 100_000
    reading.wait()
    assert got == [b"data"]
    a.close()
    b.close()


def test_busy_turns_run_due_timers_and_threadsafe_calls(any_hub: BaseHub) -> None:
    fired: list[str] = []
    any_hub.schedule_call_global(0, fired.append, "timer")
    threading.Thread(target=any_hub.call_threadsafe, args=(fired.append, "threadsafe")).start()

    def spinner() -> None:
        for _ in range(100_000):
            if len(fired) == 2:
                return
            eventlet.sleep(0)

    eventlet.spawn(spinner).wait()
    assert sorted(fired) == ["threadsafe", "timer"]


def test_timer_properties(any_hub: BaseHub) -> None:
    timer = any_hub.schedule_call_local(5, print, "x")
    assert timer.seconds == 5
    assert timer.hub is any_hub
    assert timer.args == ("x",)
    assert timer.greenlet is getcurrent()
    assert timer.callback is print
    assert timer.deadline == pytest.approx(any_hub.clock() + 5, abs=1)
    assert {timer: 1}[timer] == 1  # hashable, by identity
    assert "pending" in repr(timer)
    timer.cancel()
    # cancel() drops the arguments, which the first assertion narrowed to tuple[str]
    # mypy keeps the narrowing of the properties above across cancel(), which clears them
    assert timer.args == ()  # type: ignore[comparison-overlap]
    assert timer.callback is None
    assert "done" in repr(timer)


def test_threads_of_a_dead_loop_greenlet_return_to_the_new_loop(any_hub: BaseHub) -> None:
    """Upstream's TestDeadRunLoop.test_parent: a thread spawned before the loop died ends in the new one."""
    finished: list[str] = []
    eventlet.sleep(0)  # the loop greenlet has started (and is suspended), as in a running program
    gt = eventlet.spawn(finished.append, "ran")
    old_loop = any_hub.greenlet
    with pytest.raises(KeyboardInterrupt):
        old_loop.throw(KeyboardInterrupt())
    assert old_loop.dead
    assert not gt.dead
    with pytest.raises(ValueError, match="still in the new loop"):
        with eventlet.Timeout(0.05, ValueError("still in the new loop")):
            any_hub.switch()  # runs gt, which must end in the new loop, not come back here
    assert finished == ["ran"]
    assert gt.dead
    assert any_hub.greenlet is not old_loop
    assert old_loop.parent is any_hub.greenlet


def test_upstream_names_of_the_hubs_module() -> None:
    assert hubs.builtin_hub_names == ("epolls", "kqueue", "poll", "selects")
    assert issubclass(hubs.HubError, RuntimeError)
    assert issubclass(hubs.IOClosed, OSError)


@pytest.mark.parametrize("name", ["epolls", "kqueue", "poll", "selects"])
def test_a_hub_keeps_few_enough_attributes_for_cpython_to_share_their_keys(name: str) -> None:
    """Over 30 instance attributes, every attribute access of the loop gets slower (see the constant)."""
    module = importlib.import_module(f"eventlet.hubs.{name}")
    if not module.is_available():
        pytest.skip(f"{name} is not on this platform")
    hub = module.Hub()
    try:
        # one to spare for a debugging switch (blocking detection, listener stacks)
        assert len(hub.__dict__) < hubmod.MAX_HUB_ATTRIBUTES
        hub.set_debug_listeners(True)
        assert len(hub.__dict__) <= hubmod.MAX_HUB_ATTRIBUTES
    finally:
        hub.close()
    clocked = make_virtual_clock_hub(module.Hub)()
    try:
        assert len(clocked.__dict__) <= hubmod.MAX_HUB_ATTRIBUTES
    finally:
        clocked.close()


@pytest.mark.parametrize("name", ["epolls", "kqueue", "poll", "selects"])
def test_a_hub_sleeping_in_its_poller_is_idle(name: str) -> None:
    """is_idle_frame (the blocking detector's and the HTTP supervisor's test) knows the poller's frame."""
    module = importlib.import_module(f"eventlet.hubs.{name}")
    if not module.is_available():
        pytest.skip(f"{name} is not on this platform")
    made: list[BaseHub] = []
    started = threading.Event()

    def sleeper() -> None:
        hub = module.Hub()
        made.append(hub)
        hubs.set_hub(hub)
        started.set()
        eventlet.sleep(60)  # woken early by the abort below

    thread = threading.Thread(target=sleeper)
    thread.start()
    started.wait()
    hub = made[0]
    assert not hub.is_idle_frame(sys._getframe())
    deadline = time.monotonic() + 30
    while not hub.is_idle_frame(sys._current_frames()[thread.ident]):  # type: ignore[index]
        assert time.monotonic() < deadline, "the hub never slept in its poller"
        time.sleep(0.001)
    hub.abort()  # from another thread: wakes the hub, whose loop ends and returns to sleeper
    thread.join(10)
    assert not thread.is_alive()
    hub.close()

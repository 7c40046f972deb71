"""Green threads: spawn, spawn_n, spawn_after(_local), sleep, wait, link, kill (every hub)."""

from __future__ import annotations

import logging
import weakref
from typing import Any

import pytest
from greenlet import GreenletExit, getcurrent, greenlet

import eventlet
from eventlet import greenthread
from eventlet.greenthread import GreenThread
from eventlet.hubs.hub import BaseHub
from eventlet.testing import hub_turns, virtual_clock


def test_spawn_returns_result_and_passes_arguments(any_hub: BaseHub) -> None:

    def add(a: int, b: int = 0) -> int:
        return a + b

    gt = eventlet.spawn(add, 1, b=2)
    assert isinstance(gt, GreenThread)
    assert not gt.ready()
    assert "pending" in repr(gt)
    assert gt.wait() == 3
    assert gt.ready()
    assert gt.done
    assert gt.dead
    assert "done" in repr(gt)
    assert gt.wait() == 3  # again, without blocking


def test_spawn_starts_in_fifo_order_after_the_caller_yields(any_hub: BaseHub) -> None:
    order: list[int] = []
    threads = [eventlet.spawn(order.append, i) for i in range(5)]
    assert order == []
    eventlet.sleep(0)
    assert order == [0, 1, 2, 3, 4]
    assert all(gt.dead for gt in threads)


def test_wait_reraises_and_unobserved_exception_is_logged(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    def fail() -> None:
        raise ValueError("boom")

    gt = eventlet.spawn(fail)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.sleep(0)
    assert any("Unhandled exception in green thread" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="boom"):
        gt.wait()


def test_observed_exception_is_not_logged(any_hub: BaseHub, caplog: pytest.LogCaptureFixture) -> None:
    def fail() -> None:
        eventlet.sleep(0)
        raise ValueError("seen")

    gt = eventlet.spawn(fail)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"), pytest.raises(ValueError, match="seen"):
        gt.wait()
    assert not [r for r in caplog.records if r.name == "eventlet.hub"]


def test_several_waiters(any_hub: BaseHub) -> None:
    gt = eventlet.spawn(eventlet.sleep, 0.001)
    waiters = [eventlet.spawn(gt.wait) for _ in range(3)]
    assert [w.wait() for w in waiters] == [None] * 3


def test_wait_for_itself_is_refused(any_hub: BaseHub) -> None:
    def selfish() -> None:
        me = getcurrent()
        assert isinstance(me, GreenThread)
        me.wait()

    with pytest.raises(RuntimeError, match="itself"):
        eventlet.spawn(selfish).wait()


def test_waiter_woken_by_timeout_is_not_resumed_later() -> None:
    """The thread ends in the same turn as the waiter's timeout: no stale resume afterwards."""
    with virtual_clock():
        log: list[str] = []
        target = eventlet.spawn(eventlet.sleep, 1)

        def waiter() -> None:
            try:
                with eventlet.Timeout(1):
                    target.wait()
            except eventlet.Timeout:
                log.append("timeout")
            else:
                log.append("result")
            eventlet.sleep(3)
            log.append("slept")

        def spy() -> None:
            eventlet.sleep(2)
            log.append("two seconds")

        w = eventlet.spawn(waiter)
        eventlet.spawn(spy)
        w.wait()
        assert log[-2:] == ["two seconds", "slept"]


def test_wait_interrupted_then_waited_again(any_hub: BaseHub) -> None:
    gt = eventlet.spawn(eventlet.sleep, 0.01)
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.001):
            gt.wait()
    assert gt._observers == []
    assert gt.wait() is None


def test_link_and_unlink(any_hub: BaseHub) -> None:
    calls: list[tuple[object, ...]] = []

    def record(thread: GreenThread[str], /, *args: object, **kwargs: object) -> None:
        calls.append((thread.wait(), args, kwargs))

    gt = eventlet.spawn(lambda: "r")
    gt.link(record, 1, k=2)
    gt.link(record, "removed")
    assert gt.unlink(record, "removed") is True
    assert gt.unlink(record, "never") is False
    gt.wait()
    assert calls == [("r", (1,), {"k": 2})]
    gt.link(record, "late")  # finished: called at once
    assert calls[-1] == ("r", ("late",), {})
    assert gt.unlink(record, "late") is False


def test_link_errors_are_reported(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad_link(thread: GreenThread[Any]) -> None:
        raise RuntimeError("link failed")

    gt = eventlet.spawn(lambda: None)
    gt.link(bad_link)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        gt.wait()
    assert any("Exception in a link" in r.getMessage() for r in caplog.records)
    err = capsys.readouterr().err
    assert "Exception in a link of green thread" in err
    assert "RuntimeError: link failed" in err


def test_linked_exception_is_not_logged_as_unhandled(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[BaseException | None] = []

    def fail() -> None:
        raise KeyError("x")

    gt = eventlet.spawn(fail)
    gt.link(lambda t: seen.append(t._exception))
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.sleep(0)
    assert isinstance(seen[0], KeyError)
    assert not [r for r in caplog.records if "Unhandled" in r.getMessage()]


def test_spawn_n_logs_exceptions_and_ignores_greenletexit(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    out: list[int] = []
    g = eventlet.spawn_n(out.append, 1)
    assert isinstance(g, greenlet)
    assert not isinstance(g, GreenThread)

    def fail() -> None:
        raise ValueError("n failed")

    def exit_quietly() -> None:
        raise GreenletExit

    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.spawn_n(fail)
        eventlet.spawn_n(exit_quietly)
        eventlet.sleep(0)
    assert out == [1]
    messages = [r.getMessage() for r in caplog.records if r.name == "eventlet.hub"]
    assert messages == ["Unhandled exception in green thread started by spawn_n"]


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
@pytest.mark.parametrize("spawner", ["spawn", "spawn_n"])
def test_program_exits_reach_main_unlogged(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture, spawner: str, exc_type: type[BaseException]
) -> None:
    def interrupt() -> None:
        raise exc_type

    thread = getattr(eventlet, spawner)(interrupt)
    with caplog.at_level(logging.DEBUG, logger="eventlet.hub"), pytest.raises(exc_type):
        eventlet.sleep(0)
    assert [r for r in caplog.records if r.name == "eventlet.hub"] == []
    assert thread.dead
    if spawner == "spawn":
        with pytest.raises(exc_type):
            thread.wait()  # the thread's outcome is kept too


def test_spawn_after_and_cancel() -> None:
    with virtual_clock() as hub:
        out: list[str] = []
        start = hub.clock()
        late = eventlet.spawn_after(2, out.append, "late")
        early = eventlet.spawn_after(1, out.append, "early")
        cancelled = eventlet.spawn_after(1.5, out.append, "cancelled")
        cancelled.cancel()
        assert early.wait() is None
        assert late.wait() is None
        assert out == ["early", "late"]
        assert hub.clock() - start == pytest.approx(2)
        assert cancelled.dead
        with pytest.raises(GreenletExit):
            cancelled.wait()


def test_spawn_after_local_dies_with_its_spawner() -> None:
    with virtual_clock():
        out: list[str] = []
        threads: list[GreenThread[Any]] = []

        def spawner() -> None:
            threads.append(eventlet.spawn_after_local(1, out.append, "local"))
            threads.append(eventlet.spawn_after(1, out.append, "global"))

        eventlet.spawn(spawner).wait()
        eventlet.sleep(2)
        assert out == ["global"]
        threads[0].kill()  # never started: kill makes it finished


def test_sleep_with_time() -> None:
    with virtual_clock() as hub:
        start = hub.clock()
        eventlet.sleep(5)
        assert hub.clock() - start == pytest.approx(5)
        eventlet.sleep(-1)
        eventlet.sleep()


def test_sleep_from_the_hub_is_refused(any_hub: BaseHub) -> None:
    errors: list[Exception] = []

    def in_hub() -> None:
        try:
            eventlet.sleep(0.01)
        except RuntimeError as exc:
            errors.append(exc)

    any_hub.call_soon(in_hub)
    eventlet.sleep(0)
    assert errors


def test_sleep_zero_from_the_hub_returns_at_once(any_hub: BaseHub) -> None:
    """A hub callback that yields with sleep(0) (code shared with green threads) just goes on."""
    done: list[str] = []

    def in_hub() -> None:
        eventlet.sleep(0)
        eventlet.sleep()
        done.append("returned")

    any_hub.schedule_call_global(0, in_hub)
    eventlet.sleep(0.001)
    assert done == ["returned"]


def test_sleep_zero_interrupted_is_not_resumed_again(any_hub: BaseHub) -> None:
    log: list[str] = []

    def sleeper() -> None:
        try:
            eventlet.sleep(0)
        except ValueError:
            log.append("interrupted")
        eventlet.sleep(0.01)
        log.append("slept")

    gt = eventlet.spawn(sleeper)
    eventlet.sleep(0)  # sleeper is now in sleep(0), queued to run on the next turn
    eventlet.kill(gt, ValueError)  # interrupt it before the hub runs its queued entry
    gt.wait()
    assert log == ["interrupted", "slept"]


def test_kill_before_start(any_hub: BaseHub) -> None:
    ran: list[int] = []
    gt = eventlet.spawn(ran.append, 1)
    gt.kill()
    assert gt.dead
    assert ran == []
    with pytest.raises(GreenletExit):
        gt.wait()
    eventlet.sleep(0)  # the stale start entry is harmless
    assert ran == []


def test_kill_before_start_with_custom_exception(any_hub: BaseHub, caplog: pytest.LogCaptureFixture) -> None:
    gt = eventlet.spawn(lambda: None)
    gt.link(lambda t: None)  # observed: not logged as unhandled
    eventlet.kill(gt, ValueError, ValueError("custom"))
    with pytest.raises(ValueError, match="custom"):
        gt.wait()
    raw = eventlet.spawn_n(print, "never")
    eventlet.kill(raw)
    assert raw.dead


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), GreenletExit),
        ((KeyError,), KeyError),
        ((KeyError("k"),), KeyError),
        ((KeyError, "msg"), KeyError),
        ((KeyError, ("a", "b")), KeyError),
        ((KeyError, KeyError("v"), None), KeyError),
        ((KeyError, None, None), KeyError),
    ],
)
def test_make_exception(args: tuple[object, ...], expected: type[BaseException]) -> None:
    assert isinstance(greenthread._make_exception(args), expected)


def test_kill_while_blocked_and_after_done(any_hub: BaseHub) -> None:
    cleanup: list[str] = []

    def blocked() -> None:
        try:
            eventlet.sleep(10)
        finally:
            cleanup.append("finally")

    gt = eventlet.spawn(blocked)
    eventlet.sleep(0)
    gt.kill()
    assert gt.dead
    assert cleanup == ["finally"]
    with pytest.raises(GreenletExit):
        gt.wait()
    gt.kill()  # already done: nothing happens
    eventlet.kill(gt, ValueError)


def test_kill_with_custom_exception_while_blocked(any_hub: BaseHub) -> None:
    gt = eventlet.spawn(eventlet.sleep, 10)
    eventlet.sleep(0)
    gt.link(lambda t: None)
    eventlet.kill(gt, KeyError("custom"))
    with pytest.raises(KeyError):
        gt.wait()


def test_kill_from_another_green_thread_and_from_the_hub(any_hub: BaseHub) -> None:
    victim = eventlet.spawn(eventlet.sleep, 10)
    second = eventlet.spawn(eventlet.sleep, 10)
    eventlet.sleep(0)
    eventlet.spawn(victim.kill).wait()
    assert victim.dead
    any_hub.call_soon(second.kill)
    eventlet.sleep(0)
    assert second.dead


def test_kill_self_raises_here(any_hub: BaseHub) -> None:
    def suicidal() -> str:
        try:
            eventlet.kill(getcurrent(), ValueError("me"))
        except ValueError:
            pass
        eventlet.sleep(0.005)  # no stale wake-up from the kill
        return "alive"

    assert eventlet.spawn(suicidal).wait() == "alive"


def test_killer_interrupted_while_waiting_is_not_resumed_later(any_hub: BaseHub) -> None:
    log: list[str] = []

    def stubborn() -> None:
        try:
            eventlet.sleep(10)
        except GreenletExit:
            eventlet.kill(killer, ValueError)  # strikes back before the killer resumes
            log.append("victim done")

    def killing() -> None:
        try:
            eventlet.kill(victim)
        except ValueError:
            log.append("killer interrupted")
        eventlet.sleep(0.005)
        log.append("killer slept")

    victim = eventlet.spawn(stubborn)
    eventlet.sleep(0)
    killer = eventlet.spawn(killing)
    killer.wait()
    victim.wait()
    assert log == ["killer interrupted", "victim done", "killer slept"]


def test_cancel_only_before_start(any_hub: BaseHub) -> None:
    gt = eventlet.spawn(eventlet.sleep, 0.01)
    eventlet.sleep(0)
    gt.cancel()  # started: not killed
    assert not gt.dead
    assert gt.wait() is None


def test_greenthread_constructor_compat(any_hub: BaseHub) -> None:
    gt: GreenThread[Any] = GreenThread(any_hub.greenlet)
    any_hub.call_soon(gt.switch, lambda x: x * 2, (4,), {})
    assert gt.wait() == 8
    assert GreenThread.main is GreenThread.run  # type: ignore[misc]  # upstream's alias, on the class
    assert greenthread.getcurrent_thread() is getcurrent()


def test_greenthread_started_with_nothing_to_run_fails_clearly(any_hub: BaseHub) -> None:
    gt: GreenThread[Any] = GreenThread(any_hub.greenlet)
    any_hub.call_soon(gt.switch)
    with pytest.raises(TypeError, match="nothing to run"):
        gt.wait()


def test_spawn_keeps_no_instance_dict_and_releases_its_arguments(any_hub: BaseHub) -> None:
    class Payload:
        pass

    payload = Payload()
    ref = weakref.ref(payload)
    gt = eventlet.spawn(lambda p: None, payload)
    killed = eventlet.spawn(lambda p: None, payload)
    del payload
    killed.kill()  # before it starts: its function and arguments are dropped too
    assert gt.wait() is None
    assert ref() is None  # the finished thread no longer holds what it ran with
    assert "__dict__" not in dir(type(gt)) or not gt.__dict__


def test_hub_restarted_after_abort_adopts_the_current_thread(any_hub: BaseHub) -> None:
    def stop_then_sleep() -> str:
        any_hub.abort()
        eventlet.sleep(0)  # the loop ends; this thread's switch starts a new loop greenlet
        return "ok"

    gt = eventlet.spawn(stop_then_sleep)
    any_hub.switch()  # the old loop returns here when aborted
    assert gt.wait() == "ok"


def test_sleep_zero_interrupted_after_its_entry_was_dropped(any_hub: BaseHub) -> None:
    def sleeper() -> None:
        eventlet.sleep(0)

    gt = eventlet.spawn(sleeper)
    eventlet.sleep(0)
    any_hub._ready.clear()  # the queued wake-up is gone (as after a hub is closed)
    gt.kill()
    assert gt.dead


def test_waiter_gone_then_exception_is_logged(any_hub: BaseHub, caplog: pytest.LogCaptureFixture) -> None:
    release: eventlet.Event[None] = eventlet.Event()

    def late_failure() -> None:
        release.wait()
        raise ValueError("nobody waits any more")

    gt = eventlet.spawn(late_failure)
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.001):
            gt.wait()
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        release.send()
        hub_turns(1)  # the green thread has run and failed
    assert any("Unhandled exception in green thread" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="nobody waits any more"):
        gt.wait()


def test_sleep_in_a_thread_without_a_hub_creates_one() -> None:
    import threading

    from eventlet import hubs

    made: list[bool] = []

    def fresh_thread() -> None:
        eventlet.sleep(0)  # no hub yet in this OS thread: sleep makes one
        hub = hubs._hub_if_exists()
        made.append(hub is not None)
        if hub is not None:
            hub.close()

    thread = threading.Thread(target=fresh_thread)
    thread.start()
    thread.join()
    assert made == [True]


_CRASHING_PROGRAM = """
import sys
import eventlet
from eventlet import debug

if sys.argv[1] == "quiet":
    debug.hub_exceptions(False)

def crash(): {}[1]
def crash_n(): raise ValueError("from spawn_n")

eventlet.spawn(crash)
eventlet.spawn_n(crash_n)
eventlet.sleep(0)
print("still running")
"""


@pytest.mark.parametrize("mode", ["default", "quiet"])
def test_an_unhandled_exception_reaches_stderr_of_a_real_program(mode: str) -> None:
    """No logging configured, as in most programs: the traceback is printed, like a thread's."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_PROGRAM, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "still running\n", done.stderr
    if mode == "quiet":
        assert done.stderr == ""
    else:
        assert "Unhandled exception in green thread <GreenThread" in done.stderr
        assert "KeyError: 1" in done.stderr
        assert "in crash" in done.stderr
        assert "Unhandled exception in green thread started by spawn_n:" in done.stderr
        assert "ValueError: from spawn_n" in done.stderr

"""eventlet.event.Event: sending, waiting, timeouts, exceptions, kills and stale wake-ups."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import greenthread
from eventlet.event import NOT_USED, Event
from eventlet.hubs import get_hub

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block (a few hub turns)."""
    for _ in range(turns):
        eventlet.sleep(0)


def test_send_then_wait_returns_value() -> None:
    evt: Event[Any] = Event()
    evt.send(42)
    assert evt.wait() == 42
    assert evt.wait(timeout=0.01) == 42


def test_wait_blocks_until_sent_by_another_thread() -> None:
    evt: Event[Any] = Event()
    eventlet.spawn(evt.send, "hello")
    assert not evt.ready()
    assert evt.wait() == "hello"


def test_send_default_value_is_none() -> None:
    evt: Event[Any] = Event()
    evt.send()
    assert evt.ready()
    assert evt.has_result()
    assert evt.wait() is None


def test_many_waiters_all_receive_in_wait_order() -> None:
    evt: Event[Any] = Event()
    got: list[tuple[int, object]] = []

    def waiter(i: int) -> None:
        got.append((i, evt.wait()))

    threads = [eventlet.spawn(waiter, i) for i in range(10)]
    settle()
    assert got == []
    evt.send("v")
    for thread in threads:
        thread.wait()
    assert got == [(i, "v") for i in range(10)]


def test_wait_timeout_returns_none_and_forgets_waiter() -> None:
    evt: Event[Any] = Event()
    assert evt.wait(timeout=0.01) is None
    assert evt.wait(timeout=0) is None
    assert not evt._waiters
    evt.send(1)
    assert evt.wait() == 1


def test_wait_timeout_not_reached_returns_value() -> None:
    evt: Event[Any] = Event()
    before = get_hub().statistics()["timers"]
    get_hub().schedule_call_global(0.005, evt.send, "soon")
    assert evt.wait(timeout=5) == "soon"
    assert get_hub().statistics()["timers"] == before  # its timer was cancelled


def test_send_wins_over_timeout_in_same_hub_turn() -> None:
    evt: Event[Any] = Event()
    hub = get_hub()
    hub.schedule_call_global(0.005, evt.send, "won")
    waiter = eventlet.spawn(evt.wait, 0.01)
    settle(1)
    time.sleep(0.02)  # both timers are due when the hub runs next: send fires first
    assert waiter.wait() == "won"


def test_send_exception_instance() -> None:
    evt: Event[Any] = Event()
    error = ValueError("boom")
    thread = eventlet.spawn(evt.wait)
    settle()
    evt.send_exception(error)
    with pytest.raises(ValueError, match="boom") as info:
        thread.wait()
    assert info.value is error
    assert evt.ready()
    assert evt.has_exception()
    assert not evt.has_result()
    with pytest.raises(ValueError, match="boom"):
        evt.wait()


def test_send_exception_class_and_args() -> None:
    evt: Event[Any] = Event()
    evt.send_exception(KeyError, "k")
    with pytest.raises(KeyError) as info:
        evt.wait()
    assert info.value.args == ("k",)


def test_send_exception_exc_info_keeps_traceback() -> None:
    def fail() -> None:
        raise RuntimeError("deep")

    evt: Event[Any] = Event()
    try:
        fail()
    except RuntimeError:
        evt.send_exception(*sys.exc_info())
    waiter = eventlet.spawn(evt.wait)
    with pytest.raises(RuntimeError) as info:
        waiter.wait()
    assert "fail" in [entry.name for entry in info.traceback]


def test_send_with_exc_argument() -> None:
    evt: Event[Any] = Event()
    evt.send(exc=OSError(5, "io"))
    assert evt.has_exception()
    with pytest.raises(OSError, match="io"):
        evt.wait()


def test_many_waiters_receive_exception() -> None:
    evt: Event[Any] = Event()
    seen: list[str] = []

    def waiter() -> None:
        try:
            evt.wait()
        except LookupError as exc:
            seen.append(str(exc))

    threads = [eventlet.spawn(waiter) for _ in range(5)]
    settle()
    evt.send_exception(LookupError("gone"))
    for thread in threads:
        thread.wait()
    assert seen == ["gone"] * 5


def test_poll_family() -> None:
    evt: Event[Any] = Event()
    marker = object()
    assert evt.poll(marker) is marker
    assert evt.poll() is None
    assert evt.poll_result(marker) is marker
    assert evt.poll_exception(marker) is marker
    assert not evt.has_result()
    assert not evt.has_exception()
    evt.send(7)
    assert evt.poll(marker) == 7
    assert evt.poll_result(marker) == 7
    assert evt.poll_exception(marker) is marker
    evt.reset()
    evt.send_exception(ValueError("x"))
    assert evt.poll_result(marker) is marker
    with pytest.raises(ValueError, match=r"^x$"):
        evt.poll_exception(marker)
    with pytest.raises(ValueError, match=r"^x$"):
        evt.poll()


def test_reset() -> None:
    evt: Event[Any] = Event()
    with pytest.raises(AssertionError):
        evt.reset()
    evt.send(1)
    evt.reset()
    assert not evt.ready()
    assert evt._result is NOT_USED
    assert repr(NOT_USED) == "NOT_USED"
    evt.send(2)
    assert evt.wait() == 2


def test_double_send_raises() -> None:
    evt: Event[Any] = Event()
    evt.send(1)
    with pytest.raises(AssertionError):
        evt.send(2)
    with pytest.raises(AssertionError):
        evt.send_exception(ValueError)
    assert evt.wait() == 1


def test_reset_before_waiter_resumes_still_delivers() -> None:
    evt: Event[Any] = Event()
    waiter = eventlet.spawn(evt.wait)
    settle()
    evt.send("first")
    evt.reset()  # the waiter has not run yet: it still gets what was sent to it
    assert waiter.wait() == "first"
    assert not evt.ready()


def test_send_from_hub_callbacks() -> None:
    hub = get_hub()
    evt: Event[Any] = Event()
    hub.schedule_call_global(0, evt.send, "timer")
    assert evt.wait() == "timer"
    evt2: Event[Any] = Event()
    waiter = eventlet.spawn(evt2.wait)
    settle()
    hub.call_soon(evt2.send, "soon")
    assert waiter.wait() == "soon"


def test_kill_blocked_waiter_leaves_others() -> None:
    evt: Event[Any] = Event()
    victim = eventlet.spawn(evt.wait)
    other = eventlet.spawn(evt.wait)
    settle()
    victim.kill()
    assert victim.dead
    assert len(evt._waiters) == 1
    evt.send("ok")
    assert other.wait() == "ok"
    with pytest.raises(GreenletExit):
        victim.wait()


def test_stale_wakeup_after_kill_does_not_resume_later_wait() -> None:
    evt: Event[str] = Event()
    later: Event[str] = Event()

    def waiter() -> object:
        try:
            evt.wait()
        except ValueError:
            return later.wait()  # a stale wake-up from evt must not end this wait
        return "wrong"

    thread = eventlet.spawn(waiter)
    settle()
    evt.send("x")  # queues the wake-up ...
    greenthread.kill(thread, ValueError)  # ... but the waiter leaves first
    settle()
    assert not thread.dead
    later.send("right")
    assert thread.wait() == "right"


def test_wait_from_hub_raises_and_cleans_up() -> None:
    evt: Event[Any] = Event()
    errors: list[BaseException] = []

    def in_hub() -> None:
        try:
            evt.wait()
        except RuntimeError as exc:
            errors.append(exc)

    get_hub().call_soon(in_hub)
    settle()
    assert len(errors) == 1
    assert not evt._waiters


def test_timeout_exception_propagates_through_wait() -> None:
    evt: Event[Any] = Event()
    with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.01):
        evt.wait()
    assert not evt._waiters


def test_waiter_killed_with_greenletexit_then_send() -> None:
    evt: Event[Any] = Event()
    thread = eventlet.spawn(evt.wait)
    settle()
    greenthread.kill(thread, GreenletExit)
    evt.send(3)
    assert evt.wait() == 3


def test_repr() -> None:
    evt: Event[Any] = Event()
    assert "Event" in repr(evt)
    assert "NOT_USED" in repr(evt)

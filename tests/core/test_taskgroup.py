"""eventlet.taskgroup.TaskGroup: structured concurrency for green threads."""

from __future__ import annotations

import logging
from typing import Any

import greenlet
import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import greenthread, taskgroup
from eventlet.event import Event
from eventlet.hubs import get_hub
from eventlet.taskgroup import TaskGroup, _combine

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block."""
    for _ in range(turns):
        eventlet.sleep(0)


def fail_after(seconds: float, exc: BaseException) -> None:
    eventlet.sleep(seconds)
    raise exc


def value_after(seconds: float, value: object) -> object:
    eventlet.sleep(seconds)
    return value


def test_exit_waits_for_all_children() -> None:
    with TaskGroup() as tg:
        threads = [tg.spawn(value_after, 0.001 * i, i) for i in range(4)]
        assert len(tg.children) == 4
    assert all(t.dead for t in threads)
    assert [t.wait() for t in threads] == [0, 1, 2, 3]
    assert tg.children == []


def test_empty_group() -> None:
    with TaskGroup() as tg:
        pass
    assert "closed" in repr(tg)


def test_spawn_passes_arguments_and_returns_green_thread() -> None:
    with TaskGroup() as tg:

        def add(a: int, *, b: int) -> int:
            return a + b

        thread = tg.spawn(add, 1, b=2)
    assert thread.wait() == 3


def test_child_failure_kills_siblings_and_reraises() -> None:
    error = ValueError("child failed")
    with pytest.raises(ValueError, match="child failed") as info, TaskGroup() as tg:
        sleeper = tg.spawn(eventlet.sleep, 10)
        tg.spawn(fail_after, 0.001, error)
    assert info.value is error
    assert sleeper.dead
    with pytest.raises(GreenletExit):
        sleeper.wait()


def test_child_failure_interrupts_blocked_body() -> None:
    body_reached_end = False
    gate: Event[Any] = Event()
    with pytest.raises(KeyError), TaskGroup() as tg:
        tg.spawn(fail_after, 0.001, KeyError("k"))
        gate.wait()  # never sent: the failure interrupts this wait
        body_reached_end = True
    assert not body_reached_end
    assert not gate._waiters


def test_body_that_swallows_interrupt_still_reports_failure() -> None:
    with pytest.raises(LookupError), TaskGroup() as tg:
        tg.spawn(fail_after, 0.001, LookupError("lost?"))
        try:
            eventlet.sleep(10)
        except BaseException:
            pass


def test_several_failures_raise_a_group() -> None:
    def raise_now(exc: BaseException) -> None:
        raise exc

    def both_fail(tg: TaskGroup) -> None:
        # Both start in the same hub turn, before the kill that the first failure schedules.
        tg.spawn(raise_now, ValueError("one"))
        tg.spawn(raise_now, TypeError("two"))

    group_class = taskgroup._BaseExceptionGroup  # builtin, or the backport on Python 3.10
    if group_class is not None:
        with pytest.raises(group_class) as info, TaskGroup() as tg:
            both_fail(tg)
        assert sorted(type(e).__name__ for e in info.value.exceptions) == ["TypeError", "ValueError"]
        assert isinstance(info.value, Exception)  # only Exceptions: an ExceptionGroup
    else:  # pragma: no cover - Python 3.10 without the exceptiongroup backport
        with pytest.raises((ValueError, TypeError)) as fallback, TaskGroup() as tg:
            both_fail(tg)
        assert getattr(fallback.value, "__notes__", None)


def test_combine_without_exception_groups_uses_notes(caplog: pytest.LogCaptureFixture) -> None:
    first, second = ValueError("first"), OSError("second")
    with caplog.at_level(logging.ERROR, logger="eventlet.taskgroup"):
        combined = _combine([first, second], None)
    assert combined is first
    notes = getattr(first, "__notes__", None)
    assert notes == ["TaskGroup: another child also failed: OSError('second')"]
    assert "Another failure" in caplog.text


def test_body_exception_kills_children() -> None:
    with pytest.raises(RuntimeError, match="body"), TaskGroup() as tg:
        child = tg.spawn(eventlet.sleep, 10)
        settle()
        raise RuntimeError("body")
    assert child.dead


def test_body_exception_and_child_failure_are_grouped() -> None:
    def stubborn() -> None:
        try:
            eventlet.sleep(10)
        except GreenletExit:
            raise OSError("cleanup failed") from None

    group_class = taskgroup._BaseExceptionGroup
    if group_class is None:  # pragma: no cover - Python 3.10 without the backport
        pytest.skip("needs exception groups")
    with pytest.raises(group_class) as info:
        with TaskGroup() as tg:
            tg.spawn(stubborn)
            settle()
            raise RuntimeError("body")
    assert [type(e) for e in info.value.exceptions] == [RuntimeError, OSError]


def test_control_flow_exception_in_body_propagates_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    def stubborn() -> None:
        try:
            eventlet.sleep(10)
        except GreenletExit:
            raise OSError("cleanup failed") from None

    with caplog.at_level(logging.ERROR, logger="eventlet.taskgroup"):
        with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.005):
            with TaskGroup() as tg:
                child = tg.spawn(stubborn)
                eventlet.sleep(10)
    assert child.dead
    assert "cleanup failed" in caplog.text


def test_owner_killed_while_waiting_for_children() -> None:
    children = []

    def owner() -> None:
        with TaskGroup() as tg:
            children.append(tg.spawn(eventlet.sleep, 10))

    thread = eventlet.spawn(owner)
    settle()
    assert not thread.dead  # waiting in __exit__
    thread.kill()  # returns once the owner blocks again, waiting for its children to die
    with pytest.raises(GreenletExit):
        thread.wait()
    assert children[0].dead


def test_owner_timeout_while_waiting_logs_child_errors(caplog: pytest.LogCaptureFixture) -> None:
    def stubborn() -> None:
        try:
            eventlet.sleep(10)
        except GreenletExit:
            raise OSError("late failure") from None

    with caplog.at_level(logging.ERROR, logger="eventlet.taskgroup"):
        with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.005):
            with TaskGroup() as tg:
                tg.spawn(stubborn)
    assert "late failure" in caplog.text


def test_cancel_kills_children_without_error() -> None:
    with TaskGroup() as tg:
        children = [tg.spawn(eventlet.sleep, 10) for _ in range(3)]
        settle()
        tg.cancel()
        tg.cancel()  # idempotent
        with pytest.raises(RuntimeError, match="shutting down"):
            tg.spawn(eventlet.sleep, 0)
    assert all(child.dead for child in children)


def test_cancel_from_a_child() -> None:
    with TaskGroup() as tg:
        sleeper = tg.spawn(eventlet.sleep, 10)
        canceller = tg.spawn(lambda: tg.cancel() or "cancelled")  # type: ignore[func-returns-value]
    assert canceller.wait() == "cancelled"
    assert sleeper.dead


def test_spawn_outside_the_block_is_refused() -> None:
    tg = TaskGroup()
    with pytest.raises(RuntimeError, match="before entering"):
        tg.spawn(eventlet.sleep, 0)
    with tg:
        pass
    with pytest.raises(RuntimeError, match="finished"):
        tg.spawn(eventlet.sleep, 0)
    with pytest.raises(RuntimeError, match="only once"), tg:
        pass


def test_children_may_spawn_children() -> None:
    results: list[str] = []

    def parent(tg: TaskGroup) -> None:
        eventlet.sleep(0)
        tg.spawn(lambda: results.append(value_after(0.001, "grandchild")))  # type: ignore[arg-type]
        results.append("child")

    with TaskGroup() as tg:
        tg.spawn(parent, tg)
    assert sorted(results) == ["child", "grandchild"]


def test_nested_groups_inner_failure_propagates_to_outer() -> None:
    with pytest.raises(ValueError, match="inner"), TaskGroup() as outer:
        outer_child = outer.spawn(eventlet.sleep, 10)
        with TaskGroup() as inner:
            inner.spawn(fail_after, 0.001, ValueError("inner"))
    assert outer_child.dead


def test_nested_groups_outer_failure_interrupts_inner_body() -> None:
    inner_children = []
    with pytest.raises(ValueError, match="outer"), TaskGroup() as outer:
        outer.spawn(fail_after, 0.002, ValueError("outer"))
        with TaskGroup() as inner:
            inner_children.append(inner.spawn(eventlet.sleep, 10))
            eventlet.sleep(10)
    assert inner_children[0].dead


def test_nested_groups_outer_failure_while_inner_waits() -> None:
    inner_children = []
    with pytest.raises(ValueError, match="outer"), TaskGroup() as outer:
        outer.spawn(fail_after, 0.002, ValueError("outer"))
        with TaskGroup() as inner:
            inner_children.append(inner.spawn(eventlet.sleep, 10))
    assert inner_children[0].dead


def test_child_killed_externally_is_not_a_failure() -> None:
    with TaskGroup() as tg:
        child = tg.spawn(eventlet.sleep, 10)
        settle()
        greenthread.kill(child)
    assert child.dead


def test_owner_killed_twice_while_waiting() -> None:
    children = []

    def owner() -> None:
        with TaskGroup() as tg:
            children.append(tg.spawn(eventlet.sleep, 10))

    thread = eventlet.spawn(owner)
    settle()
    thread.kill()
    thread.kill(KeyError)  # a second exception before the children are gone: the first one wins
    with pytest.raises(GreenletExit):
        thread.wait()
    assert children[0].dead


def test_exception_in_same_turn_as_last_child_finishing() -> None:
    hub = get_hub()
    owner = greenlet.getcurrent()
    with pytest.raises(KeyError, match="late"), TaskGroup() as tg:
        child = tg.spawn(hub.switch)  # parks until switched to explicitly
        settle()
        hub.call_soon(child.switch)  # the last child ends: the owner's wake-up is queued ...
        hub.call_soon(owner.throw, KeyError("late"))  # ... but this reaches the owner first
    assert child.dead
    settle()  # the stale wake-up finds the owner gone and does nothing

"""The hub's kernel operations: what the primitives use instead of the hub's private state (every hub)."""

from __future__ import annotations

import ast
import socket
from pathlib import Path
from typing import Any

import pytest
from greenlet import getcurrent, greenlet

import eventlet
from eventlet import debug
from eventlet.hubs.hub import READ, BaseHub
from eventlet.hubs.timer import _arm_entry, _cancel_entry, _entry_of


def test_resume_switches_to_a_greenlet_on_the_next_turn(any_hub: BaseHub) -> None:
    seen: list[str] = []
    thread = greenlet(lambda: seen.append("ran"), any_hub.greenlet)
    any_hub.resume(thread)
    assert seen == []
    eventlet.sleep(0)
    assert seen == ["ran"]
    assert thread.dead


def test_resume_calls_a_callback_pair_in_fifo_order_with_call_soon(any_hub: BaseHub) -> None:
    seen: list[Any] = []
    any_hub.resume((seen.append, (1,)))
    any_hub.call_soon(seen.append, 2)
    any_hub.resume((seen.append, (3,)))
    eventlet.sleep(0)
    assert seen == [1, 2, 3]


def test_resume_is_the_ready_queue_bound_once(any_hub: BaseHub) -> None:
    # The hot path pays no more than a direct append: the same bound method on every access.
    assert any_hub.resume is any_hub.resume
    assert any_hub.withdraw is any_hub.withdraw


def test_withdraw_takes_back_an_entry_that_has_not_run(any_hub: BaseHub) -> None:
    seen: list[int] = []
    entry = (seen.append, (1,))
    any_hub.resume(entry)
    any_hub.resume((seen.append, (2,)))
    any_hub.withdraw(entry)
    eventlet.sleep(0)
    assert seen == [2]
    with pytest.raises(ValueError, match="not in"):
        any_hub.withdraw(entry)


def test_pending_callbacks_lists_ready_entries_then_timers(any_hub: BaseHub) -> None:
    def first() -> None:
        """A ready callback."""

    def later() -> None:
        """A timer callback."""

    def never() -> None:
        """A cancelled timer's callback."""

    thread = greenlet(lambda: None, any_hub.greenlet)
    before = any_hub.pending_callbacks()  # the test harness's own timers, if any
    any_hub.resume((first, ()))
    any_hub.resume(thread)
    timer = any_hub.schedule_call_global(60, later)
    any_hub.schedule_call_global(30, never).cancel()
    pending = any_hub.pending_callbacks()
    timer.cancel()
    eventlet.sleep(0)
    assert pending[:2] == [first, thread]
    assert later in pending[2:]
    assert never not in pending
    assert sorted(map(id, pending[2:])) == sorted(map(id, [*before, later]))
    assert any_hub.pending_callbacks() == before


def test_waits_on_fds_sees_a_reader_until_it_is_removed(any_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    try:
        assert not any_hub.waits_on_fds()
        listener = any_hub.add(READ, a.fileno(), lambda fd: None, lambda exc: None)
        assert any_hub.waits_on_fds()
        any_hub.remove(listener)
        assert not any_hub.waits_on_fds()
    finally:
        a.close()
        b.close()


def test_blocking_detector_is_a_public_attribute_of_the_hub(any_hub: BaseHub) -> None:
    assert any_hub.blocking_detector is None
    detector = debug.hub_blocking_detection(True, 5)
    try:
        assert detector is not None
        assert any_hub.blocking_detector is detector
    finally:
        assert debug.hub_blocking_detection(False) is None
    assert any_hub.blocking_detector is None


def test_arm_entry_and_cancel_entry_are_a_timer_without_the_timer_object(any_hub: BaseHub) -> None:
    seen: list[str] = []
    fired = _arm_entry(any_hub, 0.0, seen.append, ("fired",), None)
    cancelled = _arm_entry(any_hub, 0.0, seen.append, ("cancelled",), None)
    _cancel_entry(cancelled)
    eventlet.sleep(0.001)
    assert seen == ["fired"]
    assert fired[2] is None  # done: a second cancel does nothing
    _cancel_entry(fired)


def test_an_owned_entry_does_not_fire_once_its_owner_has_ended(any_hub: BaseHub) -> None:
    seen: list[str] = []
    owner = eventlet.spawn(lambda: _arm_entry(any_hub, 0.0, seen.append, ("fired",), getcurrent()))
    owner.wait()
    eventlet.sleep(0.001)
    assert seen == []


def test_a_timer_recorder_sees_every_way_of_scheduling(any_hub: BaseHub) -> None:
    recorded: list[list[Any]] = []
    any_hub.set_timer_recorder(recorded.append)
    try:
        timer = any_hub.schedule_call_global(5, print)
        entry = _arm_entry(any_hub, 5, print, (), None)
        with eventlet.Timeout(5):
            pass
        assert recorded[:2] == [_entry_of(timer), entry]
        assert len(recorded) == 3
    finally:
        any_hub.set_timer_recorder(None)
    timer.cancel()
    _cancel_entry(entry)
    any_hub.schedule_call_global(5, print).cancel()
    assert len(recorded) == 3  # off again


_HUB_PRIVATE = {"_incoming", "_next_due", "_ready", "_threadsafe", "_near", "_run", "_buckets", "_fds"}


def test_nothing_outside_the_hubs_package_touches_the_hubs_private_state() -> None:
    # docs/design.rst rule 7: the primitives use the kernel operations, never the hub's internals.
    offenders = []
    for src in sorted(Path(__file__).resolve().parents[2].glob("packages/*/src/eventlet")):
        for path in sorted(src.rglob("*.py")):
            if "hubs" in path.relative_to(src).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in _HUB_PRIVATE:
                    base = ast.unparse(node.value)
                    if base == "hub" or base.endswith((".hub", "_hub", "get_hub()")):
                        offenders.append(f"{path.relative_to(src.parent)}:{node.lineno}: {base}.{node.attr}")
    assert offenders == []


def test_sleep_is_a_kernel_trap_that_knows_the_plain_greenlet_classes() -> None:
    from eventlet.greenthread import GreenThread
    from eventlet.hubs import _sleep

    assert eventlet.sleep is eventlet.greenthread.sleep is _sleep.sleep
    assert {greenlet, GreenThread} <= _sleep.PLAIN_GREENLETS

    class Hooked(greenlet):
        def switch_out(self) -> None:
            pass

    with pytest.raises(ValueError, match="Hooked has a switch_out hook"):
        _sleep.register_plain_greenlet(Hooked)
    assert Hooked not in _sleep.PLAIN_GREENLETS

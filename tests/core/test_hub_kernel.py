"""The hub's kernel operations: what the primitives use instead of the hub's private state (every hub)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from greenlet import greenlet

import eventlet
from eventlet import debug
from eventlet.hubs.hub import READ, BaseHub


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

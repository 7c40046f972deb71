"""Timers: upstream's Timer API, counting cancelled timers, the incoming list, firing order.

The order guarantee (deadline first, then the order timers were scheduled) is checked with
hypothesis over random mixes of scheduling, cancelling and time passing, under the virtual clock.
"""

from __future__ import annotations

import logging
import math
import socket
import sys
from collections import deque

import pytest
from greenlet import GreenletExit, getcurrent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventlet
from eventlet import hubs
from eventlet.hubs import _timers, timer
from eventlet.hubs.hub import EV_READ, BaseHub
from eventlet.testing import virtual_clock
from eventlet.timeout import Timeout


def _handles(entries: deque[timer.Entry]) -> list[timer.Timer]:
    """Handles on the hub's entries in one of its queues, to compare with the timers a test made."""
    return [timer._as_timer(entry) for entry in entries]


def _pending(hub: BaseHub) -> int:
    return hub.get_timers_count() - hub.timers_canceled


# ---------------------------------------------------------------- upstream's eventlet.hubs.timer
def test_timer_made_by_hand_keeps_its_callback_and_copies() -> None:
    t = timer.Timer(0.5, dict, 1, key="v")
    assert t.seconds == 0.5
    assert t.pending
    assert not t.called
    assert t.hub is None
    assert t.tpl == (dict, (1,), {"key": "v"})
    twin = t.copy()
    assert type(twin) is timer.Timer
    assert twin is not t
    assert (twin.seconds, twin.tpl, twin.called) == (t.seconds, t.tpl, t.called)
    plain = timer.Timer(0, print)
    assert plain.tpl == (print, (), {})
    assert plain.greenlet is None


def test_timer_schedule_fires_on_the_current_hub(any_hub: BaseHub) -> None:
    fired: list[object] = []
    t = timer.Timer(0, fired.append, "x").schedule()
    assert t.hub is any_hub
    assert t.scheduled_time == t.deadline
    eventlet.sleep(0.001)
    assert fired == ["x"]
    assert t.called
    assert not t.pending
    with pytest.raises(AttributeError):
        t.tpl  # noqa: B018 - gone once fired, as upstream's
    with pytest.raises(AttributeError):
        t.copy()


def test_calling_a_timer_runs_it_once(any_hub: BaseHub) -> None:
    fired: list[object] = []
    loose = timer.Timer(10, fired.append, "loose")
    loose()
    loose()
    assert fired == ["loose"]
    assert loose.called
    base = _pending(any_hub)  # the test's own timeout
    scheduled = any_hub.schedule_call_global(10, fired.append, "early")
    other = any_hub.schedule_call_global(10, print)
    scheduled()  # not the last one scheduled: it stays stored, counted as cancelled
    assert fired == ["loose", "early"]
    assert any_hub.timers_canceled == 1
    other.cancel()
    any_hub._place_incoming()  # as the hub's next timer pass does: drops it
    assert any_hub.timers_canceled == 0
    assert _pending(any_hub) == base


def test_keyword_arguments_reach_the_callback(any_hub: BaseHub) -> None:
    got: list[dict[str, int]] = []
    t = any_hub.schedule_call_global(0, lambda **kw: got.append(kw), a=1)
    assert t.tpl[2] == {"a": 1}
    any_hub.schedule_call_local(0, lambda **kw: got.append(kw), b=2)
    eventlet.sleep(0.001)
    assert got == [{"a": 1}, {"b": 2}]


def test_local_timer_belongs_to_its_green_thread(any_hub: BaseHub) -> None:
    fired: list[object] = []
    made: list[timer.Timer] = []

    def owner() -> None:
        made.append(timer.LocalTimer(0, fired.append, "hand").schedule())
        made.append(any_hub.schedule_call_local(0, fired.append, "hub"))
        assert all(t.pending and t.greenlet is getcurrent() for t in made)

    eventlet.spawn(owner).wait()
    assert fired == []
    assert not any(t.pending for t in made)  # the owner has ended
    eventlet.sleep(0.001)
    assert fired == []
    copied = timer.LocalTimer(10, print).copy()
    assert type(copied) is timer.LocalTimer
    assert copied.greenlet is getcurrent()
    kept = timer.LocalTimer(10, print)
    kept.cancel()
    assert kept.greenlet is None
    assert not kept.pending
    mine = timer.LocalTimer(0, fired.append, "mine")
    mine()
    assert fired == ["mine"]


def test_calling_a_local_timer_of_a_dead_thread_does_nothing() -> None:
    fired: list[object] = []
    made = eventlet.spawn(lambda: timer.LocalTimer(0, fired.append, 1)).wait()
    made()
    assert fired == []
    assert made.called


def test_repr_says_pending_or_done() -> None:
    t = timer.Timer(1.5, print)
    assert "Timer pending in 1.5s" in repr(t)
    t.cancel()
    assert "done" in repr(t)
    assert "LocalTimer pending" in repr(timer.LocalTimer(1, print))


def test_a_timer_whose_handle_nobody_keeps_still_fires() -> None:
    with virtual_clock() as hub:
        fired: list[int] = []
        handle = hub.schedule_call_global(1, fired.append, 1)
        # Only this name and getrefcount's argument hold it: the hub keeps the entry, not the
        # handle, so a handle nobody keeps is freed at once.
        assert sys.getrefcount(handle) == 2
        del handle
        eventlet.sleep(2)
        assert fired == [1]


def test_handles_on_one_entry_are_equal_and_hash_alike() -> None:
    t = timer.Timer(1.5, print)
    other = timer._as_timer(timer._entry_of(t))
    assert other is not t
    assert other == t
    assert hash(other) == hash(t)
    assert len({t, other}) == 1
    assert t != timer.Timer(1.5, print)
    assert t != timer._entry_of(t)  # a handle is not its entry
    assert (t == "a timer") is False


def test_set_timer_exceptions_turns_the_printed_report_off(
    any_hub: BaseHub, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise ValueError("timer failed")

    any_hub.set_timer_exceptions(False)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        any_hub.schedule_call_global(0, boom)
        eventlet.sleep(0.001)
        assert "timer failed" not in capsys.readouterr().err
        assert "timer failed" in caplog.text  # logged whatever the switch (eventlet.debug)
        any_hub.set_timer_exceptions(True)
        any_hub.schedule_call_global(0, boom)
        eventlet.sleep(0.001)
    assert "timer failed" in capsys.readouterr().err
    assert any_hub.debug_exceptions


# ---------------------------------------------------------------- counting, as upstream does
def test_timers_cancelled_right_away_are_never_stored() -> None:
    hub = hubs.get_hub()
    before = hub.get_timers_count()
    for _ in range(2000):
        hub.schedule_call_global(60, print).cancel()
        assert hub.timers_canceled <= hub.get_timers_count() + 1
    assert hub.get_timers_count() == before
    assert hub.timers_canceled == 0


def test_cancelled_stored_timers_are_compacted() -> None:
    hub = hubs.get_hub()
    before = hub.get_timers_count()
    for _ in range(2000):
        t = hub.schedule_call_global(60, print)
        eventlet.sleep(0)  # the hub has placed it
        t.cancel()
        assert hub.timers_canceled <= hub.get_timers_count() + 1
    assert hub.get_timers_count() <= 1000 + before
    assert hub.timers_canceled <= 1000
    assert _pending(hub) == before


def test_a_minority_of_cancelled_timers_is_kept() -> None:
    hub = hubs.get_hub()
    guard = hub.schedule_call_global(30, print)  # due first: the cancelled ones never come first
    kept: list[timer.Timer] = [guard]
    for _ in range(1000):
        cancelled = hub.schedule_call_global(60, print)
        kept += [hub.schedule_call_global(60, print), hub.schedule_call_global(60, print)]
        eventlet.sleep(0)
        cancelled.cancel()
    assert hub.timers_canceled == 1000
    assert hub.get_timers_count() == 3001
    compacted = False
    for t in kept:
        stored = hub.get_timers_count()
        t.cancel()
        assert hub.timers_canceled <= hub.get_timers_count()
        compacted |= hub.get_timers_count() < stored  # half of them dead: rebuilt as it happens
    assert compacted
    assert _pending(hub) == 0


def test_timers_view_lists_stored_timers_soonest_first() -> None:
    with virtual_clock() as hub:
        late = hub.schedule_call_global(2, print)
        soon = hub.schedule_call_global(1, print)
        dead = hub.schedule_call_global(1.5, print)
        last = hub.schedule_call_global(3, print)
        dead.cancel()
        assert [t for _d, t in hub.timers] == [soon, dead, late, last]
        hub._place_incoming()  # as the hub's next timer pass does: the cancelled one is dropped
        assert [t for _d, t in hub.timers] == [soon, late, last]
        assert hub.get_timers() == [soon, late, last]
        for t in (late, soon, last):
            t.cancel()


def test_incoming_list_only_pops_the_last_timer() -> None:
    with virtual_clock() as hub:
        first = hub.schedule_call_global(1, print)
        second = hub.schedule_call_global(1, print)
        first.cancel()
        assert _handles(hub._incoming) == [first, second]
        assert hub.timers_canceled == 1
        second.cancel()
        assert _handles(hub._incoming) == [first]
        assert hub.timers_canceled == 1
        eventlet.sleep(1)  # the hub's timer pass at first's deadline drops it
        assert list(hub._incoming) == []
        assert hub.timers_canceled == 0
        assert hub.get_timers_count() == 0
        eventlet.sleep(0)  # (we were resumed from inside that pass: let it finish)
        assert hub._next_deadline() is None


def test_cancelled_incoming_timers_leave_room_in_the_near_deque() -> None:
    with virtual_clock() as hub:
        timers = [hub.schedule_call_global(50, print) for _ in range(_timers.SMALL_HEAP + 50)]
        for t in timers[:100]:  # cancelled, but not the last scheduled: they stay in the list
            t.cancel()
        hub._place_incoming()  # more timers than room, but few enough live ones: all go near
        assert _handles(hub._near) == timers[100:]
        assert hub._bucketed == 0
        assert hub.timers_canceled == 0
        assert hub.get_timers_count() == len(timers) - 100
        for t in timers[100:]:
            t.cancel()


def test_a_timer_due_in_the_next_slot_skips_the_buckets() -> None:
    with virtual_clock() as hub:
        filler = [hub.schedule_call_global(50, print) for _ in range(_timers.SMALL_HEAP)]
        hub._fire_timers(hub.clock())  # places them, and the current slot begins
        soon = hub.schedule_call_global(1 / _timers.SLOTS_PER_SECOND, print)
        later = hub.schedule_call_global(1, print)
        hub._place_incoming()
        assert soon in _handles(hub._near)
        assert later not in _handles(hub._near)
        assert hub._bucketed == 1
        for t in [*filler, soon, later]:
            t.cancel()


def test_compaction_also_cleans_the_incoming_list() -> None:
    with virtual_clock() as hub:
        placed = [hub.schedule_call_global(5, print) for _ in range(1500)]
        hub._next_deadline()
        fresh = [hub.schedule_call_global(5, print) for _ in range(10)]
        for t in placed + fresh[:5]:
            t.cancel()
        hub._compact_timers()
        assert _handles(hub._incoming) == fresh[5:]
        assert hub.timers_canceled == 0
        for t in fresh:
            t.cancel()


def test_a_cancelled_head_does_not_wake_the_hub() -> None:
    with virtual_clock() as hub:
        soon = hub.schedule_call_global(1, print)
        later = hub.schedule_call_global(5, print)
        assert hub._next_deadline() == pytest.approx(hub.clock() + 1)
        hub._place_incoming()
        soon.cancel()
        assert hub._next_deadline() == pytest.approx(hub.clock() + 5)
        later.cancel()
        assert hub._next_deadline() is None


def test_an_idle_turn_with_nothing_due_does_not_fire() -> None:
    with virtual_clock() as hub:
        hub.schedule_call_global(5, print)
        hub._next_deadline()
        due = hub._next_due
        hub._fire_timers(hub.clock())  # nothing due: returns at once
        assert hub._next_due == due
        assert hub.get_timers_count() == 1
        hub.get_timers()[0].cancel()


def test_closing_forgets_incoming_timers() -> None:
    hub = hubs._resolve(None)()
    t = hub.schedule_call_global(1, print)
    hub.close()
    assert not t.pending
    assert hub.get_timers_count() == 0
    assert hub._next_due == math.inf


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("schedule"), st.integers(min_value=-2, max_value=400)),
            st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=10_000)),
            st.tuples(st.just("sleep"), st.integers(min_value=0, max_value=60)),
        ),
        max_size=120,
    ),
    st.booleans(),
)
def test_timers_fire_in_deadline_then_scheduling_order(steps: list[tuple[str, int]], crowded: bool) -> None:
    """Whatever the mix (heap, buckets, run, incoming), timers fire in (deadline, schedule) order."""
    with virtual_clock() as hub:
        filler = [hub.schedule_call_global(1000, print) for _ in range(_timers.SMALL_HEAP if crowded else 0)]
        fired: list[int] = []
        made: list[tuple[float, int, timer.Timer]] = []
        cancelled: set[int] = set()
        for action, value in steps:
            if action == "schedule":
                index = len(made)
                t = hub.schedule_call_global(value / 100, fired.append, index)
                made.append((t.deadline, index, t))
            elif action == "cancel" and made:
                index = value % len(made)
                if made[index][2].pending:
                    made[index][2].cancel()
                    cancelled.add(index)
            else:
                eventlet.sleep(value / 100)
        eventlet.sleep(5)
        expected = [index for _deadline, index, _t in sorted(made) if index not in cancelled]
        assert sorted(fired) == sorted(expected)
        # within what fired, the order is by deadline, then by when they were scheduled
        rank = {index: (deadline, index) for deadline, index, _t in made}
        assert fired == sorted(fired, key=rank.__getitem__)
        for t in filler:
            t.cancel()


# ---------------------------------------------------------------- the users of timers
def test_timeout_arguments_and_slots() -> None:
    t = Timeout(1.5)
    assert t.args == (1.5,)
    assert t.pending
    assert t.seconds == 1.5
    t.cancel()
    t.cancel()
    assert not t.pending
    t.start()
    t.start()  # restarts: one timer pending
    assert t.pending
    t.cancel()
    assert Timeout(None).args == (None,)
    assert not Timeout(None).pending
    t.extra = 1  # still has a dict, as an exception does
    assert t.extra == 1


def test_timeouts_left_in_any_order_are_all_cancelled() -> None:
    with virtual_clock() as hub:
        outer = Timeout(1)
        inner = Timeout(2)
        outer.cancel()  # not the last one armed: stays until the hub's next look
        inner.cancel()
        assert not outer.pending
        assert not inner.pending
        eventlet.sleep(3)
        assert _pending(hub) == 0
        with Timeout(1) as t:
            eventlet.sleep(0)  # nothing was due: the hub did not even look at it
            assert list(hub._incoming) == [t._timer]
        assert not t.pending
        assert hub.timers_canceled == 0
        assert list(hub._incoming) == []
        with Timeout(1) as t:
            eventlet.sleep(0.5)  # the hub's timer pass placed it
            assert list(hub._incoming) == []
        assert not t.pending
        assert hub.timers_canceled == 1


def test_timeout_fires_after_a_switch() -> None:
    with virtual_clock():

        def sleep_past_it() -> None:
            with Timeout(1):
                eventlet.sleep(0)
                eventlet.sleep(2)

        with pytest.raises(Timeout):
            sleep_past_it()


def test_sleep_of_nan_only_yields() -> None:
    with virtual_clock() as hub:
        start = hub.clock()
        eventlet.sleep(float("nan"))
        assert hub.clock() == start


def test_sleep_interrupted_cancels_its_timer() -> None:
    with virtual_clock() as hub:
        sleeper = eventlet.spawn(eventlet.sleep, 10)
        eventlet.sleep(0)
        sleeper.kill()
        assert _pending(hub) == 0


def test_wait_fd_timer_is_cancelled_when_data_wins(any_hub: BaseHub) -> None:
    base = _pending(any_hub)  # the test's own timeout
    a, b = socket.socketpair()
    try:
        b.send(b"x")
        hubs.wait_fd(a.fileno(), EV_READ, 5.0)
        assert _pending(any_hub) == base
        eventlet.spawn_after(0.001, b.send, b"y")
        a.recv(1)
        hubs.wait_fd(a.fileno(), EV_READ, 5.0)  # the hub placed the timer before data came
        assert _pending(any_hub) == base
        assert a.recv(1) == b"y"
        with pytest.raises(TimeoutError):
            hubs.wait_fd(a.fileno(), EV_READ, 0.001)  # nothing comes: the timer fires
    finally:
        a.close()
        b.close()


def test_cancel_before_start_never_starts_the_greenlet(any_hub: BaseHub) -> None:
    base = _pending(any_hub)  # the test's own timeout
    ran: list[int] = []
    seen: list[object] = []
    gt = eventlet.spawn_after(1, ran.append, 1)
    gt.link(lambda thread: seen.append(getcurrent()))
    gt.cancel()
    assert gt.dead
    assert not gt
    assert seen == [getcurrent()]
    with pytest.raises(GreenletExit):
        gt.wait()
    gt.cancel()
    gt.kill()  # dead already: nothing
    assert _pending(any_hub) == base
    assert ran == []


def test_kill_before_start_reports_an_unobserved_error(caplog: pytest.LogCaptureFixture) -> None:
    gt = eventlet.spawn_after(1, print)
    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        eventlet.kill(gt, ValueError("never ran"))
    assert "never ran" in caplog.text
    with pytest.raises(ValueError, match="never ran"):
        gt.wait()


def test_kill_before_start_with_system_exit_reaches_the_killer() -> None:
    gt = eventlet.spawn_after(1, print)
    with pytest.raises(SystemExit):
        eventlet.kill(gt, SystemExit)
    assert gt.dead


def test_spawn_after_local_cancelled_before_start() -> None:
    with virtual_clock() as hub:
        out: list[str] = []
        gt = eventlet.spawn_after_local(1, out.append, "x")
        gt.cancel()
        eventlet.sleep(2)
        assert out == []
        assert gt.dead
        assert _pending(hub) == 0


def _half_dead_store(hub: BaseHub) -> list[timer.Timer]:
    """1021 placed timers, 511 of them cancelled: the next cancel of a placed timer is the 512th
    (cancelling checks the rule at every 16th) and finds half of the 1022 cancelled: it compacts.

    The first one (the soonest) stays alive, so that no cancelled one is dropped as it comes first.
    """
    made = [hub.schedule_call_global(50, print) for _ in range(1021 - hub.get_timers_count())]
    hub._place_incoming()
    for t in made[-511:]:
        t.cancel()
    assert hub.timers_canceled == 511
    assert hub.get_timers_count() == 1021
    return [t for t in made if t.pending]


def test_leaving_a_placed_timeout_can_compact() -> None:
    with virtual_clock() as hub:
        rest = _half_dead_store(hub)
        with Timeout(5):
            eventlet.sleep(1)  # placed by the hub's timer pass
        assert hub.timers_canceled == 0
        assert hub.get_timers_count() == 510
        for t in rest:
            t.cancel()


def test_a_socket_wait_that_data_wins_can_compact(any_hub: BaseHub) -> None:
    rest = _half_dead_store(any_hub)
    a, b = socket.socketpair()
    try:
        eventlet.spawn_after(0.001, b.send, b"x")
        hubs.wait_fd(a.fileno(), EV_READ, 5.0)  # its timer was placed before the data came
        assert any_hub.timers_canceled == 0
        assert any_hub.get_timers_count() < 1000
    finally:
        a.close()
        b.close()
        for t in rest:
            t.cancel()


def test_timeouts_and_delayed_threads_in_a_thread_without_a_hub_yet() -> None:
    import threading

    results: list[object] = []

    def body(timeout_first: bool) -> None:
        if timeout_first:
            with Timeout(5) as t:
                eventlet.spawn_after(0, results.append, "spawned").wait()
        else:
            gt = eventlet.spawn_after(0, results.append, "spawned")
            with Timeout(5) as t:
                gt.wait()
        results.append(t.pending)
        hubs.get_hub().close()

    for timeout_first in (True, False):
        thread = threading.Thread(target=body, args=(timeout_first,))
        thread.start()
        thread.join()
    assert results == ["spawned", False] * 2


def test_internal_timers_show_as_timers() -> None:
    with virtual_clock() as hub:
        sleeper = eventlet.spawn(eventlet.sleep, 5)
        eventlet.sleep(0)
        public = hub.schedule_call_global(10, print)
        shown = hub.get_timers()
        assert shown[1] == public
        assert timer._entry_of(shown[1]) is timer._entry_of(public)
        view = shown[0]
        assert isinstance(view, timer.Timer)
        assert view.pending
        assert not view.called
        assert view.seconds == 5
        assert view.args == ()
        assert view.callback == sleeper.switch
        assert repr(view).startswith("<Timer pending in 5")
        assert hub.timers[0][1] == view
        view.cancel()  # cancels the sleep's timer itself
        assert not view.pending
        assert view.called
        assert view.callback is None
        assert "done" in repr(view)
        assert len(hub.get_timers()) == 1
        sleeper.kill()
        public.cancel()


def test_timeout_timer_attribute() -> None:
    with virtual_clock():
        t = Timeout(3)
        shown = t.timer
        assert shown is not None
        assert shown.pending
        assert shown.seconds == 3
        shown.cancel()
        assert not t.pending
        t.cancel()
        assert t.timer is None
        assert Timeout(None).timer is None


def test_placing_drops_a_cancelled_timer_that_comes_first() -> None:
    with virtual_clock() as hub:
        first = timer.Timer(1, print)
        hub.add_timer(first)
        later = timer.Timer(2, print)
        hub.add_timer(later)  # later than what is due first: the bound stays
        assert hub._next_due == first.deadline
        hub._place_incoming()
        first.cancel()  # placed: counted, and at the top of the heap
        assert hub.timers_canceled == 1
        hub.schedule_call_global(3, print).cancel()  # (popped again at once)
        hub.schedule_call_global(3, print)
        hub._place_incoming()  # finds the cancelled one on top: dropped
        assert hub.timers_canceled == 0
        assert hub._next_due == later.deadline
        for t in hub.get_timers():
            t.cancel()


def test_an_idle_hub_with_only_a_far_timer_sleeps_until_woken(any_hub: BaseHub) -> None:
    import threading

    a, b = socket.socketpair()
    try:
        far = any_hub.schedule_call_global(600, print)
        sender = threading.Timer(0.02, b.send, (b"x",))
        sender.start()
        hubs.wait_fd(a.fileno(), EV_READ, 300.0)  # only far timers: timed from the last reading
        sender.join()
        assert a.recv(1) == b"x"
        assert far.pending
        far.cancel()
    finally:
        a.close()
        b.close()


def test_equal_deadlines_fire_in_scheduling_order_across_near_and_run() -> None:
    """A timer kept in the near deque (while it was short) and a later one of the same deadline
    that waited in a bucket, then the run: the first scheduled fires first, and the reverse."""
    with virtual_clock() as hub:
        fired: list[str] = []
        first = hub.schedule_call_global(2, fired.append, "near first")
        filler = [hub.schedule_call_global(50, print) for _ in range(_timers.SMALL_HEAP - 1)]
        hub._place_incoming()
        second = hub.schedule_call_global(2, fired.append, "run second")
        hub._place_incoming()
        assert first in _handles(hub._near)
        assert hub._bucketed == 1
        assert first.deadline == second.deadline
        eventlet.sleep(3)
        assert fired == ["near first", "run second"]
        filler.append(hub.schedule_call_global(50, print))
        hub._place_incoming()  # the near deque is full again
        early = hub.schedule_call_global(2, fired.append, "run first")
        hub._place_incoming()  # so: a bucket
        assert hub._bucketed == 1
        for t in filler[:10]:
            t.cancel()
        hub._next_deadline()  # drops them (they come first): room for ten
        late = hub.schedule_call_global(2, fired.append, "near second")
        hub._place_incoming()  # room again: the near deque
        assert late in _handles(hub._near)
        assert early.deadline == late.deadline
        eventlet.sleep(3)
        assert fired[2:] == ["run first", "near second"]
        for t in filler:
            t.cancel()


def _sleep_here() -> None:
    eventlet.sleep(30)


def test_timer_stacks_cover_the_hubs_own_timers(any_hub: BaseHub) -> None:
    from eventlet import debug

    debug.hub_timer_stacks(True)
    try:
        sleeper = eventlet.spawn(_sleep_here)
        eventlet.sleep(0)
        with Timeout(20):
            text = debug.format_hub_timers()
        for _ in range(1100):  # many done ones: the record forgets them
            Timeout(5).cancel()
        assert len(debug._timer_stacks[any_hub].stacks) < 1100
    finally:
        debug.hub_timer_stacks(False)
    assert type(any_hub._incoming) is deque
    assert "in _sleep_here" in text
    assert "test_timer_stacks_cover_the_hubs_own_timers" in text
    sleeper.kill()


def test_timers_find_the_hub_through_the_hub_choice() -> None:
    """``eventlet.hubs`` hands its ``get_hub`` down to the timer module (which sits below it)."""
    assert timer._current_hub is hubs.get_hub
    with pytest.raises(RuntimeError, match="not imported yet"):
        timer._no_hub_yet()

"""eventlet.testing: the virtual clock and the pytest plugin (this suite uses both)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest

import eventlet
from eventlet import hubs
from eventlet.hubs import notify_close, trampoline
from eventlet.hubs import poll as poll_hub
from eventlet.hubs.hub import BaseHub
from eventlet.testing import (
    VirtualClockHub,
    dispose_hub,
    fresh_hub,
    leftovers,
    make_virtual_clock_hub,
    virtual_clock,
)
from eventlet.testing.isolation import SwitchTracker, describe, green_threads_of


@pytest.mark.virtual_clock
def test_an_hour_of_sleeps_in_no_time() -> None:
    hub = hubs.get_hub()
    assert isinstance(hub, VirtualClockHub) or type(hub).__name__.startswith("VirtualClock")
    order: list[tuple[float, str]] = []
    start = hub.clock()

    def sleeper(name: str, seconds: float) -> None:
        eventlet.sleep(seconds)
        order.append((hub.clock() - start, name))

    real_start = time.monotonic()
    threads = [eventlet.spawn(sleeper, n, s) for n, s in [("c", 3600), ("a", 60), ("b", 600), ("a2", 60)]]
    for gt in threads:
        gt.wait()
    assert order == [(60, "a"), (60, "a2"), (600, "b"), (3600, "c")]
    assert time.monotonic() - real_start < 5  # an hour of virtual time; well under a real second


@pytest.mark.virtual_clock
def test_timeouts_fire_at_their_virtual_moment() -> None:
    hub = hubs.get_hub()
    start = hub.clock()
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(30):
            eventlet.sleep(100)
    assert hub.clock() - start == 30


def test_real_fd_waiters_make_the_clock_follow_real_time(virtual_clock: BaseHub) -> None:
    a, b = socket.socketpair()
    try:
        start = virtual_clock.clock()
        real_start = time.monotonic()
        with pytest.raises(eventlet.Timeout):
            trampoline(a, read=True, timeout=0.02)  # someone waits on an fd: a real wait
        assert time.monotonic() - real_start >= 0.015
        assert virtual_clock.clock() - start >= 0.015

        def writer() -> None:
            eventlet.sleep(0.01)
            b.send(b"x")

        eventlet.spawn(writer)
        assert trampoline(a, read=True, timeout=5) == a.fileno()
    finally:
        notify_close(a.fileno())
        a.close()
        b.close()


def test_threadsafe_calls_are_really_waited_for(virtual_clock: BaseHub) -> None:
    got: list[int] = []
    virtual_clock.call_threadsafe(got.append, 1)  # pending: the next poll does not jump
    eventlet.sleep(0.001)
    assert got == [1]


def test_advance_and_clock_never_goes_back(virtual_clock: BaseHub) -> None:
    start = virtual_clock.clock()
    virtual_clock.advance(10)  # type: ignore[attr-defined]
    assert virtual_clock.clock() == start + 10
    with pytest.raises(ValueError, match="cannot go backwards"):
        virtual_clock.advance(-1)  # type: ignore[attr-defined]


def test_an_idle_virtual_hub_waits_for_other_threads() -> None:
    with virtual_clock() as hub:
        got: list[str] = []
        main = eventlet.getcurrent()
        thread = threading.Timer(0.02, hub.call_threadsafe, args=(main.switch, "woken"))
        thread.start()
        assert hub.switch() == "woken"  # no timer at all: a real, unbounded wait
        thread.join()
        del got


def test_virtual_clock_classes() -> None:
    assert make_virtual_clock_hub(poll_hub.Hub) is make_virtual_clock_hub(poll_hub.Hub)
    with pytest.raises(TypeError, match="poller-based"):
        make_virtual_clock_hub(hubs._resolve("asyncio"))
    with virtual_clock(poll_hub.Hub) as hub:
        assert isinstance(hub, poll_hub.Hub)
        eventlet.sleep(1)
        assert "virtual clock" in (type(hub).__doc__ or "")


def test_virtual_clock_under_the_asyncio_hub_uses_the_default_backend() -> None:
    saved = hubs._registry.hub_class
    hubs.use_hub("asyncio")
    try:
        with virtual_clock() as hub:
            assert hub.name != "asyncio"
            eventlet.sleep(5)
    finally:
        hubs.use_hub(saved)


def test_virtual_clock_restores_the_previous_hub() -> None:
    before = hubs.get_hub()
    with virtual_clock() as hub:
        assert hubs.get_hub() is hub
        eventlet.spawn(eventlet.sleep, 100)  # a leftover: killed on exit
        eventlet.sleep(0)
    assert hubs.get_hub() is before
    assert hub.closed


def test_leftovers_and_dispose_without_a_tracker() -> None:
    hub = fresh_hub()
    assert leftovers(hub) == []
    assert green_threads_of(hub) == []
    sleeper = eventlet.spawn(eventlet.sleep, 100)
    unstarted = eventlet.spawn(print, "never")
    later = eventlet.spawn_after(50, print, "later")
    eventlet.spawn_n(print, "started")
    found = leftovers(hub)
    assert f"green thread {unstarted!r}" in found
    assert f"green thread {later!r}" in found
    eventlet.sleep(0)
    found = leftovers(hub)
    assert any("timer" in f for f in found)
    assert f"green thread {sleeper!r}" in found
    assert "left" in describe(found)
    dispose_hub(hub)
    assert sleeper.dead
    assert later.dead
    assert hub.closed
    with pytest.raises(RuntimeError, match="current thread's hub"):
        dispose_hub(hub)
    hubs.set_hub(hub)
    dispose_hub(hub)  # closed already: only forgotten
    assert hubs._hub_if_exists() is None


def test_dispose_reports_a_thread_whose_cleanup_fails(caplog: pytest.LogCaptureFixture) -> None:
    hub = fresh_hub()

    def bad_cleanup() -> None:
        try:
            eventlet.sleep(100)
        finally:
            raise RuntimeError("cleanup failed")

    gt = eventlet.spawn(bad_cleanup)
    eventlet.sleep(0)
    dispose_hub(hub)
    assert gt.dead
    with pytest.raises(RuntimeError):
        gt.wait()


def test_switch_tracker_records_and_chains() -> None:
    import greenlet

    seen_by_previous: list[str] = []
    previous = greenlet.settrace(lambda event, args: seen_by_previous.append(event))
    tracker = SwitchTracker()
    try:
        tracker.start()
        tracker.start()  # once only
        gt = eventlet.spawn(eventlet.sleep, 0)
        eventlet.sleep(0)
        assert gt in tracker.take()
        assert tracker.take() == []
        tracker.stop()
        tracker.stop()
        assert "switch" in seen_by_previous
    finally:
        greenlet.settrace(previous)
    gt.wait()


PLUGIN_TESTS = """
import time
import pytest
import eventlet

@pytest.mark.green_hub
def test_leaks():
    eventlet.spawn(eventlet.sleep, 100)
    eventlet.sleep(0)

@pytest.mark.green_hub(check=False)
def test_leaks_unchecked():
    eventlet.spawn(eventlet.sleep, 100)
    eventlet.sleep(0)

@pytest.mark.green_hub(timeout=0.05)
def test_green_timeout():
    eventlet.sleep(10)

@pytest.mark.green_hub(timeout=0.05)
def test_blocked_hub():
    time.sleep(3)

def test_clean(green_hub):
    eventlet.spawn(eventlet.sleep, 0.001).wait()

@pytest.mark.virtual_clock
def test_virtual():
    eventlet.sleep(1000)

@pytest.mark.green_hub(timeout=0)
def test_no_timeout():
    eventlet.sleep(0.001)
"""

UNDER_PATH_TEST = """
import eventlet

def test_under_green_path():
    eventlet.spawn(eventlet.sleep, 100)
    eventlet.sleep(0)
"""


def test_plugin_end_to_end(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\neventlet_watchdog_grace = 0.2\neventlet_green_paths =\n    green_dir\n")
    pytester.makepyfile(test_plugin_cases=PLUGIN_TESTS)
    green_dir = pytester.mkpydir("green_dir")
    (green_dir / "test_under.py").write_text(UNDER_PATH_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-rA")
    outcomes = result.parseoutcomes()
    text = result.stdout.str()
    assert "ERROR test_plugin_cases.py::test_leaks - Failed: the test left 2 thing(s)" in text
    assert "PASSED test_plugin_cases.py::test_leaks_unchecked" in text
    assert "FAILED test_plugin_cases.py::test_green_timeout" in text
    assert "timed out after 0.05s" in text
    assert "FAILED test_plugin_cases.py::test_blocked_hub" in text
    assert "blocked its hub" in text
    assert "PASSED test_plugin_cases.py::test_clean" in text
    assert "PASSED test_plugin_cases.py::test_virtual" in text
    assert "PASSED test_plugin_cases.py::test_no_timeout" in text
    assert "ERROR green_dir/test_under.py::test_under_green_path" in text
    assert outcomes.get("passed") == 6
    assert outcomes.get("failed") == 2
    assert outcomes.get("errors") == 2


def test_command_line_timeout(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_cli="import eventlet\n\ndef test_slow(green_hub):\n    eventlet.sleep(10)\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--eventlet-timeout", "0.05")
    result.assert_outcomes(failed=1)
    assert "timed out after 0.05s" in result.stdout.str()


def test_tracker_and_fresh_hub_details() -> None:
    seen: list[str] = []
    tracker = SwitchTracker()
    tracker._previous = lambda event, args: seen.append(event)
    marker: eventlet.greenthread.GreenThread[Any] = eventlet.greenthread.GreenThread(hubs.get_hub().greenlet)
    tracker._trace("switch", (None, marker))
    tracker._trace("throw", (None, marker))
    assert tracker.take() == [marker]
    assert seen == ["switch", "throw"]
    hubs.set_hub(None).close()  # type: ignore[union-attr]
    hub = fresh_hub()  # no hub before, no tracker
    assert hubs.get_hub() is hub
    fresh_hub(tracker)  # disposes that one
    assert hub.closed


def test_tracker_ignores_other_events_without_a_previous_function() -> None:
    tracker = SwitchTracker()
    tracker._trace("other", (None, None))
    assert tracker.take() == []


def test_plugin_when_the_test_replaces_its_hub_and_without_green_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_replace=(
            "import eventlet, pytest\nfrom eventlet import hubs\n\n"
            "def test_replaces(green_hub):\n    hubs.set_hub(None)\n    green_hub.close()\n\n"
            "@pytest.mark.green_hub\n"
            "def test_marked_and_using_the_fixture(green_hub):\n    eventlet.sleep(0)\n"
        )
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "test_plain.py").assert_outcomes(passed=1)

"""eventlet.debug: blocking detection, hub exception logging, spew, hub descriptions."""

from __future__ import annotations

import logging
import socket
import sys
import time

import pytest

import eventlet
from eventlet import debug
from eventlet.hubs import notify_close, trampoline
from eventlet.hubs.hub import BaseHub


def _block_for(seconds: float) -> None:
    time.sleep(seconds)  # the blocking call the detector must find


def test_blocking_code_is_reported_with_its_stack(any_hub: BaseHub, caplog: pytest.LogCaptureFixture) -> None:
    detector = debug.hub_blocking_detection(True, resolution=0.05)
    assert detector is not None
    try:
        with caplog.at_level(logging.WARNING, logger="eventlet.debug"):
            eventlet.spawn(_block_for, 0.3).wait()
            deadline = time.monotonic() + 5
            while detector.reports == 0 and time.monotonic() < deadline:
                eventlet.sleep(0.01)
    finally:
        assert debug.hub_blocking_detection(False) is None
    records = [r for r in caplog.records if r.name == "eventlet.debug"]
    assert records, "no blocking report"
    message = records[0].getMessage()
    assert "blocked for more than" in message and "_block_for" in message


def test_an_idle_hub_is_not_reported(any_hub: BaseHub) -> None:
    detector = debug.hub_blocking_detection(True, resolution=0.02)
    assert detector is not None
    try:
        eventlet.sleep(0.15)  # the hub sleeps in its poller: idle, not blocked
        assert detector.reports == 0
        assert detector.check() is False
    finally:
        debug.hub_blocking_detection(False)


def test_blocking_detection_chains_greenlet_trace_and_validates(any_hub: BaseHub) -> None:
    import greenlet

    events: list[str] = []
    previous = greenlet.settrace(lambda event, args: events.append(event))
    try:
        debug.hub_blocking_detection(True, resolution=1)
        debug.hub_blocking_detection(True, resolution=1)  # replaces the first detector
        eventlet.sleep(0)
        debug.hub_blocking_detection(False)
        assert "switch" in events
        with pytest.raises(ValueError):
            debug.hub_blocking_detection(True, resolution=0)
    finally:
        greenlet.settrace(previous)


def test_hub_exceptions_toggle(any_hub: BaseHub) -> None:
    debug.hub_exceptions(False)
    assert any_hub.debug_exceptions is False
    debug.hub_exceptions(True)
    assert any_hub.debug_exceptions is True


def test_compat_no_ops() -> None:
    assert debug.hub_prevent_multiple_readers(True) is None
    assert debug.hub_listener_stacks(True) is None
    assert debug.hub_timer_stacks(True) is None
    assert debug.tpool_exceptions(True) is None


def test_format_hub_listeners_and_timers(any_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    try:
        gt = eventlet.spawn(trampoline, a, read=True)
        timer = any_hub.schedule_call_global(5, print)
        eventlet.sleep(0)
        listeners = debug.format_hub_listeners()
        assert (
            listeners.startswith("READERS:") and f"fd={a.fileno()}" in listeners and "WRITERS:" in listeners
        )
        timers = debug.format_hub_timers()
        assert (timers.startswith("TIMERS:") and "in 5.0" in timers) or "in 4.9" in timers
        timer.cancel()
        gt.kill()
    finally:
        notify_close(a.fileno())
        a.close()
        b.close()


def _traced_function(x: int) -> int:
    y = x + 1
    return y


def test_spew_logs_lines(caplog: pytest.LogCaptureFixture) -> None:
    previous = sys.gettrace()
    try:
        with caplog.at_level(logging.INFO, logger="eventlet.debug"):
            debug.spew(trace_names=[__name__], show_values=True)
            _traced_function(1)
            debug.unspew()
    finally:
        sys.settrace(previous)
    messages = [r.getMessage() for r in caplog.records if r.name == "eventlet.debug"]
    assert any("y = x + 1" in m for m in messages)
    assert any(m.strip() == "x = 1" for m in messages)


def test_spew_filters_modules(caplog: pytest.LogCaptureFixture) -> None:
    previous = sys.gettrace()
    try:
        with caplog.at_level(logging.INFO, logger="eventlet.debug"):
            debug.spew(trace_names=["nonexistent.module"])
            _traced_function(1)
            debug.unspew()
            debug.spew()
            _traced_function(2)
            debug.unspew()
    finally:
        sys.settrace(previous)
    messages = [r.getMessage() for r in caplog.records if r.name == "eventlet.debug"]
    assert sum("y = x + 1" in m for m in messages) == 1


def test_trace_functions_called_directly(any_hub: BaseHub) -> None:
    """The trace functions run where coverage cannot follow them: check them by direct calls."""
    events: list[str] = []
    detector = debug.BlockingDetector(any_hub, 1)
    detector._previous_trace = lambda event, args: events.append(event)
    detector._trace("switch", (None, None))
    assert detector.switches == 1 and events == ["switch"]
    spewer = debug._Spewer(trace_names=None, show_values=True)
    x = 5  # noqa: F841 - read by the spewer through the frame
    assert spewer(sys._getframe(), "line", None) is spewer
    assert spewer(sys._getframe(), "call", None) is spewer


def test_spewer_filters_and_values_called_directly() -> None:
    detector_less = debug._Spewer(trace_names=["some.other.module"])
    assert detector_less(sys._getframe(), "line", None) is detector_less
    quiet_values = debug._Spewer(trace_names=[__name__], show_values=True)
    unrelated = 1  # noqa: F841 - a local the current line does not mention
    assert quiet_values(sys._getframe(), "line", None) is quiet_values


def test_detector_trace_without_a_previous_function(any_hub: BaseHub) -> None:
    detector = debug.BlockingDetector(any_hub, 1)
    detector._trace("switch", (None, None))
    assert detector.switches == 1


def test_spewer_without_values_called_directly() -> None:
    spewer = debug._Spewer(trace_names=[__name__])
    assert spewer(sys._getframe(), "line", None) is spewer

"""eventlet.debug: blocking detection, hub exception logging, spew, hub descriptions."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import pytest

import eventlet
from eventlet import debug
from eventlet.hubs import notify_close, trampoline
from eventlet.hubs.hub import BaseHub


def _block_for(seconds: float) -> None:
    time.sleep(seconds)  # the blocking call the detector must find


def test_blocking_code_is_reported_with_its_stack(
    any_hub: BaseHub, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
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
    assert "blocked for more than" in message
    assert "_block_for" in message
    assert message in capsys.readouterr().err  # printed too: logging may not be configured


def test_an_idle_hub_is_not_reported(any_hub: BaseHub) -> None:
    # (a resolution well above what the OS may take this thread away for, on a loaded machine)
    detector = debug.hub_blocking_detection(True, resolution=0.1)
    assert detector is not None
    try:
        eventlet.sleep(0.4)  # the hub sleeps in its poller: idle, not blocked
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
        with pytest.raises(ValueError, match="resolution must be positive"):
            debug.hub_blocking_detection(True, resolution=0)
    finally:
        greenlet.settrace(previous)


def test_hub_exceptions_toggle(any_hub: BaseHub) -> None:
    debug.hub_exceptions(False)
    assert any_hub.debug_exceptions is False
    debug.hub_exceptions(True)
    assert any_hub.debug_exceptions is True


def test_hub_prevent_multiple_readers_sets_the_process_wide_flag() -> None:
    from eventlet.hubs import _fds

    saved = _fds.prevent_multiple_readers
    try:
        assert debug.hub_prevent_multiple_readers(False) is None  # type: ignore[func-returns-value]
        assert _fds.prevent_multiple_readers is False
        debug.hub_prevent_multiple_readers()
        assert _fds.prevent_multiple_readers is True
    finally:
        _fds.prevent_multiple_readers = saved


def test_tpool_exceptions_sets_tpool_quiet() -> None:
    from eventlet import tpool

    debug.tpool_exceptions(True)
    assert tpool.QUIET is False
    debug.tpool_exceptions(False)
    assert tpool.QUIET is True


def test_listener_stacks_are_recorded_only_while_on(any_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    try:
        debug.hub_listener_stacks(True)
        try:
            recorded = eventlet.spawn(trampoline, a, read=True)
            eventlet.sleep(0)
            listeners = debug.format_hub_listeners()
            assert "test_listener_stacks_are_recorded_only_while_on" not in listeners  # spawned: hub stack
            assert "in trampoline" in listeners
            assert f"fd={a.fileno()}" in listeners
        finally:
            debug.hub_listener_stacks(False)
        plain = eventlet.spawn(trampoline, b, read=True)
        eventlet.sleep(0)
        [mine] = [lst for lst in any_hub.get_readers() if lst.fileno == b.fileno()]
        assert not hasattr(mine, "where_called")
        recorded.kill()
        plain.kill()
    finally:
        notify_close(a.fileno())
        notify_close(b.fileno())
        a.close()
        b.close()


def _schedule_here(hub: BaseHub) -> object:
    return hub.schedule_call_global(30, print)


def test_timer_stacks_are_recorded_only_while_on(any_hub: BaseHub) -> None:
    debug.hub_timer_stacks(True)
    try:
        first = _schedule_here(any_hub)
        local = any_hub.schedule_call_local(40, print)
        text = debug.format_hub_timers()
    finally:
        debug.hub_timer_stacks(False)
    first.cancel()  # type: ignore[attr-defined]
    local.cancel()
    assert "in _schedule_here" in text
    assert "test_timer_stacks_are_recorded_only_while_on" in text
    assert "schedule_call_global" not in any_hub.__dict__  # the hub's own methods again
    later = _schedule_here(any_hub)
    assert "in _schedule_here" not in debug.format_hub_timers()
    later.cancel()  # type: ignore[attr-defined]


def test_timer_stacks_forget_timers_that_are_done(any_hub: BaseHub) -> None:
    debug.hub_timer_stacks(True)
    debug.hub_timer_stacks(True)  # again: replaces the recorder
    try:
        recorder = debug._timer_stacks[any_hub]
        for _ in range(recorder._limit + 1):
            any_hub.schedule_call_global(30, print).cancel()
        assert len(recorder.stacks) < 10
    finally:
        debug.hub_timer_stacks(False)
    assert any_hub not in debug._timer_stacks


def test_format_threads_and_asyncio_info(any_hub: BaseHub) -> None:
    threads = debug.format_threads_info()
    assert threads.startswith("THREADS:")
    assert repr(threading.main_thread()) in threads
    info = debug.format_asyncio_info()
    assert info.startswith("TASKS:")
    assert "EVENTLOOP:" in info
    if any_hub.name == "asyncio":
        assert "None" not in info.splitlines()[-1]


def test_format_hub_listeners_and_timers(any_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    try:
        gt = eventlet.spawn(trampoline, a, read=True)
        timer = any_hub.schedule_call_global(5, print)
        eventlet.sleep(0)
        listeners = debug.format_hub_listeners()
        assert listeners.startswith("READERS:")
        assert f"fd={a.fileno()}" in listeners
        assert "WRITERS:" in listeners
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


def test_spew_prints_lines_with_values(capsys: pytest.CaptureFixture[str]) -> None:
    previous = sys.gettrace()
    try:
        debug.spew(trace_names=[__name__], show_values=True)
        _traced_function(1)
        debug.unspew()
    finally:
        sys.settrace(previous)
    out = capsys.readouterr().out
    assert f"{__name__}:" in out
    assert "y = x + 1" in out
    assert "\tx=1\n" in out


def test_spew_filters_modules(capsys: pytest.CaptureFixture[str]) -> None:
    previous = sys.gettrace()
    try:
        debug.spew(trace_names=["nonexistent.module"])
        _traced_function(1)
        debug.unspew()
        debug.spew(trace_names=["tests"])  # a package: its submodules are traced
        _traced_function(2)
        debug.unspew()
    finally:
        sys.settrace(previous)
    out = capsys.readouterr().out
    assert out.count("y = x + 1") == 1


def test_spew_called_directly(capsys: pytest.CaptureFixture[str]) -> None:
    spewer = debug.Spew()  # values shown by default, as upstream
    frame = sys._getframe()
    assert spewer(frame, "line", None) is spewer
    assert spewer(frame, "call", None) is spewer  # other events: nothing printed
    out = capsys.readouterr().out
    line, values = out.splitlines()
    assert line.startswith(f"{__name__}:")
    assert line.endswith('assert spewer(frame, "line", None) is spewer')
    assert values.startswith("\t")
    assert "frame=<frame at" in values
    assert "spewer=<eventlet.debug.Spew" in values


def test_spew_of_code_without_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = {"sys": sys}
    frame = eval("sys._getframe()", namespace)  # code with no __file__ and no source
    debug.Spew(show_values=False)(frame, "line", None)
    out = capsys.readouterr().out
    assert out.startswith(f"[unknown]:{frame.f_lineno}: Unknown code named [<module>].  VM instruction #")


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def _frame_with_broken_local() -> tuple[FrameType, _BrokenRepr]:
    broken = _BrokenRepr()
    return sys._getframe(), broken


def test_spew_skips_unwanted_modules_and_lines_without_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linecache

    debug.Spew(trace_names=["some.other.module"])(sys._getframe(), "line", None)
    assert capsys.readouterr().out == ""
    # A line that names nothing the frame knows: no second line.
    monkeypatch.setitem(linecache.cache, "<spew-test>", (6, None, ["1 + 1\n"], "<spew-test>"))
    frame = eval(compile("sys._getframe()", "<spew-test>", "eval"), {"__file__": "x", "sys": sys})
    debug.Spew()(frame, "line", None)
    assert capsys.readouterr().out.endswith(": 1 + 1\n")
    monkeypatch.setattr(sys, "stdout", None)  # pythonw: nowhere to print, and no error
    debug.Spew()(frame, "line", None)


def test_spew_survives_a_broken_repr(capsys: pytest.CaptureFixture[str]) -> None:
    frame, _ = _frame_with_broken_local()
    debug.Spew(trace_names=[__name__])(frame, "line", None)
    assert "broken=<repr failed: RuntimeError('no repr')>" in capsys.readouterr().out


def test_spew_of_module_level_code_shows_each_value_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "spewed.py"
    source.write_text("sys._getframe()\n")
    namespace = {"__name__": "spewed", "__file__": str(source), "sys": sys}
    code = compile(source.read_text(), str(source), "eval")
    frame = eval(code, namespace)  # module level: the locals are the globals
    debug.Spew()(frame, "line", None)
    out = capsys.readouterr().out
    assert out.startswith("spewed:1: sys._getframe()")
    assert out.count("sys=") == 1


def test_detector_trace_without_a_previous_function(any_hub: BaseHub) -> None:
    detector = debug.BlockingDetector(any_hub, 1)
    detector._trace("switch", (None, None))
    assert detector.switches == 1


def test_detector_trace_chains_the_previous_function(any_hub: BaseHub) -> None:
    """The trace functions run where coverage cannot follow them: check them by direct calls."""
    events: list[str] = []
    detector = debug.BlockingDetector(any_hub, 1)
    detector._previous_trace = lambda event, args: events.append(event)
    detector._trace("switch", (None, None))
    assert detector.switches == 1
    assert events == ["switch"]

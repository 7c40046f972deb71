"""The eventlet pytest plugin (loaded through the ``pytest11`` entry point of eventlet-core).

It gives *green tests* three things:

* **a fresh hub**: the test starts with a new hub of the configured kind; afterwards the hub's
  leftover green threads are killed and it is closed, so nothing leaks into the next test;
* **an empty-hub check**: a test that leaves green threads, timers or fd listeners behind fails,
  with the list of what it left;
* **a timeout**: after ``eventlet_timeout`` seconds a :class:`GreenTestTimeout` is raised in the
  test's green thread (the main greenlet), which works whenever the hub gets to run.  If the hub
  itself is blocked (the test called blocking code), a watchdog thread logs the stack of the main
  thread a moment later and interrupts it with a signal, so the test fails instead of hanging.

A test is green when it uses the ``green_hub`` fixture, has the ``green_hub`` marker, or lives
under one of the paths of the ``eventlet_green_paths`` ini option.  The ``virtual_clock`` fixture
makes the test's hub a :mod:`virtual-clock <eventlet.testing.virtual_clock>` one.

Settings: ini ``eventlet_timeout`` (default 30 seconds; 0 disables) or ``--eventlet-timeout``;
``eventlet_watchdog_grace`` (default 2 seconds); per test
``@pytest.mark.green_hub(timeout=5, check=False)``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from eventlet import hubs
from eventlet.hubs.hub import BaseHub
from eventlet.testing.isolation import (
    SwitchTracker,
    describe,
    dispose_hub,
    fresh_hub,
    green_threads_of,
    leftovers,
)
from eventlet.testing.virtual_clock import _default_base, make_virtual_clock_hub

__all__ = ["GreenTestTimeout"]

logger: logging.Logger = logging.getLogger("eventlet.testing")

_WATCHDOG_SIGNAL: signal.Signals | None = getattr(signal, "SIGUSR2", None)
_SIGNAL = _WATCHDOG_SIGNAL or signal.SIGINT  # (the watchdog is not armed without SIGUSR2)


class GreenTestTimeout(Exception):
    """A green test ran longer than its timeout."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's command-line and ini options."""
    group = parser.getgroup("eventlet", "eventlet green tests")
    group.addoption(
        "--eventlet-timeout",
        type=float,
        default=None,
        help="seconds a green test may run before it fails (0: no limit)",
    )
    parser.addini("eventlet_timeout", "default timeout of green tests, in seconds", default="30")
    parser.addini(
        "eventlet_watchdog_grace",
        "extra seconds the green timeout gets before the watchdog deems the hub blocked",
        default="2",
    )
    parser.addini(
        "eventlet_green_paths",
        "tests under these paths (relative to the rootdir) are green tests",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers."""
    config.addinivalue_line(
        "markers",
        "green_hub(timeout=None, check=True): run the test on a fresh hub, with a timeout, and "
        "check that it leaves the hub empty",
    )
    config.addinivalue_line(
        "markers", "virtual_clock: run the test on a fresh virtual-clock hub (implies green_hub)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make the tests under ``eventlet_green_paths`` (and virtual-clock ones) green tests."""
    root = str(config.rootpath)
    prefixes = [os.path.join(root, p.strip("/")) for p in config.getini("eventlet_green_paths")]
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None or "green_hub" in names or "virtual_clock" in names:
            continue
        path = str(item.path)
        if item.get_closest_marker("virtual_clock") is not None:
            names.insert(0, "virtual_clock")
        elif item.get_closest_marker("green_hub") is not None or any(
            path == prefix or path.startswith(prefix + os.sep) for prefix in prefixes
        ):
            names.insert(0, "green_hub")


def _timeout_for(request: pytest.FixtureRequest) -> float:
    marker = request.node.get_closest_marker("green_hub")
    if marker is not None and marker.kwargs.get("timeout") is not None:
        return float(marker.kwargs["timeout"])
    option = request.config.getoption("--eventlet-timeout")
    if option is not None:
        return float(option)
    return float(request.config.getini("eventlet_timeout") or 0)


def _check_wanted(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("green_hub")
    return marker is None or bool(marker.kwargs.get("check", True))


class _Watchdog:
    """Interrupts the main thread when a green test's hub is blocked past its deadline.

    A thread of its own per armed test, joined when the test ends: tests that count threads
    see none left over.
    """

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.deadline: float | None = None
        self.test = ""
        self.thread: threading.Thread | None = None

    def arm(self, seconds: float, test: str) -> None:
        self.deadline = time.monotonic() + seconds
        self.test = test
        self.thread = threading.Thread(target=self._run, name="eventlet-test-watchdog", daemon=True)
        self.thread.start()

    def disarm(self) -> None:
        with self.lock:
            self.deadline = None
            self.lock.notify()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def _run(self) -> None:
        main = threading.main_thread().ident
        assert main is not None  # the main thread is running: it has an ident
        with self.lock:
            while self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left > 0:
                    self.lock.wait(left)
                    continue
                self.deadline = None
                stack = "".join(traceback.format_stack(sys._current_frames()[main]))
                logger.error("Green test %s blocked its hub; main thread stack:\n%s", self.test, stack)
                signal.pthread_kill(main, _SIGNAL)  # armed only where the signal exists


@pytest.fixture(scope="session")
def eventlet_switch_tracker() -> Iterator[SwitchTracker]:
    """The session's switch tracker (lets hub isolation find green threads without a GC scan)."""
    tracker = SwitchTracker()
    if threading.current_thread() is threading.main_thread():  # pragma: no branch
        tracker.start()  # (pytest runs in the main thread; greenlet.settrace is per thread)
    yield tracker
    tracker.stop()


@pytest.fixture(scope="session")
def _eventlet_watchdog() -> _Watchdog:
    return _Watchdog()


_ARMED = pytest.StashKey[_Watchdog]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Disarm the watchdog as soon as the test body ends (reporting a failure can be slow)."""
    try:
        return (yield)
    finally:
        watchdog = item.stash.get(_ARMED, None)
        if watchdog is not None:
            watchdog.disarm()


def _on_watchdog_signal(signum: int, frame: Any) -> None:
    raise GreenTestTimeout("the test blocked its hub past its timeout (see the logged stack)")


@pytest.fixture
def green_hub(
    request: pytest.FixtureRequest, eventlet_switch_tracker: SwitchTracker, _eventlet_watchdog: _Watchdog
) -> Iterator[BaseHub]:
    """A fresh hub for the test, a timeout, and a check that the test leaves the hub empty."""
    hub = fresh_hub(eventlet_switch_tracker)
    yield from _green_test(request, hub, eventlet_switch_tracker, _eventlet_watchdog)


@pytest.fixture
def virtual_clock(
    request: pytest.FixtureRequest, eventlet_switch_tracker: SwitchTracker, _eventlet_watchdog: _Watchdog
) -> Iterator[BaseHub]:
    """Like ``green_hub``, with a virtual-clock hub: sleeps and timeouts finish at once."""
    fresh_hub(eventlet_switch_tracker)
    hub = make_virtual_clock_hub(_default_base())()
    hubs.set_hub(hub).close()  # type: ignore[union-attr]
    yield from _green_test(request, hub, eventlet_switch_tracker, _eventlet_watchdog, virtual=True)


def _green_test(
    request: pytest.FixtureRequest,
    hub: BaseHub,
    tracker: SwitchTracker,
    watchdog: _Watchdog,
    virtual: bool = False,
) -> Iterator[BaseHub]:
    from eventlet.timeout import Timeout

    seconds = _timeout_for(request)
    timeout = None
    old_handler: Any = None
    if seconds > 0:
        if not virtual:  # virtual seconds are not real ones: the watchdog alone keeps real time
            timeout = Timeout(seconds, GreenTestTimeout(f"green test timed out after {seconds}s"))
        in_main = threading.current_thread() is threading.main_thread()
        if in_main and _WATCHDOG_SIGNAL is not None:  # pragma: no branch - POSIX main thread
            old_handler = signal.signal(_WATCHDOG_SIGNAL, _on_watchdog_signal)
            grace = 0.0 if virtual else float(request.config.getini("eventlet_watchdog_grace"))
            watchdog.arm(seconds + grace, request.node.nodeid)
            request.node.stash[_ARMED] = watchdog
    try:
        yield hub
    finally:
        if timeout is not None:
            timeout.cancel()
        if old_handler is not None:
            watchdog.disarm()
            signal.signal(_WATCHDOG_SIGNAL, old_handler)  # type: ignore[arg-type]
    found: list[str] = []
    if hubs._hub_if_exists() is hub:
        threads = green_threads_of(hub, tracker)
        if _check_wanted(request):
            found = leftovers(hub, threads)
        dispose_hub(hub, threads)
    if found:
        pytest.fail(describe(found), pytrace=False)

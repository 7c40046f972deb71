"""Shared test configuration: which hub the suite runs on, and a fresh hub for every test.

* ``--hub NAME`` (or the ``EVENTLET_HUB`` environment variable) runs the whole suite on that hub
  (epolls, poll, selects, asyncio, kqueue); ``hub_name`` is a fixture holding the name in use.
* Every test gets a fresh hub, and its leftover green threads are killed (while their hub is
  still current, so their cleanup runs against the right hub) and the hub closed after it, so no
  test leaks into the next.  Tests that want the stricter check of the eventlet pytest plugin
  (fail if the test leaves anything on its hub, plus a timeout) use its ``green_hub`` or
  ``virtual_clock`` fixtures or markers.
* ``any_hub`` runs a test once on each hub that works on this machine, with ``green_hub``'s checks.
"""

from __future__ import annotations

import faulthandler
import os
import signal
from collections.abc import Iterator

import pytest

from eventlet import hubs
from eventlet.hubs.hub import BaseHub
from eventlet.testing.isolation import SwitchTracker, dispose_hub, fresh_hub, green_threads_of

pytest_plugins = ["pytester"]


def available_hubs() -> list[str]:
    """The names of the hubs that run on this platform."""
    names = []
    for name in ("epolls", "kqueue", "poll", "selects", "asyncio"):
        try:
            hubs._resolve(name)
        except ValueError:
            continue
        names.append(name)
    return names


def _take_sigint_back() -> None:
    """Let SIGINT interrupt, also when the suite was started with it ignored.

    A shell starts background jobs (``cmd &``, ``nohup``) with SIGINT ignored, and children inherit
    that: the tests that send SIGINT to a child process would see it ignored.  Python's own
    handler here makes every child start with the default action again (exec resets handlers).
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


_take_sigint_back()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--hub",
        default=None,
        choices=("epolls", "kqueue", "poll", "selects", "asyncio"),
        help="run the suite on this hub (default: EVENTLET_HUB, else the platform's best)",
    )


#: The session's own configuration (pytester's inner sessions have others).
_SESSION_CONFIGS: list[pytest.Config] = []

#: How long the interpreter may take to exit once the session is over (coverage saves its data
#: then) before it is stopped with every thread's traceback: a hang at exit fails the run.
EXIT_DEADLINE = 300.0


def pytest_configure(config: pytest.Config) -> None:
    _SESSION_CONFIGS.append(config)
    name = config.getoption("--hub") or os.environ.get("EVENTLET_HUB")
    if name:
        hubs.use_hub(name)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SESSION_CONFIGS and config is _SESSION_CONFIGS[0]:
        faulthandler.dump_traceback_later(EXIT_DEADLINE, exit=True)


@pytest.fixture(scope="session")
def hub_name() -> str:
    """The name of the hub kind the suite runs on."""
    return str(hubs.get_default_hub().Hub.name)


_MANAGED = {"green_hub", "virtual_clock", "any_hub"}


@pytest.fixture(autouse=True)
def _fresh_hub(request: pytest.FixtureRequest, eventlet_switch_tracker: SwitchTracker) -> Iterator[None]:
    if _MANAGED.intersection(request.fixturenames):
        yield  # the eventlet plugin's fixtures manage the hub
        return
    fresh_hub(eventlet_switch_tracker)
    yield
    hub = hubs._hub_if_exists()
    if hub is not None:
        dispose_hub(hub, green_threads_of(hub, eventlet_switch_tracker))


@pytest.fixture(params=available_hubs())
def any_hub(request: pytest.FixtureRequest) -> Iterator[BaseHub]:
    """Run the test on each available hub in turn (a fresh one, checked like ``green_hub``)."""
    saved = hubs._registry.hub_class
    old = hubs._hub_if_exists()
    if old is not None:
        dispose_hub(old)
    hubs.use_hub(request.param)
    try:
        yield request.getfixturevalue("green_hub")
    finally:
        hubs._registry.hub_class = saved

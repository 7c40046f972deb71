"""Helpers for testing green code.

* :mod:`eventlet.testing.plugin`: the pytest plugin (fresh hub per green test, a check that the test
  leaves its hub empty, a timeout with a watchdog), loaded automatically by pytest;
* :func:`virtual_clock` / :class:`VirtualClockHub`: a hub whose clock jumps over idle time, so
  tests that sleep and time out run instantly and deterministically;
* :func:`fresh_hub`, :func:`dispose_hub`, :func:`leftovers`: hub isolation for other test runners;
* :func:`hub_turns`: wait until the hub has gone round (polled for I/O and run what that woke)
  a number of times, to synchronise a test on the hub instead of sleeping.
"""

from eventlet import _coinstall  # noqa: F401  (fails if upstream eventlet's files are mixed in)
from eventlet.testing._turns import hub_turns
from eventlet.testing.isolation import HubNotEmpty, dispose_hub, fresh_hub, leftovers
from eventlet.testing.virtual_clock import VirtualClockHub, make_virtual_clock_hub, virtual_clock

__all__ = [
    "HubNotEmpty",
    "VirtualClockHub",
    "dispose_hub",
    "fresh_hub",
    "hub_turns",
    "leftovers",
    "make_virtual_clock_hub",
    "virtual_clock",
]

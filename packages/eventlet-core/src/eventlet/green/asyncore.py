"""Green ``asyncore`` (Python 3.11 only: later Pythons have no ``asyncore``).

A private copy made with :func:`eventlet.patcher.import_patched` on green ``select``, ``socket``,
``time`` and ``os``: ``asyncore.loop`` waits in the hub, so other green threads run meanwhile.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green import os, select, socket, time

_copy = patcher_state.import_patched(
    "asyncore", ("select", select), ("socket", socket), ("time", time), ("os", os)
)
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
__all__ = [name for name in vars(_copy) if not name.startswith("_")]
__patched__: list[str] = []

if TYPE_CHECKING and sys.version_info < (3, 12):  # for type checkers, the standard module's names
    from asyncore import *  # noqa: F403

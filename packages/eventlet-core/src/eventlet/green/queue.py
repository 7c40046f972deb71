"""Green ``queue``: the standard queues, waiting on green locks.

Importing this module patches nothing: it is a private copy of the standard ``queue`` built on
:mod:`eventlet.green.threading`, whose exceptions are the standard ones (``except queue.Empty``
works with either).  ``SimpleQueue`` is the standard pure-Python one: the C version would block
the OS thread.

Under ``monkey_patch(thread=True)`` the standard ``Queue``, ``LifoQueue`` and ``PriorityQueue``
already wait greenly (they are built on the patched ``threading``), so only ``SimpleQueue`` is
replaced there.
"""

from __future__ import annotations

import queue as _std_queue
from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green import threading as _green_threading

if TYPE_CHECKING:  # pragma: no cover
    from queue import *  # noqa: F403

__all__ = list(_std_queue.__all__)
__patched__: list[str] = ["SimpleQueue"]

_copy = patcher_state.inject("queue", None, ("threading", _green_threading))
for _name in ("Empty", "Full", "ShutDown"):
    if hasattr(_std_queue, _name):
        setattr(_copy, _name, getattr(_std_queue, _name))
        globals()[_name] = getattr(_std_queue, _name)
del _name

if TYPE_CHECKING:  # the standard classes, which the green copies are
    from queue import LifoQueue as LifoQueue
    from queue import PriorityQueue as PriorityQueue
    from queue import Queue as Queue
    from queue import SimpleQueue as SimpleQueue
else:
    Queue = _copy.Queue
    LifoQueue = _copy.LifoQueue
    PriorityQueue = _copy.PriorityQueue
    SimpleQueue = _copy._PySimpleQueue

"""``eventlet.green.Queue``: upstream eventlet's Python-2 name for the green ``queue``.

The contents of :mod:`eventlet.green.queue` (the same classes), for programs and libraries written
against upstream eventlet.  (A package, not a module file: ``queue.py`` sits beside it, and the two
names differ only in case, which case-insensitive file systems would merge.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet.green import queue as _queue

if TYPE_CHECKING:  # pragma: no cover
    from queue import *  # noqa: F403

globals().update({key: value for key, value in vars(_queue).items() if not key.startswith("__")})
__all__ = list(_queue.__all__)
__patched__: list[str] = []

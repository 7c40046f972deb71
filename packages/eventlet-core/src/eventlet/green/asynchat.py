"""Green ``asynchat`` (Python 3.11 only: later Pythons have no ``asynchat``).

A private copy made with :func:`eventlet.patcher.import_patched` on :mod:`eventlet.green.asyncore`
and the green ``socket``.
"""

from __future__ import annotations

from eventlet import patcher
from eventlet.green import asyncore, socket

_copy = patcher.import_patched("asynchat", ("asyncore", asyncore), ("socket", socket))
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
__all__ = [name for name in vars(_copy) if not name.startswith("_")]
__patched__: list[str] = []

"""What the private standard-library copies in :mod:`eventlet.green` are built on.

``socketserver``, ``http.server`` and ``urllib.request`` are the standard modules' own code,
imported afresh (:func:`eventlet.patcher.import_patched`) with green modules in place of the
blocking ones; this is the set they share.
"""

from __future__ import annotations

from types import ModuleType


def io_modules() -> list[tuple[str, ModuleType]]:
    """``(standard name, green module)`` for the OS, I/O, thread and time modules."""
    from eventlet.green import os, select, selectors, socket, threading, time

    return [
        ("os", os),
        ("select", select),
        ("selectors", selectors),
        ("socket", socket),
        ("threading", threading),
        ("time", time),
    ]

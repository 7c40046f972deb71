"""The green ``subprocess`` module of each implementation (helper for the subprocess workloads)."""

from __future__ import annotations

import importlib
from types import ModuleType


def green_subprocess(impl: str) -> ModuleType:
    """``eventlet.green.subprocess`` (ours and upstream) or ``gevent.subprocess``."""
    if impl in ("ours", "eventlet"):
        return importlib.import_module("eventlet.green.subprocess")
    if impl == "gevent":
        return importlib.import_module("gevent.subprocess")
    raise ValueError(f"no green subprocess for implementation {impl!r}")

"""A drop-in ``time`` module whose ``sleep`` suspends only the calling green thread."""

from __future__ import annotations

import time as _time
from types import ModuleType

from eventlet.greenthread import sleep as sleep

globals().update(
    {
        name: value
        for name, value in vars(_time).items()
        if not (name.startswith("__") or isinstance(value, ModuleType) or name == "sleep")
    }
)

__all__ = [name for name in dir(_time) if not name.startswith("_")]
__patched__: list[str] = ["sleep"]

"""A drop-in ``time`` module whose ``sleep`` suspends only the calling green thread."""

from __future__ import annotations

import time as _time
from types import ModuleType
from typing import TYPE_CHECKING

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


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from time import *  # type: ignore[assignment]  # noqa: F403

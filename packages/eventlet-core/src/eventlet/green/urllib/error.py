"""Green ``urllib.error``: the standard module itself (it does no I/O).

Its exceptions are the standard classes, so ``except urllib.error.HTTPError`` catches those raised
by :mod:`eventlet.green.urllib.request` and by the standard ``urllib.request`` alike.
"""

from __future__ import annotations

import urllib.error as _std
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from urllib.error import *  # noqa: F403

globals().update({key: value for key, value in vars(_std).items() if not key.startswith("__")})
__all__ = list(getattr(_std, "__all__", [key for key in vars(_std) if not key.startswith("_")]))
__patched__: list[str] = []

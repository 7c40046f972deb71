"""Green ``urllib.response``: the standard module itself (its classes wrap files they are given)."""

from __future__ import annotations

import urllib.response as _std
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from urllib.response import *  # noqa: F403

globals().update({key: value for key, value in vars(_std).items() if not key.startswith("__")})
__all__ = list(getattr(_std, "__all__", [key for key in vars(_std) if not key.startswith("_")]))
__patched__: list[str] = []

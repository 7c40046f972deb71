"""Green ``http.cookies``: the standard module itself (parsing and formatting cookies does no I/O)."""

from __future__ import annotations

import http.cookies as _std
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from http.cookies import *  # noqa: F403

globals().update({key: value for key, value in vars(_std).items() if not key.startswith("__")})
__all__ = list(getattr(_std, "__all__", [key for key in vars(_std) if not key.startswith("_")]))
__patched__: list[str] = []

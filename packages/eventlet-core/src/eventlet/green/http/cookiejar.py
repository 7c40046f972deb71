"""Green ``http.cookiejar``: the standard module itself.

It does no network I/O (cookies travel in the requests and responses of
:mod:`eventlet.green.urllib.request`), and its jar's lock is never held across a switch, so the
standard classes serve green threads as they are; being the same classes, jars pass between green
and standard code.  ``FileCookieJar.load``/``save`` read and write regular files, which never wait.
"""

from __future__ import annotations

import http.cookiejar as _std
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from http.cookiejar import *  # noqa: F403

globals().update({key: value for key, value in vars(_std).items() if not key.startswith("__")})
__all__ = list(getattr(_std, "__all__", [key for key in vars(_std) if not key.startswith("_")]))
__patched__: list[str] = []

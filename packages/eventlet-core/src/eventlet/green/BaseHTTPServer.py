"""``eventlet.green.BaseHTTPServer``: upstream eventlet's Python-2 name for the green ``http.server``.

The contents of :mod:`eventlet.green.http.server` (the same objects: one green copy of the standard
module's code, not two), for programs and libraries written against upstream eventlet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet.green.http import server as _server

if TYPE_CHECKING:  # pragma: no cover
    from http.server import *  # noqa: F403

globals().update({key: value for key, value in vars(_server).items() if not key.startswith("__")})
__all__ = list(_server.__all__)
__patched__: list[str] = []

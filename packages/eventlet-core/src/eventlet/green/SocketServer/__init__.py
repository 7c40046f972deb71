"""``eventlet.green.SocketServer``: upstream eventlet's Python-2 name for the green ``socketserver``.

The contents of :mod:`eventlet.green.socketserver` (the same objects), for programs and libraries
written against upstream eventlet.  (A package, not a module file: ``socketserver.py`` sits beside it, and
the two names differ only in case, which case-insensitive file systems would merge.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet.green import socketserver as _socketserver

if TYPE_CHECKING:  # pragma: no cover
    from socketserver import *  # noqa: F403

globals().update({key: value for key, value in vars(_socketserver).items() if not key.startswith("__")})
__all__ = list(_socketserver.__all__)
__patched__: list[str] = []

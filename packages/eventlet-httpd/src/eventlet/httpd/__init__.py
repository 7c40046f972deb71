"""eventlet.httpd: a strict, fast HTTP/1.1 WSGI server with websockets, for Eventlet.

>>> from eventlet.httpd import serve
>>> def app(environ, start_response):
...     start_response("200 OK", [("Content-Type", "text/plain")])
...     return [b"Hello, World!"]
>>> serve(app, host="127.0.0.1", port=8000)  # doctest: +SKIP

:class:`Server` gives control over the lifetime (``serve_forever``, ``stop`` with a grace
period, the bound ``address``).  :class:`WebSocketWSGI` turns a handler taking a
:class:`WebSocket` into a WSGI application.  ``eventlet.wsgi`` and ``eventlet.websocket`` keep
upstream eventlet's names working on top of this package.  ``python -m eventlet.httpd
module:app`` runs an application from the command line, with worker processes if asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventlet import _coinstall  # noqa: F401  (fails if upstream eventlet's files are mixed in)

from ._connection import HttpProtocol
from ._log import COMBINED, COMMON, AccessLog
from ._server import Server, serve
from ._wsgi import ALREADY_HANDLED, ChunkReadError, ClientDisconnected, FileWrapper, Input

if TYPE_CHECKING:
    from .websocket._app import WebSocket, WebSocketWSGI

__all__ = [
    "ALREADY_HANDLED",
    "COMBINED",
    "COMMON",
    "AccessLog",
    "ChunkReadError",
    "ClientDisconnected",
    "FileWrapper",
    "HttpProtocol",
    "Input",
    "Server",
    "WebSocket",
    "WebSocketWSGI",
    "serve",
]


def _lazy_attribute(name: str) -> Any:
    """The websocket classes, imported on first use (PEP 562)."""
    if name in ("WebSocket", "WebSocketWSGI"):
        from .websocket import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'eventlet.httpd' has no attribute {name!r}")


# Hidden from type checkers, which read the imports above: a module __getattr__ would make every
# misspelt name type-check.
if not TYPE_CHECKING:
    __getattr__ = _lazy_attribute

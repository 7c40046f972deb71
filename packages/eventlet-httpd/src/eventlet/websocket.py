"""Upstream eventlet's ``eventlet.websocket`` API, on :mod:`eventlet.httpd`'s websockets.

``WebSocketWSGI(handler, supported_protocols=None, origin_checker=None,
max_frame_length=...)`` wraps ``handler(ws)`` as a WSGI application; ``ws`` is a
:class:`WebSocket` with ``send``, ``wait`` (``None`` once closed) and ``close``.  This is what
python-engineio and Flask-SocketIO use in their eventlet mode.  Only RFC 6455 (version 13) is
spoken; the pre-standard hixie-76 protocol of old upstream versions is not.
"""

from __future__ import annotations

from eventlet.httpd._websocket import DEFAULT_MAX_FRAME_LENGTH, WebSocket, WebSocketWSGI
from eventlet.httpd._ws_protocol import CloseCode, ConnectionClosedError, ProtocolError

__all__ = [
    "DEFAULT_MAX_FRAME_LENGTH",
    "CloseCode",
    "ConnectionClosedError",
    "ProtocolError",
    "WebSocket",
    "WebSocketWSGI",
]

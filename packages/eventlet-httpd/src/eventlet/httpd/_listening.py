"""What a :class:`~eventlet.httpd.Server` listens with: its socket, its TLS context, its name.

The server either creates its listening socket (``host``/``port``, through
:func:`eventlet.convenience.listen`) or adopts one (``sock=``): a green socket or a TLS one is
used as is, a plain socket through a duplicate of its descriptor (so the caller's object stays
theirs to close).  TLS needs eventlet-ssl, imported only when asked for: with ``certfile`` and
``keyfile`` the server builds a context for serving, or it takes a ready ``ssl_context``.
``SERVER_NAME`` and ``SERVER_PORT`` come from the bound address.
"""

from __future__ import annotations

import os
import socket as _stdsocket
from typing import Any

from eventlet.greenio.socket import GreenSocket

__all__ = ["is_tls", "listening_socket", "server_name", "tls_context"]


def listening_socket(host: str, port: int, sock: Any, backlog: int, reuse_port: bool) -> Any:
    """The server's listening socket: ``sock`` (adopted), or a new one on ``host``/``port``."""
    if sock is None:
        family = _stdsocket.AF_INET6 if ":" in host else _stdsocket.AF_INET
        from eventlet.convenience import listen

        return listen((host, port), family, backlog, reuse_port=reuse_port)
    if isinstance(sock, GreenSocket) or is_tls(sock):
        return sock
    return GreenSocket(sock.family, sock.type, sock.proto, os.dup(sock.fileno()))


def tls_context(certfile: str | None, keyfile: str | None, context: Any) -> Any:
    """The TLS context to serve with (``None``: plain HTTP); needs eventlet-ssl."""
    if context is not None or certfile is not None:
        try:
            import eventlet.ssl as green_ssl
        except ImportError as exc:
            raise RuntimeError("serving TLS needs eventlet-ssl: pip install eventlet-ssl") from exc
        if context is None:
            context = green_ssl.create_default_context(
                green_ssl.Purpose.CLIENT_AUTH, certfile=certfile, keyfile=keyfile
            )
    return context


def is_tls(sock: Any) -> bool:
    """Whether ``sock`` is a TLS socket already (it has a handshake)."""
    return sock is not None and hasattr(sock, "do_handshake")


def server_name(address: Any) -> tuple[str, str]:
    """``SERVER_NAME`` and ``SERVER_PORT`` for the bound ``address``."""
    if isinstance(address, tuple):
        return str(address[0]), str(address[1])
    return "localhost", ""

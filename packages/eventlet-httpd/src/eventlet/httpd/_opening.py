"""Before the first request: the PROXY protocol header, then the TLS handshake.

:meth:`~eventlet.httpd._connection.HttpProtocol.run` opens each connection with these before
its request loop.  With ``proxy_protocol``, a trusted peer's PROXY header is read first: it names
the client, whose address then replaces the proxy's (:mod:`eventlet.httpd._proxy`); a missing or
malformed one closes the connection.  Then, on a TLS server, the handshake runs, bounded by
``header_timeout``; a client that sent a plain HTTP request instead of a ClientHello gets a ``400``
saying so (as nginx answers), on the raw socket, and the connection closes.  The waits set the
driver's wait state, so the server's sweep expires them as it does a request head.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ._expiry import HEAD_WAIT, Expired
from .protocol import HTTPProtocolError

if TYPE_CHECKING:
    from ._connection import HttpProtocol

__all__ = ["peer_address", "read_proxy_header", "start_tls"]

error_log = logging.getLogger("eventlet.httpd.error")


def peer_address(addr: Any) -> tuple[str, str]:
    """``(host, port)`` of a socket address as text (``(path, "")`` for a UNIX socket's)."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        return str(addr[0]), str(addr[1])
    return (addr if isinstance(addr, str) else ""), ""


def read_proxy_header(conn: HttpProtocol) -> bool:
    """Read the PROXY protocol header of a trusted peer; False if the connection must close."""
    from ._proxy import ProxyHeaderError, read_header

    server = conn.server
    if peer_address(conn.addr)[0] not in server.trusted:  # type: ignore[operator]
        return True
    conn.deadline = time.monotonic() + server.header_timeout
    conn.waiting = HEAD_WAIT
    try:
        source = read_header(conn.sock)
    except ProxyHeaderError as exc:
        error_log.warning("closing the connection from %r: %s", conn.addr, exc)
        return False
    except Expired:
        error_log.debug("no PROXY protocol header from %r in time", conn.addr)
        return False
    finally:
        conn.waiting = 0
    if source is not None:
        conn.addr = source
    return True


def start_tls(conn: HttpProtocol) -> bool:
    """Run the TLS handshake; False (after answering) if the client spoke plain HTTP."""
    from eventlet.ssl import wrap_socket

    tls = wrap_socket(
        conn.sock,
        conn.server.ssl_context,
        server_side=True,
        do_handshake_on_connect=False,
        handshake_timeout=conn.server.header_timeout,
    )
    conn.sock = tls
    try:
        tls.do_handshake()
    except OSError as exc:
        if not _is_plain_http(exc):
            raise
        _refuse_plain_http(conn, tls)
        return False
    return True


def _is_plain_http(exc: OSError) -> bool:
    """Whether a failed TLS handshake met an HTTP request instead of a ClientHello."""
    reason = getattr(exc, "reason", None)
    return reason == "HTTP_REQUEST" or (reason is None and "http request" in str(exc).lower())


def _refuse_plain_http(conn: HttpProtocol, tls: Any) -> None:
    """Answer a plain HTTP request on the TLS port with a 400 that says so, on the raw socket."""
    from eventlet.greenio.socket import GreenSocket

    error_log.debug("plain HTTP request from %r on a TLS port", conn.addr)
    detach = getattr(tls, "detach", None)
    if detach is None:  # pragma: no cover - a TLS socket without detach(): just close
        return
    conn.sock = GreenSocket(tls.family, tls.type, tls.proto, fileno=detach())
    conn.status = "400 Bad Request"
    conn._reject(HTTPProtocolError(400, "plain HTTP request sent to an HTTPS port"))

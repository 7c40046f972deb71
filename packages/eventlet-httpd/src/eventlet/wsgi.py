"""Upstream eventlet's ``eventlet.wsgi`` API, served by :mod:`eventlet.httpd`.

``server(sock, site, ...)`` takes the same arguments as upstream's and runs an
:class:`eventlet.httpd.Server` on ``sock`` until interrupted.  ``ALREADY_HANDLED``,
``Input`` (``environ["wsgi.input"]``, with ``get_socket()``), ``HttpProtocol`` and the usual
constants keep their names.  Differences worth knowing: ``protocol`` must be a subclass of
:class:`eventlet.httpd.HttpProtocol` (upstream's was a ``BaseHTTPRequestHandler``), and
requests are parsed strictly (malformed framing is answered with 400 and a close).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from eventlet.httpd import ALREADY_HANDLED, ChunkReadError, HttpProtocol, Input, Server
from eventlet.httpd._log import EVENTLET
from eventlet.httpd._wsgi import ClientDisconnected, FileWrapper

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from eventlet._typing import ListeningSocket

__all__ = [
    "ALREADY_HANDLED",
    "DEFAULT_LOG_FORMAT",
    "DEFAULT_MAX_HTTP_VERSION",
    "DEFAULT_MAX_SIMULTANEOUS_REQUESTS",
    "MAX_HEADER_LINE",
    "MAX_REQUEST_LINE",
    "MAX_TOTAL_HEADER_SIZE",
    "MINIMUM_CHUNK_SIZE",
    "ChunkReadError",
    "ClientDisconnected",
    "FileWrapper",
    "HttpProtocol",
    "Input",
    "format_date_time",
    "server",
]

DEFAULT_MAX_SIMULTANEOUS_REQUESTS = 1024
"""Default ``max_size``: concurrent connections served."""
DEFAULT_MAX_HTTP_VERSION = "HTTP/1.1"
"""Default ``max_http_version``; ``"HTTP/1.0"`` turns keep-alive off."""
MAX_REQUEST_LINE = 8192
"""Default ``url_length_limit``."""
MAX_HEADER_LINE = 8192
"""Kept for compatibility (header lines are bounded by the header section size)."""
MAX_TOTAL_HEADER_SIZE = 65536
"""Largest request header section accepted."""
MINIMUM_CHUNK_SIZE = 4096
"""Upstream's constant (here ``minimum_chunk_size`` buffers only when given)."""
DEFAULT_LOG_FORMAT = EVENTLET
"""Upstream's access log format: client, date, request line, status, length, seconds."""

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date_time(timestamp: float) -> str:
    """``timestamp`` as an HTTP date (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    t = time.gmtime(timestamp)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def server(
    sock: ListeningSocket,
    site: WSGIApplication,
    log: Any = None,
    environ: dict[str, Any] | None = None,
    max_size: int | None = None,
    max_http_version: str = DEFAULT_MAX_HTTP_VERSION,
    protocol: type[HttpProtocol] = HttpProtocol,
    server_event: Any = None,
    minimum_chunk_size: int | None = None,
    log_x_forwarded_for: bool = True,
    custom_pool: Any = None,
    keepalive: bool | float = True,
    log_output: bool = True,
    log_format: str = DEFAULT_LOG_FORMAT,
    url_length_limit: int = MAX_REQUEST_LINE,
    debug: bool = True,
    socket_timeout: float | None = None,
    capitalize_response_headers: bool = True,
) -> None:
    """Serve the WSGI application ``site`` on the listening socket ``sock`` until interrupted.

    ``log``: a file-like object or a logger for the access log (default ``sys.stderr``),
    ``log_output=False`` turns it off, ``log_format`` is a ``%``-template (see
    :mod:`eventlet.httpd._log`).  ``environ``: extra keys for every environ.  ``max_size``:
    connections served at once.  ``keepalive``: False to close after each response, or a
    number of seconds a connection may stay idle.  ``url_length_limit``: longest request
    line (414).  ``debug``: tracebacks in 500 responses (upstream's default, True).
    ``socket_timeout``: bound of each blocking read or write.  ``server_event``: an
    ``Event`` sent the :class:`eventlet.httpd.Server` once it is ready.  ``custom_pool``: a
    ``GreenPool`` to run the connections in.  Returns (closing ``sock``) on
    ``KeyboardInterrupt``/``SystemExit``, after the connections have finished.
    """
    if max_http_version not in ("HTTP/1.1", "HTTP/1.0"):
        raise ValueError(f"unsupported max_http_version {max_http_version!r}")
    options: dict[str, Any] = {}
    if type(keepalive) in (int, float):  # upstream also takes the idle timeout in seconds
        if keepalive > 0:
            options["keepalive_timeout"] = float(keepalive)
        keepalive = keepalive > 0
    if log_output:
        options["access_log"] = sys.stderr if log is None else log
        options["access_log_format"] = log_format
    else:
        options["access_log"] = False
    serv = Server(
        site,
        sock=sock,
        environ=environ,
        max_connections=max_size or DEFAULT_MAX_SIMULTANEOUS_REQUESTS,
        keepalive=bool(keepalive) and max_http_version == "HTTP/1.1",
        protocol=protocol,
        pool=custom_pool,
        minimum_chunk_size=minimum_chunk_size or 0,
        log_x_forwarded_for=log_x_forwarded_for,
        max_request_line=url_length_limit,
        debug=debug,
        socket_timeout=socket_timeout,
        capitalize_response_headers=capitalize_response_headers,
        **options,
    )
    if server_event is not None:
        server_event.send(serv)
    try:
        serv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        logging.getLogger("eventlet.httpd").info("wsgi exiting")
    finally:
        sock.close()

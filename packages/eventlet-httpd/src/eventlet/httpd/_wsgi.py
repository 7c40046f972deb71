"""The WSGI side of the server: environ building, ``wsgi.input`` and ``wsgi.file_wrapper``.

Environ building is on the hot path, so it is split in three layers.  A server builds one
*base* dict (``wsgi.*`` keys, ``SERVER_NAME``, ``SCRIPT_NAME``...) once; each connection copies
it once and adds the peer address; each request copies the connection's dict (one C-level
``dict.copy``) and sets only what the request changes.  Header names are turned into CGI keys
(``user-agent`` -> ``HTTP_USER_AGENT``) through a bounded cache shared by the server, so a
steady stream of requests costs one dict lookup per header.

:class:`Input` is ``wsgi.input`` (and ``eventlet.input``).  It reads the request body from the
connection's parser, receiving more bytes from the socket when the parser runs dry, and sends
the interim ``100 Continue`` before the first read when the client asked for it.  Like a file it
returns ``b""`` at the end of the body, for chunked bodies too (``wsgi.input_terminated``).
``get_socket()`` hands the raw socket to the application (websockets, tunnels); the server then
sends nothing more on that connection and closes it when the application returns.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Final

from .protocol import EOF, NEED_DATA, HTTPProtocolError
from .protocol._request import cgi_key

if TYPE_CHECKING:
    from ._connection import HttpProtocol

__all__ = [
    "ALREADY_HANDLED",
    "ChunkReadError",
    "ClientDisconnected",
    "FileWrapper",
    "Input",
    "base_environ",
    "environ_key",
]

_KEY_CACHE_SIZE = 1024


class _AlreadyHandled:
    """Returned by an application that answered on the raw socket itself."""

    __slots__ = ()

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    def __repr__(self) -> str:
        return "ALREADY_HANDLED"


ALREADY_HANDLED: Final = _AlreadyHandled()
"""Return this from an application that wrote its response on ``get_socket()`` itself."""


class ChunkReadError(ValueError):
    """The request body is malformed (bad chunked framing, too large); ``status`` says how."""

    def __init__(self, error: HTTPProtocolError) -> None:
        super().__init__(str(error))
        self.status: int = error.status
        self.error = error


class ClientDisconnected(ConnectionError):
    """The client went away while the server was reading its body or writing the response."""


def base_environ(
    server_name: str, server_port: str, url_scheme: str, extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The per-server part of every environ (copied per connection, then per request)."""
    env: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
        "wsgi.file_wrapper": FileWrapper,
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "eventlet-httpd",
        "SCRIPT_NAME": "",
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
    }
    if url_scheme == "https":
        env["HTTPS"] = "on"
    if extra:
        env.update(extra)
    return env


def environ_key(cache: dict[str, str | None], name: str) -> str | None:
    """The CGI key for the lower-case header ``name`` (``None``: skip it), cached in ``cache``."""
    key = cgi_key(name)
    if len(cache) < _KEY_CACHE_SIZE:
        cache[name] = key
    return key


class Input:
    """``wsgi.input``: the request body as a read-only binary file (see the module docstring)."""

    __slots__ = ("_buf", "_conn", "chunked_input", "content_length", "position")

    def __init__(self, conn: HttpProtocol, content_length: int | None, chunked: bool) -> None:
        self._conn = conn
        self._buf = b""
        self.content_length: int | None = content_length
        """The declared body length (``None`` for a chunked body)."""
        self.chunked_input: bool = chunked
        """Whether the body uses the chunked transfer coding."""
        self.position: int = 0
        """Bytes handed to the application so far."""

    def __repr__(self) -> str:
        return f"<Input position={self.position} content_length={self.content_length}>"

    # -- the raw material ----------------------------------------------------------------

    def _chunk(self, max_bytes: int) -> bytes:
        """The next run of body bytes (at most ``max_bytes`` if >= 0); ``b""`` at the end."""
        conn = self._conn
        if conn.input is not self:
            return b""  # the request this input belonged to is over
        parser = conn.parser
        if conn.expect_pending:
            conn.send_continue()
        while True:
            try:
                data = parser.read_body(max_bytes)
            except HTTPProtocolError as exc:
                conn.body_error = exc
                raise ChunkReadError(exc) from None
            if data is NEED_DATA:
                conn.receive_body()
                continue
            if data is EOF:
                return b""
            return data  # type: ignore[return-value]

    # -- file API ------------------------------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all of the rest when negative or ``None``)."""
        buf = self._buf
        if size is None or size < 0:
            parts = [buf]
            while True:
                chunk = self._chunk(-1)
                if not chunk:
                    break
                parts.append(chunk)
            data = b"".join(parts)
            self._buf = b""
        else:
            while len(buf) < size:
                chunk = self._chunk(size - len(buf))
                if not chunk:
                    break
                buf += chunk
            data, self._buf = buf[:size], buf[size:]
        self.position += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        """Read what is at hand (at most ``size`` bytes), receiving only if nothing is."""
        if not self._buf:
            self._buf = self._chunk(size if size is not None and size >= 0 else -1)
        return self.read(len(self._buf) if size is None or size < 0 else min(size, len(self._buf)))

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (up to and including ``b"\\n"``), at most ``size`` bytes."""
        limit = -1 if size is None else size
        buf = self._buf
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl >= 0:
                end = nl + 1
                break
            if 0 <= limit <= len(buf):
                end = limit
                break
            start = len(buf)
            chunk = self._chunk(-1)
            if not chunk:
                end = len(buf)
                break
            buf += chunk
        if 0 <= limit < end:
            end = limit
        data, self._buf = buf[:end], buf[end:]
        self.position += len(data)
        return data

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Read lines until the end (or until ``hint`` bytes have been read)."""
        lines: list[bytes] = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def readable(self) -> bool:
        """Always ``True``."""
        return True

    def close(self) -> None:
        """Nothing to do: the server owns the connection (present for file-likeness)."""

    # -- upstream eventlet extras ----------------------------------------------------------

    def discard(self, buffer_size: int = 16384) -> None:
        """Read and throw away the rest of the body."""
        while self.read(buffer_size):
            pass

    def get_socket(self) -> Any:
        """Take over the connection's socket; the server will not write on it any more."""
        return self._conn.hijack()

    def send_hundred_continue_response(self) -> None:
        """Send ``100 Continue`` now if the client expects it and it was not sent yet."""
        if self._conn.expect_pending:
            self._conn.send_continue()

    def set_hundred_continue_response_headers(
        self, headers: list[tuple[str, str]], capitalize_response_headers: bool = True
    ) -> None:
        """Headers to send with the interim ``100 Continue`` response (upstream eventlet API)."""
        if capitalize_response_headers:
            headers = [("-".join(p.capitalize() for p in k.split("-")), v) for k, v in headers]
        self._conn.continue_headers = list(headers)


class FileWrapper:
    """``wsgi.file_wrapper``: serve a file, with ``os.sendfile`` when the socket allows.

    Iterating it yields blocks of ``blksize`` bytes (the portable fallback); the server
    recognises it and sends regular files with zero copies instead.
    """

    __slots__ = ("blksize", "filelike")

    def __init__(self, filelike: IO[bytes], blksize: int = 65536) -> None:
        self.filelike: IO[bytes] = filelike
        self.blksize: int = blksize

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while True:
            block = read(self.blksize)
            if not block:
                return
            yield block

    def close(self) -> None:
        """Close the wrapped file (if it has ``close``)."""
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()

    def sendfile_span(self) -> tuple[int, int, int] | None:
        """``(fd, offset, size)`` when the file is a regular file sendfile can serve, else None."""
        if not hasattr(os, "sendfile"):  # pragma: no cover - Windows
            return None
        try:
            fd = self.filelike.fileno()
            info = os.fstat(fd)
            offset = self.filelike.tell()
        except (AttributeError, OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return fd, offset, max(info.st_size - offset, 0)

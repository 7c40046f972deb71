"""Writing the response: the head, the body in every shape an application returns, failures.

:class:`ResponseSender` holds the response half of the connection driver
(:class:`~eventlet.httpd._connection.HttpProtocol` derives from it; it has no state of its own):
it sends on the socket what the server's sans-IO
:class:`~eventlet.httpd.protocol.ResponseWriter` encodes.
The driver's ``start_response`` records the status and headers; the head is encoded once, by
:meth:`ResponseSender._head`, when the first body bytes are ready (adding ``Connection: close``
when the connection cannot be reused), so that a body known in advance goes out with its head in
one ``sendall``.  Bodies are framed by their ``Content-Length`` or chunked; a list or tuple is
joined into one send up to 256 KiB; other iterables are sent chunk by chunk (batched up to the
server's ``minimum_chunk_size``); a :class:`~eventlet.httpd._wsgi.FileWrapper` over a regular file
goes through ``sendfile``.  Every send runs under ``socket_timeout`` (see
:mod:`eventlet.httpd._expiry`); a failed or expired send becomes :class:`ClientDisconnected`.

Framing errors of the application end the connection rather than corrupt the next response: a body
longer than its ``Content-Length`` is cut and logged, a shorter one is logged, and in both cases the
connection is not reused.

Failures.  A malformed request gets its status from the parser's :class:`HTTPProtocolError`, with
``Connection: close``, and a lingering close (shut down writing, read what the client still
sends for a moment) so the client sees the response rather than a reset.  An application
exception becomes a ``500`` if nothing was sent yet, else the connection is closed mid-response;
a client that went away is logged at debug level only.
"""

from __future__ import annotations

import logging
import socket as _stdsocket
import time
import traceback
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._expiry import IO_WAIT, Expired
from ._wsgi import ChunkReadError, ClientDisconnected, FileWrapper, Input
from .protocol import HTTPProtocolError, ResponseHead, encode_chunk, end_chunks

if TYPE_CHECKING:
    from ._server import Server
    from .protocol import Request, RequestParser

__all__ = ["ResponseSender", "as_bytes"]

error_log = logging.getLogger("eventlet.httpd.error")

_monotonic = time.monotonic
_JOIN_LIMIT = 1 << 18  # join a list body into one send up to this size
_LINGER_READ = 65536
_LINGER_BYTES = 1 << 20


class ResponseSender:
    """The response-writing methods of :class:`~eventlet.httpd._connection.HttpProtocol`.

    Its slots are those its methods assign: the response state of the current request and the
    wait state a send sets (see :mod:`eventlet.httpd._expiry`); the driver initialises them.  The
    other attributes it reads are the driver's, declared here for the type checker.
    """

    __slots__ = ("deadline", "head", "headers", "sent", "status", "waiting")

    deadline: float
    head: ResponseHead | None
    headers: list[tuple[str, str]]
    sent: int
    status: str | None
    waiting: int

    server: Server
    sock: Any
    addr: Any
    parser: RequestParser
    request: Request | None
    input: Input | None
    expect_pending: bool
    hijacked: bool
    body_error: HTTPProtocolError | None

    def _head(self, body_length: int | None) -> ResponseHead:
        """Encode the response head (once) for the app's status and headers."""
        status = self.status
        if status is None:
            raise RuntimeError("the application returned without calling start_response()")
        server = self.server
        req = self.request
        assert req is not None
        headers: Iterable[tuple[str, str]] = self.headers
        if server.capitalize_response_headers:
            headers = server.capitalized(headers)
        if (
            server.stopping
            or not server.keepalive
            or ((req.content_length or req.chunked) and self._must_close())
        ):
            headers = [*headers, ("Connection", "close")]
        head = self.head = server.writer.head(req, status, headers, body_length)
        return head

    def _must_close(self) -> bool:
        """Whether the request body left unread forbids reusing the connection."""
        if self.parser.body_complete:
            return False
        if self.expect_pending:
            return True  # the client may never send the body it was not invited to send
        req = self.request
        assert req is not None
        assert self.input is not None
        if req.content_length is None:
            return False  # chunked: try to drain it afterwards
        return req.content_length - self.input.position > self.server.max_drain

    def _send(self, data: bytes) -> None:
        timeout = self.server.socket_timeout
        if timeout is not None:
            self.deadline = _monotonic() + timeout
            self.waiting = IO_WAIT
        try:
            self.sock.sendall(data)
        except Expired:
            raise ClientDisconnected("timed out sending the response") from None
        except OSError as exc:
            raise ClientDisconnected(str(exc) or type(exc).__name__) from exc
        finally:
            self.waiting = 0

    def _write_body(self, chunk: bytes) -> bool:
        """Send one body chunk (the head first if still unsent); False if it overflowed."""
        head = self.head
        prefix = b""
        if head is None:
            head = self._head(None)
            prefix = head.data
        if not head.has_body or not chunk:
            if prefix:
                self._send(prefix)
            return True
        fits = True
        if head.chunked:
            data = encode_chunk(chunk)
        elif head.content_length is not None:
            room = head.content_length - self.sent
            if len(chunk) > room:
                error_log.error(
                    "application sent more than its Content-Length (%d) for %r",
                    head.content_length,
                    self.request,
                )
                chunk = chunk[:room]
                fits = False
            data = chunk
        else:
            data = chunk
        self._send(prefix + data if prefix else data)
        self.sent += len(chunk)
        return fits

    def _finish(self) -> bool:
        """End the body; return whether the framing is intact (the connection reusable)."""
        head = self.head
        if head is None:
            head = self._head(0)
            self._send(head.data)
            return head.keep_alive
        if head.chunked:
            self._send(end_chunks())
        elif head.has_body and head.content_length is not None and self.sent < head.content_length:
            error_log.error(
                "application sent %d bytes of its Content-Length %d for %r",
                self.sent,
                head.content_length,
                self.request,
            )
            return False
        return head.keep_alive

    def _send_iterable(self, result: Iterable[Any]) -> bool:
        """Send a response body of any shape; return whether the connection may be reused."""
        if self.head is None:
            if type(result) is list or type(result) is tuple:
                return self._send_sequence(result)
            if type(result) is FileWrapper and self.server.sendfile:
                span = result.sendfile_span()
                if span is not None:
                    return self._send_file(result, span)
        minimum = self.server.minimum_chunk_size
        pending: list[bytes] = []
        size = 0
        for chunk in result:
            chunk = as_bytes(chunk)
            if minimum:
                pending.append(chunk)
                size += len(chunk)
                if size < minimum:
                    continue
                chunk = b"".join(pending)
                pending.clear()
                size = 0
            if not self._write_body(chunk):
                return False
        if pending:
            chunk = b"".join(pending)
            if self.head is None:
                self._head(len(chunk))
                return self._write_first(chunk)
            if not self._write_body(chunk):
                return False
        return self._finish()

    def _write_first(self, body: bytes) -> bool:
        """Send the encoded head with the whole body ``body``; return reusability."""
        head = self.head
        assert head is not None
        if not head.has_body:
            self._send(head.data)
            return head.keep_alive
        if head.content_length == len(body):
            self._send(head.data + body)
            self.sent = len(body)
            return head.keep_alive
        self._send(head.data)  # the application's Content-Length disagrees with its body
        return self._write_body(body) and self._finish()

    def _send_sequence(self, result: list[Any] | tuple[Any, ...]) -> bool:
        chunks = [as_bytes(chunk) for chunk in result]
        total = sum(map(len, chunks))
        head = self._head(total)
        if total <= _JOIN_LIMIT:
            return self._write_first(b"".join(chunks))
        self._send(head.data)
        if head.has_body:
            for chunk in chunks:
                if not self._write_body(chunk):
                    return False
        return self._finish()

    def _send_file(self, wrapper: FileWrapper, span: tuple[int, int, int]) -> bool:
        _fd, offset, size = span
        head = self._head(size)
        self._send(head.data)
        if not head.has_body:
            return head.keep_alive
        count = size if head.content_length is None else min(size, head.content_length)
        if count:
            try:
                self.sent = self.sock.sendfile(wrapper.filelike, offset, count)
            except OSError as exc:
                raise ClientDisconnected(f"sendfile failed: {exc}") from exc
        return self._finish()

    def _app_failed(self, exc: Exception, env: dict[str, Any]) -> None:
        """Report an application failure to the client (if still possible) and the log."""
        if self.hijacked:
            error_log.error("application failed after taking the socket", exc_info=exc)
            return
        body_error = self.body_error
        if body_error is not None and isinstance(exc, ChunkReadError):
            error_log.debug("bad request body from %r: %s", self.addr, body_error)
            if self.head is None:
                self.status = f"{body_error.status} {body_error.phrase}"
                method = self.request.method if self.request is not None else None
                self._send_quietly(self.server.writer.error_response(body_error, method))
            return
        error_log.error(
            "application error on %s %s",
            env.get("REQUEST_METHOD"),
            env.get("RAW_PATH_INFO"),
            exc_info=exc,
        )
        if self.head is not None:
            return  # the response started: all we can do is cut it short
        text = "500 Internal Server Error\n"
        if self.server.debug:
            text += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        body = text.encode("utf-8", "replace")
        self.status = "500 Internal Server Error"
        head = (
            "HTTP/1.1 500 Internal Server Error\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode("latin-1")
        req = self.request
        if req is not None and req.method == "HEAD":
            body = b""  # RFC 9110 9.3.2: the same head, no body
        self._send_quietly(head + body)
        self.sent = len(body)

    def _send_quietly(self, data: bytes) -> None:
        try:
            self._send(data)
        except ClientDisconnected as exc:
            error_log.debug("client %r went away: %s", self.addr, exc)

    def _reject(self, exc: HTTPProtocolError) -> None:
        """Answer a malformed request with its status and close cleanly."""
        error_log.debug("bad request from %r: %s", self.addr, exc)
        try:
            self.sock.sendall(self.server.writer.error_response(exc, self.parser.pending_method))
        except OSError:  # pragma: no cover - the client reset the connection first (a race)
            return
        self._linger()

    def _linger(self) -> None:
        """Shut down writing, then read (briefly) what the client still sends, then close."""
        sock = self.sock
        try:
            sock.shutdown(_stdsocket.SHUT_WR)
            sock.settimeout(self.server.linger_timeout)
            left = _LINGER_BYTES
            while left > 0:
                data = sock.recv(_LINGER_READ)
                if not data:
                    break
                left -= len(data)
        except OSError:
            pass


def as_bytes(chunk: Any) -> bytes:
    """A body chunk as ``bytes`` (bytes-like accepted; ``str`` is an application error)."""
    if type(chunk) is bytes:
        return chunk
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"response body chunks must be bytes, not {type(chunk).__name__}")

"""Sans-IO HTTP/1.1 request parser.

The parser owns one ``bytearray`` of received bytes.  The driver appends to it
with :meth:`RequestParser.feed` and pulls results out: a :class:`Request` from
:meth:`~RequestParser.next_request`, body bytes from
:meth:`~RequestParser.read_body`.  ``None`` / :data:`NEED_DATA` mean "feed me
more"; malformed input raises :class:`HTTPProtocolError` carrying the status to
answer with, after which the parser stays failed (it re-raises the same error).

The work splits along the message.  Heads are found, checked and interpreted
by :class:`~eventlet.httpd.protocol._head.HeadParser`, the base class, in ``_head``
(whose essay tells how that is fast for keep-alive clients and linear-time
for heads fed byte by byte).  Bodies are decoded in ``_chunked``: a
``Content-Length`` body is handed out by a :class:`CountedReader`, a chunked
one by a :class:`ChunkedDecoder`, which checks its size lines and trailers
with the same incremental discipline as the head.  This module is the state
machine between them, one per connection: head, body, then the next head on
a persistent connection, or detaching the buffer for a tunnel.

The states (:class:`ParserState`) and what moves between them::

    HEAD --next_request()--> BODY | CHUNKED_BODY | DONE   (by the head's framing)
    BODY, CHUNKED_BODY --read_body() reaches the end--> DONE
    DONE --next_request() / start_next(), keep-alive only--> HEAD
    DONE --take_buffer()--> DETACHED                       (CONNECT, Upgrade)
    any --the peer breaks the protocol--> FAILED           (re-raises that error)

The driver never needs to ask which state the parser is in to use it correctly: each call
says what it needs (``None`` / :data:`NEED_DATA`: feed more bytes) or raises.  A call that
is not valid in the current state (``read_body`` before a head, ``start_next`` before the
body is done) is the driver's bug and raises ``RuntimeError`` naming the state; in
``FAILED`` every call re-raises the protocol error instead, so a driver that ignored the
first exception cannot go on parsing garbage.  :attr:`RequestParser.state` shows the state
for logging and tests.

Strictness, decided once: line endings must be CRLF (a lone LF is rejected;
RFC 9112 2.2 allows either choice); obs-fold, whitespace before a colon,
control characters in values, malformed chunk sizes or extensions are
rejected.  Header names containing ``_`` are *kept* in
:attr:`Request.headers` but skipped by :meth:`Request.cgi_headers`.
"""

from __future__ import annotations

import enum
from typing import NoReturn

from ._chunked import EOF, NEED_DATA, ChunkedDecoder, CountedReader, Marker
from ._errors import HTTPProtocolError
from ._head import HeadParser
from ._request import Request

__all__ = ["EOF", "NEED_DATA", "ParserState", "RequestParser"]


class ParserState(enum.Enum):
    """Where a :class:`RequestParser` is in its connection (see the module docstring)."""

    HEAD = "head"
    """Taking a request head off the buffer (or waiting for its bytes)."""
    BODY = "body"
    """Handing out a ``Content-Length`` body."""
    CHUNKED_BODY = "chunked body"
    """Decoding a chunked body."""
    DONE = "done"
    """The request's body is complete: answer it, then take the next head or detach."""
    DETACHED = "detached"
    """The buffer was handed over (:meth:`RequestParser.take_buffer`): no more HTTP."""
    FAILED = "failed"
    """The peer broke the protocol: every call raises that :class:`HTTPProtocolError` again."""


# Module globals for the comparisons on the hot path (a global is cheaper than a class attribute).
_HEAD = ParserState.HEAD
_BODY = ParserState.BODY
_CHUNKED = ParserState.CHUNKED_BODY
_DONE = ParserState.DONE
_DETACHED = ParserState.DETACHED
_FAILED = ParserState.FAILED


class RequestParser(HeadParser):
    """Incremental HTTP/1.1 request parser for one connection.

    ``max_line`` bounds the request line (414), ``max_header_bytes`` the
    header section and, separately, the trailer section (431),
    ``max_headers`` the number of header or trailer fields (431),
    ``max_body`` the body (413; ``None`` for no limit), ``max_chunk_line``
    a chunk-size line with its extensions (400).  ``require_host`` makes an
    HTTP/1.1 request without ``Host`` a 400 (RFC 9112 3.2).

    Typical driver loop::

        parser.feed(sock.recv(65536))
        request = parser.next_request()      # None: recv and feed more
        chunk = parser.read_body(65536)      # bytes, NEED_DATA or EOF
        ...                                  # after the response:
        parser.start_next()                  # if request.keep_alive
    """

    __slots__ = (
        "_chunked",
        "_counted",
        "_error",
        "_request",
        "_state",
        "max_chunk_line",
    )

    def __init__(
        self,
        *,
        max_line: int = 8190,
        max_header_bytes: int = 65536,
        max_headers: int = 100,
        max_body: int | None = None,
        max_chunk_line: int = 4096,
        require_host: bool = True,
    ) -> None:
        super().__init__(max_line, max_header_bytes, max_headers, max_body, require_host)
        self.max_chunk_line: int = max_chunk_line
        self._state = _HEAD
        self._request: Request | None = None
        self._error: HTTPProtocolError | None = None
        self._counted = CountedReader(self._buf)  # the Content-Length body
        self._chunked: ChunkedDecoder | None = None

    # -- input ---------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Append received bytes to the parser's buffer."""
        self._buf += data

    @property
    def buffered(self) -> int:
        """Number of received bytes not yet consumed."""
        return len(self._buf)

    @property
    def state(self) -> ParserState:
        """The parser's :class:`ParserState`."""
        return self._state

    @property
    def request(self) -> Request | None:
        """The request being processed, if any."""
        return self._request

    @property
    def body_complete(self) -> bool:
        """Whether the current request's body has been read to its end."""
        return self._state is _DONE

    @property
    def in_progress(self) -> bool:
        """Whether a request is partly received (EOF now would truncate it)."""
        if self._state is _HEAD:
            return bool(self._buf)
        return self._state in (_BODY, _CHUNKED)

    @property
    def pending_method(self) -> str | None:
        """The method that starts the buffered, not yet accepted head, if complete.

        For answering a rejected head properly (no body for ``HEAD``).
        """
        buf = self._buf
        space = buf.find(b" ", 0, 64)
        return buf[:space].decode("latin-1") if space > 0 else None

    # -- head ----------------------------------------------------------------

    def next_request(self) -> Request | None:
        """Parse the next request head; ``None`` if more bytes are needed.

        Call it again after the previous request's body is complete (this
        implies :meth:`start_next`).  Raises :class:`HTTPProtocolError`.
        """
        if self._state is not _HEAD:
            prev = self._request
            if self._state is not _DONE or prev is None or not prev.keep_alive:
                self.start_next()  # raises
            self._state = _HEAD
            self._request = None
        try:
            req = self._take_head()
        except HTTPProtocolError as exc:
            self._fail(exc)
            raise
        if req is None:
            return None
        self._request = req
        if req.chunked:
            self._state = _CHUNKED
            self._chunked = ChunkedDecoder(
                self._buf,
                req.trailers,
                max_body=self.max_body,
                max_chunk_line=self.max_chunk_line,
                max_trailer_bytes=self.max_header_bytes,
                max_trailers=self.max_headers,
            )
        elif req.content_length:
            self._state = _BODY
            self._counted.left = req.content_length
        else:
            self._state = _DONE
        return req

    # -- body ----------------------------------------------------------------

    def read_body(self, max_bytes: int = -1) -> bytes | Marker:
        """Return up to ``max_bytes`` body bytes (any amount if negative).

        Returns non-empty ``bytes`` (``b""`` only for ``max_bytes == 0``),
        :data:`NEED_DATA` when the buffer holds no body bytes yet, or
        :data:`EOF` once the body is complete.  Raises :class:`HTTPProtocolError`.
        """
        state = self._state
        if state is _BODY:
            counted = self._counted
            data = counted.read(max_bytes)
            if not counted.left:
                self._state = _DONE
            return data
        if state is _CHUNKED:
            assert self._chunked is not None
            try:
                result = self._chunked.read(max_bytes)
            except HTTPProtocolError as exc:
                self._fail(exc)
                raise
            if result is EOF:
                self._state = _DONE
                self._chunked = None
            return result
        if state is _DONE:
            return EOF
        return self._misuse("read_body")

    def drain_body(self) -> bool:
        """Discard buffered body bytes; return whether the body is complete."""
        while True:
            data = self.read_body()
            if data is EOF:
                return True
            if data is NEED_DATA:
                return False

    # -- lifecycle -----------------------------------------------------------

    def start_next(self) -> None:
        """Get ready for the next pipelined request on a persistent connection.

        Raises ``RuntimeError`` unless the current body is complete and the
        request allowed keep-alive.
        """
        if self._state is _HEAD:
            return
        if self._state is not _DONE:
            self._misuse("start_next")
        assert self._request is not None
        if not self._request.keep_alive:
            raise RuntimeError("the request asked to close the connection")
        self._state = _HEAD
        self._request = None

    def take_buffer(self) -> bytes:
        """Detach: return the unconsumed bytes (for CONNECT / Upgrade tunnels).

        Only valid once the current request's body is complete; the parser
        accepts no further calls except :meth:`feed`.
        """
        if self._state is not _DONE:
            self._misuse("take_buffer")
        self._state = _DETACHED
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def _fail(self, exc: HTTPProtocolError) -> None:
        self._state = _FAILED
        self._error = exc

    def _misuse(self, what: str) -> NoReturn:
        if self._state is _FAILED:
            assert self._error is not None
            raise self._error
        raise RuntimeError(f"{what}() is not valid in parser state {self._state.name}")

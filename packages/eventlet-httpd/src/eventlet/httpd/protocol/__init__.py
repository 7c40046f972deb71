"""Sans-IO HTTP/1.1 server protocol: the public face of the parser and writer.

Nothing here touches a socket.  A connection driver feeds received bytes to
a :class:`RequestParser` and gets :class:`Request` heads and body bytes back;
it hands a status and headers to a :class:`ResponseWriter` and gets the bytes
to send plus the body framing to use.  Everything the peer can get wrong
raises :class:`HTTPProtocolError`, whose ``status`` is the response to send
(:meth:`ResponseWriter.error_response` builds it) before closing.

A minimal keep-alive driver::

    parser, writer = RequestParser(), ResponseWriter()
    while True:
        request = parser.next_request()
        if request is None:
            data = sock.recv(65536)
            if not data:
                break
            parser.feed(data)
            continue
        ...  # read the body with parser.read_body(); send 100 Continue first
             # if request.expect_continue (continue_response())
        head = writer.head(request, "200 OK", [("Content-Type", "text/plain")], 5)
        sock.sendall(head.data + b"hello")
        if not (head.keep_alive and parser.drain_body()):
            break

The implementation lives in ``_parser`` (the per-connection parser state
machine), ``_head`` (incremental request-head parsing), ``_chunked`` (body
decoding), ``_request`` (request semantics and framing rules), ``_writer``
(response encoding) and ``_errors`` (the error type and diagnostics).
"""

from __future__ import annotations

from ._chunked import EOF, NEED_DATA, Marker
from ._errors import HTTPProtocolError
from ._parser import ParserState, RequestParser
from ._request import Request
from ._writer import (
    DateCache,
    ResponseHead,
    ResponseWriter,
    continue_response,
    encode_chunk,
    end_chunks,
    field_lines,
    http_date,
)

__all__ = [
    "EOF",
    "NEED_DATA",
    "DateCache",
    "HTTPProtocolError",
    "Marker",
    "ParserState",
    "Request",
    "RequestParser",
    "ResponseHead",
    "ResponseWriter",
    "continue_response",
    "encode_chunk",
    "end_chunks",
    "field_lines",
    "http_date",
]

r"""Sans-IO HTTP/1.1 for servers: bytes in, requests out; a response in, bytes out.

This is the protocol engine of :class:`eventlet.httpd.Server`, published on its own: it reads
and writes no socket, starts no green thread and imports nothing of the rest of eventlet (an
import contract checks that), so it serves any I/O model, and tests need nothing but bytes.

* A :class:`RequestParser` per connection: :meth:`~RequestParser.feed` it the bytes received,
  take a :class:`Request` head from :meth:`~RequestParser.next_request` and the body from
  :meth:`~RequestParser.read_body`.  ``None`` and :data:`NEED_DATA` mean "feed me more";
  :data:`EOF` ends a body.  Its :class:`ParserState` says where it is.
* A :class:`ResponseWriter` (one may serve many connections): :meth:`~ResponseWriter.head`
  turns a WSGI-style status and header list into a :class:`ResponseHead`: the bytes of the
  head and the framing its body must follow (``Content-Length``, :func:`encode_chunk` /
  :func:`end_chunks`, or no body at all) and whether the connection may carry another request.
  Header names and values are checked (:func:`field_lines` for the other places a header goes:
  :func:`continue_response`, trailers): nothing the application sends can add a line.
* Whatever the peer gets wrong raises :class:`HTTPProtocolError`; its ``status`` (400, 413,
  414, 431, 501, 505...) is the answer, which :meth:`ResponseWriter.error_response` builds,
  and the connection is then closed.  A parser that raised keeps raising the same error.

It is strict where leniency lets a proxy and a server disagree about where a message ends
(request smuggling): CRLF line ends only, no obsolete line folding, no whitespace before a
colon, no control characters, exactly one way to frame a body, chunk sizes and extensions by
the grammar, and limits on every part of a request.  The modules' docstrings tell how it stays
fast while doing so: ``_head`` (heads), ``_parser`` (the state machine), ``_chunked`` (bodies),
``_request`` (what a head means), ``_writer`` (responses), ``_errors`` (explaining rejections).

A request, its chunked body, a pipelined request behind it, and the answers, in bytes only:

>>> from eventlet.httpd.protocol import DateCache, RequestParser, ResponseWriter
>>> parser = RequestParser()
>>> writer = ResponseWriter(server="example", date_cache=DateCache(lambda: 784111777))
>>> parser.feed(b"POST /echo HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n")
>>> request = parser.next_request()
>>> request.method, request.path, request.chunked, parser.state
('POST', '/echo', True, <ParserState.CHUNKED_BODY: 'chunked body'>)
>>> parser.read_body()
NEED_DATA
>>> parser.feed(b"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
>>> parser.read_body(), parser.read_body()
(b'hello', EOF)
>>> head = writer.head(request, "200 OK", [("Content-Type", "text/plain")], body_length=5)
>>> for line in head.data.decode().split("\r\n"):
...     print(line)
HTTP/1.1 200 OK
Content-Type: text/plain
Date: Sun, 06 Nov 1994 08:49:37 GMT
Server: example
Content-Length: 5
<BLANKLINE>
<BLANKLINE>
>>> head.keep_alive, head.chunked
(True, False)
>>> parser.next_request()
<Request GET '/' HTTP/1.1>

A request that frames its body two ways is refused:

>>> from eventlet.httpd.protocol import HTTPProtocolError
>>> parser = RequestParser()
>>> parser.feed(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
>>> try:
...     parser.next_request()
... except HTTPProtocolError as error:
...     print(error)
...     answer = writer.error_response(error)
400 Bad Request: conflicting Content-Length values
>>> answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), b"Connection: close\r\n" in answer
(True, True)

A minimal blocking keep-alive driver (what :class:`eventlet.httpd.Server` does, with timeouts,
limits, ``100 Continue`` and every body shape)::

    parser, writer = RequestParser(), ResponseWriter()
    while True:
        request = parser.next_request()
        if request is None:
            data = sock.recv(65536)
            if not data:
                break
            parser.feed(data)
            continue
        ...  # read the body with parser.read_body(); first send continue_response()
             # if request.expect_continue
        head = writer.head(request, "200 OK", [("Content-Type", "text/plain")], 5)
        sock.sendall(head.data + b"hello")
        if not (head.keep_alive and parser.drain_body()):
            break
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

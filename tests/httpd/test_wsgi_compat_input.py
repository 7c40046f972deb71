"""``eventlet.wsgi.Input``: reading ``Content-Length`` and chunked bodies, 100 Continue, strict chunks."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from eventlet import wsgi
from eventlet.httpd import ChunkReadError
from tests.httpd._compat import serving

BODY = b"line1\nline2\ntail"


def input_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Reads the body the way the path says; answers with the results as JSON."""
    inp = environ["wsgi.input"]
    op = environ["PATH_INFO"]
    result: list[Any]
    if op == "/readline":
        result = [inp.readline(), inp.readline(3), inp.readline(-1), inp.readline(), inp.readline()]
    elif op == "/readlines":
        result = inp.readlines()
    elif op == "/readlines-hint":
        result = inp.readlines(5)
    elif op == "/iter":
        result = list(inp)  # upstream's: read() results, so the whole body at once
    elif op == "/read-n":
        result = [inp.read(3), inp.read(4), inp.read(100), inp.read(5), inp.read(0)]
    elif op == "/read-byte":
        result = list(iter(lambda: inp.read(1), b""))
    elif op == "/discard":
        inp.discard(2)
        result = [inp.read(), inp.position]
    else:
        result = [inp.read(), inp.read(-1), inp.read(None)]
    body = json.dumps([r.decode("latin-1") if isinstance(r, bytes) else r for r in result])
    start_response("200 OK", [])
    return [body.encode()]


def post(path: str, body: bytes, chunked: bool = False) -> bytes:
    if chunked:
        chunks = (body[:4], body[4:9], body[9:])
        framed = (
            b"".join(b"%x;ext=1\r\n%b\r\n" % (len(c), c) for c in chunks if c) + b"0\r\nTrailer: x\r\n\r\n"
        )
        return b"POST " + path.encode() + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + framed
    return b"POST " + path.encode() + b" HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/readline", ["line1\n", "lin", "e2\n", "tail", ""]),
        ("/readlines", ["line1\n", "line2\n", "tail"]),
        ("/readlines-hint", ["line1\n"]),
        ("/iter", ["line1\nline2\ntail"]),
        ("/read-n", ["lin", "e1\nl", "ine2\ntail", "", ""]),
        ("/read-byte", list("line1\nline2\ntail")),
        ("/discard", ["", 16]),
        ("/all", ["line1\nline2\ntail", "", ""]),
    ],
)
def test_input_methods(path: str, expected: list[Any], chunked: bool) -> None:
    with serving(input_app) as server:
        responses = server.exchange(post(path, BODY, chunked) + post("/all", b"next"))
    assert len(responses) == 2  # the connection stayed usable
    got = json.loads(responses[0].body)
    if path == "/discard" and chunked:
        expected = ["", 0]  # position counts bytes of the current chunk (none of the last), as upstream's
    assert got == expected
    assert json.loads(responses[1].body) == ["next", "", ""]


def test_empty_and_missing_bodies() -> None:
    with serving(input_app) as server:
        responses = server.exchange(b"GET / HTTP/1.1\r\n\r\n" + post("/all", b""))
    assert [json.loads(r.body) for r in responses] == [["", "", ""], ["", "", ""]]


@contextmanager
def pair() -> Iterator[tuple[socket.socket, Any]]:
    """A connected socket pair: write to the first, read the second through a buffered file."""
    left, right = socket.socketpair()
    with left, right:
        rfile = right.makefile("rb")
        try:
            yield left, rfile
        finally:
            rfile.close()


def chunked_input(data: bytes, **kwargs: Any) -> Input:
    left, right = socket.socketpair()
    left.sendall(data)
    left.close()
    rfile = right.makefile("rb")
    right.close()
    return wsgi.Input(rfile, None, None, chunked_input=True, **kwargs)


Input = wsgi.Input


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"cats\r\n", "invalid chunk size"),
        (b"0x5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        (b" 5\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
        (b"5\nhello\r\n0\r\n\r\n", "CRLF"),
        (b"5;a=\x00\r\nhello\r\n0\r\n\r\n", "malformed chunk extension"),
        (b"5\r\nhelloXY0\r\n\r\n", "not followed by CRLF"),
        (b"1" * 5000 + b"\r\n", "too long"),
        (b"", "end of input before a chunk size"),
        (b"5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n", "header line without a colon"),
        (b"5\r\nhello\r\n0\r\nX: 1\n\r\n", "bare LF"),
        (b"5\r\nhello\r\n0\r\n" + b"X: 1\r\n" * 101 + b"\r\n", "trailer section too large"),
        (b"11111111111111111\r\n", "chunk size too large"),
    ],
)
def test_malformed_chunked_bodies_raise_chunk_read_error(data: bytes, reason: str) -> None:
    inp = chunked_input(data)
    with pytest.raises(ChunkReadError, match=reason) as caught:
        inp.read()
    assert isinstance(caught.value, ValueError)
    assert wsgi.ChunkReadError is ChunkReadError


def test_client_leaving_mid_chunk_raises_oserror_and_trailer_eof_is_quiet() -> None:
    inp = chunked_input(b"def\r\na bunch of stuff")
    with pytest.raises(OSError, match="unexpected end of file while parsing chunked data"):
        inp.read(1024)
    assert inp.read() == b""  # ended
    assert chunked_input(b"3\r\nabc\r\n0\r\nX: y\r\n").read() == b"abc"


def test_content_length_body_never_reads_past_its_end() -> None:
    with pair() as (writer, rfile):
        writer.sendall(b"abcdeNEXT REQUEST")
        inp = Input(rfile, "5", None)
        assert inp.readline() == b"abcde"
        assert inp.read() == b""
        assert inp.readlines() == []
        assert rfile.read(4) == b"NEXT"
        assert Input(rfile, None, None).read() == b""  # no length, not chunked: nothing


def test_hundred_continue_sent_once_on_first_read_with_headers() -> None:
    with pair() as (writer, rfile):
        sent = socket.socket(fileno=socket.dup(writer.fileno()))
        wfile = sent.makefile("wb")
        writer.sendall(b"abc")
        inp = Input(rfile, 3, None, wfile=wfile, wfile_line=b"HTTP/1.1 100 Continue\r\n")
        inp.set_hundred_continue_response_headers([("x-one", "1"), ("two-Words", "2")])
        assert inp.should_send_hundred_continue
        assert inp.read() == b"abc"
        assert not inp.should_send_hundred_continue
        inp.send_hundred_continue_response()  # explicitly again: a second interim response
        inp.headers_sent = [1]
        inp.send_hundred_continue_response()  # the final response started: nothing
        inp.set_hundred_continue_response_headers([("x-raw", "3")], capitalize_response_headers=False)
        assert inp.hundred_continue_headers == [("x-raw", "3")]
        wfile.close()
        sent.close()
        writer.shutdown(socket.SHUT_WR)
        received = rfile.read()
    assert received == b"HTTP/1.1 100 Continue\r\nX-One: 1\r\nTwo-Words: 2\r\n\r\n" * 2


def test_multi_phase_chunked_upload_through_the_server() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inp = environ["wsgi.input"]
        inp.set_hundred_continue_response_headers([("Phase", "1")])
        text = inp.read()
        inp.set_hundred_continue_response_headers([("Phase", "2")])
        inp.send_hundred_continue_response()
        text += inp.read()
        start_response("200 OK", [("Content-Length", str(len(text)))])
        return [text]

    head = b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    with serving(app) as server, server.connect() as sock:
        sock.sendall(head)
        first = sock.recv(65536)
        sock.sendall(b"5\r\nfirst\r\n0\r\n\r\n")
        second = sock.recv(65536)
        sock.sendall(b"7\r\n, other\r\n0\r\n\r\n")
        final = sock.recv(65536)
    assert first == b"HTTP/1.1 100 Continue\r\nPhase: 1\r\n\r\n"
    assert second == b"HTTP/1.1 100 Continue\r\nPhase: 2\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert final.endswith(b"first, other")


@pytest.mark.parametrize("header", [("X-Phase", "1\r\nInjected: yes"), ("X-Phase\nInjected", "1")])
def test_continue_headers_cannot_inject_lines(header: tuple[str, str]) -> None:
    """eventlet.wsgi checks its 100-Continue headers too: the client gets a 500, no extra line."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inp = environ["wsgi.input"]
        inp.set_hundred_continue_response_headers([header], capitalize_response_headers=False)
        body = inp.read()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    head = b"PUT / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    with serving(app) as server, server.connect() as sock:
        sock.sendall(head)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")  # no 100 Continue before
    assert b"Injected" not in head
    assert b"ValueError" in body  # the debug traceback says why


def test_eager_app_writes_before_reading_and_no_continue_goes_out_late() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        environ["eventlet.minimum_write_chunk_size"] = 0
        start_response("202 Accepted", [])
        return body(environ)

    def body(environ: dict[str, Any]) -> Iterator[bytes]:
        yield b" "
        data = environ["wsgi.input"].read()
        yield b"got " + data

    head = (
        b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with serving(app) as server, server.connect() as sock:
        sock.sendall(head)
        early = sock.recv(65536)
        sock.sendall(b"4\r\ndata\r\n0\r\n\r\n")
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    assert early.startswith(b"HTTP/1.1 202 Accepted\r\n")
    assert early.endswith(b"\r\n\r\n1\r\n \r\n")
    assert b"100 Continue" not in early + rest
    assert rest == b"8\r\ngot data\r\n0\r\n\r\n"


def test_expect_on_http10_and_no_read_closes() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    body = b"GET /tricksy HTTP/1.1\r\n"
    raw = (
        b"PUT /1 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: %d\r\n\r\n%s"
        b"PUT /2 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n%s"
        b"PUT /3 HTTP/1.0\r\n\r\n"
    ) % (len(body), body, len(body), body)
    with serving(app) as server:
        responses = server.exchange(raw)
    assert [r.body for r in responses] == [b"/1", b"/2"]
    assert [r.getheader("Connection") for r in responses] == ["keep-alive", "close"]


def test_get_socket_and_content_length_can_be_set() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inp = environ["wsgi.input"]
        assert inp.get_socket() is environ["eventlet.input"].get_socket()
        inp.content_length = 8  # hixie-76 websockets read 8 bytes without a Content-Length
        key = inp.read(8)
        start_response("200 OK", [])
        return [key]

    with serving(app) as server:
        data = server.raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n12345678")
    assert data.endswith(b"12345678")


def test_take_buffer_hands_over_what_was_read_past_the_head() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        inp = environ["eventlet.input"]
        sock = inp.get_socket()
        early = inp.take_buffer()
        later = inp.take_buffer()  # nothing more has been read ahead: no waiting either
        sock.sendall(b"early=" + early + b" later=" + later)
        wsgi.WSGI_LOCAL.already_handled = True
        return []

    class Unbuffered(wsgi.HttpProtocol):
        rbufsize = 0

    upgrade = b"GET /ws HTTP/1.1\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"
    with serving(app) as server:
        buffered = server.raw(upgrade + b"^n:ds[4U frames")
    with serving(app, protocol=Unbuffered) as server:
        unbuffered = server.raw(upgrade + b"key")
    assert buffered == b"early=^n:ds[4U frames later="
    assert unbuffered == b"early= later="


def test_websocket_frames_sent_with_the_upgrade_reach_the_handler() -> None:
    import base64
    import os as _os

    from eventlet import websocket

    @websocket.WebSocketWSGI
    def echo(ws: Any) -> None:
        ws.send(ws.wait())

    key = base64.b64encode(_os.urandom(16))
    upgrade = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n"
    )
    mask = b"\x01\x02\x03\x04"
    frame = b"\x81\x82" + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(b"hi"))
    with serving(echo) as server, server.connect() as sock:
        sock.sendall(upgrade + frame)  # one packet: the frame is read ahead with the head
        data = b""
        while b"\x81\x02hi" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    assert data.startswith(b"HTTP/1.1 101 ")

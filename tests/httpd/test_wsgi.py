"""The WSGI pieces of eventlet.httpd: a protocol subclass, ``wsgi.input`` and ``wsgi.file_wrapper``.

(``eventlet.wsgi``, upstream's API, has its own tests: ``test_wsgi_compat_*.py``.)
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eventlet.httpd import ChunkReadError, FileWrapper, HttpProtocol, Input
from tests.httpd._live import exchange, hello_app, live, read_all

StartResponse = Callable[..., Any]
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_protocol_subclass_is_used() -> None:
    made = []

    class Mine(HttpProtocol):
        __slots__ = ()

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append(self)

    with live(hello_app, protocol=Mine) as server:
        exchange(server, GET)
    assert len(made) == 1
    assert "HttpProtocol" in repr(made[0])


# -- wsgi.input --------------------------------------------------------------------------


def input_app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    inp = environ["wsgi.input"]
    op = environ["PATH_INFO"]
    result: Any
    if op == "/readline":
        result = [inp.readline(), inp.readline(3), inp.readline(-1), inp.readline(), inp.readline()]
    elif op == "/readlines":
        result = inp.readlines()
    elif op == "/readlines-hint":
        result = inp.readlines(5)
    elif op == "/iter":
        result = list(inp)
    elif op == "/read-n":
        result = [inp.read(3), inp.read(4), inp.read(100), inp.read(5)]
    elif op == "/read1":
        result = [inp.read1(2), inp.read1(), inp.read1(-1)]
    elif op == "/discard":
        inp.discard(2)
        result = [inp.read(), inp.position]
    elif op == "/misc":
        inp.close()
        result = [inp.readable(), repr(inp).startswith("<Input"), inp.content_length, inp.chunked_input]
    else:
        result = [inp.read(None)]
    body = json.dumps([r.decode("latin-1") if isinstance(r, bytes) else r for r in result])
    start_response("200 OK", [])
    return [body.encode()]


def _post(path: str, body: bytes, chunked: bool = False) -> bytes:
    if chunked:
        framed = b"".join(b"%x\r\n%b\r\n" % (len(c), c) for c in (body[:4], body[4:]) if c) + b"0\r\n\r\n"
        return (
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + framed
        )
    return b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/readline", ["line1\n", "lin", "e2\n", "tail", ""]),
        ("/readlines", ["line1\n", "line2\n", "tail"]),
        ("/readlines-hint", ["line1\n"]),
        ("/iter", ["line1\n", "line2\n", "tail"]),
        ("/read-n", ["lin", "e1\nl", "ine2\ntail", ""]),
        ("/read1", ["li", "ne1\n", "line2\ntail"]),
        ("/discard", ["", 16]),
        ("/all", ["line1\nline2\ntail"]),
    ],
)
def test_input_methods(path: str, expected: list[Any], chunked: bool) -> None:
    body = b"line1\nline2\ntail"
    with live(input_app) as server:
        responses = exchange(server, _post(path, body, chunked))
    got = json.loads(responses[0].body)
    if path == "/read1":  # how much read1 returns depends on how the bytes arrived
        assert "".join(got) == body.decode()
    else:
        assert got == expected


def test_input_misc_and_read_after_request_is_over() -> None:
    kept: list[Input] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if kept:
            stale = kept[0].read()
            start_response("200 OK", [])
            return [b"stale:" + stale]
        kept.append(environ["wsgi.input"])
        return input_app(environ, start_response)

    with live(app) as server:
        responses = exchange(server, _post("/misc", b"abc") + _post("/x", b"zzz"))
    assert json.loads(responses[0].body) == [True, True, 3, False]
    assert responses[1].body == b"stale:"


def test_malformed_chunked_body_read_by_app_gets_400() -> None:
    errors = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        try:
            environ["wsgi.input"].read()
        except ChunkReadError as exc:
            errors.append(exc.status)
            raise
        return hello_app(environ, start_response)  # pragma: no cover

    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    with live(app) as server:
        responses = exchange(server, raw + GET)
    assert errors == [400]
    assert len(responses) == 1
    assert responses[0].status == 400


def test_malformed_chunked_body_after_response_started_closes() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"started"
        environ["wsgi.input"].read()

    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    with live(app) as server, server.connect() as sock:
        sock.sendall(raw + GET)
        data = read_all(sock)
    assert data.count(b"HTTP/1.1") == 1
    assert b"started" in data


def test_app_swallowing_chunk_error_still_closes() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        try:
            environ["wsgi.input"].read()
        except ValueError:
            pass
        return hello_app(environ, start_response)

    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    with live(app) as server:
        responses = exchange(server, raw + GET)
    assert len(responses) == 1
    assert responses[0].status == 200


# -- wsgi.file_wrapper -------------------------------------------------------------------


def file_app(path: str) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        kind = environ["PATH_INFO"]
        headers: list[tuple[str, str]] = []
        if kind == "/bytesio":
            start_response("200 OK", headers)
            return environ["wsgi.file_wrapper"](io.BytesIO(b"in memory"), 4)
        f = open(path, "rb")  # noqa: SIM115 - the server closes it through the wrapper
        if kind == "/offset":
            f.seek(10)
        if kind == "/length":
            headers.append(("Content-Length", "5"))
        if kind == "/too-long":
            headers.append(("Content-Length", str(os.path.getsize(path) + 10)))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](f)

    return app


def test_file_wrapper_sendfile_and_fallbacks(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    data = os.urandom(300_000)
    path = tmp_path / "blob"
    path.write_bytes(data)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with live(file_app(str(path))) as server:
        whole = exchange(server, GET)[0]
        offset = exchange(server, b"GET /offset HTTP/1.1\r\nHost: x\r\n\r\n")[0]
        length = exchange(server, b"GET /length HTTP/1.1\r\nHost: x\r\n\r\n" + GET)
        head = exchange(server, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", ["HEAD"])[0]
        memory = exchange(server, b"GET /bytesio HTTP/1.1\r\nHost: x\r\n\r\n")[0]
        with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), server.connect() as sock:
            sock.sendall(b"GET /too-long HTTP/1.1\r\nHost: x\r\n\r\n" + GET)
            too_long = read_all(sock)
    with live(file_app(str(empty))) as server:
        nothing = exchange(server, GET)[0]
    assert whole.body == data
    assert whole.getheader("Content-Length") == str(len(data))
    assert offset.body == data[10:]
    assert length[0].body == data[:5]
    assert len(length) == 2
    assert head.getheader("Content-Length") == str(len(data))
    assert head.body == b""
    assert memory.body == b"in memory"
    assert nothing.body == b""
    assert nothing.getheader("Content-Length") == "0"
    assert too_long.count(b"HTTP/1.1 200") == 1  # fewer bytes than promised: closed
    assert too_long.endswith(data)


def test_file_wrapper_iterates_and_closes() -> None:
    stream = io.BytesIO(b"abcdefg")
    wrapper = FileWrapper(stream, 3)
    assert list(wrapper) == [b"abc", b"def", b"g"]
    assert wrapper.sendfile_span() is None
    wrapper.close()
    assert stream.closed
    FileWrapper(iter([]), 1).close()  # type: ignore[arg-type]  # no close(): nothing to do


def test_file_wrapper_non_regular_file() -> None:
    r, w = os.pipe()
    with os.fdopen(r, "rb") as reader:
        assert FileWrapper(reader).sendfile_span() is None
    os.close(w)

"""eventlet.httpd.Server: the HTTP/1.1 behaviour of a live server, over raw sockets."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import eventlet
from eventlet.httpd import ALREADY_HANDLED, Server
from tests.httpd._live import HUBS, exchange, hello_app, live, logged, parse_responses, read_all

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
StartResponse = Callable[..., Any]


def _get(path: str = "/", extra: bytes = b"", version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + path.encode() + b" " + version + b"\r\nHost: x\r\n" + extra + b"\r\n"


def _post(body: bytes, path: str = "/", extra: bytes = b"") -> bytes:
    head = b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % len(body)
    return head + extra + b"\r\n" + body


@pytest.mark.parametrize("hub", HUBS)
def test_keepalive_hello_world(hub: str) -> None:
    with live(hello_app, hub) as server:
        responses = exchange(server, GET * 3)
    assert [r.status for r in responses] == [200, 200, 200]
    first = responses[0]
    assert first.body == b"Hello, World!"
    assert first.getheader("Content-Length") == "13"
    assert first.getheader("Server") == "eventlet-httpd"
    date = first.getheader("Date")
    assert date is not None
    assert date.endswith(" GMT")
    assert first.getheader("Connection") is None


def test_http10_closes_unless_keepalive_asked() -> None:
    with live(hello_app) as server:
        plain = exchange(server, _get(version=b"HTTP/1.0") * 2)
        kept = exchange(server, _get(extra=b"Connection: keep-alive\r\n", version=b"HTTP/1.0") * 2)
    assert len(plain) == 1
    assert plain[0].getheader("Connection") == "close"
    assert len(kept) == 2
    assert kept[0].getheader("Connection") == "keep-alive"


def test_connection_close_request() -> None:
    with live(hello_app) as server:
        responses = exchange(server, _get(extra=b"Connection: close\r\n") + GET)
    assert len(responses) == 1
    assert responses[0].getheader("Connection") == "close"


def test_pipelined_responses_in_order() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if environ["PATH_INFO"] == "/slow":
            eventlet.sleep(0.01)
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    raw = _get("/slow") + _post(b"abc", "/b") + _get("/c")
    with live(app) as server:
        responses = exchange(server, raw)
    assert [r.body for r in responses] == [b"/slow", b"/b", b"/c"]


def test_keepalive_disabled_by_option() -> None:
    with live(hello_app, keepalive=False) as server:
        responses = exchange(server, GET * 2)
    assert len(responses) == 1
    assert responses[0].getheader("Connection") == "close"


def echo_body(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def test_chunked_request_body() -> None:
    raw = (
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    with live(echo_body) as server:
        responses = exchange(server, raw + GET)
    assert responses[0].body == b"hello world"
    assert len(responses) == 2


def test_body_arriving_in_pieces() -> None:
    with live(echo_body) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhel")
        sock.sendall(b"lo")
        sock.sendall(b"world")
        sock.shutdown(socket.SHUT_WR)
        responses = parse_responses(read_all(sock))
    assert responses[0].body == b"helloworld"


def test_generator_response_is_chunked_on_http11_and_delimited_on_http10() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes | bytearray]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"one "
        yield b""
        yield bytearray(b"two")

    with live(app) as server:
        with server.connect() as sock:
            sock.sendall(GET)
            sock.shutdown(socket.SHUT_WR)
            raw = read_all(sock)
        http10 = exchange(server, _get(version=b"HTTP/1.0"))
    assert b"Transfer-Encoding: chunked\r\n" in raw
    assert raw.endswith(b"4\r\none \r\n3\r\ntwo\r\n0\r\n\r\n")
    assert http10[0].body == b"one two"
    assert http10[0].getheader("Connection") == "close"
    assert http10[0].getheader("Content-Length") is None


def test_multi_element_list_gets_content_length() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [])
        return [b"a", b"bc", memoryview(b"def")]  # type: ignore[list-item]

    with live(app) as server:
        response = exchange(server, GET)[0]
    assert response.body == b"abcdef"
    assert response.getheader("Content-Length") == "6"


def test_large_list_body_sent_in_parts() -> None:
    part = b"x" * (1 << 17)

    def app(environ: dict[str, Any], start_response: StartResponse) -> tuple[bytes, ...]:
        start_response("200 OK", [])
        return (part, part, part)

    with live(app) as server:
        response = exchange(server, GET)[0]
    assert response.body == part * 3


def test_head_has_no_body_but_length() -> None:
    with live(hello_app) as server:
        responses = exchange(server, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + GET, ["HEAD", "GET"])
    assert responses[0].getheader("Content-Length") == "13"
    assert responses[0].body == b""
    assert responses[1].body == b"Hello, World!"


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
def test_no_body_statuses(status: str) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response(status, [])
        return [b"ignored"]

    with live(app) as server, server.connect() as sock:
        sock.sendall(GET + GET)
        sock.shutdown(socket.SHUT_WR)
        raw = read_all(sock)
    assert b"ignored" not in raw
    assert raw.count(b"HTTP/1.1 " + status[:3].encode()) == 2


def test_generator_head_request_sends_no_body() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"body"

    with live(app) as server, server.connect() as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        raw = read_all(sock)
    assert raw.endswith(b"\r\n\r\n")
    assert b"body" not in raw


def test_expect_100_continue_sent_on_first_read() -> None:
    with live(echo_body) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        interim = sock.recv(100)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"data")
        sock.shutdown(socket.SHUT_WR)
        responses = parse_responses(read_all(sock))
    assert responses[0].body == b"data"


def test_expect_100_continue_not_sent_when_body_unread() -> None:
    with live(hello_app) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        raw = read_all(sock)
    assert b"100 Continue" not in raw
    assert parse_responses(raw)[0].getheader("Connection") == "close"


def test_continue_headers_and_explicit_send() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        inp = environ["wsgi.input"]
        inp.set_hundred_continue_response_headers([("x-hint", "1")])
        inp.send_hundred_continue_response()
        inp.send_hundred_continue_response()  # only once
        start_response("200 OK", [])
        return [inp.read()]

    with live(app) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\nX-Hint: 1\r\n\r\n"
        sock.sendall(b"ok")
        sock.shutdown(socket.SHUT_WR)
        assert parse_responses(read_all(sock))[0].body == b"ok"


@pytest.mark.parametrize(
    "header",
    [
        ("x-hint", "1\r\nInjected: yes"),
        ("x-hint", "1\nInjected: yes"),
        ("x-hint\r\nInjected", "1"),
        ("x-é", "1"),
    ],
)
def test_continue_headers_cannot_inject_lines(header: tuple[str, str]) -> None:
    """A CR/LF in a 100-Continue header fails the application's read: the client gets a 500."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        inp = environ["wsgi.input"]
        inp.set_hundred_continue_response_headers([header], capitalize_response_headers=False)
        body = inp.read()  # sends the 100 Continue: raises ValueError
        start_response("200 OK", [])
        return [body]

    with live(app) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        raw = read_all(sock)
    assert b"Injected" not in raw
    assert b"100 Continue" not in raw
    (response,) = parse_responses(raw)
    assert response.status == 500
    assert response.getheader("Connection") == "close"


def test_unread_body_is_drained_before_next_request() -> None:
    raw = _post(b"x" * 100_000) + GET
    chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    with live(hello_app) as server:
        responses = exchange(server, raw)
        after_chunked = exchange(server, chunked + GET)
    assert [r.status for r in responses] == [200, 200]
    assert len(after_chunked) == 2


def test_unread_body_beyond_drain_limit_closes() -> None:
    with live(hello_app, max_drain=10) as server:
        big = exchange(server, _post(b"x" * 100) + GET)
        chunked = exchange(
            server,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"10\r\n"
            + b"y" * 16
            + b"\r\n"
            + GET,
        )
    assert len(big) == 1
    assert big[0].getheader("Connection") == "close"
    assert len(chunked) == 1  # the chunked body never ended: closed after the response


def test_server_rejects_malformed_request_without_calling_app() -> None:
    calls = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        return hello_app(environ, start_response)

    with live(app) as server:
        responses = exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
    assert responses[0].status == 400
    assert responses[0].getheader("Connection") == "close"
    assert calls == []


def test_client_closing_mid_head_and_mid_body() -> None:
    seen = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        try:
            environ["wsgi.input"].read()
        except ConnectionError as exc:
            seen.append(type(exc).__name__)
            raise
        return hello_app(environ, start_response)

    with live(app) as server:
        assert exchange(server, b"GET / HTTP/1.1\r\nHo") == []
        assert exchange(server, _post(b"abc")[:-1]) == []
        assert exchange(server, b"") == []
    assert seen == ["ClientDisconnected"]


def test_app_exception_gives_500_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"):
        with live(app) as server:
            quiet = exchange(server, GET + GET)
        with live(app, debug=True) as server:
            loud = exchange(server, GET)
    assert len(quiet) == 1
    assert quiet[0].status == 500
    assert quiet[0].getheader("Connection") == "close"
    assert b"Traceback" not in quiet[0].body
    assert b"ValueError: boom" in loud[0].body
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)


def test_exception_after_response_started_cuts_connection(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"partial"
        raise RuntimeError("late")

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"):
        with live(app) as server, server.connect() as sock:
            sock.sendall(GET + GET)
            raw = read_all(sock)
    assert raw.count(b"HTTP/1.1") == 1
    assert raw.endswith(b"7\r\npartial\r\n")  # no terminating chunk
    assert any("late" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_app_errors_in_start_response_usage(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[Any]:
        path = environ["PATH_INFO"]
        if path == "/twice":
            start_response("200 OK", [])
            start_response("200 OK", [])
        elif path == "/status":
            start_response(200, [])
        elif path == "/header":
            start_response("200 OK", [("Bad\r\nName", "v")])
        elif path == "/str":
            start_response("200 OK", [])
            return ["text"]
        elif path == "/write-early":
            start_response.__self__.write(b"x")  # type: ignore[attr-defined]
        return []

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(app) as server:
        for path in ("/twice", "/status", "/header", "/str", "/nothing", "/write-early"):
            response = exchange(server, _get(path))[0]
            assert response.status == 500, path


def test_exc_info_replaces_headers_before_sending() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("X-A", "1")])
        try:
            raise KeyError("x")
        except KeyError:
            import sys

            start_response("503 Service Unavailable", [("X-B", "2")], sys.exc_info())
        return [b"sorry"]

    with live(app) as server:
        response = exchange(server, GET)[0]
    assert response.status == 503
    assert response.getheader("X-A") is None
    assert response.getheader("X-B") == "2"


def test_exc_info_after_head_sent_reraises(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        write = start_response("200 OK", [])
        write(b"started")
        try:
            raise KeyError("late")
        except KeyError:
            import sys

            start_response("500 Oops", [], sys.exc_info())
        yield b"never"

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"):
        with live(app) as server, server.connect() as sock:
            sock.sendall(GET)
            raw = read_all(sock)
    assert b"started" in raw
    assert b"never" not in raw


def test_write_callable() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", [("Content-Length", "11")])
        write(b"hello ")
        write(b"world")
        return []

    with live(app) as server:
        responses = exchange(server, GET + GET)
    assert [r.body for r in responses] == [b"hello world"] * 2


def test_content_length_mismatches_close_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        path = environ["PATH_INFO"]
        if path == "/short":
            start_response("200 OK", [("Content-Length", "10")])
            return [b"12345"]
        if path == "/long":
            start_response("200 OK", [("Content-Length", "3")])
            return iter([b"12", b"345"])
        if path == "/long-list":
            start_response("200 OK", [("Content-Length", "2")])
            return [b"12345"]
        write = start_response("200 OK", [("Content-Length", "1")])
        write(b"xy")
        return []

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(app) as server:
        for path, expected in [("/short", b"12345"), ("/long", b"123"), ("/long-list", b"12")]:
            with server.connect() as sock:
                sock.sendall(_get(path) + GET)
                raw = read_all(sock)
            assert raw.count(b"HTTP/1.1 200") == 1, path
            assert raw.endswith(b"\r\n\r\n" + expected), path
        with server.connect() as sock:
            sock.sendall(_get("/write") + GET)
            assert read_all(sock).endswith(b"\r\n\r\nx")


def test_response_close_is_called_and_its_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    closed = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"body"

        def close(self) -> None:
            closed.append(True)
            raise OSError("close failed")

    def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
        start_response("200 OK", [])
        return Body()

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(app) as server:
        assert exchange(server, GET)[0].body == b"body"
    assert closed == [True]
    assert any("close()" in r.getMessage() for r in caplog.records)


def test_minimum_chunk_size_buffers_small_chunks() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield from (b"ab", b"cd", b"ef", b"g")

    with live(app, minimum_chunk_size=4) as server, server.connect() as sock:
        sock.sendall(GET)
        sock.shutdown(socket.SHUT_WR)
        raw = read_all(sock)
    assert raw.endswith(b"4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n")

    def small(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield from (b"ab", b"c")

    with live(small, minimum_chunk_size=100) as server:
        response = exchange(server, GET)[0]
    assert response.getheader("Content-Length") == "3"
    assert response.body == b"abc"


def test_capitalized_response_headers() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("x-custom-thing", "1"), ("content-type", "text/plain")])
        return [b""]

    with live(app, capitalize_response_headers=True) as server, server.connect() as sock:
        sock.sendall(GET + GET)
        sock.shutdown(socket.SHUT_WR)
        raw = read_all(sock)
    assert raw.count(b"X-Custom-Thing: 1\r\n") == 2
    assert b"Content-Type: text/plain" in raw


def test_environ_contents() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        seen.update(environ)
        return hello_app(environ, start_response)

    raw = (
        b"POST /a%20b/%E2%82%AC?q=1&r=%20 HTTP/1.1\r\nHost: example.com\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 0\r\nX-Multi: 1\r\nX-Multi: 2\r\n"
        b"Cookie: a=1\r\nCookie: b=2\r\nX_Under: dropped\r\n\r\n"
    )
    with live(app, environ={"custom.key": "yes"}) as server:
        exchange(server, raw)
        port = server.port
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/a b/\xe2\x82\xac"
    assert seen["RAW_PATH_INFO"] == "/a%20b/%E2%82%AC"
    assert seen["QUERY_STRING"] == "q=1&r=%20"
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert seen["SERVER_NAME"] == "127.0.0.1"
    assert seen["SERVER_PORT"] == str(port)
    assert seen["REMOTE_ADDR"] == "127.0.0.1"
    assert seen["REMOTE_PORT"].isdigit()
    assert seen["CONTENT_TYPE"] == "text/plain"
    assert seen["CONTENT_LENGTH"] == "0"
    assert seen["HTTP_X_MULTI"] == "1, 2"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert "HTTP_X_UNDER" not in seen
    assert seen["HTTP_HOST"] == "example.com"
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["wsgi.version"] == (1, 0)
    assert seen["wsgi.input_terminated"] is True
    assert seen["wsgi.input"] is seen["eventlet.input"]
    assert seen["custom.key"] == "yes"
    assert seen["SCRIPT_NAME"] == ""


def test_posthooks_run_after_response(caplog: pytest.LogCaptureFixture) -> None:
    ran = []

    def hook(environ: dict[str, Any], tag: str, *, extra: int) -> None:
        ran.append((environ["PATH_INFO"], tag, extra))
        raise RuntimeError("hook failed")

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        environ["eventlet.posthooks"].append((hook, ("t",), {"extra": 1}))
        return hello_app(environ, start_response)

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(app) as server:
        exchange(server, GET)
    assert ran == [("/", "t", 1)]
    assert any("posthooks" in r.getMessage() for r in caplog.records)


def test_get_socket_and_already_handled() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        sock = environ["eventlet.input"].get_socket()
        sock.sendall(b"RAW REPLY")
        return ALREADY_HANDLED

    with live(app) as server, server.connect() as sock:
        sock.sendall(GET + GET)
        assert read_all(sock) == b"RAW REPLY"
    assert list(ALREADY_HANDLED) == []
    assert repr(ALREADY_HANDLED) == "ALREADY_HANDLED"


def test_hijacked_app_failure_is_logged_not_answered(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        environ["eventlet.input"].get_socket()
        raise RuntimeError("after hijack")

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(app) as server:
        with server.connect() as sock:
            sock.sendall(GET)
            assert read_all(sock) == b""
    assert any("taking the socket" in r.getMessage() for r in caplog.records)


def test_client_gone_mid_response_is_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        for _ in range(200):
            yield b"x" * 65536
            eventlet.sleep(0)

    with (
        caplog.at_level(logging.DEBUG, "eventlet.httpd.error"),
        logged("eventlet.httpd.error", "went away") as gone,
        live(app) as server,
    ):
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(GET)
        sock.recv(100)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
        # a second request proves the server is fine; the first ended quietly
        assert exchange(server, _get(extra=b"Connection: close\r\n"))
        assert gone.wait(10)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert any("went away" in r.getMessage() for r in caplog.records)


def test_server_properties_and_sock_argument() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(10)
    with live(hello_app, sock=listener) as server:
        assert server.server is not None
        assert server.server.address == listener.getsockname()
        assert server.server.connections == 0
        assert exchange(server, GET)[0].status == 200
    listener.close()


def test_server_option_validation() -> None:
    with pytest.raises(ValueError, match="max_connections must be at least 1"):
        Server(hello_app, port=0, max_connections=0)
    with pytest.raises(ValueError, match="header_timeout must be positive"):
        Server(hello_app, port=0, header_timeout=0)
    with pytest.raises(TypeError):
        Server(hello_app, port=0, access_log=42)


def test_ipv6_listener() -> None:
    if not socket.has_ipv6:  # pragma: no cover
        pytest.skip("no IPv6")
    try:
        server = Server(hello_app, "::1", 0, access_log=False)
    except OSError:  # pragma: no cover - IPv6 disabled in this sandbox
        pytest.skip("cannot bind ::1")
    assert server.address[0] == "::1"
    server.stop(0)


def test_unix_socket_listener(tmp_path: Any) -> None:
    path = str(tmp_path / "s.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(5)
    seen = {}

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        seen.update(environ)
        return hello_app(environ, start_response)

    with live(app, sock=listener):
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            client.sendall(GET)
            client.shutdown(socket.SHUT_WR)
            assert parse_responses(read_all(client))[0].status == 200
    listener.close()
    assert seen["SERVER_NAME"] == "localhost"
    assert seen["REMOTE_ADDR"] == ""

"""``eventlet.wsgi``: reading requests: the environ, strict parsing, upstream's error answers, keep-alive."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from eventlet import wsgi
from tests.httpd._compat import GET, head_lines, hello, serving
from tests.httpd._live import read_all

SIMPLE = (str, int, float, bool, tuple, type(None))


def environ_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with the environ's plain values as JSON."""
    body = json.dumps({k: v for k, v in environ.items() if isinstance(v, SIMPLE)}, default=list)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode("latin-1")]


def environ_of(server: Any, raw: bytes) -> dict[str, Any]:
    response = server.exchange(raw)[0]
    assert response.status == 200, response.body
    result: dict[str, Any] = json.loads(response.body)
    return result


def test_environ_keys_and_values() -> None:
    raw = (
        b"POST /a%20b/c?x=1&y=%41 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n"
        b"Content-Length: 0\r\nCookie: a=1\r\nCookie: b=2\r\nX_Under: no\r\nx-trail:  v \t\r\n\r\n"
    )
    with serving(environ_app, environ={"custom": "yes"}) as server:
        env = environ_of(server, raw)
        port = server.port
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/a b/c"
    assert env["RAW_PATH_INFO"] == "/a%20b/c"
    assert env["QUERY_STRING"] == "x=1&y=%41"
    assert env["CONTENT_TYPE"] == "text/plain"  # upstream's default without Content-Type
    assert env["CONTENT_LENGTH"] == "0"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"  # the client's (upstream always said HTTP/1.0)
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("127.0.0.1", str(port))
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert int(env["REMOTE_PORT"]) > 0
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["HTTP_HOST"] == "example.com"
    assert env["HTTP_USER_AGENT"] == "t"
    assert env["HTTP_COOKIE"] == "a=1,b=2"  # repeated headers joined with ",", as upstream
    assert env["HTTP_X_TRAIL"] == "v"
    assert "HTTP_X_UNDER" not in env  # names with "_" are left out (spoofing)
    assert env["headers_raw"] == [
        ["Host", "example.com"],
        ["User-Agent", "t"],
        ["Content-Length", "0"],
        ["Cookie", "a=1"],
        ["Cookie", "b=2"],
        ["X_Under", "no"],
        ["x-trail", "v"],
    ]
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.version"] == [1, 0]
    assert env["wsgi.multithread"] is True
    assert env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["custom"] == "yes"
    assert "HTTPS" not in env
    assert "HTTP_CONTENT_LENGTH" not in env


def test_environ_without_query_host_or_body() -> None:
    with serving(environ_app) as server:
        env = environ_of(server, b"GET //evil.example/x HTTP/1.0\r\nContent-Type: a/b\r\n\r\n")
    assert "QUERY_STRING" not in env
    assert "CONTENT_LENGTH" not in env
    assert "HTTP_HOST" not in env
    assert env["PATH_INFO"] == "/evil.example/x"  # leading "//" collapsed, as the standard library
    assert env["CONTENT_TYPE"] == "a/b"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.0"


def test_path_info_is_latin1_decoded() -> None:
    with serving(environ_app) as server:
        env = environ_of(server, b"GET /%E4%BD%A0?q HTTP/1.1\r\n\r\n")
    assert env["PATH_INFO"] == "/\xe4\xbd\xa0"
    assert env["QUERY_STRING"] == "q"


def test_http11_without_host_is_served() -> None:
    with serving(hello) as server:
        responses = server.exchange(b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
    assert [r.status for r in responses] == [200, 200]


def test_extra_environ_keys_colliding_with_headers_are_joined() -> None:
    with serving(environ_app, environ={"HTTP_X_A": "server"}) as server:
        env = environ_of(server, b"GET / HTTP/1.1\r\nX-A: client\r\n\r\n")
    assert env["HTTP_X_A"] == "server,client"


def test_too_long_request_line_gets_414() -> None:
    with serving(hello, url_length_limit=100) as server:
        data = server.raw(b"GET /" + b"a" * 200 + b" HTTP/1.1\r\n\r\n")
        ok = server.exchange(b"GET /" + b"a" * 80 + b" HTTP/1.1\r\n\r\n")
    assert data == wsgi.RESPONSE_414
    assert ok[0].status == 200


def test_header_limits_get_upstreams_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(hello) as server:
        long_line = server.raw(b"GET / HTTP/1.0\r\nLong: " + b"a" * 10000 + b"\r\n\r\n")
        large = server.raw(b"GET / HTTP/1.0\r\n" + (b"Name: " + b"a" * 7000 + b"\r\n") * 20 + b"\r\n")
        monkeypatch.setattr(wsgi, "MAX_HEADER_LINE", 64)  # read when used, as upstream's
        short_limit = server.raw(b"GET / HTTP/1.0\r\nX: " + b"c" * 70 + b"\r\n\r\n")
        fits = server.exchange(b"GET / HTTP/1.0\r\nX: " + b"c" * 50 + b"\r\n\r\n")
    assert long_line.startswith(b"HTTP/1.0 400 Header Line Too Long\r\nConnection: close\r\n")
    assert large.startswith(b"HTTP/1.0 400 Headers Too Large\r\n")
    assert short_limit.startswith(b"HTTP/1.0 400 Header Line Too Long\r\n")
    assert fits[0].status == 200


def test_header_lines_read_one_by_one_when_the_head_arrives_in_pieces() -> None:
    with serving(environ_app) as server, server.connect() as sock:
        for piece in (b"GET / HTTP/1.1\r\n", b"A: 1\r\n", b"B: 2\r\n", b"\r\n"):
            sock.sendall(piece)
            server.turns()  # read: the server waits for the next piece
        sock.shutdown(socket.SHUT_WR)
        data = read_all(sock)
    assert b'"HTTP_A": "1"' in data
    assert b'"HTTP_B": "2"' in data


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET / HTTP/1.1\nHost: x\n\n", b"400"),  # bare LF request line
        (b"GET / HTTP/1.1\r\nHost: x\n\n", b"400"),  # bare LF ending the head
        (b"GET / HTTP/1.1\r\nA: 1\nB: 2\r\n\r\n", b"400"),  # bare LF inside
        (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", b"400"),  # obs-fold
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", b"400"),  # space before the colon
        (b"GET / HTTP/1.1\r\nA: \x01\r\n\r\n", b"400"),  # control character
        (b"GET  / HTTP/1.1\r\n\r\n", b"400"),  # two spaces
        (b"GET /\r\n\r\n", b"400"),  # HTTP/0.9
        (b"GET / HTTP/2.0\r\n\r\n", b"505"),
        (b"GET / HTTP/1.2\r\n\r\n", b"505"),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", b"501"),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n", b"431"),
    ],
)
def test_malformed_requests_are_refused(raw: bytes, status: bytes) -> None:
    with serving(hello) as server:
        data = server.raw(raw + GET)
    assert data.startswith(b"HTTP/1.1 " + status + b" ")
    assert b"hello world" not in data
    assert b"Connection: close" in data  # nothing after it


def test_truncated_request_line_gets_400_and_truncated_head_nothing() -> None:
    with serving(hello) as server:
        truncated_line = server.raw(b"GET / HTTP/1.1")
        truncated_head = server.raw(b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert truncated_line.startswith(b"HTTP/1.1 400 incomplete request line\r\n")
    assert truncated_head == b""


@pytest.mark.parametrize("value", [b"argh", b"", b" ", b"-10", b"+5", b"1_0", b"5, 6", b"0x5"])
def test_bad_content_length_gets_upstreams_400(value: bytes) -> None:
    with serving(hello) as server:
        data = server.raw(b"GET / HTTP/1.1\r\nContent-length: " + value + b"\r\n\r\n" + GET)
    assert data == b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-length: 0\r\n\r\n"


def test_repeated_equal_content_lengths_are_one() -> None:
    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    with serving(echo) as server:
        responses = server.exchange(
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc"
        )
    assert responses[0].body == b"abc"


def test_length_and_chunked_together_refused_unless_the_protocol_allows() -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n3\r\nabc\r\n0\r\n\r\n"

    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    with serving(echo) as server:
        refused = server.raw(raw + GET)
    message = b"Content-Length and Transfer-Encoding are not allowed together\n"
    assert refused == (
        b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
        % (len(message), message)
    )

    class Legacy(wsgi.HttpProtocol):
        reject_bad_requests = False

    with serving(echo, protocol=Legacy) as server:
        data = server.raw(raw + GET)
    assert data.count(b"HTTP/1.1 200 OK") == 1  # served as chunked, then closed
    assert data.endswith(b"\r\n\r\nabc")
    assert b"Connection: close" in data


def test_chunked_http10_request_is_read_then_the_connection_closed() -> None:
    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    with serving(echo) as server:
        data = server.raw(
            b"PUT / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"3\r\nabc\r\n0\r\n\r\n"
            + GET
        )
    assert data.count(b"200 OK") == 1
    assert data.endswith(b"abc")
    assert b"Connection: close" in data


def test_keep_alive_rules() -> None:
    with serving(hello) as server:
        http11 = server.raw(GET + GET)
        http11_close = server.raw(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + GET)
        http10 = server.raw(b"GET / HTTP/1.0\r\n\r\n" + GET)
        http10_keep = server.raw(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" * 2)
    assert http11.count(b"200 OK") == 2
    assert b"Connection" not in http11
    assert http11_close.count(b"200 OK") == 1
    assert b"Connection: close" in http11_close
    assert http10.count(b"200 OK") == 1
    assert b"Connection: close" in http10
    assert http10_keep.count(b"200 OK") == 2
    assert http10_keep.count(b"Connection: keep-alive") == 2


@pytest.mark.parametrize("keepalive", [False, 0])
def test_keepalive_off_closes_after_one_response(keepalive: Any) -> None:
    with serving(hello, keepalive=keepalive) as server:
        data = server.raw(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET)
    assert data.count(b"200 OK") == 1
    assert b"Connection: close" in data


def test_keepalive_seconds_is_the_idle_timeout_and_is_announced() -> None:
    with serving(hello, keepalive=2.5, socket_timeout=5) as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")
        first = sock.recv(65536)
    assert b"Connection: keep-alive\r\n" in first
    assert b"Keep-Alive: timeout=2\r\n" in first
    with serving(hello, keepalive=0.1, socket_timeout=5) as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(0.2)  # within socket_timeout: only the request line is under the keepalive timeout
        sock.sendall(b"Host: x\r\n\r\n")
        first = sock.recv(65536)
        time.sleep(0.3)  # now idle past the keep-alive timeout
        sock.sendall(GET)
        rest = read_all(sock)
    assert b"200 OK" in first
    assert b"Keep-Alive" not in first
    assert rest == b""
    assert "timed out" in server.log_text


def test_socket_timeout_closes_a_slow_client() -> None:
    with serving(hello, socket_timeout=0.1) as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(0.3)
        assert read_all(sock) == b""
    assert "timed out" in server.log_text


def test_max_http_version_10() -> None:
    with serving(hello, max_http_version="HTTP/1.0") as server:
        data = server.raw(GET + GET)
    assert data.startswith(b"HTTP/1.0 200 OK\r\n")
    assert data.count(b"200 OK") == 1
    assert b"Connection: close" in data
    assert b"Transfer-Encoding" not in data


def test_reset_by_peer_ends_the_connection_quietly() -> None:
    with serving(hello) as server:
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.sendall(b"GET / HT")
        server.turns()  # the server has the truncated request line
        sock.close()  # RST
        server.turns()  # and has seen the reset
        assert server.exchange(GET)[0].status == 200
    # A reset reads as the end of the connection (the truncated request line gets its 400,
    # which goes nowhere), or is logged as "connection reset by peer" where the socket reports
    # it: never a traceback, and the server goes on.
    assert "Traceback" not in server.log_text


def test_head_lines_helper() -> None:
    assert head_lines(b"A\r\nB\r\n\r\nbody") == [b"A", b"B"]


def test_repeated_special_headers_first_one_counts() -> None:
    raw = (
        b"GET / HTTP/1.1\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nConnection: keep-alive\r\n"
        b"Connection: close\r\nExpect: foo\r\nExpect: 100-continue\r\n\r\n"
    )
    with serving(environ_app) as server:
        responses = server.exchange(raw + GET)
    env = json.loads(responses[0].body)
    assert env["CONTENT_TYPE"] == "a/b"
    assert env["HTTP_CONNECTION"] == "keep-alive,close"
    assert env["HTTP_EXPECT"] == "foo,100-continue"
    assert len(responses) == 2  # "Connection: keep-alive" came first; no 100 Continue expected


def test_bare_lf_ending_a_head_that_arrives_in_pieces() -> None:
    with serving(hello) as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nA: 1\r\n")
        server.turns()  # the server has the first lines and waits for more
        sock.sendall(b"\n")
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 400 line ending without CR (bare LF)")

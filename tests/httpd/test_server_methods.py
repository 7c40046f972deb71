"""HEAD and CONNECT on the live server: no body after HEAD, no HTTP after a CONNECT tunnel opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.httpd._live import live, read_all

StartResponse = Callable[..., Any]
TUNNEL = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"  # tunnel bytes that look like HTTP


def proxy_app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    if environ["REQUEST_METHOD"] == "CONNECT":
        if environ["PATH_INFO"] == "denied.example:443":
            start_response("403 Forbidden", [("Content-Length", "2")])
            return [b"no"]
        start_response("200 Connection Established", [])
        return []
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


def test_connect_2xx_stops_http_parsing() -> None:
    # Regression: after "200" to CONNECT the server kept parsing the tunnel as HTTP.
    with live(proxy_app) as server, server.connect() as sock:
        sock.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" + TUNNEL)
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 200 Connection Established\r\n")
    assert data.endswith(b"\r\n\r\n")
    assert data.count(b"HTTP/1.1") == 1
    assert b"/smuggled" not in data
    assert b"Connection:" not in data


def test_connect_refused_keeps_the_connection() -> None:
    with live(proxy_app) as server, server.connect() as sock:
        sock.sendall(
            b"CONNECT denied.example:443 HTTP/1.1\r\nHost: denied.example:443\r\n\r\n"
            b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert data.endswith(b"\r\n\r\n/next")


def test_rejected_head_request_gets_no_body() -> None:
    # Regression: error responses carried a body even when answering HEAD.
    with live(proxy_app) as server:
        for method in (b"HEAD", b"GET"):
            with server.connect() as sock:
                sock.sendall(method + b" / HTTP/1.1\r\nHost: bad host\r\n\r\n")
                data = read_all(sock)
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 ")
            assert b"Content-Length: " in head
            assert (body == b"") == (method == b"HEAD")


def test_head_request_with_a_failing_app_gets_no_body() -> None:
    def failing(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        raise RuntimeError("boom (expected by the test)")

    with live(failing) as server:
        for method in (b"HEAD", b"GET"):
            with server.connect() as sock:
                sock.sendall(method + b" / HTTP/1.1\r\nHost: x\r\n\r\n")
                data = read_all(sock)
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 500 ")
            assert (body == b"") == (method == b"HEAD")


def test_bad_chunked_body_of_a_head_request_gets_no_body() -> None:
    def reader(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [b"unreachable"]

    with live(reader) as server:
        for method in (b"HEAD", b"POST"):
            with server.connect() as sock:
                sock.sendall(method + b" / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                data = read_all(sock)
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 ")
            assert (body == b"") == (method == b"HEAD")

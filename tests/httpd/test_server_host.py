"""eventlet.httpd's ``require_host`` option: HTTP/1.1 without ``Host`` is a 400 unless relaxed."""

from __future__ import annotations

from tests.httpd._live import exchange, hello_app, live

NO_HOST = b"GET / HTTP/1.1\r\n\r\n"


def test_http11_without_host_is_refused_by_default() -> None:
    with live(hello_app) as server:
        responses = exchange(server, NO_HOST + b"GET / HTTP/1.0\r\n\r\n")
    assert [r.status for r in responses] == [400]
    assert responses[0].body == b"400 Bad Request: HTTP/1.1 request without Host\n"


def test_require_host_false_serves_it() -> None:
    with live(hello_app, require_host=False) as server:
        responses = exchange(server, NO_HOST + NO_HOST + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert server.server is not None
        assert server.server.require_host is False
    assert [r.status for r in responses] == [200, 200, 200]
    assert all(r.body == b"Hello, World!" for r in responses)

"""Green copies made by import_patched: socketserver, http.client, http.server, urllib.request."""

from __future__ import annotations

import http.client as std_client
import socketserver as std_socketserver
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import eventlet
from eventlet.green import http, socket, socketserver
from eventlet.green.http import client, server
from eventlet.green.urllib import error, parse, request, response


class EchoHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline()
        self.wfile.write(b"echo:" + line)


def test_socketserver_copy_is_green_and_private() -> None:
    # ``socket``: the module each copy imported, not in the stubs
    assert socketserver.socket is socket  # type: ignore[attr-defined]
    assert socketserver.TCPServer is not std_socketserver.TCPServer
    assert std_socketserver.socket is not socket  # type: ignore[attr-defined]
    assert "ThreadingTCPServer" in socketserver.__all__


def test_threading_tcp_server_serves_clients_concurrently() -> None:
    threads_before = threading.active_count()  # (the resolver's worker threads may be running)
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EchoHandler)
    srv.daemon_threads = True
    runner = eventlet.spawn(srv.serve_forever, 0.01)
    try:
        clients = [socket.create_connection(srv.server_address) for _ in range(3)]
        for index, conn in enumerate(clients):
            conn.sendall(b"%d\n" % index)
        replies = [conn.makefile("rb").readline() for conn in clients]
        assert replies == [b"echo:0\n", b"echo:1\n", b"echo:2\n"]
        for conn in clients:
            conn.close()
    finally:
        srv.shutdown()
        srv.server_close()
        runner.wait()
    assert threading.active_count() == threads_before  # no OS thread was started


@pytest.fixture
def http_server() -> Iterator[tuple[str, int]]:
    class Handler(server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"path={self.path}".encode()
            self.send_response(200 if self.path != "/missing" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    srv = server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    runner = eventlet.spawn(srv.serve_forever, 0.01)
    yield "127.0.0.1", srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    runner.wait()


def test_http_client_and_server(http_server: tuple[str, int]) -> None:
    host, port = http_server
    conn = client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", "/hello")
    reply = conn.getresponse()
    assert reply.status == 200
    assert reply.read() == b"path=/hello"
    assert isinstance(reply.msg, std_client.HTTPMessage)
    conn.close()
    assert client.socket is socket  # type: ignore[attr-defined]  # imported
    assert server.socket is socket  # type: ignore[attr-defined]
    assert client.HTTPException is std_client.HTTPException


def test_http_client_errors_are_the_standard_ones() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer_garbage() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"garbage\r\n\r\n")
        conn.close()

    eventlet.spawn(answer_garbage)
    host, port = listener.getsockname()
    conn = client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", "/")
    with pytest.raises(std_client.BadStatusLine):
        conn.getresponse()
    conn.close()
    listener.close()


def test_urllib_request(http_server: tuple[str, int]) -> None:
    host, port = http_server
    with request.urlopen(f"http://{host}:{port}/page", timeout=5) as reply:
        assert reply.read() == b"path=/page"
    with pytest.raises(error.HTTPError) as info:
        request.urlopen(f"http://{host}:{port}/missing", timeout=5)
    assert info.value.code == 404
    info.value.close()
    assert request.http is http  # type: ignore[attr-defined]
    assert http.client is client
    assert request.ftplib.socket is socket  # type: ignore[attr-defined]  # the module the copy imported
    assert parse.quote("a b") == "a%20b"
    assert response.addinfourl is not None


def test_http_package_names() -> None:
    assert http.HTTPStatus.OK == 200  # type: ignore[comparison-overlap]  # an IntEnum equals its value
    assert "HTTPStatus" in http.__all__


def test_copies_leave_the_standard_modules_alone() -> None:
    import http.server as std_server
    import urllib.request as std_request

    assert sys.modules["http.client"] is std_client
    # the modules each one imported, not in the stubs
    assert std_server.socketserver is std_socketserver  # type: ignore[attr-defined]
    assert std_request.http.client is std_client  # type: ignore[attr-defined]
    assert "eventlet" not in repr(std_request.urlopen.__globals__["socket"])

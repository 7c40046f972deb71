# pyright: strict
"""A user of eventlet-httpd, eventlet-processes and eventlet-ssl."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Iterator
from typing import Any, assert_type

import eventlet
from eventlet import websocket, wsgi
from eventlet.green import subprocess
from eventlet.greenthread import GreenThread
from eventlet.httpd import Server, WebSocket, WebSocketWSGI, serve
from eventlet.processes import AsyncResult, Process, ProcessPool


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def echo(ws: WebSocket) -> None:
    for message in ws:
        assert_type(message, str | bytes)
        ws.send(message)


def http() -> None:
    server = Server(app, "127.0.0.1", 0, keepalive_timeout=5.0)
    thread = server.start()
    assert_type(thread, GreenThread[None])
    server.stop(timeout=1)
    serve(WebSocketWSGI(echo), port=0)
    wsgi.server(eventlet.listen(("127.0.0.1", 0)), app, max_size=10)

    @websocket.WebSocketWSGI
    def legacy(ws: websocket.WebSocket) -> None:
        ws.send("hi")

    wsgi.server(eventlet.listen(("127.0.0.1", 0)), legacy)


def square(n: int) -> int:
    return n * n


def processes() -> None:
    with ProcessPool(2) as pool:
        assert_type(pool.apply(square, (3,)), int)
        pending = pool.apply_async(square, (4,), callback=lambda result: print(result + 1))
        assert_type(pending, AsyncResult[int])
        assert_type(pending.get(timeout=5), int)
        assert_type(pool.map(square, range(10)), list[int])
        assert_type(pool.imap(square, [1, 2]), Iterator[int])
        assert_type(pool.starmap(square, [(7,)]), list[int])
    with Process(["echo", "hi"]) as proc:
        out, _err = proc.communicate()
        print(out)
        assert_type(proc.wait(), int)
    done = subprocess.run(["true"], check=True)
    assert_type(done.returncode, int)


def tls() -> None:
    import eventlet.ssl

    context = eventlet.ssl.create_default_context(cafile="ca.pem")
    sock = eventlet.ssl.wrap_socket(eventlet.connect(("127.0.0.1", 443)), context, server_hostname="x")
    sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
    assert_type(sock.recv(1024), bytes)
    wrapped = eventlet.wrap_ssl(eventlet.connect(("127.0.0.1", 443)))
    wrapped.close()
    stdlib_context = ssl.create_default_context()
    eventlet.ssl.wrap_socket(eventlet.connect(("127.0.0.1", 443)), stdlib_context).close()

# pyright: strict
"""Mistakes in using eventlet-httpd, eventlet-processes and eventlet-ssl that both type checkers
must reject (see bad_core.py for the rule)."""

from __future__ import annotations

import eventlet
import eventlet.ssl
from eventlet import wsgi
from eventlet.httpd import Server, WebSocketWSGI, serve
from eventlet.processes import ProcessPool


def square(n: int) -> int:
    return n * n


def not_an_app(environ: dict[str, object]) -> list[bytes]:
    return []


def mistakes() -> None:
    wsgi.server(eventlet.listen(("127.0.0.1", 0)), not_an_app)  # expect-error
    wsgi.server(("127.0.0.1", 0), WebSocketWSGI(print))  # expect-error
    Server(not_an_app)  # expect-error
    serve(not_an_app)  # expect-error
    Server(WebSocketWSGI(print), port="80")  # expect-error
    pool = ProcessPool(2)
    pool.map(square, ["x"])  # expect-error
    words: list[str] = pool.map(square, [1])  # expect-error
    text: str = pool.apply(square, (1,))  # expect-error
    pool.apply_async(square, (1,), callback=lambda result: result.upper())  # expect-error
    eventlet.ssl.wrap_socket(12)  # expect-error
    eventlet.ssl.create_default_context(cafile=1)  # expect-error

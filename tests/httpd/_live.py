"""Helpers for the live-server tests: a server in its own OS thread, raw HTTP client bits.

The server runs with its own hub in a background thread, so tests can use ordinary blocking
clients (raw sockets, http.client, requests, urllib3, curl, websockets' sync client) from
the test's thread.  Applications run in the server's thread: they may use green calls.
"""

from __future__ import annotations

import http.client
import importlib
import io
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventlet import hubs
from eventlet.httpd import Server

HUBS = ["epolls", "poll", "selects", "asyncio"]


class LiveServer:
    """An :class:`eventlet.httpd.Server` running in a daemon thread."""

    def __init__(self, app: Callable[..., Any], hub: str | None = None, **options: Any) -> None:
        options.setdefault("access_log", False)
        options.setdefault("port", 0)
        self.app = app
        self.hub_name = hub
        self.options = options
        self.server: Server | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="live-server")

    def _run(self) -> None:
        try:
            if self.hub_name is not None:
                module = importlib.import_module(f"eventlet.hubs.{self.hub_name}")
                hubs.set_hub(module.Hub())
            self.server = Server(self.app, **self.options)
        except BaseException as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self.server.serve_forever()
        except BaseException as exc:  # pragma: no cover - reported by stop()
            self.error = exc
        finally:
            hub = hubs._hub_if_exists()
            if hub is not None and not hub.running:
                hubs.set_hub(None)
                hub.close()

    def start(self) -> LiveServer:
        self.thread.start()
        self._ready.wait(10)
        if self.error is not None:
            raise self.error
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    def stop(self, timeout: float = 2.0) -> None:
        if self.server is not None and self.thread.is_alive():
            self.server.stop(timeout)
        self.thread.join(10)
        assert not self.thread.is_alive(), "server thread did not finish"
        if self.error is not None:
            raise self.error

    def connect(self, timeout: float = 5.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` in the server's thread (a green thread there); return its result."""
        assert self.server is not None
        done = threading.Event()
        box: list[Any] = []

        def run() -> None:
            try:
                box.append(fn(*args))
            finally:
                done.set()

        from eventlet.greenthread import spawn_n

        self.server._hub.call_threadsafe(spawn_n, run)
        done.wait(10)
        return box[0] if box else None


@contextmanager
def live(app: Callable[..., Any], hub: str | None = None, **options: Any) -> Iterator[LiveServer]:
    """Run ``app`` on a :class:`LiveServer` for the duration of the ``with`` block."""
    server = LiveServer(app, hub, **options).start()
    try:
        yield server
    finally:
        server.stop()


class _Stream(io.BufferedReader):
    """A buffered reader that ``HTTPResponse`` cannot close (several responses share it)."""

    def close(self) -> None:
        pass


class _File:
    """What ``http.client.HTTPResponse`` wants from a socket: ``makefile`` of one stream."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def makefile(self, *args: Any, **kwargs: Any) -> Any:
        return self.stream


def read_all(sock: socket.socket) -> bytes:
    """Everything the peer sends until it closes."""
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def parse_responses(data: bytes, methods: list[str] | None = None) -> list[http.client.HTTPResponse]:
    """Parse the concatenated responses in ``data`` (bodies read into ``.body``)."""
    stream = _Stream(io.BytesIO(data))
    responses = []
    index = 0
    while stream.peek(1):
        method = methods[index] if methods and index < len(methods) else "GET"
        resp = http.client.HTTPResponse(_File(stream), method=method)  # type: ignore[arg-type]
        resp.begin()
        if resp.status == 100:
            continue
        resp.body = resp.read()  # type: ignore[attr-defined]
        responses.append(resp)
        index += 1
        if resp.will_close:
            break
    return responses


def exchange(server: LiveServer, raw: bytes, methods: list[str] | None = None) -> list[Any]:
    """Send ``raw`` on a new connection, half-close, and parse every response until EOF."""
    with server.connect() as sock:
        sock.sendall(raw)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return parse_responses(read_all(sock), methods)


def hello_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]

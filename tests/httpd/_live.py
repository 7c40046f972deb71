"""Helpers for the live-server tests: a server in its own OS thread, raw HTTP client bits.

The server runs with its own hub in a background thread, so tests can use ordinary blocking
clients (raw sockets, http.client, requests, urllib3, curl, websockets' sync client) from
the test's thread.  Applications run in the server's thread: they may use green calls.
"""

from __future__ import annotations

import http.client
import importlib
import io
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventlet import hubs
from eventlet.event import Event
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

    def turns(self, count: int = 2) -> None:
        """Wait until the server's hub has gone round ``count`` times (polling for I/O each time).

        What the kernel already holds for the server (a connection to accept, bytes to read)
        has then been taken and handled as far as it goes without waiting.
        """
        from eventlet.testing import hub_turns

        self.call(hub_turns, count)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` in the server's thread (a green thread there); return its result."""
        assert self.server is not None
        return call_in(self.server._hub, fn, *args)


def call_in(hub: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a new green thread of ``hub`` (another OS thread's); its result."""
    from eventlet.greenthread import spawn_n

    done = threading.Event()
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(fn(*args))
        finally:
            done.set()

    hub.call_threadsafe(spawn_n, run)
    assert done.wait(10), f"{fn!r} did not return in the server's hub"
    return box[0] if box else None


@contextmanager
def live(app: Callable[..., Any], hub: str | None = None, **options: Any) -> Iterator[LiveServer]:
    """Run ``app`` on a :class:`LiveServer` for the duration of the ``with`` block."""
    server = LiveServer(app, hub, **options).start()
    try:
        yield server
    finally:
        server.stop()


class Seen:
    """Set once: by a thread (``threading.Event``) or, ``green``, in the test's own hub."""

    def __init__(self, green: bool) -> None:
        self._green: Event[bool] | None = Event() if green else None
        self._thread = threading.Event()
        self.messages: list[str] = []  # of the matching records, in order

    def set(self) -> None:
        if self._green is not None:
            if not self._green.ready():
                self._green.send(True)
        else:
            self._thread.set()

    def wait(self, timeout: float) -> bool:
        """Whether it was set within ``timeout`` seconds (a green wait when ``green``)."""
        if self._green is not None:
            return bool(self._green.wait(timeout))
        return self._thread.wait(timeout)


@contextmanager
def logged(logger: str, text: str, green: bool = False) -> Iterator[Seen]:
    """A :class:`Seen` set once a record whose message contains ``text`` reaches ``logger``.

    For waiting until a server has dealt with something (a client that went away) rather than
    sleeping: ``assert seen.wait(10)``.  ``green``: the server runs in the test's own hub (not a
    :class:`LiveServer` thread), so the wait must be a green one.
    """
    seen = Seen(green)

    class _Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if text in message:
                seen.messages.append(message)
                seen.set()

    target = logging.getLogger(logger)
    handler = _Watch(logging.DEBUG)
    level = target.level
    target.addHandler(handler)
    target.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


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


class ParsedResponse(http.client.HTTPResponse):
    """A response parsed by :func:`parse_responses`, its whole body read into ``body``."""

    body: bytes


def parse_responses(data: bytes, methods: list[str] | None = None) -> list[ParsedResponse]:
    """Parse the concatenated responses in ``data`` (bodies read into ``.body``)."""
    stream = _Stream(io.BytesIO(data))
    responses = []
    index = 0
    while stream.peek(1):
        method = methods[index] if methods and index < len(methods) else "GET"
        resp = ParsedResponse(_File(stream), method=method)  # type: ignore[arg-type]
        resp.begin()
        if resp.status == 100:
            continue
        resp.body = resp.read()
        responses.append(resp)
        index += 1
        if resp.will_close:
            break
    return responses


def exchange(server: LiveServer, raw: bytes, methods: list[str] | None = None) -> list[ParsedResponse]:
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

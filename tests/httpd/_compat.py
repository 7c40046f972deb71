"""Helpers for the ``eventlet.wsgi`` tests: ``wsgi.server`` in its own OS thread, raw clients.

:class:`WsgiServer` runs ``eventlet.wsgi.server(eventlet.listen(...), app, **options)`` in a
daemon thread with its own hub, so the tests talk to it with blocking standard-library sockets
and ``http.client`` from the test's thread (the application runs in the server's thread).  Its
log goes to a ``StringIO`` unless the test passes ``log``.
"""

from __future__ import annotations

import io
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
from eventlet import hubs, wsgi
from tests.httpd._live import call_in, parse_responses, read_all

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


class _Box:
    """Duck-typed ``server_event``: receives the :class:`eventlet.wsgi.Server`."""

    def __init__(self) -> None:
        self.server: Any = None
        self.ready = threading.Event()

    def send(self, server: Any) -> None:
        self.server = server
        self.ready.set()


class WsgiServer:
    """``eventlet.wsgi.server`` serving ``app`` in a daemon thread (see the module docstring)."""

    def __init__(
        self, app: Callable[..., Any], sock: Any = None, family: int = socket.AF_INET, **options: Any
    ) -> None:
        self.log = options.setdefault("log", io.StringIO())
        self.box = _Box()
        self.error: BaseException | None = None
        self.address: Any = None
        self.hub: Any = None  # the server thread's hub
        self._listening = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(app, sock, family, options), daemon=True)
        self.thread.start()
        self._listening.wait(10)
        self.box.ready.wait(10)

    def _run(self, app: Callable[..., Any], sock: Any, family: int, options: dict[str, Any]) -> None:
        try:
            self.hub = hubs.get_hub()
            if sock is None:
                sock = eventlet.listen(("127.0.0.1", 0), family)
            elif callable(sock):
                sock = sock()
            self.address = sock.getsockname()
            self._listening.set()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                wsgi.server(sock, app, server_event=self.box, **options)
        except BaseException as exc:
            self.error = exc
        finally:
            self._listening.set()
            self.box.ready.set()
            hub = hubs._hub_if_exists()
            if hub is not None and not hub.running:
                hubs.set_hub(None)
                hub.close()

    @property
    def server(self) -> Any:
        """The :class:`eventlet.wsgi.Server`."""
        return self.box.server

    @property
    def port(self) -> int:
        return int(self.address[1])

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A new blocking client connection."""
        if isinstance(self.address, str):
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(timeout)
            sock.connect(self.address)
            return sock
        return socket.create_connection(self.address[:2], timeout=timeout)

    def exchange(self, raw: bytes, methods: list[str] | None = None) -> list[Any]:
        """Send ``raw`` on a new connection, half-close, parse every response until EOF."""
        return parse_responses(self.raw(raw), methods)

    def raw(self, raw: bytes, half_close: bool = True) -> bytes:
        """Send ``raw`` on a new connection (half-closing unless told not to); all bytes back."""
        with self.connect() as sock:
            sock.sendall(raw)
            if half_close:
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:  # the server closed it already
                    pass
            return read_all(sock)

    def stop(self, timeout: float | None = 2.0) -> None:
        """``Server.stop`` from this thread, then join the server's thread."""
        if self.server is not None:
            self.server.stop(timeout)
        self.thread.join(10)
        assert not self.thread.is_alive(), "the server thread did not finish"

    def turns(self, count: int = 2) -> None:
        """Wait until the server's hub has gone round ``count`` times, polling for I/O each time."""
        from eventlet.testing import hub_turns

        call_in(self.hub, hub_turns, count)

    @property
    def log_text(self) -> str:
        value: str = self.log.getvalue()
        return value


@contextmanager
def serving(app: Callable[..., Any], **options: Any) -> Iterator[WsgiServer]:
    """Run ``app`` on a :class:`WsgiServer` for the ``with`` block; re-raise its error."""
    server = WsgiServer(app, **options)
    try:
        yield server
    finally:
        server.stop()
    if server.error is not None:
        raise server.error


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Hello world."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello world"]


def head_lines(data: bytes) -> list[bytes]:
    """The lines of the first response head in ``data``."""
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")

"""python-socketio / python-engineio in their eventlet mode, on eventlet-httpd.

The server is ``socketio.Server(async_mode="eventlet")`` wrapped in ``socketio.WSGIApp`` and
served by ``eventlet.wsgi.server``; in that mode engineio imports ``eventlet.green.threading``,
``eventlet.queue`` and ``eventlet.websocket`` and upgrades connections through our
``WebSocketWSGI``.  The client is the real ``socketio.Client`` (websocket-client underneath),
running in the test's OS thread while the server has its own.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pytest

socketio = pytest.importorskip("socketio")
pytest.importorskip("engineio")
pytest.importorskip("websocket")  # websocket-client: the Client's websocket transport

from tests.clients._support import ThreadedServer  # noqa: E402 - after the skips

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

_Handler = TypeVar("_Handler", bound=Callable[..., object])


class SocketIOServer(Protocol):
    """What these tests use of ``socketio.Server`` (python-socketio has no type information)."""

    async_mode: str

    def event(self, handler: _Handler, /) -> _Handler: ...
    def emit(
        self, event: str, data: object = None, *, to: str | None = None, skip_sid: str | None = None
    ) -> None: ...
    def save_session(self, sid: str, session: dict[str, Any]) -> None: ...
    def get_session(self, sid: str) -> dict[str, Any]: ...
    def transport(self, sid: str) -> str: ...


def make_server() -> tuple[SocketIOServer, WSGIApplication]:
    """A Socket.IO server with an echo event, a broadcast event and an acknowledged call."""
    sio: SocketIOServer = socketio.Server(async_mode="eventlet", logger=False, engineio_logger=False)

    @sio.event
    def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        sio.save_session(sid, {"name": (auth or {}).get("name", "anonymous")})
        sio.emit("welcome", {"sid": sid, "transport": sio.transport(sid)}, to=sid)

    @sio.event
    def echo(sid: str, data: Any) -> None:
        sio.emit("echoed", data, to=sid)

    @sio.event
    def shout(sid: str, text: str) -> None:
        name = sio.get_session(sid)["name"]
        sio.emit("heard", f"{name}: {text}", skip_sid=sid)

    @sio.event
    def add(sid: str, a: int, b: int) -> int:
        return a + b

    return sio, socketio.WSGIApp(sio)


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    sio, app = make_server()
    assert sio.async_mode == "eventlet"
    with ThreadedServer(app) as running:
        yield running


def connect(url: str, name: str) -> tuple[Any, queue.Queue[tuple[str, Any]]]:
    """A connected websocket-only client whose events land in a queue."""
    client = socketio.Client(reconnection=False)
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    for event in ("welcome", "echoed", "heard"):
        client.on(event, lambda data, event=event: events.put((event, data)))
    client.connect(url, transports=["websocket"], auth={"name": name}, wait_timeout=10)
    return client, events


def test_connect_emit_and_receive_over_websocket(server: ThreadedServer) -> None:
    client, events = connect(server.url, "ann")
    try:
        assert client.transport() == "websocket"
        event, data = events.get(timeout=10)
        assert event == "welcome"
        assert data == {"sid": client.get_sid(), "transport": "websocket"}
        payload = {"text": "héllo", "numbers": [1, 2, 3], "blob": b"\x00\xff" * 100}
        client.emit("echo", payload)
        assert events.get(timeout=10) == ("echoed", payload)
        assert client.call("add", (2, 40), timeout=10) == 42
    finally:
        client.disconnect()


def test_broadcast_reaches_the_other_clients(server: ThreadedServer) -> None:
    ann, ann_events = connect(server.url, "ann")
    bob, bob_events = connect(server.url, "bob")
    try:
        assert ann_events.get(timeout=10)[0] == "welcome"
        assert bob_events.get(timeout=10)[0] == "welcome"
        ann.emit("shout", "hi all")
        assert bob_events.get(timeout=10) == ("heard", "ann: hi all")
        bob.emit("shout", "hello ann")
        assert ann_events.get(timeout=10) == ("heard", "bob: hello ann")
        assert ann_events.empty()  # the sender was skipped
    finally:
        ann.disconnect()
        bob.disconnect()


def test_polling_transport_upgrades_to_websocket(server: ThreadedServer) -> None:
    client = socketio.Client(reconnection=False)
    got: queue.Queue[Any] = queue.Queue()
    client.on("echoed", got.put)
    client.connect(server.url, transports=["polling", "websocket"], wait_timeout=10)
    try:
        client.emit("echo", "over whichever transport")
        assert got.get(timeout=10) == "over whichever transport"
    finally:
        client.disconnect()

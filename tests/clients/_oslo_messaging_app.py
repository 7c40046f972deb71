"""An oslo.messaging program on our eventlet: an RPC server with the eventlet executor, its clients.

Run as ``python tests/clients/_oslo_messaging_app.py MODE URL TOPIC``, monkey-patched first as
OpenStack services are (``eventlet.monkey_patch()`` before anything else):

``serve``
    an RPC server (``executor="eventlet"``) for ``TOPIC`` and a notification listener (eventlet
    executor too) on ``TOPIC-notifications``; prints ``ready`` and serves until SIGTERM, then
    stops both (``stop()`` + ``wait()``) and prints ``stopped``;
``call``
    the client: the scenario below against a server running elsewhere; prints its JSON result;
``both``
    server and client in this one process (the in-memory ``fake://`` transport lives in-process).

The scenario, every wait bounded by the RPC timeout, none by a sleep:

* ``GATHERED`` concurrent calls of ``gather``, each of which returns only once all of them are
  inside the server at the same time: a server (or client) that served them one at a time, or
  blocked its OS thread in one, never lets them meet, and the calls time out;
* more calls through a :class:`eventlet.GreenPool`, their results in order;
* ``CASTS`` casts, then a call that returns once the server has recorded all of them;
* ``NOTIFICATIONS`` notifications (``info``), then a call that returns once the listener saw
  them all;
* remote errors: a built-in ``ValueError`` (re-raised as one) and an exception class of this
  module (over RabbitMQ a ``RemoteError`` naming it; the fake driver raises the original);
* a call the server holds past the client's timeout gets ``MessagingTimeout``; then a cast lets
  the held call go, so the server stops with nothing pending.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402 - after patching, as OpenStack services do
import signal  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import greenlet  # noqa: E402
import oslo_messaging as messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log  # noqa: E402

from eventlet.event import Event  # noqa: E402

GATHERED = 40
POOLED = 200
CASTS = 100
NOTIFICATIONS = 50
TIMEOUT = 30  # seconds any one RPC call may take (a failure, not a wait)


class Refused(Exception):
    """An application error the server raises; clients get a ``RemoteError`` naming it."""


class Counted:
    """Values that arrive one by one, and an event once ``wanted`` of them are there."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._wanted = 0
        self._done: Event[Any] = Event()

    def add(self, value: Any) -> None:
        self.values.append(value)
        if self._wanted and len(self.values) >= self._wanted and not self._done.ready():
            self._done.send(None)

    def wait_for(self, wanted: int) -> list[Any]:
        self._wanted = wanted
        if len(self.values) >= wanted and not self._done.ready():
            self._done.send(None)
        self._done.wait()
        return sorted(self.values)


class Endpoint:
    """The RPC methods the server offers."""

    target = messaging.Target(version="1.0")

    def __init__(self) -> None:
        self.casts = Counted()
        self.notified = Counted()
        self._inside = 0
        self._everyone_in: Event[Any] = Event()
        self._held: Event[Any] = Event()

    def gather(self, ctxt: dict[str, Any], count: int) -> dict[str, Any]:
        """Return once ``count`` calls are in here at the same time (each in its own green thread)."""
        self._inside += 1
        arrived = self._inside
        if arrived == count:
            self._everyone_in.send(None)
        self._everyone_in.wait()
        return {"arrived": arrived, "green": greenlet.getcurrent().parent is not None}

    def echo(self, ctxt: dict[str, Any], value: Any) -> Any:
        eventlet.sleep(0)
        return value

    def record(self, ctxt: dict[str, Any], value: int) -> None:
        self.casts.add(value)

    def recorded(self, ctxt: dict[str, Any], count: int) -> list[int]:
        return self.casts.wait_for(count)

    def notifications(self, ctxt: dict[str, Any], count: int) -> list[int]:
        return self.notified.wait_for(count)

    def invalid(self, ctxt: dict[str, Any], why: str) -> None:
        raise ValueError(why)

    def refuse(self, ctxt: dict[str, Any], why: str) -> None:
        raise Refused(why)

    def held(self, ctxt: dict[str, Any]) -> str:
        self._held.wait()
        return "released"

    def release(self, ctxt: dict[str, Any]) -> None:
        self._held.send(None)


class NotificationEndpoint:
    """Collects ``info`` notifications for the RPC endpoint to report."""

    def __init__(self, counted: Counted) -> None:
        self._counted = counted

    def info(
        self, ctxt: dict[str, Any], publisher_id: str, event_type: str, payload: Any, metadata: Any
    ) -> None:
        self._counted.add(payload["n"])


def configure() -> cfg.ConfigOpts:
    """The global CONF (oslo.messaging registers some options there only) and oslo.log's setup."""
    if not CONFIGURED:
        log.register_options(cfg.CONF)
        cfg.CONF([], project="eventlet-clients")
        cfg.CONF.set_override("use_stderr", True)  # standard output is for the result
        # As OpenStack services do; under monkey patching it makes logging's locks oslo.log's
        # PipeMutex (a pipe waited on with eventlet.hubs.trampoline by several green threads).
        log.setup(cfg.CONF, "eventlet-clients")
        CONFIGURED.append(True)
    return cfg.CONF


CONFIGURED: list[bool] = []


def start_server(url: str, topic: str) -> tuple[Any, Any]:
    conf = configure()
    endpoint = Endpoint()
    transport = messaging.get_rpc_transport(conf, url=url)
    server = messaging.get_rpc_server(
        transport, messaging.Target(topic=topic, server="server-1"), [endpoint], executor="eventlet"
    )
    notification_transport = messaging.get_notification_transport(conf, url=url)
    listener = messaging.get_notification_listener(
        notification_transport,
        [messaging.Target(topic=f"{topic}-notifications")],
        [NotificationEndpoint(endpoint.notified)],
        executor="eventlet",
    )
    server.start()
    listener.start()
    return server, listener


def stop_server(server: Any, listener: Any) -> None:
    for part in (server, listener):
        part.stop()
    for part in (server, listener):
        part.wait()


def scenario(url: str, topic: str) -> dict[str, Any]:
    conf = configure()
    transport = messaging.get_rpc_transport(conf, url=url)
    client = messaging.get_rpc_client(transport, messaging.Target(topic=topic), timeout=TIMEOUT)
    result: dict[str, Any] = {
        "sent": {"gathered": GATHERED, "pooled": POOLED, "casts": CASTS, "notifications": NOTIFICATIONS}
    }

    pool = eventlet.GreenPool(GATHERED)
    gathered = list(pool.imap(lambda _: client.call({}, "gather", count=GATHERED), range(GATHERED)))
    result["gathered"] = sorted(answer["arrived"] for answer in gathered)
    result["green"] = all(answer["green"] for answer in gathered)

    pool = eventlet.GreenPool(50)
    result["pooled"] = list(pool.imap(lambda i: client.call({}, "echo", value=i), range(POOLED)))

    for i in range(CASTS):
        client.cast({}, "record", value=i)
    result["casts"] = client.call({}, "recorded", count=CASTS)

    notifier = messaging.Notifier(
        messaging.get_notification_transport(conf, url=url),
        publisher_id="eventlet.clients",
        driver="messaging",
        topics=[f"{topic}-notifications"],
    )
    for i in range(NOTIFICATIONS):
        notifier.info({}, "eventlet.test", {"n": i})
    result["notifications"] = client.call({}, "notifications", count=NOTIFICATIONS)

    try:
        client.call({}, "invalid", why="not a number")
    except ValueError as exc:
        result["value_error"] = str(exc).splitlines()[0]
    try:
        client.call({}, "refuse", why="not today")
    except Refused as exc:  # the fake driver hands the server's exception over as it is
        result["remote_error"] = ["Refused", str(exc)]
    except messaging.RemoteError as exc:  # a real transport serialises it: a RemoteError naming it
        result["remote_error"] = [exc.exc_type, exc.value]

    try:
        client.prepare(timeout=0.5).call({}, "held")
    except messaging.MessagingTimeout:
        result["timed_out"] = True
    client.cast({}, "release")
    result["after_timeout"] = client.call({}, "echo", value="still serving")
    transport.cleanup()
    return result


def serve(url: str, topic: str) -> None:
    server, listener = start_server(url, topic)
    stop: Event[Any] = Event()
    # The handler runs between two bytecodes of whatever green thread is current: only note it.
    signal.signal(signal.SIGTERM, lambda signo, frame: eventlet.spawn_n(stop.send, None))
    print("ready", flush=True)
    stop.wait()
    stop_server(server, listener)
    print("stopped", flush=True)


def main(mode: str, url: str, topic: str) -> None:
    if mode == "serve":
        serve(url, topic)
    elif mode == "call":
        print(json.dumps(scenario(url, topic)), flush=True)
    else:
        server, listener = start_server(url, topic)
        result = scenario(url, topic)
        stop_server(server, listener)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])

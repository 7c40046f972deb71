"""A nameko 2.14 service for ``nameko run``: RPC methods, an event handler and ``@http`` entrypoints.

``nameko run --config CONFIG tests.clients._nameko_service:Greeter`` (from the repository root)
serves it; ``_nameko_client.py`` calls it.  nameko runs every entrypoint call in a worker green
thread of its own (``max_workers`` of them at once, from the config), so the ``gather`` RPC method
and the ``/gate/N`` HTTP route can prove concurrency: each returns only once N calls are inside
the service at the same time, which never happens if they are served one after another.
Events reach ``on_announced`` from the RPC method ``announce``, from ``POST /announce`` and from
standalone dispatchers; ``announced(N)`` returns once N have arrived.  The state is on the class:
nameko makes a new service instance for every worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from nameko.events import EventDispatcher
from nameko.events import event_handler as _event_handler
from nameko.rpc import RpcProxy
from nameko.rpc import rpc as _rpc
from nameko.web.handlers import http as _http

from eventlet.event import Event

# nameko has no type information: the shapes of what this service uses of it.
_Method = TypeVar("_Method", bound=Callable[..., object])


class Entrypoint(Protocol):
    """An entrypoint decorator: it registers the method and returns it unchanged."""

    def __call__(self, method: _Method, /) -> _Method: ...


class GreeterProxy(Protocol):
    """``RpcProxy("greeter")`` as a worker sees it: the service's RPC methods, called remotely."""

    def hello(self, who: str) -> str: ...


rpc: Entrypoint = _rpc
event_handler: Callable[[str, str], Entrypoint] = _event_handler
http: Callable[[str, str], Entrypoint] = _http


class Rendezvous:
    """Lets callers through once ``count`` of them are waiting at the same time."""

    def __init__(self) -> None:
        self.inside = 0
        self.everyone_in: Event[Any] = Event()

    def enter(self, count: int) -> int:
        self.inside += 1
        arrived = self.inside
        if arrived == count:
            self.everyone_in.send(None)
        self.everyone_in.wait()
        return arrived


class Arrivals:
    """Values that arrive one by one; ``wait_for(n)`` returns them once n are there."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.changed: Event[Any] = Event()

    def add(self, value: Any) -> None:
        self.values.append(value)
        changed, self.changed = self.changed, Event()
        changed.send(None)

    def wait_for(self, count: int) -> list[Any]:
        while len(self.values) < count:
            self.changed.wait()
        return sorted(self.values)


class Greeter:
    """The service: ``greeter``."""

    name = "greeter"

    # dependency providers: each worker gets the dispatcher and the proxy in their place
    dispatch: Callable[[str, object], None] = EventDispatcher()
    myself: GreeterProxy = RpcProxy("greeter")

    rpc_rendezvous = Rendezvous()
    http_rendezvous = Rendezvous()
    events = Arrivals()

    @rpc
    def hello(self, who: str) -> str:
        return f"hello {who}"

    @rpc
    def gather(self, count: int) -> int:
        return self.rpc_rendezvous.enter(count)

    @rpc
    def announce(self, payload: str) -> None:
        self.dispatch("announced", payload)

    @event_handler("greeter", "announced")
    def on_announced(self, payload: str) -> None:
        self.events.add(payload)

    @rpc
    def announced(self, count: int) -> list[str]:
        return self.events.wait_for(count)

    @rpc
    def fail(self, why: str) -> None:
        raise ValueError(why)

    @http("GET", "/gate/<int:count>")
    def gate(self, request: Any, count: int) -> str:
        return f"{self.http_rendezvous.enter(count)}"

    @http("GET", "/hello/<string:who>")
    def hello_over_http(self, request: Any, who: str) -> str:
        # HTTP in, RPC out (to this same service, through the broker), and back.
        return self.myself.hello(who)

    @http("POST", "/announce")
    def announce_over_http(self, request: Any) -> tuple[int, str]:
        self.dispatch("announced", request.get_data(as_text=True))
        return 202, "announced"

    @http("GET", "/pid")
    def pid(self, request: Any) -> str:
        return str(os.getpid())

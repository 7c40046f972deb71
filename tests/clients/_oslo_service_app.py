"""An oslo.service program on our eventlet: a service with a looping call and a WSGI server.

Run as ``python tests/clients/_oslo_service_app.py WORKERS``, monkey-patched first as OpenStack
services are.  ``oslo_service.service.launch(conf, service, workers=WORKERS)`` runs the service
in this process for one worker (``ServiceLauncher``), or forks that many children
(``ProcessLauncher``) that share the listening socket, which ``oslo_service.wsgi.Server``
opened on a free port of 127.0.0.1 before the fork.  Printed lines (the test reads them):

``listening PORT``
    once, by the process that opened the socket;
``started PID``
    by each process that runs the service;
``tick PID N``
    the service's looping call (``ThreadGroup.add_timer``, a ``FixedIntervalLoopingCall``) for
    its first ``TICKS`` runs, in each process;
``held PID``
    a request of ``/held`` has arrived: it is answered once the service stops (SIGTERM), so
    it is in flight when the stop begins and must still get its answer;

and oslo's own log (oslo.log's ``setup``, as OpenStack services call it: INFO, on standard
output) says what the launcher does, such as ``Child PID exited with status 0``.

The WSGI application answers ``/`` with the pid of the process that served it, and ``/gate/N``
only once N such requests are inside this process at the same time.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402 - after patching, as OpenStack services do
import sys  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from typing import Any  # noqa: E402

from oslo_config import cfg  # noqa: E402
from oslo_log import log  # noqa: E402
from oslo_service import service, wsgi  # noqa: E402

from eventlet.event import Event  # noqa: E402

TICKS = 3


def say(*words: object) -> None:
    # One write per line: the workers share this pipe, and print() writes word by word.
    sys.stdout.write(" ".join(map(str, words)) + "\n")
    sys.stdout.flush()


class Gate:
    """Lets requests through once ``count`` of them are waiting at the same time."""

    def __init__(self) -> None:
        self.inside = 0
        self.open: Event[Any] = Event()

    def enter(self, count: int) -> int:
        self.inside += 1
        arrived = self.inside
        if arrived == count:
            self.open.send(None)
        self.open.wait()
        return arrived


class Application:
    """The WSGI application of the service (one per process: state is per worker)."""

    def __init__(self) -> None:
        self.gate = Gate()
        self.released: Event[Any] = Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path.startswith("/gate/"):
            body = f"{os.getpid()} {self.gate.enter(int(path[len('/gate/') :]))}"
        elif path == "/held":
            say("held", os.getpid())
            self.released.wait()
            body = f"{os.getpid()} released"
        else:
            body = str(os.getpid())
        data = body.encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
        return [data]


class WebService(service.Service):  # type: ignore[misc]  # oslo.service: no types
    """An oslo.service service: a looping call and ``oslo_service.wsgi.Server``."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__()
        self.app = Application()
        self.server = wsgi.Server(conf, "eventlet-clients", self.app, host="127.0.0.1", port=0)
        self.ticks = 0
        say("listening", self.server.port)

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks <= TICKS:
            say("tick", os.getpid(), self.ticks)

    def start(self) -> None:
        super().start()
        self.tg.add_timer(0.01, self.tick)
        self.server.start()
        say("started", os.getpid())

    def stop(self, graceful: bool = False) -> None:
        self.server.stop()  # no new connections
        self.app.released.send(None)  # the held request may now finish
        super().stop(graceful)

    def wait(self) -> None:
        self.server.wait()  # the requests in flight are answered
        super().wait()


def main(workers: int) -> None:
    conf = cfg.CONF
    log.register_options(conf)
    conf([], project="eventlet-clients")
    # As OpenStack services do; under monkey patching it makes logging's locks oslo.log's
    # PipeMutex (a pipe waited on with eventlet.hubs.trampoline by several green threads).
    log.setup(conf, "eventlet-clients")
    launcher = service.launch(conf, WebService(conf), workers=workers)
    launcher.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]))

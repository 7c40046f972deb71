"""A gunicorn worker class serving with eventlet.httpd (extra ``eventlet-httpd[gunicorn]``).

``gunicorn -k eventlet.httpd.gunicorn.EventletWorker module:app`` runs each gunicorn worker
as an eventlet.httpd :class:`~eventlet.httpd.Server` per listening socket, with green
threads for connections.  The worker:

* monkey-patches the standard library first (``eventlet.monkey_patch()``), as gunicorn's own
  eventlet worker did, so blocking libraries used by the application cooperate;
* maps gunicorn's settings: ``worker_connections`` (connections per worker), ``keepalive``
  (idle seconds, 0 for none), ``graceful_timeout``, ``limit_request_line``,
  ``limit_request_fields``, ``limit_request_field_size`` (bounds the header section),
  ``certfile``/``keyfile`` (TLS, through gunicorn's ``ssl_context`` hook), ``accesslog``
  (combined-format lines to gunicorn's access logger), ``forwarded_allow_ips`` (the proxies
  whose ``X-Forwarded-*``/``Forwarded`` headers are believed) and ``proxy_protocol`` (PROXY
  protocol headers accepted from ``forwarded_allow_ips`` and ``proxy_allow_ips``);
* tells the arbiter it is alive every ``timeout / 2`` seconds at most;
* on ``SIGTERM`` (or when the arbiter disappears, or after ``max_requests`` requests) stops
  accepting and lets requests in flight finish within ``graceful_timeout``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from gunicorn.workers.base import Worker

__all__ = ["EventletWorker"]


class EventletWorker(Worker):  # type: ignore[misc,unused-ignore]
    """The gunicorn worker class (see the module docstring)."""

    alive: bool
    nr: int
    max_requests: int

    def init_process(self) -> None:
        """Patch the standard library, then let gunicorn load the app and call :meth:`run`."""
        import eventlet

        eventlet.monkey_patch()
        from eventlet.event import Event
        from eventlet.hubs import get_hub

        self._hub = get_hub()
        self._exit: Event[None] = Event()
        super().init_process()

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: stop gracefully (wakes the worker's hub at once)."""
        super().handle_exit(sig, frame)
        self._hub.call_threadsafe(self._wake)

    def _wake(self) -> None:
        if not self._exit.ready():
            self._exit.send()

    def _options(self) -> dict[str, Any]:
        cfg = self.cfg
        options: dict[str, Any] = {
            "max_connections": cfg.worker_connections,
            "keepalive": cfg.keepalive > 0,
            "grace_period": cfg.graceful_timeout,
            "server_header": None,
        }
        if cfg.keepalive > 0:
            options["keepalive_timeout"] = float(cfg.keepalive)
        if cfg.limit_request_line:
            options["max_request_line"] = cfg.limit_request_line
        if cfg.limit_request_fields:
            options["max_headers"] = cfg.limit_request_fields
        if cfg.limit_request_field_size:
            options["max_header_bytes"] = cfg.limit_request_field_size * max(cfg.limit_request_fields, 1)
        if cfg.is_ssl:
            from gunicorn.sock import ssl_context

            options["ssl_context"] = ssl_context(cfg)
        options["access_log"] = self.log.access_log if cfg.accesslog else False
        trusted = list(getattr(cfg, "forwarded_allow_ips", None) or ())
        if getattr(cfg, "proxy_protocol", False) not in (False, None, "", "off"):  # bool, or "off"/"v1"/...
            trusted += list(getattr(cfg, "proxy_allow_ips", None) or ())
            options["proxy_protocol"] = True
        if trusted:
            options["forwarded_allow_ips"] = trusted
        return options

    def _app(self) -> Callable[..., Any]:
        app = self.wsgi
        if self.max_requests >= sys.maxsize:
            return app  # type: ignore[no-any-return,unused-ignore]

        def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
                self._hub.call_soon(self._wake)
            return app(environ, start_response)

        return counting

    def run(self) -> None:
        """Serve every listening socket until told to stop, then stop gracefully."""
        from eventlet.greenthread import spawn
        from eventlet.httpd._server import Server

        app = self._app()
        options = self._options()
        # gunicorn's listeners are gunicorn.sock.BaseSocket objects, not the sockets its stubs say
        listeners: list[Any] = self.sockets
        servers = [Server(app, sock=listener.sock, **options) for listener in listeners]
        threads = [server.start() for server in servers]
        beat = max(0.05, min(self.timeout / 2.0, 1.0)) if self.timeout else 1.0
        try:
            while self.alive:
                self.notify()
                if self.ppid != os.getppid():  # pragma: no cover - the arbiter died
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
                self._exit.wait(beat)
        finally:
            heart = spawn(self._beat_while, servers, beat)
            stops = [spawn(server.stop, self.cfg.graceful_timeout) for server in servers]
            for thread in stops + threads:
                thread.wait()
            heart.kill()

    def _beat_while(self, servers: list[Any], beat: float) -> None:
        """Keep notifying the arbiter while the servers drain (it kills silent workers)."""
        from eventlet.greenthread import sleep

        while True:
            self.notify()
            sleep(beat)

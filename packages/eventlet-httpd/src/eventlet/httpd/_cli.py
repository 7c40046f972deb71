"""The command line: ``python -m eventlet.httpd module:app`` (also ``eventlet-httpd``).

Without ``--workers`` the application is served by this process.  With ``--workers N`` (or
``--reload``, or ``--max-requests``) this process binds the socket and becomes a supervisor
(:mod:`eventlet.httpd._workers`) of worker processes sharing it; each worker is this same command
run with the hidden ``--worker-fd`` and ``--worker-pipe`` options.  The socket comes from
``--bind``, from ``--fd N``, or from systemd's socket activation (:mod:`eventlet.httpd._activation`);
``--config FILE`` reads the options from a TOML file (:mod:`eventlet.httpd._config`).

Signals: ``SIGTERM`` (and ``SIGINT``) stop gracefully: the listening socket is closed at once (so
new clients are refused, not reset) and requests in flight finish within ``--graceful-timeout``;
with workers, ``SIGHUP`` replaces them, each old worker stopping only once its successor accepts.

Errors a person can fix (a bad ``--bind``, an application that cannot be imported, a bad
configuration file) are one line on standard error and exit status ``LOAD_FAILED_EXIT``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ._activation import (
    BindError,
    inherited_socket,
    listen_fds,
    make_socket,
    parse_bind,
    refuse_new_connections,
)
from ._worker import LOAD_FAILED_EXIT

__all__ = [
    "LOAD_FAILED_EXIT",
    "build_parser",
    "load_app",
    "main",
    "make_socket",
    "server_options",
]

logger = logging.getLogger("eventlet.httpd")

DEFAULT_MAX_BODY = 1 << 30
_TCP = (socket.AF_INET, socket.AF_INET6)


def _max_body(text: str) -> int | None:
    if text.lower() == "none":
        return None
    value = int(text)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command."""
    parser = argparse.ArgumentParser(
        prog="eventlet-httpd",
        description="Serve a WSGI application with eventlet.httpd.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("app", nargs="?", default=None, help="the application, as module:name (or module:factory())")
    add("-c", "--config", default=None, help="TOML file of settings named as these options")
    add(
        "-b",
        "--bind",
        default="127.0.0.1:8000",
        help="HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N",
    )
    add("--fd", type=int, default=None, help="serve the listening socket inherited on this descriptor")
    add("-w", "--workers", type=int, default=0, help="worker processes (0: serve in this process)")
    add("--backlog", type=int, default=1024, help="listen queue length")
    add("--max-connections", type=int, default=10000, help="open connections per process")
    add("--keepalive", type=float, default=75.0, help="idle keep-alive timeout in seconds (0: no keep-alive)")
    add("--header-timeout", type=float, default=10.0, help="seconds to receive a request head")
    add("--socket-timeout", type=float, default=60.0, help="seconds per blocking body read/write (0: none)")
    add("--graceful-timeout", type=float, default=30.0, help="seconds requests may take to finish on stop")
    add(
        "--max-body",
        type=_max_body,
        default=DEFAULT_MAX_BODY,
        help="largest request body, bytes (none: no limit)",
    )
    add(
        "-t",
        "--timeout",
        type=float,
        default=30.0,
        help="kill a worker whose hub is stuck this long (0: off)",
    )
    add("--max-requests", type=int, default=0, help="replace a worker after this many requests (0: never)")
    add("--max-requests-jitter", type=int, default=0, help="up to this many more, per worker")
    add("--forwarded-allow-ips", default="127.0.0.1,::1", help="trusted proxies (*: all)")
    add("--proxy-protocol", action="store_true", help="expect a PROXY protocol header from trusted proxies")
    add("--access-log", default=None, help="access log file ('-': standard output)")
    add("--access-log-format", default=None, help="%%-style access log format")
    add("--forwarded-for", action="store_true", help="log X-Forwarded-For as the client")
    add("--certfile", default=None, help="TLS certificate chain (PEM)")
    add("--keyfile", default=None, help="TLS private key (PEM)")
    add("--metrics-bind", default=None, help="Prometheus exporter address")
    add("--pid", default=None, help="write the process id to this file")
    add("--debug", action="store_true", help="tracebacks in 500 responses")
    add("--reload", action="store_true", help="restart the worker when source files change")
    add("--log-level", default="info", help="logging level")
    add("--worker-fd", type=int, default=None, help=argparse.SUPPRESS)
    add("--worker-pipe", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv`` over the settings of ``--config`` (exits with a message when invalid)."""
    from ._config import ConfigError, apply_config

    parser = build_parser()
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("-c", "--config", default=None)
    config = early.parse_known_args(argv)[0].config
    if config is not None:
        try:
            apply_config(parser, config)
        except ConfigError as exc:
            parser.exit(LOAD_FAILED_EXIT, f"eventlet-httpd: error: {exc}\n")
    args = parser.parse_args(argv)
    if args.app is None:
        parser.error("the application is missing: give module:name (or app = ... in the config file)")
    return args


def load_app(spec: str) -> Callable[..., Any]:
    """Import ``module:name`` (``module:factory()`` calls the factory); raise ValueError if bad."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"the application must be given as module:name, not {spec!r}")
    call = attr.endswith("()")
    if call:
        attr = attr[:-2]
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"{module_name!r} has no attribute {attr!r}") from None
    if call:
        target = target()
    if not callable(target):
        raise ValueError(f"{spec!r} is not callable")
    found: Callable[..., Any] = target
    return found


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~eventlet.httpd.Server` options the arguments ask for."""
    options: dict[str, Any] = {
        "backlog": args.backlog,
        "max_connections": args.max_connections,
        "keepalive": args.keepalive > 0,
        "header_timeout": args.header_timeout,
        "socket_timeout": args.socket_timeout or None,
        "grace_period": args.graceful_timeout,
        "max_body": args.max_body,
        "debug": args.debug,
        "log_x_forwarded_for": args.forwarded_for,
        "forwarded_allow_ips": args.forwarded_allow_ips or None,
        "proxy_protocol": args.proxy_protocol,
        "metrics": args.metrics_bind is not None,
        "certfile": args.certfile,
        "keyfile": args.keyfile,
    }
    if args.keepalive > 0:
        options["keepalive_timeout"] = args.keepalive
    if args.access_log is None:
        options["access_log"] = False
    elif args.access_log == "-":
        options["access_log"] = sys.stdout
    else:
        options["access_log"] = args.access_log
    if args.access_log_format:
        options["access_log_format"] = args.access_log_format
    return options


def _describe(sock: socket.socket, tls: bool) -> str:
    address = sock.getsockname()
    if isinstance(address, tuple):
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        return f"{'https' if tls else 'http'}://{host}:{address[1]}"
    return f"unix:{address}"


class _EarlyStop:
    """A worker's SIGTERM handler until its server exists (SIGTERM is blocked until then)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.requested = True


def serve_in_process(
    args: argparse.Namespace,
    sock: socket.socket,
    app: Callable[..., Any],
    early_stop: _EarlyStop | None = None,
) -> int:
    """Serve on ``sock`` in this process until SIGTERM/SIGINT (or, as a worker, SIGTERM)."""
    from eventlet.greenthread import spawn_n
    from eventlet.httpd._server import Server

    from ._worker import (
        READY,
        REPLACE,
        HubWatchdog,
        RequestLimit,
        WorkerLink,
        report_stats,
        watch_parent,
        watch_sources,
    )

    link = WorkerLink(args.worker_pipe) if args.worker_pipe is not None else None
    if args.max_requests > 0 and link is not None:
        app = RequestLimit(app, args.max_requests, args.max_requests_jitter, lambda: link.report(REPLACE))
    server = Server(app, sock=sock, **server_options(args))
    sock.close()  # the server holds its own duplicate
    hub = server._hub

    def on_signal(signum: int, frame: Any) -> None:
        # Runs between two bytecodes of whatever green thread is current: only hand the stop to
        # the hub.  A second Ctrl-C falls back to the default KeyboardInterrupt.
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if args.worker_fd is None:  # alone on the socket: the service stops (workers: see _workers)
            refuse_new_connections(server.socket)
        hub.call_threadsafe(spawn_n, server.stop)

    signal.signal(signal.SIGTERM, on_signal)
    if args.worker_fd is None:
        signal.signal(signal.SIGINT, on_signal)
    else:
        spawn_n(watch_parent, server)
    if early_stop is not None and early_stop.requested:
        spawn_n(server.stop)  # runs once the accept loop waits: serves what is queued, then stops
    if args.metrics_bind and link is not None:
        spawn_n(report_stats, server, link)
    if args.reload and link is not None:
        spawn_n(watch_sources, server, lambda path: link.report(REPLACE))
    watchdog = HubWatchdog(args.timeout, link) if args.timeout > 0 else None
    exporter = _start_exporter(args, server) if args.metrics_bind and args.worker_fd is None else None
    logger.info(
        "eventlet.httpd (pid %d) serving on %s", os.getpid(), _describe(server.socket, bool(args.certfile))
    )
    if link is not None:
        link.report(READY)
    try:
        if watchdog is not None:
            watchdog.start()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if watchdog is not None:
            watchdog.stop()
        if exporter is not None:
            exporter.stop()
        if link is not None:
            if args.metrics_bind:
                report_stats(server, link)  # the last word: counts up to the very end
            link.close()
    return 0


def _start_exporter(args: argparse.Namespace, server: Any) -> Any:
    from .metrics import serve_metrics

    host, port = parse_bind(args.metrics_bind)[1]
    return serve_metrics([server], host, port)


def _listening_socket(args: argparse.Namespace) -> socket.socket:
    """The socket to serve: ``--fd``, else systemd's, else a new one for ``--bind``."""
    if args.fd is not None:
        return inherited_socket(args.fd)
    fds = listen_fds()
    if len(fds) > 1:
        raise BindError(f"systemd passed {len(fds)} sockets; eventlet-httpd serves one")
    if fds:
        return inherited_socket(fds[0])
    return make_socket(args.bind, args.backlog)


def _write_pid(path: str) -> None:
    with open(path, "w", encoding="ascii") as file:
        file.write(f"{os.getpid()}\n")


def _remove_pid(path: str) -> None:
    try:
        with open(path, encoding="ascii") as file:
            if file.read().strip() != str(os.getpid()):
                return  # another process has taken the file over
        os.unlink(path)
    except OSError as exc:
        logger.warning("cannot remove the pid file %s: %s", path, exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="[%(asctime)s] [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    if args.worker_fd is not None:
        early_stop = _EarlyStop()
        signal.signal(signal.SIGTERM, early_stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # blocked by the supervisor
        return _worker_main(args, early_stop)
    try:
        if args.metrics_bind is not None and parse_bind(args.metrics_bind)[0] not in _TCP:
            raise BindError(f"--metrics-bind takes HOST:PORT, not {args.metrics_bind!r}")
        sock = _listening_socket(args)
    except BindError as exc:
        logger.error("%s", exc)
        return LOAD_FAILED_EXIT
    except (OSError, OverflowError) as exc:
        logger.error("cannot listen on %s: %s", args.bind if args.fd is None else f"fd {args.fd}", exc)
        return LOAD_FAILED_EXIT
    if args.pid:
        _write_pid(args.pid)
    try:
        if args.workers > 0 or args.reload or args.max_requests > 0:
            from eventlet.httpd._workers import Supervisor

            logger.info("listening on %s", _describe(sock, bool(args.certfile)))
            argv_list = list(sys.argv[1:] if argv is None else argv)  # workers ignore --fd
            metrics = parse_bind(args.metrics_bind)[1] if args.metrics_bind else None
            supervisor = Supervisor(
                sock, argv_list, max(args.workers, 1), args.graceful_timeout, args.timeout, metrics
            )
            return supervisor.run()
        try:
            app = load_app(args.app)
        except (ImportError, ValueError) as exc:
            logger.error("cannot load %s: %s", args.app, exc)
            sock.close()
            return LOAD_FAILED_EXIT
        return serve_in_process(args, sock, app)
    finally:
        if args.pid:
            _remove_pid(args.pid)


def _worker_main(args: argparse.Namespace, early_stop: _EarlyStop) -> int:
    sock = socket.socket(fileno=args.worker_fd)
    try:
        app = load_app(args.app)
    except (ImportError, ValueError) as exc:
        logger.error("cannot load %s: %s", args.app, exc)
        sock.close()
        return LOAD_FAILED_EXIT
    return serve_in_process(args, sock, app, early_stop)

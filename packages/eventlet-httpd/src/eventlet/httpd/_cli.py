"""The command line: ``python -m eventlet.httpd module:app`` (also ``eventlet-httpd``).

Without ``--workers`` the application is served by this process.  With ``--workers N`` this
process binds the socket and becomes a supervisor (:mod:`eventlet.httpd._workers`) of ``N``
worker processes sharing it; each worker is this same command run with the hidden
``--worker-fd`` option.  ``--reload`` restarts the worker when a source file of a loaded
module changes (development only).

Signals: ``SIGTERM`` (and ``SIGINT``) stop gracefully, finishing requests in flight within
``--graceful-timeout``; with workers, ``SIGHUP`` replaces them without dropping a request.
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

__all__ = [
    "LOAD_FAILED_EXIT",
    "RELOAD_EXIT",
    "build_parser",
    "load_app",
    "main",
    "make_socket",
    "server_options",
]

logger = logging.getLogger("eventlet.httpd")

LOAD_FAILED_EXIT = 2
"""Exit status when the application or the socket cannot be set up (not worth a restart)."""
RELOAD_EXIT = 3
"""Exit status of a worker that stopped because a source file changed (restart at once)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command."""
    parser = argparse.ArgumentParser(
        prog="eventlet-httpd",
        description="Serve a WSGI application with eventlet.httpd.",
    )
    parser.add_argument("app", help="the application, as module:name (or module:factory())")
    parser.add_argument(
        "-b",
        "--bind",
        default="127.0.0.1:8000",
        help="HOST:PORT, [IPv6]:PORT or unix:PATH to listen on (default 127.0.0.1:8000)",
    )
    parser.add_argument("-w", "--workers", type=int, default=0, help="worker processes (0: serve here)")
    parser.add_argument("--backlog", type=int, default=1024, help="listen queue length")
    parser.add_argument("--max-connections", type=int, default=10000, help="open connections per process")
    parser.add_argument(
        "--keepalive", type=float, default=75.0, help="idle keep-alive timeout in seconds (0: no keep-alive)"
    )
    parser.add_argument(
        "--header-timeout", type=float, default=10.0, help="seconds to receive a request head"
    )
    parser.add_argument(
        "--socket-timeout", type=float, default=60.0, help="seconds per blocking body read/write"
    )
    parser.add_argument(
        "--graceful-timeout", type=float, default=30.0, help="seconds requests may take to finish on stop"
    )
    parser.add_argument("--access-log", default=None, help="access log file ('-': standard output)")
    parser.add_argument("--access-log-format", default=None, help="%%-style access log format")
    parser.add_argument("--forwarded-for", action="store_true", help="log X-Forwarded-For as the client")
    parser.add_argument("--certfile", default=None, help="TLS certificate chain (PEM)")
    parser.add_argument("--keyfile", default=None, help="TLS private key (PEM)")
    parser.add_argument("--debug", action="store_true", help="tracebacks in 500 responses")
    parser.add_argument("--reload", action="store_true", help="restart when source files change")
    parser.add_argument("--log-level", default="info", help="logging level (default info)")
    parser.add_argument("--worker-fd", type=int, default=None, help=argparse.SUPPRESS)
    return parser


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
    return target


def make_socket(bind: str, backlog: int) -> socket.socket:
    """A listening (plain, inheritable) socket for ``HOST:PORT``, ``[V6]:PORT`` or ``unix:PATH``."""
    if bind.startswith("unix:"):
        path = bind[5:]
        if os.path.exists(path):
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(path)
    else:
        host, sep, port = bind.rpartition(":")
        if not sep:
            host, port = bind, "8000"
        family = socket.AF_INET
        if host.startswith("[") and host.endswith("]"):
            host, family = host[1:-1], socket.AF_INET6
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host or "0.0.0.0", int(port)))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~eventlet.httpd.Server` options the arguments ask for."""
    options: dict[str, Any] = {
        "max_connections": args.max_connections,
        "keepalive": args.keepalive > 0,
        "header_timeout": args.header_timeout,
        "socket_timeout": args.socket_timeout or None,
        "grace_period": args.graceful_timeout,
        "debug": args.debug,
        "log_x_forwarded_for": args.forwarded_for,
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


def serve_in_process(args: argparse.Namespace, sock: socket.socket, app: Callable[..., Any]) -> int:
    """Serve on ``sock`` in this process until SIGTERM/SIGINT (or, as a worker, SIGTERM)."""
    from eventlet.greenthread import spawn_n
    from eventlet.httpd._server import Server

    server = Server(app, sock=sock, **server_options(args))
    sock.close()  # the server holds its own duplicate
    hub = server._hub

    def on_signal(signum: int, frame: Any) -> None:
        # Runs between two bytecodes of whatever green thread is current: only hand the stop to
        # the hub.  A second Ctrl-C falls back to the default KeyboardInterrupt.
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        hub.call_threadsafe(spawn_n, server.stop)

    signal.signal(signal.SIGTERM, on_signal)
    if args.worker_fd is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides
    else:
        signal.signal(signal.SIGINT, on_signal)
        from eventlet.httpd._workers import watch_parent

        spawn_n(watch_parent, server)
    reload_requested: list[bool] = []
    if args.reload:
        from eventlet.httpd._workers import watch_sources

        spawn_n(watch_sources, server, reload_requested)
    logger.info(
        "eventlet.httpd (pid %d) serving on %s", os.getpid(), _describe(server.socket, bool(args.certfile))
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return RELOAD_EXIT if reload_requested else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="[%(asctime)s] [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    if args.worker_fd is not None:
        sock = socket.socket(fileno=args.worker_fd)
    else:
        try:
            sock = make_socket(args.bind, args.backlog)
        except (OSError, ValueError) as exc:
            logger.error("cannot listen on %s: %s", args.bind, exc)
            return LOAD_FAILED_EXIT
        if args.workers > 0 or args.reload:
            from eventlet.httpd._workers import Supervisor

            logger.info("listening on %s", _describe(sock, bool(args.certfile)))
            argv_list = list(sys.argv[1:] if argv is None else argv)
            workers = max(args.workers, 1)
            return Supervisor(sock, argv_list, workers, args.graceful_timeout).run()
    try:
        app = load_app(args.app)
    except (ImportError, ValueError) as exc:
        logger.error("cannot load %s: %s", args.app, exc)
        sock.close()
        return LOAD_FAILED_EXIT
    return serve_in_process(args, sock, app)

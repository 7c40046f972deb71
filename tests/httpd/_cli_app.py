"""WSGI applications for the command-line, worker and gunicorn tests (run in child processes)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import eventlet

not_callable = 42


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers with the worker's pid; ``/slow`` takes a while first; ``/crash`` kills the process.

    ``/slow?S`` says on stderr that it started (tests wait for that line), then takes S seconds.

    ``/block?S`` blocks the whole process (the hub included) for S seconds; ``/env`` answers with
    the client's address, the URL scheme and the host as the application sees them.
    """
    path = environ["PATH_INFO"]
    if path == "/crash":
        os._exit(1)
    if path == "/block":
        time.sleep(float(environ["QUERY_STRING"] or "5"))
    if path == "/env":
        start_response("200 OK", [("Content-Type", "text/plain")])
        seen = (
            environ["REMOTE_ADDR"],
            environ["REMOTE_PORT"],
            environ["wsgi.url_scheme"],
            environ["HTTP_HOST"],
        )
        return [" ".join(seen).encode()]
    if environ["PATH_INFO"] == "/slow":
        print(f"request /slow started in worker {os.getpid()}", file=sys.stderr, flush=True)
        eventlet.sleep(float(environ["QUERY_STRING"] or "0.5"))
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Scheme", environ["wsgi.url_scheme"])])
    return [str(os.getpid()).encode()]


def create_app() -> Callable[..., Any]:
    """An application factory (``module:create_app()``)."""
    return app

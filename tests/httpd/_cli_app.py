"""WSGI applications for the command-line, worker and gunicorn tests (run in child processes)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import eventlet

not_callable = 42


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers with the worker's pid; ``/slow`` takes a while first; ``/crash`` kills the process."""
    if environ["PATH_INFO"] == "/crash":
        os._exit(1)
    if environ["PATH_INFO"] == "/slow":
        eventlet.sleep(float(environ["QUERY_STRING"] or "0.5"))
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Scheme", environ["wsgi.url_scheme"])])
    return [str(os.getpid()).encode()]


def create_app() -> Callable[..., Any]:
    """An application factory (``module:create_app()``)."""
    return app

"""The shape of eventlet-httpd: every public import path of before the protocol/ and websocket/
subpackages still works, the entry points resolve, and no two public classes share a name
(except the listed pairs, where both names are public API)."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest

from tests._layout import check_public_names, same_name_classes

# The public names of each public module of eventlet-httpd, as they were before the move into
# subpackages (``__all__`` and the other documented attributes).  Each must stay importable.
PUBLIC_NAMES: dict[str, tuple[str, ...]] = {
    "eventlet.httpd": (
        "ALREADY_HANDLED",
        "COMBINED",
        "COMMON",
        "AccessLog",
        "ChunkReadError",
        "ClientDisconnected",
        "FileWrapper",
        "HttpProtocol",
        "Input",
        "Server",
        "WebSocket",
        "WebSocketWSGI",
        "serve",
    ),
    "eventlet.httpd.gunicorn": ("EventletWorker",),
    "eventlet.httpd.metrics": (
        "DURATION_BUCKETS",
        "MetricsExporter",
        "StatsCollector",
        "WorkerStats",
        "serve_metrics",
        "serve_supervisor_metrics",
    ),
    "eventlet.wsgi": (
        "ACCEPT_ERRNO",
        "ACCEPT_EXCEPTIONS",
        "ALREADY_HANDLED",
        "BAD_SOCK",
        "BROKEN_SOCK",
        "BaseHTTPServer",
        "ChunkReadError",
        "DEFAULT_LOG_FORMAT",
        "DEFAULT_MAX_HTTP_VERSION",
        "DEFAULT_MAX_SIMULTANEOUS_REQUESTS",
        "FileObjectForHeaders",
        "HeaderLineTooLong",
        "HeadersTooLarge",
        "HttpProtocol",
        "Input",
        "LoggerFileWrapper",
        "LoggerNull",
        "MAX_HEADER_LINE",
        "MAX_REQUEST_LINE",
        "MAX_TOTAL_HEADER_SIZE",
        "MINIMUM_CHUNK_SIZE",
        "RESPONSE_414",
        "STATE_CLOSE",
        "STATE_IDLE",
        "STATE_REQUEST",
        "Server",
        "WSGI_LOCAL",
        "addr_to_host_port",
        "format_date_time",
        "get_logger",
        "is_accepting",
        "server",
        "socket_repr",
    ),
    "eventlet.websocket": (
        "ACCEPTABLE_CLIENT_ERRORS",
        "ALREADY_HANDLED",
        "BadRequest",
        "CLOSE_WAIT",
        "CloseCode",
        "ConnectionClosedError",
        "DEFAULT_MAX_FRAME_LENGTH",
        "FailedConnectionError",
        "Input",
        "PROTOCOL_GUID",
        "ProtocolError",
        "RFC6455WebSocket",
        "WebSocket",
        "WebSocketWSGI",
    ),
}

# Same-named public classes that are both public API, in different public modules: eventlet.httpd's
# own server and websocket classes, and upstream eventlet's names in eventlet.wsgi and
# eventlet.websocket, which programs written for upstream import.
ALLOWED_SAME_NAMES = {
    "HttpProtocol": ["eventlet.httpd._connection", "eventlet.wsgi._protocol"],
    "Input": ["eventlet.httpd._wsgi", "eventlet.wsgi._input"],
    "Server": ["eventlet.httpd._server", "eventlet.wsgi._server"],
    "WebSocket": ["eventlet.httpd.websocket._app", "eventlet.httpd.websocket._legacy"],
    "WebSocketWSGI": ["eventlet.httpd.websocket._app", "eventlet.websocket"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_import_from_their_paths(module: str) -> None:
    assert check_public_names(module, PUBLIC_NAMES[module]) == []


def test_moved_classes_are_the_same_objects_on_every_path() -> None:
    import eventlet.httpd
    import eventlet.websocket
    from eventlet.httpd import protocol
    from eventlet.httpd.websocket import _app, _legacy, _rfc6455

    assert eventlet.httpd.WebSocket is _app.WebSocket
    assert eventlet.httpd.WebSocketWSGI is _app.WebSocketWSGI
    assert eventlet.websocket.WebSocket is _legacy.WebSocket
    assert eventlet.websocket.RFC6455WebSocket is _rfc6455.RFC6455WebSocket
    error = protocol.HTTPProtocolError(413, "request body too large")
    assert eventlet.httpd.ChunkReadError(error).error is error


def test_the_command_line_entry_points() -> None:
    (script,) = [
        ep for ep in importlib.metadata.entry_points(group="console_scripts") if ep.name == "eventlet-httpd"
    ]
    assert script.value == "eventlet.httpd._cli:main"
    assert callable(script.load())
    out = subprocess.run(
        [sys.executable, "-m", "eventlet.httpd", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert out.stdout.startswith("usage: eventlet-httpd")


def test_eventlet_attributes_reach_the_httpd_modules() -> None:
    import eventlet

    for name in ("httpd", "wsgi", "websocket"):  # submodules as attributes, imported on first use
        assert getattr(eventlet, name) is importlib.import_module(f"eventlet.{name}")


def test_no_two_public_classes_share_a_name() -> None:
    assert same_name_classes("eventlet-httpd") == ALLOWED_SAME_NAMES

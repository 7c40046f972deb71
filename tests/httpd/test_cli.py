"""The command line (python -m eventlet.httpd) and the worker supervisor, as real processes."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from eventlet.httpd import _cli
from tests.httpd._procs import APP, ROOT, Proc, _get

__all__ = ["APP", "ROOT", "Proc", "_get"]  # test_gunicorn.py imports them from here


def test_single_process_with_access_log(procs: list[Proc]) -> None:
    proc = Proc(APP, "--bind", "127.0.0.1:0", "--access-log", "-", "--keepalive", "0")
    procs.append(proc)
    port = proc.port()
    status, body = _get(port)
    assert status == 200
    assert body == str(proc.proc.pid).encode()
    assert proc.stop() == 0
    assert proc.proc.stdout is not None
    assert b'"GET / HTTP/1.1" 200' in proc.proc.stdout.read()


def test_sigint_stops_single_process(procs: list[Proc]) -> None:
    proc = Proc("tests.httpd._cli_app:create_app()", "--bind", "127.0.0.1:0", "--timeout", "0")
    procs.append(proc)
    assert _get(proc.port())[0] == 200
    assert proc.stop(signal.SIGINT) == 0


def test_bad_application_and_bind(procs: list[Proc]) -> None:
    for args in (
        ["nonexistent_module_xyz:app", "--bind", "127.0.0.1:0"],
        ["tests.httpd._cli_app:not_callable", "--bind", "127.0.0.1:0"],
        [APP, "--bind", "256.1.1.1:0"],
    ):
        proc = Proc(*args)
        procs.append(proc)
        assert proc.proc.wait(20) == _cli.LOAD_FAILED_EXIT


def test_workers_restart_replace_and_drain(procs: list[Proc]) -> None:
    proc = Proc(APP, "--bind", "127.0.0.1:0", "--workers", "2", "--graceful-timeout", "10")
    procs.append(proc)
    port = proc.port()
    first = {int(proc.wait_for(r"started worker (\d+)").group(1)) for _ in range(2)}
    for _ in range(2):
        proc.wait_for(r"serving on")
    seen = {int(_get(port)[1]) for _ in range(6)}
    assert seen <= first

    # a worker that dies is replaced
    victim = next(iter(first))
    os.kill(victim, signal.SIGKILL)
    proc.wait_for(rf"worker {victim} exited with status")
    replacement = int(proc.wait_for(r"started worker (\d+)").group(1))
    proc.wait_for(r"serving on")

    # SIGHUP replaces every worker; a request in flight on an old one completes
    outcome: list[Any] = []

    def slow_request() -> None:
        outcome.append(_get(port, "/slow?1.0"))

    workers = (first - {victim}) | {replacement}
    client = threading.Thread(target=slow_request)
    client.start()
    proc.wait_for(r"request /slow started in worker")
    proc.proc.send_signal(signal.SIGHUP)
    new = {int(proc.wait_for(r"started worker (\d+)").group(1)) for _ in range(2)}
    proc.wait_for(r"replacing 2 workers")
    for _ in range(2):  # each old worker is told to stop only once its successor accepts
        proc.wait_for(r"worker \d+ took over from worker \d+")
    client.join(20)
    assert outcome
    assert outcome[0][0] == 200
    assert int(outcome[0][1]) in workers
    for _ in range(2):
        proc.wait_for(r"retired worker \d+ exited")
    for _ in range(2):
        proc.wait_for(r"serving on")
    assert {int(_get(port)[1]) for _ in range(6)} <= new

    assert proc.stop() == 0
    for pid in new:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_workers_stop_when_application_cannot_load(procs: list[Proc]) -> None:
    proc = Proc("nonexistent_module_xyz:app", "--bind", "127.0.0.1:0", "--workers", "1")
    procs.append(proc)
    assert proc.proc.wait(30) == _cli.LOAD_FAILED_EXIT


def test_reload_restarts_worker_on_change(procs: list[Proc], tmp_path: Path) -> None:
    module = tmp_path / "reload_app.py"
    module.write_text(
        "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'v1']\n"
    )
    proc = Proc("reload_app:app", "--bind", f"unix:{tmp_path / 's.sock'}", "--reload", cwd=tmp_path)
    procs.append(proc)
    proc.wait_for(r"listening on unix:")
    proc.wait_for(r"serving on")
    proc.wait_for(r"watching \d+ source files for changes")  # the first look is taken
    module.write_text(module.read_text().replace("v1", "v2"))
    os.utime(module, (time.time() + 5, time.time() + 5))
    proc.wait_for(r"changed: reloading")
    proc.wait_for(r"asked to be replaced")
    proc.wait_for(r"serving on")
    proc.wait_for(r"took over from worker")
    proc.wait_for(r"retired worker \d+ exited")  # it accepted until it got its SIGTERM
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(tmp_path / "s.sock"))
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := client.recv(4096):
            data += chunk
    assert data.endswith(b"v2")
    assert proc.stop(signal.SIGINT) == 0


# -- in-process pieces -------------------------------------------------------------------


def test_load_app_forms() -> None:
    from tests.httpd import _cli_app

    assert _cli.load_app("tests.httpd._cli_app:app") is _cli_app.app
    assert _cli.load_app("tests.httpd._cli_app:create_app()") is _cli_app.app
    for bad in ("nocolon", ":app", "tests.httpd._cli_app:", "tests.httpd._cli_app:missing"):
        with pytest.raises(ValueError, match=r"module:name|has no attribute"):
            _cli.load_app(bad)


def test_make_socket_forms(tmp_path: Path) -> None:
    with _cli.make_socket("127.0.0.1:0", 5) as sock:
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.get_inheritable()
    path = tmp_path / "x.sock"
    path.write_text("stale")
    with _cli.make_socket(f"unix:{path}", 5) as sock:
        assert sock.family == socket.AF_UNIX
    try:
        with _cli.make_socket("[::1]:0", 5) as sock:
            assert sock.family == socket.AF_INET6
    except OSError:  # pragma: no cover - IPv6 disabled here
        pass
    try:
        with _cli.make_socket("localhost", 5) as sock:  # no port: 8000
            assert sock.getsockname()[1] == 8000
    except OSError:  # pragma: no cover - port 8000 is taken on this machine
        pass


def test_server_options_mapping(tmp_path: Path) -> None:
    parser = _cli.build_parser()
    args = parser.parse_args([APP, "--keepalive", "0", "--socket-timeout", "0", "--access-log", "x.log"])
    options = _cli.server_options(args)
    assert options["keepalive"] is False
    assert "keepalive_timeout" not in options
    assert options["socket_timeout"] is None
    assert options["access_log"] == "x.log"
    args = parser.parse_args([APP, "--access-log-format", "%(status_code)s", "--keepalive", "5"])
    options = _cli.server_options(args)
    assert options["access_log"] is False
    assert options["keepalive_timeout"] == 5.0
    assert options["access_log_format"] == "%(status_code)s"

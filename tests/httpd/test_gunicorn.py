"""The gunicorn worker class, run by a real gunicorn (extra eventlet-httpd[gunicorn])."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gunicorn")

from tests.httpd.test_cli import ROOT, Proc, _get

WORKER = "eventlet.httpd.gunicorn.EventletWorker"
GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent))


def no_control_socket_args() -> list[str]:
    """The flags that turn gunicorn's control socket off: gunicorn 24+ has one, 23 has none."""
    if GUNICORN is None:
        return []
    usage = subprocess.run([GUNICORN, "--help"], capture_output=True, text=True, check=False).stdout
    return ["--no-control-socket"] if "--no-control-socket" in usage else []


class Gunicorn(Proc):
    """A gunicorn master process; its log goes to stderr like ours."""

    def __init__(self, *args: str) -> None:
        assert GUNICORN is not None
        self.proc = subprocess.Popen(
            [GUNICORN, "-k", WORKER, "--bind", "127.0.0.1:0", *no_control_socket_args(), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines = []
        self._pending = b""

    def port(self) -> int:
        return int(self.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))


@pytest.fixture
def gunicorn() -> Any:
    started: list[Gunicorn] = []

    def start(*args: str) -> Gunicorn:
        proc = Gunicorn(*args)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.proc.poll() is None:
            proc.stop(signal.SIGKILL)
        proc.close()


@pytest.mark.skipif(GUNICORN is None, reason="the gunicorn command is not installed")
def test_serves_and_restarts_after_max_requests(gunicorn: Any) -> None:
    master = gunicorn("tests.httpd._cli_app:app", "--workers", "1", "--max-requests", "3")
    port = master.port()
    master.wait_for(r"Booting worker with pid: (\d+)")
    pids = [int(_get(port)[1]) for _ in range(3)]
    assert len(set(pids)) == 1
    master.wait_for(r"Autorestarting worker after current request")
    master.wait_for(r"Booting worker with pid: (\d+)")
    deadline = time.monotonic() + 20
    while int(_get(port)[1]) == pids[0]:  # pragma: no cover - the old one may answer once more
        assert time.monotonic() < deadline
    assert master.stop() == 0


@pytest.mark.skipif(GUNICORN is None, reason="the gunicorn command is not installed")
def test_graceful_timeout_lets_requests_finish(gunicorn: Any) -> None:
    master = gunicorn(
        "tests.httpd._cli_app:app", "--workers", "1", "--graceful-timeout", "10", "--keep-alive", "0"
    )
    port = master.port()
    assert _get(port)[0] == 200
    outcome: list[Any] = []
    client = threading.Thread(target=lambda: outcome.append(_get(port, "/slow?1.0")))
    client.start()
    master.wait_for(r"request /slow started in worker")
    master.proc.send_signal(signal.SIGTERM)
    client.join(20)
    assert outcome
    assert outcome[0][0] == 200
    assert master.proc.wait(20) == 0

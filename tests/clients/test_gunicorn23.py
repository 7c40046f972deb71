"""gunicorn 23.0.0's own eventlet worker (``gunicorn -k eventlet``) serving Flask on our packages.

gunicorn 23 is the last release that ships that worker (``gunicorn/workers/geventlet.py``), and
many deployments pin it.  It checks ``eventlet.__version__ >= 0.24.1``, wraps gunicorn's listening
socket object in ``eventlet.greenio.GreenSocket``, reaches ``eventlet.greenpool`` and
``eventlet.greenthread`` as attributes after ``import eventlet``, reads ``eventlet.wsgi.WSGI_LOCAL``,
calls ``eventlet.monkey_patch()`` and stops its acceptors with ``eventlet.StopServe``.

Our own worker's tests use a newer gunicorn, so this module runs in the ``gunicorn23`` tox
environment (which sets ``GUNICORN23_REQUIRED=1`` so that a wrong version fails instead of
skipping) and skips elsewhere.  Requests use a fresh connection each (``Connection: close``).
The requests held across a stop are answered only once gunicorn has told the worker to stop, so
nothing here waits on a clock.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.clients._support import LineProcess


def _gunicorn_version() -> str | None:
    try:
        return importlib.metadata.version("gunicorn")
    except importlib.metadata.PackageNotFoundError:
        return None


if _gunicorn_version() != "23.0.0":
    if os.environ.get("GUNICORN23_REQUIRED"):
        raise RuntimeError(f"this environment must have gunicorn 23.0.0, not {_gunicorn_version()}")
    pytest.skip("needs gunicorn 23.0.0 (tox -e gunicorn23)", allow_module_level=True)
pytest.importorskip("flask")

from tests.clients._gunicorn23_app import HOLD_BODY  # noqa: E402 (after the skips: imports flask)

GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
APP = "tests.clients._gunicorn23_app:app"


class Gunicorn:
    """A gunicorn 23 master running one ``-k eventlet`` worker on a free port."""

    def __init__(self, *options: str) -> None:
        assert GUNICORN is not None, "the gunicorn command is not installed next to this Python"
        argv = [GUNICORN, "-k", "eventlet", "--bind", "127.0.0.1:0", "--workers", "1"]
        argv += ["--graceful-timeout", "30", *options, APP]
        self.master = LineProcess(argv)
        try:
            self.port = int(self.master.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
            self.worker = int(self.master.wait_for(r"Booting worker with pid: (\d+)").group(1))
        except BaseException:
            self.master.__exit__()
            raise

    def request(self, path: str) -> tuple[int, bytes]:
        """GET ``path`` on a new connection; the status and the whole body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, path: str) -> Any:
        """GET ``path`` and decode its JSON body (asserting a 200)."""
        status, body = self.request(path)
        assert status == 200, (status, body)
        return json.loads(body)

    def close(self) -> str:
        """Stop the master if still running; everything it printed."""
        if self.master.proc.poll() is None:
            self.master.stop(signal.SIGTERM, timeout=40)
        self.master.__exit__()
        return self.master.output()


@pytest.fixture
def server() -> Iterator[Gunicorn]:
    """A gunicorn 23 master for one test; its output must hold no traceback."""
    started = Gunicorn()
    try:
        yield started
    finally:
        output = started.close()
    assert "Traceback" not in output, output


def test_plain_requests(server: Gunicorn) -> None:
    status, body = server.request("/")
    assert (status, body) == (200, b"hello from gunicorn 23's eventlet worker\n")
    assert server.json("/pid") == {"pid": server.worker, "patched": True}
    assert server.request("/missing")[0] == 404
    # A file response goes through gunicorn's sendfile path on the green socket.
    status, body = server.request("/source")
    assert status == 200
    assert body == Path(__file__).with_name("_gunicorn23_app.py").read_bytes()


def test_fifty_sleeping_requests_are_served_together(server: Gunicorn) -> None:
    count = 50
    # Each request waits inside the app until all 50 are in, then sleeps: a worker that served
    # them one at a time would answer "together": false (after the app's 30 s limit).
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda _: server.json(f"/together/fifty/{count}"), range(count)))
    assert answers == [{"together": True, "pid": server.worker}] * count


def _held(server: Gunicorn, key: str, count: int) -> list[Future[tuple[int, bytes]]]:
    """``count`` requests to ``/hold/key`` (answered once the worker is told to stop), all inside."""
    pool = ThreadPoolExecutor(count)
    pending = [pool.submit(server.request, f"/hold/{key}") for _ in range(count)]
    pool.shutdown(wait=False)
    deadline = time.monotonic() + 30
    while server.json(f"/arrived/{key}")["count"] < count:
        assert time.monotonic() < deadline, "the requests never all arrived"
        time.sleep(0.02)
    return pending


def test_sighup_replaces_the_worker_while_serving(server: Gunicorn) -> None:
    old = server.worker
    pending = _held(server, "hup", 5)
    server.master.proc.send_signal(signal.SIGHUP)
    new = int(server.master.wait_for(rf"Booting worker with pid: (?!{old}\b)(\d+)", timeout=30).group(1))
    # The old worker finishes what it holds (gracefully), then exits; the new one serves.
    assert [future.result(timeout=60) for future in pending] == [(200, HOLD_BODY)] * 5
    server.master.wait_for(rf"Worker exiting \(pid: {old}\)", timeout=40)
    assert server.json("/pid") == {"pid": new, "patched": True}
    assert server.request("/") == (200, b"hello from gunicorn 23's eventlet worker\n")


def test_sigterm_lets_requests_in_flight_finish(server: Gunicorn) -> None:
    pending = _held(server, "term", 10)
    server.master.proc.send_signal(signal.SIGTERM)
    # Each request is answered only after the worker got SIGTERM, and in full.
    assert [future.result(timeout=60) for future in pending] == [(200, HOLD_BODY)] * 10
    assert server.master.proc.wait(40) == 0
    server.master.wait_for(rf"Worker exiting \(pid: {server.worker}\)")
    server.master.wait_for(r"Shutting down: Master")

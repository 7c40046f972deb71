"""gunicorn with ``-k eventlet.httpd.gunicorn.EventletWorker`` serving a Flask app, hit by curl and wrk."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("gunicorn")
pytest.importorskip("flask")

from tests.clients._support import LineProcess

GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
CURL = shutil.which("curl")
WRK = shutil.which("wrk")
WORKER = "eventlet.httpd.gunicorn.EventletWorker"


def start_gunicorn() -> tuple[LineProcess, int]:
    """A gunicorn master with one eventlet worker serving tests.clients._flask_app:app; its port."""
    if GUNICORN is None:
        pytest.skip("the gunicorn command is not installed")
    argv = [
        GUNICORN,
        "-k",
        WORKER,
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--no-control-socket",
        "--graceful-timeout",
        "5",
        "tests.clients._flask_app:app",
    ]
    master = LineProcess(argv)
    try:
        bound = int(master.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
        master.wait_for(r"Booting worker with pid: (\d+)")
    except BaseException:
        master.__exit__()
        raise
    return master, bound


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    """The port of a gunicorn shared by the tests of this module."""
    master, bound = start_gunicorn()
    with master:
        yield bound
        assert master.stop() == 0, master.output()


def curl(*args: str, fail: bool = True) -> str:
    """Run curl (failing on HTTP errors unless ``fail=False``) and return what it printed."""
    assert CURL is not None
    argv = [CURL, "-sS", "--max-time", "20", *(["--fail"] if fail else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(CURL is None, reason="curl is not installed (Debian package curl; see .ci/services)")
def test_curl_get_and_post(port: int) -> None:
    assert curl(f"http://127.0.0.1:{port}/") == "hello from flask under gunicorn\n"
    answer = json.loads(
        curl("-H", "Content-Type: application/json", "-d", '{"a": [1, 2]}', f"http://127.0.0.1:{port}/json")
    )
    assert answer["got"] == {"a": [1, 2]}
    assert (
        curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{port}/missing", fail=False) == "404"
    )


@pytest.mark.skipif(CURL is None, reason="curl is not installed (Debian package curl; see .ci/services)")
def test_one_worker_holds_many_requests_at_once(port: int) -> None:
    count = 6
    url = f"http://127.0.0.1:{port}/gate/{count}"
    # The worker's green threads all wait inside the app until the last request arrives.
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda _: curl(url), range(count)))
    assert answers == ["all in"] * count


@pytest.mark.skipif(WRK is None, reason="wrk is not installed (Debian package wrk; see .ci/services)")
def test_wrk_load_has_no_errors(port: int) -> None:
    assert WRK is not None
    done = subprocess.run(
        [WRK, "-t", "1", "-c", "16", "-d", "1s", "--latency", f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    total = re.search(r"(\d+) requests in", done.stdout)
    assert total is not None, done.stdout
    assert int(total.group(1)) > 0
    assert "Socket errors" not in done.stdout, done.stdout
    assert "Non-2xx" not in done.stdout, done.stdout


@pytest.mark.skipif(CURL is None, reason="curl is not installed (Debian package curl; see .ci/services)")
def test_sigterm_shuts_down_cleanly() -> None:
    master, bound = start_gunicorn()
    with master:
        assert curl(f"http://127.0.0.1:{bound}/") == "hello from flask under gunicorn\n"
        assert master.stop() == 0
        master.wait_for(r"Shutting down: Master")
        assert "Traceback" not in master.output(), master.output()

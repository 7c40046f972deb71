"""oslo.service 4.8 on our eventlet: a service with a looping call and ``oslo_service.wsgi.Server``.

The program is ``_oslo_service_app.py`` (its docstring lists what it prints), launched with
``oslo_service.service.launch``: one worker runs the service in the launching process, two are
forked children sharing the listening socket.  Each test waits for the program's own lines
(started, looping-call ticks, a request held inside the application), never on a clock, and
stops it with SIGTERM while a request is in flight: that request is answered, every process
exits with status 0.  ``_oslo_service_calls.py`` drives oslo.service's other green helpers to
their ends: looping calls, thread groups, periodic tasks, the eventlet backdoor.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import signal
import sys
from concurrent.futures import Future, ThreadPoolExecutor

from tests.clients._support import HERE, LineProcess, run_script
from tests.clients.conftest import missing

VERSION = "4.8."

try:
    _version = importlib.metadata.version("oslo.service")
except importlib.metadata.PackageNotFoundError:
    missing("oslo.service is not installed (tox -e clients-openstack)")
else:
    if not _version.startswith(VERSION):
        missing(f"these tests are for oslo.service {VERSION}x, not {_version}")

APP = HERE / "_oslo_service_app.py"
CALLS = HERE / "_oslo_service_calls.py"
TICKS = 3  # as _oslo_service_app.TICKS
CONCURRENT = 20
START = 60.0  # seconds a line may take to appear (a failure, never a wait)


def get(port: int, path: str) -> tuple[int, str]:
    """One request on a fresh connection; the status and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def started(program: LineProcess, workers: int) -> tuple[int, set[int]]:
    """Wait until the service runs in ``workers`` processes and each looping call ticked."""
    port = int(program.wait_for(r"^listening (\d+)$", timeout=START).group(1))
    pids: set[int] = set()
    while len(pids) < workers:
        others = "".join(f"(?!{pid}$)" for pid in pids)
        pids.add(int(program.wait_for(rf"^started {others}(\d+)$", timeout=START).group(1)))
    for pid in pids:
        program.wait_for(rf"^tick {pid} {TICKS}$", timeout=START)
    return port, pids


def stop_with_a_request_in_flight(program: LineProcess, port: int, pids: set[int]) -> None:
    """SIGTERM while ``/held`` is inside the application: it is answered, every process exits 0."""
    with ThreadPoolExecutor(1) as pool:
        held: Future[tuple[int, str]] = pool.submit(get, port, "/held")
        holder = int(program.wait_for(r"^held (\d+)$", timeout=START).group(1))
        assert holder in pids
        assert program.stop(signal.SIGTERM, timeout=60) == 0, program.output()
        assert held.result(timeout=60) == (200, f"{holder} released")


def test_one_worker_serves_concurrently_and_stops_on_sigterm() -> None:
    with LineProcess([sys.executable, str(APP), "1"]) as program:
        port, pids = started(program, 1)
        assert pids == {program.proc.pid}  # one worker: the service runs in the launcher
        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(lambda _: get(port, f"/gate/{CONCURRENT}"), range(CONCURRENT)))
        # All of them were inside the application at the same time.
        assert sorted(int(body.split()[1]) for _, body in answers) == list(range(1, CONCURRENT + 1))
        assert {status for status, _ in answers} == {200}
        stop_with_a_request_in_flight(program, port, pids)


def test_two_forked_workers_serve_and_stop_on_sigterm() -> None:
    with LineProcess([sys.executable, str(APP), "2"]) as program:
        port, pids = started(program, 2)
        assert program.proc.pid not in pids  # the workers are forked children
        # The workers accept from the one socket they share; both answer within a few requests.
        served: set[int] = set()
        for _ in range(200):
            status, body = get(port, "/")
            assert status == 200
            served.add(int(body))
            if served == pids:
                break
        assert served == pids
        stop_with_a_request_in_flight(program, port, pids)
        for pid in pids:  # the launcher's own log
            program.wait_for(rf"Child {pid} exited with status 0$", timeout=1)


def test_looping_calls_thread_groups_periodic_tasks_and_backdoor() -> None:
    result = run_script(CALLS, timeout=120)
    assert [result["fixed"], result["dynamic"], result["backoff"]] == ["fixed", "dynamic", "backoff"]
    assert result["timed_out"] is True
    assert result["retried"] == 3
    assert result["thread_result"] == 42
    assert result["after_stop"] == [0, 0]
    assert result["graceful"] == ["let go"]
    assert result["periodic_runs"] == 1
    assert result["backdoor"] == "42"

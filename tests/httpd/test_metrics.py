"""Server statistics and the Prometheus exporter, one process and a supervisor of workers."""

from __future__ import annotations

import http.client
import logging
import os
import re
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

import eventlet
from eventlet.httpd._stats import DURATION_BUCKETS, Recorder, counters_of, merge
from tests.httpd._live import live
from tests.httpd._procs import APP, Proc, _get

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/slow":
        eventlet.sleep(0.03)
    status = "404 Not Found" if path == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"hello"]


def _scrape(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        conn.close()


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.M)
    assert match, f"{name} not in:\n{text}"
    return float(match.group(1))


def test_stats_without_metrics_has_gauges_and_the_hub() -> None:
    with live(app) as server:
        for _ in range(2):
            _get(server.port)
        assert server.server is not None
        stats = server.call(server.server.stats)
    assert stats["connections_accepted"] == 2
    assert stats["connections_open"] == 0
    assert "requests" not in stats
    assert {"timers", "switches", "listeners"} <= set(stats["hub"])


def test_stats_count_requests_statuses_durations_and_bytes(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, "eventlet.httpd.access"),
        live(app, metrics=True, access_log=None) as server,
    ):
        for path in ("/", "/", "/missing", "/boom", "/slow"):
            _get(server.port, path)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/")
        conn.getresponse().read()  # a kept-alive connection, now idle
        assert server.server is not None
        stats = server.call(server.server.stats)
        conn.close()
    assert stats["requests"] == 6
    assert stats["bytes_sent"] > 4 * 5
    assert stats["responses"] == {"1xx": 0, "2xx": 4, "3xx": 0, "4xx": 1, "5xx": 1}
    assert stats["connections_open"] == 1
    assert stats["connections_idle"] == 1
    buckets = stats["duration_buckets"]
    assert len(buckets) == len(DURATION_BUCKETS) + 1
    assert buckets[-1] == 6
    assert buckets == sorted(buckets)
    assert buckets[1] < 6
    assert stats["duration_sum"] >= 0.03  # /slow went past 10 ms
    assert caplog.text.count('"GET / HTTP/1.1" 200') == 3  # the access log still gets its lines


def test_recorder_and_merging() -> None:
    recorder = Recorder()
    recorder.write({}, "999 Odd", 0, 100.0)  # an unknown class, beyond the last bound
    assert recorder.requests == 1
    assert recorder.duration_counts[-1] == 1
    assert sum(recorder.statuses.values()) == 0
    one = {"requests": 1, "responses": {"2xx": 1}, "duration_buckets": [1, 1], "hub": {"timers": 2}}
    two = {"requests": 2, "responses": {"2xx": 2, "5xx": 1}, "duration_buckets": [0, 2], "hub": {"timers": 3}}
    assert merge([one, two]) == {
        "requests": 3,
        "responses": {"2xx": 3, "5xx": 1},
        "duration_buckets": [1, 3],
        "hub": {"timers": 5},
    }
    assert "hub" not in counters_of(one)
    assert counters_of(one)["requests"] == 1


def test_prometheus_exporter_in_process() -> None:
    pytest.importorskip("prometheus_client")
    from eventlet.httpd.metrics import serve_metrics

    with live(app, metrics=True) as server:
        for path in ("/", "/missing"):
            _get(server.port, path)
        assert server.server is not None
        exporter = server.call(serve_metrics, [server.server], "127.0.0.1", 0)
        text = _scrape(exporter.address[1])
        server.call(exporter.stop)
    assert _value(text, "eventlet_httpd_requests_total") == 2
    assert _value(text, 'eventlet_httpd_responses_total{status_class="4xx"}') == 1
    assert _value(text, 'eventlet_httpd_request_duration_seconds_bucket{le="+Inf"}') == 2
    assert _value(text, "eventlet_httpd_connections_accepted_total") == 2
    assert _value(text, "eventlet_httpd_hub_switches") > 0
    assert "eventlet_httpd_workers" not in text


def test_exporter_without_prometheus_client(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from eventlet.httpd import metrics

    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(RuntimeError, match=r"eventlet-httpd\[metrics\]"):
        metrics.serve_metrics([], "127.0.0.1", 0)


def test_single_process_metrics_bind(procs: list[Proc]) -> None:
    pytest.importorskip("prometheus_client")
    from tests.httpd._nginx import free_port

    metrics_port = free_port()
    proc = Proc(APP, "--bind", "127.0.0.1:0", "--metrics-bind", f"127.0.0.1:{metrics_port}")
    procs.append(proc)
    port = proc.port()
    for _ in range(3):
        _get(port)
    assert _value(_scrape(metrics_port), "eventlet_httpd_requests_total") == 3
    assert proc.stop() == 0


def test_workers_metrics_are_summed_and_survive_a_worker_replacement(procs: list[Proc]) -> None:
    pytest.importorskip("prometheus_client")
    from tests.httpd._nginx import free_port

    metrics_port = free_port()
    proc = Proc(APP, "--bind", "127.0.0.1:0", "--workers", "2", "--metrics-bind", f"127.0.0.1:{metrics_port}")
    procs.append(proc)
    port = proc.port()
    proc.wait_for(rf"serving metrics on 127.0.0.1:{metrics_port}")
    for _ in range(2):
        proc.wait_for(r"serving on")
    pids = set()
    for _ in range(20):
        pids.add(int(_get(port)[1]))

    def settled(count: float) -> str:
        deadline = time.monotonic() + 20
        while True:  # the workers report every second
            text = _scrape(metrics_port)
            if (
                _value(text, "eventlet_httpd_requests_total") == count
                and _value(text, "eventlet_httpd_workers") == 2
            ):
                return text
            assert time.monotonic() < deadline, text
            time.sleep(0.2)

    text = settled(20)
    assert _value(text, 'eventlet_httpd_responses_total{status_class="2xx"}') == 20
    victim = next(iter(pids))
    os.kill(victim, signal.SIGTERM)  # it stops; the supervisor replaces it
    proc.wait_for(rf"worker {victim} exited")
    proc.wait_for(r"serving on")
    _get(port)
    settled(21)  # the replaced worker's requests still count
    assert proc.stop() == 0

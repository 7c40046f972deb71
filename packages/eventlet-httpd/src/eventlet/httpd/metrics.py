"""A Prometheus exporter for :mod:`eventlet.httpd` (``pip install "eventlet-httpd[metrics]"``).

The numbers come from :meth:`eventlet.httpd.Server.stats` (give the server ``metrics=True`` for
request counts and durations); nothing is computed per request for Prometheus: a scrape reads
the statistics and turns them into metric families (:class:`StatsCollector`).

* One process: :func:`serve_metrics` serves ``/metrics`` (any path) from an
  :class:`eventlet.httpd.Server` of its own, on a separate port, in the same hub.
* Worker processes (``eventlet-httpd --workers N --metrics-bind HOST:PORT``): each worker sends
  its statistics to the supervisor every second over the report pipe, and the supervisor
  serves their sum (:func:`serve_supervisor_metrics`, a thread of its own, since the supervisor
  runs no hub).  Counters of workers that exited are kept, so a total never goes down when a
  worker is replaced; gauges (connections open, idle) are those of the running workers.

Metric names (all prefixed ``eventlet_httpd_``): ``connections_open``, ``connections_idle``,
``connections_accepted_total``, ``requests_total``, ``responses_total{status_class}``,
``response_body_bytes_total``, ``request_duration_seconds`` (histogram), ``hub_ready``,
``hub_timers``, ``hub_listeners``, ``hub_switches`` (gauges over the running processes), and with
workers ``workers``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ._stats import DURATION_BUCKETS, merge

__all__ = ["MetricsExporter", "StatsCollector", "WorkerStats", "serve_metrics", "serve_supervisor_metrics"]

_PREFIX = "eventlet_httpd_"


def _prometheus() -> Any:
    try:
        import prometheus_client
    except ImportError as exc:
        raise RuntimeError('metrics need prometheus_client: pip install "eventlet-httpd[metrics]"') from exc
    return prometheus_client


class StatsCollector:
    """A ``prometheus_client`` collector over ``source()``: a list of stats dicts, added up."""

    def __init__(self, source: Callable[[], Sequence[dict[str, Any]]], workers: bool = False) -> None:
        self.source = source
        self.workers = workers

    def collect(self) -> Iterator[Any]:
        """The metric families of the statistics now (called by the registry at each scrape)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        snapshots = list(self.source())
        stats = merge(snapshots)
        gauges = (
            ("connections_open", "Open client connections."),
            ("connections_idle", "Connections waiting for a request head."),
        )
        for key, doc in gauges:
            yield GaugeMetricFamily(_PREFIX + key, doc, value=stats.get(key, 0))
        counters = (
            ("connections_accepted", "Connections accepted."),
            ("requests", "Responses sent (requests answered)."),
        )
        for key, doc in counters:
            yield CounterMetricFamily(_PREFIX + key, doc, value=stats.get(key, 0))
        responses = CounterMetricFamily(
            _PREFIX + "responses", "Responses by status class.", labels=["status_class"]
        )
        for cls, count in sorted(stats.get("responses", {}).items()):
            responses.add_metric([cls], count)
        yield responses
        yield CounterMetricFamily(
            _PREFIX + "response_body_bytes", "Response body bytes sent.", value=stats.get("bytes_sent", 0)
        )
        cumulative = stats.get("duration_buckets") or [0] * (len(DURATION_BUCKETS) + 1)
        bounds = [repr(float(b)) for b in DURATION_BUCKETS] + ["+Inf"]
        yield HistogramMetricFamily(
            _PREFIX + "request_duration_seconds",
            "Time from the request head to the end of the response.",
            buckets=list(zip(bounds, cumulative, strict=True)),
            sum_value=stats.get("duration_sum", 0.0),
        )
        hub = stats.get("hub", {})
        for key in ("ready", "timers", "listeners"):
            yield GaugeMetricFamily(
                _PREFIX + "hub_" + key, f"The hub's {key} (summed).", value=hub.get(key, 0)
            )
        yield GaugeMetricFamily(
            _PREFIX + "hub_switches",
            "Green thread switches of the running processes.",
            value=hub.get("switches", 0),
        )
        if self.workers:
            live = sum(1 for snap in snapshots if "hub" in snap)
            yield GaugeMetricFamily(_PREFIX + "workers", "Worker processes reporting.", value=live)


class MetricsExporter:
    """A running exporter; :meth:`stop` ends it."""

    def __init__(self, stop: Callable[[], None], address: Any) -> None:
        self._stop = stop
        self.address = address
        """The address the exporter listens on."""

    def stop(self) -> None:
        """Stop serving metrics."""
        self._stop()


def serve_metrics(servers: Iterable[Any], host: str = "127.0.0.1", port: int = 9100) -> MetricsExporter:
    """Serve the statistics of ``servers`` (in this hub) on ``host``/``port``; see the module doc."""
    prometheus = _prometheus()
    from ._server import Server

    targets = list(servers)
    registry = prometheus.CollectorRegistry()
    registry.register(StatsCollector(lambda: [server.stats() for server in targets]))
    exporter = Server(prometheus.make_wsgi_app(registry), host, port, access_log=False, metrics=False)
    exporter.start()
    return MetricsExporter(lambda: exporter.stop(1.0), exporter.address)


def serve_supervisor_metrics(
    source: Callable[[], Sequence[dict[str, Any]]], host: str, port: int
) -> MetricsExporter:
    """Serve the sum of ``source()`` from a thread (for the supervisor, which has no hub)."""
    prometheus = _prometheus()
    registry = prometheus.CollectorRegistry()
    registry.register(StatsCollector(source, workers=True))
    server, thread = prometheus.start_http_server(port, host, registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return MetricsExporter(stop, server.server_address)


class WorkerStats:
    """The supervisor's store of worker statistics, shared with the exporter thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, dict[str, Any]] = {}
        self._retired: dict[str, Any] = {}

    def update(self, pid: int, stats: dict[str, Any]) -> None:
        """Keep ``stats`` as the latest of worker ``pid``."""
        with self._lock:
            self._live[pid] = stats

    def retire(self, pid: int) -> None:
        """Worker ``pid`` exited: keep its counters, drop its gauges."""
        from ._stats import counters_of

        with self._lock:
            stats = self._live.pop(pid, None)
            if stats is not None:
                self._retired = merge([self._retired, counters_of(stats)])

    def snapshots(self) -> list[dict[str, Any]]:
        """The statistics of the live workers, and the counters of those that exited."""
        with self._lock:
            return [*self._live.values(), self._retired]

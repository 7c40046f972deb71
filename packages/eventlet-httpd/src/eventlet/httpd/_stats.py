"""Server statistics: what :meth:`eventlet.httpd.Server.stats` reports.

With ``metrics=True`` the server puts a :class:`Recorder` where the connection drivers send
their access log lines (one call per response, after it is sent, which they make anyway when
an access log is on): it counts the response by status class, adds its duration to a
histogram and its body bytes to a total, then hands the line to the real access log if there
is one.  With ``metrics`` off nothing of this exists, so a request costs nothing more.  Gauges
(connections open, idle) and the hub's own counts are read when :meth:`Server.stats` is called.

A snapshot (:func:`snapshot`) is a plain dict of numbers, JSON-ready, so that worker processes
can hand theirs to the supervisor and snapshots can be added up (:func:`merge`).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from ._expiry import HEAD_WAIT

__all__ = ["DURATION_BUCKETS", "Recorder", "counters_of", "merge", "snapshot"]

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""Upper bounds (seconds) of the request duration histogram (Prometheus' defaults), then +Inf."""

_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
GAUGES = ("connections_open", "connections_idle", "hub")
"""Keys of a snapshot that say how things are now (the rest only grow)."""


class Recorder:
    """Counts responses (see the module docstring); ``log`` is the access log to pass lines on to."""

    __slots__ = ("bytes_sent", "duration_counts", "duration_sum", "log", "requests", "statuses")

    enabled = True  # the drivers ask the access log whether a line would go anywhere

    def __init__(self, log: Any = None) -> None:
        self.log: Any = log
        self.requests: int = 0
        self.bytes_sent: int = 0
        self.duration_sum: float = 0.0
        self.duration_counts: list[int] = [0] * (len(DURATION_BUCKETS) + 1)
        self.statuses: dict[str, int] = dict.fromkeys("12345", 0)

    def write(self, environ: dict[str, Any], status: str, body_length: int, wall_seconds: float) -> None:
        """Record one response, then log it (the access log's interface)."""
        self.requests += 1
        self.bytes_sent += body_length
        self.duration_sum += wall_seconds
        self.duration_counts[bisect_left(DURATION_BUCKETS, wall_seconds)] += 1
        cls = status[:1]
        if cls in self.statuses:
            self.statuses[cls] += 1
        log = self.log
        if log is not None and log.enabled:
            log.write(environ, status, body_length, wall_seconds)


def snapshot(server: Any) -> dict[str, Any]:
    """The statistics of ``server`` now (see :meth:`eventlet.httpd.Server.stats`)."""
    conns = list(server._connections)
    idle = sum(1 for c in conns if c.waiting == HEAD_WAIT and not c.parser.buffered)
    stats: dict[str, Any] = {
        "connections_open": len(conns),
        "connections_idle": idle,
        "connections_accepted": server.accepted,
    }
    recorder = server.recorder
    if recorder is not None:
        cumulative = []
        running = 0
        for count in recorder.duration_counts:
            running += count
            cumulative.append(running)
        stats.update(
            requests=recorder.requests,
            bytes_sent=recorder.bytes_sent,
            responses={f"{cls}xx": recorder.statuses[cls] for cls in "12345"},
            duration_buckets=cumulative,
            duration_sum=recorder.duration_sum,
        )
    stats["hub"] = server._hub.statistics()
    return stats


def counters_of(stats: dict[str, Any]) -> dict[str, Any]:
    """``stats`` without its gauges: what stays true of a worker after it exited."""
    return {key: value for key, value in stats.items() if key not in GAUGES}


def merge(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up snapshots (of several workers): every number is summed, lists element-wise."""
    total: dict[str, Any] = {}
    for snap in snapshots:
        _add(total, snap)
    return total


def _add(total: dict[str, Any], snap: dict[str, Any]) -> None:
    for key, value in snap.items():
        if isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        elif isinstance(value, list):
            mine = total.setdefault(key, [0] * len(value))
            for index, item in enumerate(value):
                mine[index] += item
        else:
            total[key] = total.get(key, 0) + value

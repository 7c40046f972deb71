"""200,000 ``spawn_after(60.0, f)``, then every one cancelled before it starts.

eventlet: ``spawn_after`` and ``GreenThread.cancel()``; gevent: ``spawn_later`` and
``Greenlet.kill(block=False)``.  CPU time covers scheduling them all, one pass of the
hub (so every start timer is live in the hub, as a delayed job's is by the time it gets
cancelled), cancelling each and one more pass of the hub; CPU µs per thread.  None of
them ever runs: the delay is long enough that no implementation is still cancelling when
the first would be due (upstream eventlet takes several seconds for the 200,000, so with
a 1 s delay most of its threads would start before their turn to be cancelled).
"""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="spawn_after_cancel",
    title="200,000 spawn_after(60, f), each cancelled before it starts",
    issue="issue 16",
    metric="cpu_us_per_op",
    unit="µs/thread",
    size=200_000,
    quick_size=20_000,
    order=43,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` delayed threads; one op = one thread scheduled and cancelled."""
    green = load(impl)
    spawn_later, cancel = green.spawn_later()
    sleep = green.sleep
    ran: list[int] = []

    def job() -> None:
        ran.append(1)

    def run(count: int) -> float:
        start = time.process_time()
        threads = [spawn_later(60.0, job) for _ in range(count)]
        sleep(0)  # the hub takes the start timers in
        for thread in threads:
            cancel(thread)
        sleep(0)
        return time.process_time() - start

    run(1000)  # warm-up
    cpu_s = run(size)
    if ran:
        raise RuntimeError(f"{len(ran)} cancelled threads ran")
    return {"ops": size, "cpu_s": cpu_s}

"""CPU-bound work in a pool of worker processes, while the green threads of this process carry on.

Run:   python examples/process_pool.py --limit 300000 --workers 2

Counting primes is split into chunks that eventlet.processes.ProcessPool runs in worker processes;
results come back as they finish.  Meanwhile a green "heartbeat" thread keeps ticking: waiting for
the workers blocks only the green thread that waits, never the hub.
"""

from __future__ import annotations

import argparse
import time

import eventlet
from eventlet.processes import ProcessPool
from pool_tasks import count_primes  # beside this file: workers must be able to import it


def heartbeat(ticks: list[int], interval: float) -> None:
    """Count ticks until killed."""
    while True:
        eventlet.sleep(interval)
        ticks[0] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300_000, help="count the primes below this")
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="default: one per CPU")
    args = parser.parse_args()
    step = -(-args.limit // args.chunks)
    chunks = [(start, min(start + step, args.limit)) for start in range(0, args.limit, step)]
    ticks = [0]
    beat = eventlet.spawn(heartbeat, ticks, 0.01)
    started = time.monotonic()
    total = 0
    with ProcessPool(args.workers) as pool:
        for start, stop, found in pool.imap_unordered(count_primes, chunks):
            total += found
            print(f"[{start:>9}, {stop:>9}): {found} primes", flush=True)
    beat.kill()
    elapsed = time.monotonic() - started
    print(f"primes below {args.limit}: {total}", flush=True)
    print(f"{pool.size} workers, {elapsed:.2f} s; heartbeat ticks meanwhile: {ticks[0]}", flush=True)


if __name__ == "__main__":
    main()

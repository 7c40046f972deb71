"""examples/process_pool.py: prime counting in worker processes (task functions in pool_tasks.py)."""

from __future__ import annotations

import re

from tests.examples._run import start


def primes_below(limit: int) -> int:
    """Sieve of Eratosthenes: the reference answer."""
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytearray(len(range(n * n, limit, n)))
    return sum(sieve)


def test_counts_primes_in_worker_processes() -> None:
    limit = 30_000
    with start("process_pool", "--limit", str(limit), "--chunks", "6", "--workers", "2") as proc:
        assert proc.proc.wait(60) == 0, proc.output()
        proc.wait_for(f"primes below {limit}: {primes_below(limit)}")
        output = proc.output()
    chunks = re.findall(r"\[\s*(\d+),\s*(\d+)\): (\d+) primes", output)
    assert sorted((int(a), int(b)) for a, b, _ in chunks) == [(i * 5000, (i + 1) * 5000) for i in range(6)]
    assert sum(int(found) for _, _, found in chunks) == primes_below(limit)
    assert re.search(r"^2 workers, ", output, re.MULTILINE)

"""The task functions of process_pool.py.

A ProcessPool sends each task to a worker process as a pickle, which names a function by its module
and name, so task functions must live in a module the workers can import, not in ``__main__``.
(The workers get the parent's ``sys.path``, which holds this directory when process_pool.py runs.)
"""

from __future__ import annotations

import math


def count_primes(bounds: tuple[int, int]) -> tuple[int, int, int]:
    """How many primes ``start <= p < stop`` by trial division (CPU-bound on purpose)."""
    start, stop = bounds
    found = 0
    for n in range(max(start, 2), stop):
        if n % 2 == 0:
            found += n == 2
            continue
        for divisor in range(3, math.isqrt(n) + 1, 2):
            if n % divisor == 0:
                break
        else:
            found += 1
    return start, stop, found

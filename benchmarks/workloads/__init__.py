"""Benchmark workloads: one file each, with a ``SPEC`` and a ``main(impl, size) -> dict``.

Files whose names start with an underscore are helpers, not workloads.
"""

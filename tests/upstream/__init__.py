"""Upstream eventlet's own test suite as a conformance gate: see ``run.py`` and docs/conformance.rst."""

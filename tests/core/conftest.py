"""Fixtures of the core suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventlet import debug


@pytest.fixture
def allow_multiple_readers() -> Iterator[None]:
    """Let several green threads wait on one fd (``hub_prevent_multiple_readers(False)``)."""
    debug.hub_prevent_multiple_readers(False)
    try:
        yield
    finally:
        debug.hub_prevent_multiple_readers(True)

"""Fixtures of the eventlet-httpd tests."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.httpd._procs import Proc


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Processes a test starts (append them): killed and their pipes closed afterwards."""
    started: list[Proc] = []
    yield started
    for proc in started:
        if proc.proc.poll() is None:
            proc.stop(signal.SIGKILL)
        proc.close()

"""psycopg2 and psycopg (3) under ``monkey_patch()`` against a real PostgreSQL from Debian.

psycopg2 cooperates through the wait callback that ``monkey_patch()`` installs.  psycopg 3's
default wait function is written in C and polls the socket itself, which would block the OS
thread; ``monkey_patch()`` therefore chooses psycopg 3's pure-Python ``wait_poll``, which waits on
the (green) ``select.poll`` (through ``PSYCOPG_WAIT_FUNC`` when psycopg is imported after patching,
as here, and by replacing ``psycopg.waiting.wait`` when it was imported before).
"""

from __future__ import annotations

import pytest

from tests.clients._support import run_child
from tests.clients.conftest import Service

COUNT = 10
ENV: dict[str, dict[str, str]] = {"psycopg2": {}, "psycopg": {}}


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_green_threads_share_the_server(driver: str, postgres_server: Service) -> None:
    pytest.importorskip(driver)
    result = run_child("postgres", driver, str(postgres_server.port), str(COUNT), env=ENV[driver])
    # All the sessions were waiting for the lock inside the server at once, each its own backend.
    assert result["waiting"] == COUNT
    assert result["distinct_backends"] == COUNT
    assert result["slept"] == [1] * COUNT
    # COUNT sleeps of 100 ms take at least COUNT x 100 ms one after the other; these overlapped.
    assert result["elapsed"] < COUNT * 0.1 / 2

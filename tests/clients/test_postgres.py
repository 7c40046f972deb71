"""psycopg2 and psycopg (3) under ``monkey_patch()`` against a real PostgreSQL from Debian.

psycopg2 cooperates through the wait callback that ``monkey_patch()`` installs.  psycopg 3's
default wait function is written in C and polls the socket itself, which would block the OS
thread; psycopg 3 picks a pure-Python wait function over the (green) ``select`` module when told to
with ``PSYCOPG_WAIT_FUNC``, which is how it is run here.
"""

from __future__ import annotations

import pytest

from tests.clients._support import run_child
from tests.clients.conftest import Service

COUNT = 10
ENV = {"psycopg2": {}, "psycopg": {"PSYCOPG_WAIT_FUNC": "wait_poll"}}


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

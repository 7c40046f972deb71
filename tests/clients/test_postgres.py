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


def test_db_pool_tpooled_psycopg2_without_monkey_patch(postgres_server: Service) -> None:
    """eventlet.db_pool's default pool: an unpatched, blocking psycopg2 blocks tpool threads only.

    Every pooled session waits inside the server for an advisory lock at the same time, while the
    hub stays free to run the green thread that watches them and then releases the lock.
    """
    import time

    import eventlet
    from eventlet import db_pool, tpool

    psycopg2 = pytest.importorskip("psycopg2")
    pool = db_pool.ConnectionPool(
        psycopg2,
        max_size=COUNT,
        host="127.0.0.1",
        port=postgres_server.port,
        user="postgres",
        dbname="postgres",
    )
    holder = pool.get()
    try:
        cursor = holder.cursor()
        cursor.execute("SELECT pg_try_advisory_lock(4343)")
        assert cursor.fetchone()[0] is True
        holder.commit()

        def lock_and_release(_: int) -> int:
            with pool.item() as conn:
                cur = conn.cursor()
                cur.execute("SELECT pg_advisory_lock_shared(4343), pg_backend_pid()")
                pid = int(cur.fetchone()[1])
                cur.execute("SELECT pg_advisory_unlock_shared(4343)")
                return pid

        green = eventlet.GreenPool(COUNT - 1)
        sessions = [green.spawn(lock_and_release, i) for i in range(COUNT - 1)]
        waiting_sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        deadline = time.monotonic() + 30
        waiting = 0
        while waiting < COUNT - 1 and time.monotonic() < deadline:
            eventlet.sleep(0.005)  # the hub runs: the sessions are parked in tpool threads
            cursor.execute(waiting_sql)
            waiting = int(cursor.fetchone()[0])
        assert waiting == COUNT - 1
        cursor.execute("SELECT pg_advisory_unlock(4343)")
        pids = [session.wait() for session in sessions]
        assert len(set(pids)) == COUNT - 1
        assert pool.current_size == COUNT
    finally:
        holder.close()
        pool.clear()
        tpool.killall()
    assert pool.current_size == 0

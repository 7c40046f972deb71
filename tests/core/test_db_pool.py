"""eventlet.db_pool: pools of DB-API connections, tried on real sqlite3 databases."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import pytest

import eventlet
from eventlet import db_pool, tpool
from eventlet.testing import virtual_clock


class SqliteFile:
    """``sqlite3`` connecting to one database file; counts connections and their threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connects = 0
        self.connect_threads: list[int] = []
        self.kwargs: list[dict[str, Any]] = []

    def connect(self, **kwargs: Any) -> sqlite3.Connection:
        self.connects += 1
        self.connect_threads.append(threading.get_ident())
        self.kwargs.append(kwargs)
        conn = sqlite3.connect(self.path, check_same_thread=False)  # tpool threads take turns
        conn.execute("create table if not exists t (v integer)")
        conn.commit()
        return conn


@pytest.fixture
def db(tmp_path: Path) -> SqliteFile:
    return SqliteFile(tmp_path / "test.db")


@pytest.fixture
def raw(db: SqliteFile) -> Iterator[db_pool.RawConnectionPool]:
    pool = db_pool.RawConnectionPool(db, max_size=2)
    yield pool
    pool.clear()


def count_rows(db: SqliteFile) -> int:
    with sqlite3.connect(db.path) as conn:
        return int(conn.execute("select count(*) from t").fetchone()[0])


def test_get_put_reuses_the_connection(raw: db_pool.RawConnectionPool, db: SqliteFile) -> None:
    conn = raw.get()
    assert isinstance(conn, db_pool.PooledConnectionWrapper)
    assert conn
    cursor = conn.cursor()
    cursor.execute("insert into t values (1)")
    conn.commit()
    assert cursor.execute("select v from t").fetchall() == [(1,)]
    assert "sqlite3.Connection" in repr(conn)
    raw.put(conn)
    again = raw.get()
    assert db.connects == 1
    assert raw.free() == 1  # the same connection, handed out again
    again.close()  # gives it back
    assert not again
    assert raw.free() == 2
    assert len(raw.free_items) == 1
    again.close()  # spent: nothing more happens
    assert raw.free() == 2
    assert len(raw.free_items) == 1
    with pytest.raises(AttributeError):
        again.cursor()  # spent: the method exists, the connection is gone


def test_with_blocks(raw: db_pool.RawConnectionPool, db: SqliteFile) -> None:
    with raw.item() as conn:
        with conn:  # the connection's own context manager: commits
            conn.cursor().execute("insert into t values (2)")
    assert count_rows(db) == 1
    assert raw.free() == 2


def test_an_open_transaction_is_rolled_back_when_put_back(
    raw: db_pool.RawConnectionPool, db: SqliteFile
) -> None:
    conn = raw.get()
    conn.cursor().execute("insert into t values (3)")  # not committed
    raw.put(conn)
    assert count_rows(db) == 0
    with raw.item(cleanup=None) as conn:  # no cleanup: the next user would see the transaction
        conn.cursor().execute("insert into t values (4)")
    conn = raw.get()
    conn.commit()
    raw.put(conn)
    assert count_rows(db) == 1


def test_a_failing_cleanup_closes_the_connection(
    raw: db_pool.RawConnectionPool, db: SqliteFile, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(conn: Any) -> None:
        raise sqlite3.OperationalError("the server went away")

    conn = raw.get()
    with caplog.at_level(logging.WARNING, logger="eventlet.db_pool"):
        raw.put(conn, cleanup=broken)
    assert "the server went away" in caplog.text
    assert raw.current_size == 0
    assert not raw.free_items
    raw.get().close()
    assert db.connects == 2

    def interrupted(conn: Any) -> None:
        raise KeyboardInterrupt

    conn = raw.get()
    with pytest.raises(KeyboardInterrupt):
        raw.put(conn, cleanup=interrupted)
    assert raw.current_size == 0  # its place is freed all the same


class Limits(TypedDict, total=False):
    max_age: float
    max_idle: float


def test_max_age_or_max_idle_zero_closes_every_connection_put_back(db: SqliteFile) -> None:
    every: list[Limits] = [{"max_age": 0}, {"max_idle": 0}]
    for limits in every:
        pool = db_pool.RawConnectionPool(db, max_size=2, **limits)
        conn = pool.get()
        conn.close()
        assert not pool.free_items
        assert pool.current_size == 0
        pool.clear()


def test_idle_and_old_connections_expire_in_the_background(
    db: SqliteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    with virtual_clock() as hub:
        monkeypatch.setattr(db_pool, "_now", hub.clock)  # ages on the virtual clock too
        pool = db_pool.RawConnectionPool(db, max_size=3, max_idle=10, max_age=25)
        first, second = pool.get(), pool.get()
        first.close()
        eventlet.sleep(5)
        second.close()
        assert len(pool.free_items) == 2
        eventlet.sleep(5.5)  # first has been idle 10.5 s
        assert len(pool.free_items) == 1
        assert pool.current_size == 1
        kept = pool.get()
        eventlet.sleep(20)
        kept.close()  # 30.5 s old: too old to keep
        assert not pool.free_items
        assert pool.current_size == 0
        pool.get().close()
        eventlet.sleep(11)  # the last one idles out, and the timer stops
        assert not pool.free_items
        assert pool._expiration_timer is None
        assert hub.get_timers_count() == 0


def test_tpooled_connections_live_in_tpool_threads(db: SqliteFile) -> None:
    pool = db_pool.ConnectionPool(db, max_size=1)
    assert isinstance(pool, db_pool.TpooledConnectionPool)
    try:
        conn = pool.get()
        assert isinstance(conn._base, tpool.Proxy)
        cursor = conn.cursor()
        assert isinstance(cursor, tpool.Proxy)  # cursors are proxied too
        cursor.execute("insert into t values (5)")
        conn.commit()
        assert db.connect_threads[0] != threading.get_ident()
        conn.close()
        assert count_rows(db) == 1
    finally:
        pool.clear()
        tpool.killall()


def test_waiters_get_a_new_connection_when_a_dead_one_comes_back(db: SqliteFile) -> None:
    pool = db_pool.RawConnectionPool(db, max_size=1, max_age=0)
    conn = pool.get()
    waiter = eventlet.spawn(pool.get)
    eventlet.sleep(0)
    assert pool.waiting() == 1
    assert pool.free() == 0
    pool.put(conn)  # closed (max_age 0): the waiter connects anew
    other = waiter.wait()
    assert other
    assert db.connects == 2
    assert pool.waiting() == 0
    other._base.close()
    pool.put(None)  # upstream's signal for "the connection I had is dead": its place is free
    assert pool.current_size == 0
    assert pool.free() == 1


def test_put_after_the_pool_shrank_closes_the_connection(raw: db_pool.RawConnectionPool) -> None:
    first, second = raw.get(), raw.get()
    raw.resize(1)
    base = first._base
    raw.put(first)
    with pytest.raises(sqlite3.ProgrammingError):
        base.execute("select 1")  # closed
    raw.put(second)
    assert raw.current_size == 1
    assert len(raw.free_items) == 1


def test_connect_errors_and_timeout_keep_the_pool_whole() -> None:
    class Refusing:
        def connect(self, **kwargs: Any) -> None:
            raise ConnectionRefusedError("no server")

    class Slow:
        def connect(self, **kwargs: Any) -> None:
            eventlet.sleep(10)

    pool = db_pool.RawConnectionPool(Refusing(), max_size=1)
    with pytest.raises(ConnectionRefusedError):
        pool.get()
    assert pool.free() == 1
    with virtual_clock():
        slow = db_pool.RawConnectionPool(Slow(), max_size=1, connect_timeout=0.5)
        with pytest.raises(db_pool.ConnectTimeout):
            slow.get()
        assert slow.free() == 1
    with pytest.raises(NotImplementedError):
        db_pool.BaseConnectionPool(Refusing()).get()
    with pytest.raises(ValueError, match="a DB-API module"):
        db_pool.RawConnectionPool(None)


def test_min_size_connects_at_once_and_clear_closes(db: SqliteFile) -> None:
    pool = db_pool.RawConnectionPool(db, min_size=2, max_size=3)
    assert db.connects == 2
    assert len(pool.free_items) == 2
    bases = [item[2] for item in pool.free_items]
    pool.clear()
    assert pool.current_size == 0
    assert not pool.free_items
    for base in bases:
        with pytest.raises(sqlite3.ProgrammingError):
            base.execute("select 1")


def test_a_forgotten_pool_closes_its_connections(db: SqliteFile) -> None:
    import gc
    import weakref

    class Gone:
        pass

    # a timer outliving its pool does nothing (any dead reference will do)
    db_pool._expire_later(weakref.ref(Gone()))  # type: ignore[arg-type]

    pool = db_pool.RawConnectionPool(db, max_size=1)
    conn = pool.get()
    base = conn._base
    conn.close()  # free, with an expiration timer that holds the pool only weakly
    del pool, conn
    gc.collect()
    with pytest.raises(sqlite3.ProgrammingError):
        base.execute("select 1")


def test_helpers_accept_anything(raw: db_pool.RawConnectionPool, caplog: pytest.LogCaptureFixture) -> None:
    class Duck:
        _base = "inner"

    assert raw._unwrap_connection(None) is None
    assert raw._unwrap_connection(1) is None
    assert raw._unwrap_connection(Duck()) == "inner"

    class Unclosable:
        def close(self) -> None:
            raise OSError("cannot close")

    raw._safe_close(None)
    with caplog.at_level(logging.WARNING, logger="eventlet.db_pool"):
        raw._safe_close(Unclosable(), quiet=True)
        assert not caplog.records
        raw._safe_close(Unclosable())
    assert "cannot close" in caplog.text


def test_database_connector_makes_one_pool_per_host_and_database(db: SqliteFile) -> None:
    credentials = {"db1": {"user": "one"}, "default": {"user": "anybody"}}
    connector = db_pool.DatabaseConnector(db, credentials, db_pool.RawConnectionPool, max_size=1)
    pool = connector.get("db1", "sales")
    assert connector.get("db1", "sales") is pool
    assert connector.get("db2", "sales") is not pool
    pool.get().close()
    connector.get("db2", "hr").get().close()
    assert db.kwargs == [  # max_size is the pool's; the rest goes to connect()
        {"db": "sales", "host": "db1", "user": "one"},
        {"db": "hr", "host": "db2", "user": "anybody"},
    ]
    assert db_pool.DatabaseConnector(db, {}).credentials_for("x") is None
    assert isinstance(db_pool.DatabaseConnector(db, {}).get("h", "d"), db_pool.TpooledConnectionPool)
    with pytest.raises(ValueError, match="a DB-API module"):
        db_pool.DatabaseConnector(None, {})
    for made in connector._databases.values():
        made.clear()


def test_the_wrappers_declare_every_method_they_pass_through() -> None:
    # GenericConnectionWrapper's annotations tell type checkers about the methods set on it at import.
    declared = set(db_pool.GenericConnectionWrapper.__annotations__) - {"_base"}
    assert declared == set(db_pool._CONNECTION_METHODS)
    assert all(callable(getattr(db_pool.GenericConnectionWrapper, name)) for name in declared)

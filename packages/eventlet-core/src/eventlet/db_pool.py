"""Pools of DB-API 2.0 connections for green threads (upstream eventlet's ``eventlet.db_pool``).

Any module that follows the DB-API (``sqlite3``, ``psycopg2``, ``MySQLdb``, ``pymysql``...) works:
the pool calls ``db_module.connect(*args, **kwargs)`` with the extra arguments it was given.

* :class:`TpooledConnectionPool` (also :data:`ConnectionPool`) connects in :mod:`eventlet.tpool`
  threads and hands out :class:`eventlet.tpool.Proxy` objects, so that a driver written in C that
  blocks (``MySQLdb``, ``psycopg2`` without ``monkey_patch(psycopg=True)``) blocks only an OS thread
  of the pool, never the hub.  Cursors made from such a connection are proxied too.
* :class:`RawConnectionPool` hands out the driver's connections as they are: for drivers that are
  green already (pure Python over green sockets, or patched).

:meth:`~BaseConnectionPool.get` returns a :class:`PooledConnectionWrapper`: use it as the
connection; its ``close()`` gives the connection back instead of closing it, after which the
wrapper is unusable.  Connections are recycled: one idle longer than ``max_idle`` seconds, or
opened more than ``max_age`` seconds ago, is closed rather than handed out again (a timer closes
the idle ones in the background; ``max_idle=0`` or ``max_age=0`` close every connection as it is
put back, leaving a concurrency limit).  Each connection put back is first "cleaned" by
``cleanup(conn)`` (default: ``conn.rollback()``, so no transaction leaks to the next user); one
whose cleanup fails is treated as dead and closed.  The pool is a :class:`eventlet.pools.Pool`:
``free()``, ``waiting()``, ``resize()``, ``item()``.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from eventlet import greenthread
from eventlet.pools import Pool
from eventlet.timeout import Timeout

__all__ = [
    "BaseConnectionPool",
    "ConnectTimeout",
    "ConnectionPool",
    "DatabaseConnector",
    "GenericConnectionWrapper",
    "PooledConnectionWrapper",
    "RawConnectionPool",
    "TpooledConnectionPool",
    "cleanup_rollback",
]

logger: logging.Logger = logging.getLogger("eventlet.db_pool")

#: The clock of connection ages (wall time, as upstream)
_now = time.time

_MISSING: Any = object()

#: What the free items are: (when last put back, when connected, the driver's connection).
FreeItem = tuple[float, float, Any]


class ConnectTimeout(Exception):
    """Connecting to the database took longer than the pool's ``connect_timeout``."""


def cleanup_rollback(conn: Any) -> None:
    """The default cleanup of a connection put back: roll back whatever transaction is open."""
    conn.rollback()


def _expire_later(pool_ref: weakref.ref[BaseConnectionPool]) -> None:
    """The expiration timer's green thread (holding the pool weakly, so it can be collected)."""
    pool = pool_ref()
    if pool is not None:
        pool._expiration_timer = None
        pool._schedule_expiration()


class BaseConnectionPool(Pool[Any]):
    """The pool machinery; :class:`TpooledConnectionPool` and :class:`RawConnectionPool` connect.

    At least ``min_size`` and at most ``max_size`` connections, made by ``db_module.connect(*args,
    **kwargs)`` within ``connect_timeout`` seconds (else :class:`ConnectTimeout` from ``get``).
    ``max_idle``, ``max_age`` and ``cleanup``: see the module documentation.  The most recently
    used connection is handed out first, so the others age out when the load drops.
    """

    current_size: int  # Pool's count, which the expiry sweep lowers

    def __init__(
        self,
        db_module: Any,
        min_size: int = 0,
        max_size: int = 4,
        max_idle: float = 10,
        max_age: float = 30,
        connect_timeout: float = 5,
        cleanup: Callable[[Any], Any] = cleanup_rollback,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if not db_module:
            raise ValueError("a DB-API module (or an object with a connect function) is required")
        self._db_module = db_module
        self._args = args
        self._kwargs = kwargs
        self.max_idle = max_idle
        self.max_age = max_age
        self.connect_timeout = connect_timeout
        self.cleanup = cleanup
        self._expiration_timer: greenthread.GreenThread[None] | None = None
        super().__init__(min_size=min_size, max_size=max_size, order_as_stack=True)

    def create(self) -> FreeItem:
        """Connect (see the subclasses); returns a free item: ``(now, now, connection)``."""
        now = _now()
        return now, now, self.connect(self._db_module, self.connect_timeout, *self._args, **self._kwargs)

    @classmethod
    def connect(cls, db_module: Any, connect_timeout: float, *args: Any, **kwargs: Any) -> Any:
        """Open one connection; subclasses decide how."""
        raise NotImplementedError("use TpooledConnectionPool or RawConnectionPool")

    # ------------------------------------------------------------------ checking out and in
    def get(self) -> PooledConnectionWrapper:
        """A connection from the pool (a new one if none is free and the pool is below max_size)."""
        _last_used, created_at, conn = super().get()
        wrapped = PooledConnectionWrapper(conn, self)
        wrapped._db_pool_created_at = created_at  # how old it is, for when it comes back
        return wrapped

    def put(self, conn: Any, cleanup: Any = _MISSING) -> None:
        """Give a connection back (what its wrapper's ``close()`` does).

        It is cleaned (``cleanup``, default the pool's; ``None`` skips it) and kept, or closed if it
        is too old, its cleanup failed, or the pool shrank.  Anything that is not a live pooled
        connection (``None``, say) just frees its place in the pool.
        """
        created_at = getattr(conn, "_db_pool_created_at", 0)
        now = _now()
        base = self._unwrap_connection(conn)
        if self._is_expired(now, now, created_at) or self.current_size > self.max_size:
            self._safe_close(base)
            base = None
        elif cleanup is not None and base:
            clean = self.cleanup if cleanup is _MISSING else cleanup
            try:
                clean(base)
            except Exception as exc:
                logger.warning("cleanup %r of a pooled connection raised %r: closing it", clean, exc)
                self._safe_close(base, quiet=True)
                base = None
            except BaseException:
                self._safe_close(base, quiet=True)
                self._give_back_slot()
                raise
        if base:
            super().put((now, created_at, base))
        else:
            self._give_back_slot()  # a waiter, if any, connects anew
        self._schedule_expiration()

    @contextmanager
    def item(self, cleanup: Any = _MISSING) -> Iterator[PooledConnectionWrapper]:
        """``with pool.item() as conn:`` get a connection, and put it back (cleaned) at the end."""
        conn = self.get()
        try:
            yield conn
        finally:
            self.put(conn, cleanup=cleanup)

    def clear(self) -> None:
        """Close every free connection and forget it (connections out stay out)."""
        timer, self._expiration_timer = self._expiration_timer, None
        if timer is not None:
            timer.kill()
        free, self.free_items = self.free_items, deque()
        for item in free:
            self._safe_close(item[2] if isinstance(item, tuple) else item, quiet=True)
            self.current_size -= 1

    def __del__(self) -> None:
        if getattr(self, "free_items", None):
            self.clear()

    # ------------------------------------------------------------------ expiry
    def _is_expired(self, now: float, last_used: float, created_at: float) -> bool:
        return (
            self.max_idle <= 0
            or self.max_age <= 0
            or now - last_used >= self.max_idle
            or now - created_at >= self.max_age
        )

    def _expire_old_connections(self, now: float) -> None:
        """Close the free connections idle longer than max_idle or older than max_age."""
        keep: deque[FreeItem] = deque()
        expired: list[FreeItem] = []
        for item in self.free_items:
            (expired if self._is_expired(now, item[0], item[1]) else keep).append(item)
        self.free_items: deque[Any] = keep
        self.current_size -= len(expired)
        for _last_used, _created_at, conn in expired:
            self._safe_close(conn, quiet=True)

    def _schedule_expiration(self) -> None:
        """Expire what is due now, and have a timer come back when the next free one is due."""
        if self.max_age == 0 or self.max_idle == 0:
            return  # every connection is closed as it is put back: nothing ever waits to expire
        if self._expiration_timer is not None:
            return  # already scheduled
        now = _now()
        self._expire_old_connections(now)
        if not self.free_items:
            return
        # The most idle connection is the last (stack order); the oldest may be anywhere.
        idle_due = self.free_items[-1][0] + self.max_idle
        age_due = min(item[1] for item in self.free_items) + self.max_age
        delay = max(min(idle_due, age_due) - now, 0.0)
        self._expiration_timer = greenthread.spawn_after(delay, _expire_later, weakref.ref(self))

    # ------------------------------------------------------------------ helpers
    def _unwrap_connection(self, conn: Any) -> Any:
        """The driver's connection inside a live wrapper (the wrapper is spent), else None."""
        base = None
        try:
            if conn:
                base = conn._base
                conn._destroy()
        except AttributeError:
            pass  # not a wrapper: anything with a _base will do, else None
        return base

    def _safe_close(self, conn: Any, quiet: bool = False) -> None:
        """Close a driver connection; an error closing it is logged (unless ``quiet``), not raised."""
        try:
            conn.close()
        except AttributeError:
            pass  # None, or not a connection
        except Exception as exc:
            if not quiet:
                logger.warning("closing a pooled connection raised %r", exc)


class TpooledConnectionPool(BaseConnectionPool):
    """Connections made and used in :mod:`eventlet.tpool` threads (for blocking drivers)."""

    @classmethod
    def connect(cls, db_module: Any, connect_timeout: float, *args: Any, **kwargs: Any) -> Any:
        """``db_module.connect(...)`` in a tpool thread; the connection wrapped in a Proxy."""
        from eventlet import tpool

        with Timeout(connect_timeout, ConnectTimeout()):
            conn = tpool.execute(db_module.connect, *args, **kwargs)
        return tpool.Proxy(conn, autowrap_names=("cursor",))


class RawConnectionPool(BaseConnectionPool):
    """The driver's own connections (for drivers that are green)."""

    @classmethod
    def connect(cls, db_module: Any, connect_timeout: float, *args: Any, **kwargs: Any) -> Any:
        """``db_module.connect(...)``, in the calling green thread."""
        with Timeout(connect_timeout, ConnectTimeout()):
            return db_module.connect(*args, **kwargs)


#: The default pool, as upstream: connections in tpool threads.
ConnectionPool = TpooledConnectionPool

#: What the wrappers pass through to the connection (the DB-API's methods and MySQLdb's extras).
_CONNECTION_METHODS = (
    "affected_rows",
    "autocommit",
    "begin",
    "change_user",
    "character_set_name",
    "close",
    "commit",
    "cursor",
    "dump_debug_info",
    "errno",
    "error",
    "errorhandler",
    "get_server_info",
    "insert_id",
    "literal",
    "ping",
    "query",
    "rollback",
    "select_db",
    "server_capabilities",
    "set_character_set",
    "set_isolation_level",
    "set_server_option",
    "set_sql_mode",
    "show_warnings",
    "shutdown",
    "sqlstate",
    "stat",
    "store_result",
    "string_literal",
    "thread_id",
    "use_result",
    "warning_count",
)


def _passing_through(name: str) -> Callable[..., Any]:
    def method(self: GenericConnectionWrapper, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._base, name)(*args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"GenericConnectionWrapper.{name}"
    method.__doc__ = f"The connection's ``{name}()``."
    return method


class GenericConnectionWrapper:
    """A stand-in for a connection that passes its methods (and ``with``) through to it.

    The methods are real attributes of the class, so ``wrapper.cursor`` exists even once the
    wrapper is spent; calling it then raises ``AttributeError``.
    """

    _base: Any
    # The methods set below, one per name of _CONNECTION_METHODS: the connection's, whatever they take
    # and return (a test checks that the two lists agree).
    affected_rows: Callable[..., Any]
    autocommit: Callable[..., Any]
    begin: Callable[..., Any]
    change_user: Callable[..., Any]
    character_set_name: Callable[..., Any]
    close: Callable[..., Any]
    commit: Callable[..., Any]
    cursor: Callable[..., Any]
    dump_debug_info: Callable[..., Any]
    errno: Callable[..., Any]
    error: Callable[..., Any]
    errorhandler: Callable[..., Any]
    get_server_info: Callable[..., Any]
    insert_id: Callable[..., Any]
    literal: Callable[..., Any]
    ping: Callable[..., Any]
    query: Callable[..., Any]
    rollback: Callable[..., Any]
    select_db: Callable[..., Any]
    server_capabilities: Callable[..., Any]
    set_character_set: Callable[..., Any]
    set_isolation_level: Callable[..., Any]
    set_server_option: Callable[..., Any]
    set_sql_mode: Callable[..., Any]
    show_warnings: Callable[..., Any]
    shutdown: Callable[..., Any]
    sqlstate: Callable[..., Any]
    stat: Callable[..., Any]
    store_result: Callable[..., Any]
    string_literal: Callable[..., Any]
    thread_id: Callable[..., Any]
    use_result: Callable[..., Any]
    warning_count: Callable[..., Any]

    def __init__(self, baseconn: Any) -> None:
        self._base = baseconn

    def __enter__(self) -> Any:
        return self._base.__enter__()

    def __exit__(self, *exc_info: Any) -> Any:
        return self._base.__exit__(*exc_info)

    def __repr__(self) -> str:
        return repr(self._base)


for _name in _CONNECTION_METHODS:
    setattr(GenericConnectionWrapper, _name, _passing_through(_name))
del _name


class PooledConnectionWrapper(GenericConnectionWrapper):
    """A pooled connection: ``close()`` gives it back to its pool, and the wrapper is spent.

    ``bool(wrapper)`` is False once spent.
    """

    _db_pool_created_at: float

    def __init__(self, baseconn: Any, pool: BaseConnectionPool) -> None:
        super().__init__(baseconn)
        self._pool: BaseConnectionPool | None = pool

    def __bool__(self) -> bool:
        return hasattr(self, "_base") and bool(self._base)

    def _destroy(self) -> None:
        self._pool = None
        self.__dict__.pop("_base", None)

    def close(self) -> None:
        """Give the connection back to the pool; the wrapper cannot be used after."""
        pool = self._pool
        if self and pool is not None:
            pool.put(self)
        self._destroy()


class DatabaseConnector:
    """One connection pool per ``(host, database)``, made on first use.

    ``credentials`` maps a host name (or ``"default"``) to the keyword arguments that log in
    there; ``conn_pool`` is the pool class (default :data:`ConnectionPool`); the other arguments
    go to every pool, with ``host`` and ``db`` added.
    """

    def __init__(
        self,
        module: Any,
        credentials: Mapping[str, Mapping[str, Any]],
        conn_pool: type[BaseConnectionPool] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if not module:
            raise ValueError("a DB-API module is required")
        self._conn_pool_class = conn_pool or ConnectionPool
        self._module = module
        self._args = args
        self._kwargs = kwargs
        self._credentials = credentials
        self._databases: dict[tuple[str, str], BaseConnectionPool] = {}

    def credentials_for(self, host: str) -> Mapping[str, Any] | None:
        """The login arguments for ``host``: its own, else the ``"default"`` ones, else None."""
        if host in self._credentials:
            return self._credentials[host]
        return self._credentials.get("default")

    def get(self, host: str, dbname: str) -> BaseConnectionPool:
        """The pool of connections to database ``dbname`` on ``host``."""
        key = (host, dbname)
        pool = self._databases.get(key)
        if pool is None:
            kwargs = {**self._kwargs, "db": dbname, "host": host, **(self.credentials_for(host) or {})}
            pool = self._databases[key] = self._conn_pool_class(self._module, *self._args, **kwargs)
        return pool

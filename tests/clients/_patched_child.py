"""Real client libraries under ``eventlet.monkey_patch()``, one scenario per run (a child process).

Run as ``python tests/clients/_patched_child.py SCENARIO ARGS...``; the last line printed is a
JSON document the test checks.  Every scenario proves the library cooperates the same way: some
green threads are parked inside the library's blocking call while *another* green thread of the
same OS thread observes that they are all parked (from the server's side) and then releases them.
A library that blocked the OS thread would never let the observer run: the parked calls then fail
on their own timeouts (set on every call), and the scenario exits non-zero.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402 - after patching, as a patched program would do
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, Protocol  # noqa: E402

from eventlet.event import Event  # noqa: E402

DEADLINE = 15.0  # seconds any one wait may take before the scenario gives up


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll ``predicate`` from this green thread (sleeping greenly) until true, or fail."""
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting until {what}")
        eventlet.sleep(0.005)


# ----------------------------------------------------------------------------- HTTP(S) clients
def gate_app(count: int) -> Any:
    """A WSGI app whose ``/gate`` answers only once ``count`` requests are inside it at once."""
    inside = [0]
    everyone_in: Event[Any] = Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/gate":
            inside[0] += 1
            arrived = inside[0]
            if arrived == count:
                everyone_in.send(None)
            everyone_in.wait()
            body = f"{environ['wsgi.url_scheme']} {arrived}".encode()
        else:
            body = b"plain"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def http(certdir: str, count: str = "8") -> dict[str, Any]:
    """Every HTTP client case: {"CLIENT SCHEME": its result, or {"error": the traceback}}."""
    results: dict[str, Any] = {}
    for client in ("requests", "urllib3"):
        for scheme in ("http", "https"):
            try:
                results[f"{client} {scheme}"] = http_case(client, scheme, certdir, int(count))
            except Exception:
                results[f"{client} {scheme}"] = {"error": traceback.format_exc()}
    return results


def http_case(client: str, scheme: str, certdir: str, n: int) -> dict[str, Any]:
    """``n`` concurrent GETs with ``requests`` or ``urllib3`` to our own server (HTTP or HTTPS)."""
    from eventlet.httpd import Server

    tls: dict[str, Any] = {}
    if scheme == "https":
        tls = {"certfile": f"{certdir}/server.pem", "keyfile": f"{certdir}/server.key"}
    server = Server(gate_app(n), "127.0.0.1", 0, access_log=False, **tls)
    runner = eventlet.spawn(server.serve_forever)
    base = f"{scheme}://127.0.0.1:{server.port}"
    verify: Any = f"{certdir}/ca.pem" if scheme == "https" else True
    if client == "requests":
        import requests

        session = requests.Session()

        def get(path: str) -> str:
            response = session.get(base + path, timeout=DEADLINE, verify=verify)
            response.raise_for_status()
            return str(response.text)

    else:
        import urllib3

        pool = urllib3.PoolManager(ca_certs=verify if scheme == "https" else None, maxsize=n)

        def get(path: str) -> str:
            response = pool.request("GET", base + path, timeout=DEADLINE, retries=False)
            assert response.status == 200, response.status
            return str(response.data.decode())

    first = get("/")
    answers = sorted(eventlet.GreenPool(n).imap(lambda _: get("/gate"), range(n)))
    server.stop(timeout=2)
    runner.wait()
    return {"first": first, "answers": answers}


# ----------------------------------------------------------------------------- redis
def redis_scenario(port: str, count: str = "10") -> dict[str, Any]:
    """BLPOPs parked in redis-server at once; pub/sub across green threads; a pipeline."""
    import redis

    n = int(count)
    client = redis.Redis(host="127.0.0.1", port=int(port), socket_timeout=DEADLINE)
    client.flushall()
    keys = [f"queue:{i}" for i in range(n)]

    def pop(key: str) -> str:
        got = client.blpop([key], timeout=DEADLINE)
        assert got is not None, f"BLPOP {key} timed out"
        value = got[1]
        return value.decode() if isinstance(value, bytes) else str(value)

    pool = eventlet.GreenPool(n)
    results = [pool.spawn(pop, key) for key in keys]

    def blocked() -> int:
        return sum(1 for entry in client.client_list() if entry.get("cmd") == "blpop")

    wait_until(lambda: blocked() == n, f"{n} clients are blocked in BLPOP")
    seen_blocked = blocked()
    for key in keys:
        client.rpush(key, f"value of {key}")
    popped = [result.wait() for result in results]

    pubsub = client.pubsub()
    pubsub.subscribe("news")
    assert pubsub.get_message(timeout=DEADLINE)["type"] == "subscribe"
    received: Event[Any] = Event()

    def listen() -> None:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=DEADLINE)
        received.send(message["data"].decode() if message else None)

    eventlet.spawn(listen)
    wait_until(lambda: client.pubsub_numsub("news")[0][1] == 1, "the subscriber is registered")
    eventlet.sleep(0)
    client.publish("news", "extra!")
    message = received.wait()
    pubsub.close()

    with client.pipeline() as pipe:
        pipe.set("a", 1)
        pipe.incr("a")
        pipe.incrby("a", 40)
        pipe.get("a")
        piped = pipe.execute()
    client.close()
    return {
        "blocked": seen_blocked,
        "popped": popped,
        "message": message,
        "pipeline": [item.decode() if isinstance(item, bytes) else item for item in piped],
    }


# ----------------------------------------------------------------------------- PostgreSQL
class _Cursor(Protocol):
    """The part of a DB-API cursor the helpers use, common to psycopg2 and psycopg 3."""

    def execute(self, query: str, params: tuple[object, ...] | None = ..., /) -> object: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...  # column values: whatever the server sent
    def close(self) -> None: ...


class _Connection(Protocol):
    """The part of a DB-API connection the helpers use, common to psycopg2 and psycopg 3."""

    def cursor(self) -> _Cursor: ...
    def close(self) -> None: ...


def _connect(driver: str, port: int) -> _Connection:
    """An autocommit connection of either driver (the helpers here use only what both have)."""
    options = f"-c statement_timeout={int(DEADLINE * 1000)}"
    if driver == "psycopg2":
        import psycopg2

        conn2 = psycopg2.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", options=options
        )
        conn2.autocommit = True
        return conn2
    import psycopg

    conn3 = psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", options=options)
    conn3.autocommit = True
    return conn3


def _query(conn: _Connection, sql: str, *params: object) -> Any:
    """The first column of the first row ``sql`` returns."""
    cur = conn.cursor()
    try:
        cur.execute(sql, params or None)
        row = cur.fetchone()
        assert row is not None, f"no row from {sql!r}"
        return row[0]
    finally:
        cur.close()


def postgres(driver: str, port: str, count: str = "10") -> dict[str, Any]:
    """Lock waiters parked in PostgreSQL at once, then ``count`` overlapping 100 ms sleeps."""
    n = int(count)
    holder = _connect(driver, int(port))
    conns = list(eventlet.GreenPool(n).imap(lambda _: _connect(driver, int(port)), range(n)))
    assert _query(holder, "SELECT pg_try_advisory_lock(4242)") is True

    def lock_and_release(conn: _Connection) -> int:
        _query(conn, "SELECT pg_advisory_lock_shared(4242)")
        _query(conn, "SELECT pg_advisory_unlock_shared(4242)")
        return int(_query(conn, "SELECT pg_backend_pid()"))

    pool = eventlet.GreenPool(n)
    waiters = [pool.spawn(lock_and_release, conn) for conn in conns]
    waiting_sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    wait_until(lambda: _query(holder, waiting_sql) == n, f"{n} sessions wait for the advisory lock")
    seen_waiting = int(_query(holder, waiting_sql))
    _query(holder, "SELECT pg_advisory_unlock(4242)")
    pids = [waiter.wait() for waiter in waiters]

    start = time.monotonic()
    slept = list(pool.imap(lambda conn: _query(conn, "SELECT 1 FROM pg_sleep(0.1)"), conns))
    elapsed = time.monotonic() - start
    for conn in [holder, *conns]:
        conn.close()
    return {"waiting": seen_waiting, "distinct_backends": len(set(pids)), "slept": slept, "elapsed": elapsed}


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "http": http,
    "redis": redis_scenario,
    "postgres": postgres,
}


def main(argv: list[str]) -> int:
    """Run the scenario named by ``argv[0]`` with the other arguments; print its JSON result."""
    result = SCENARIOS[argv[0]](*argv[1:])
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

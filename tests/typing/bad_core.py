# pyright: strict
"""Mistakes in using eventlet-core that both type checkers must reject: every line marked
``expect-error`` must get an error from each checker, and no other line may get one."""

from __future__ import annotations

import eventlet
from eventlet import tpool
from eventlet.event import Event
from eventlet.greenpool import GreenPile, GreenPool
from eventlet.greenthread import GreenThread
from eventlet.queue import LightQueue, Queue


def fetch(n: int) -> int:
    return n


def handle(sock: eventlet.greenio.GreenSocket) -> None:
    sock.close()


def mistakes() -> None:
    eventlet.spawn(fetch, "not an int")  # expect-error
    eventlet.spawn(fetch)  # expect-error
    eventlet.spawn(fetch, 1, extra=2)  # expect-error
    eventlet.spawn_n(fetch, b"1")  # expect-error
    eventlet.spawn_after(1.0, fetch, "1")  # expect-error
    text: str = eventlet.spawn(fetch, 1).wait()  # expect-error
    thread: GreenThread[str] = eventlet.spawn(fetch, 1)  # expect-error
    q: Queue[int] = Queue()
    q.put("str")  # expect-error
    light: LightQueue[bytes] = LightQueue()
    data: str = light.get()  # expect-error
    event: Event[str] = Event()
    event.send(1)  # expect-error
    count: int = event.wait()  # expect-error
    eventlet.listen(12345)  # expect-error
    eventlet.listen(("127.0.0.1", "80"))  # expect-error
    eventlet.connect(("127.0.0.1", 80), bind=8000)  # expect-error
    eventlet.serve(eventlet.listen(("127.0.0.1", 0)), handle)  # expect-error
    eventlet.serve(eventlet.listen(("127.0.0.1", 0)), print, concurrency="10")  # expect-error
    pool = GreenPool()
    pool.spawn(fetch, "1")  # expect-error
    words: list[str] = list(pool.imap(fetch, [1, 2]))  # expect-error
    pool.imap(fetch, ["a"])  # expect-error
    pile: GreenPile[int] = GreenPile()
    pile.spawn(fetch, "1")  # expect-error
    tpool.execute(fetch, "1")  # expect-error
    name: str = tpool.execute(fetch, 1)  # expect-error
    with eventlet.TaskGroup() as group:
        group.spawn(fetch, None)  # expect-error
    eventlet.sleep("1")  # expect-error
    eventlet.no_such_name  # expect-error
    eventlet.Queue[int]().put(None)  # expect-error

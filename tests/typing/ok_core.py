# pyright: strict
"""A user of eventlet-core: what the type checkers see of the public API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any, assert_type

import greenlet

import eventlet
import eventlet.hubs
from eventlet import tpool
from eventlet.event import Event
from eventlet.green import select as green_select
from eventlet.green import socket as green_socket
from eventlet.green import time as green_time
from eventlet.greenio import GreenSocket
from eventlet.greenpool import GreenPile, GreenPool
from eventlet.greenthread import GreenThread
from eventlet.queue import Empty, LifoQueue, LightQueue, PriorityQueue, Queue
from eventlet.semaphore import Semaphore
from eventlet.timeout import Timeout


def fetch(n: int) -> str:
    eventlet.sleep(0)
    return str(n)


def square(n: int) -> int:
    return n * n


def add(a: int, b: int) -> int:
    return a + b


def threads() -> None:
    thread = eventlet.spawn(fetch, 1)
    assert_type(thread, GreenThread[str])
    assert_type(thread.wait(), str)
    assert_type(eventlet.spawn(add, 1, b=2).wait(), int)
    assert_type(eventlet.spawn_after(0.5, fetch, 2), GreenThread[str])
    eventlet.spawn_n(fetch, 3)

    def report(finished: GreenThread[str], extra: str) -> None:
        print(finished.wait(), extra)

    thread.link(report, "extra")
    thread.kill()
    eventlet.kill(thread)
    assert_type(eventlet.getcurrent(), greenlet.greenlet)
    assert_type(eventlet.hubs.get_hub().clock(), float)


def queues() -> None:
    q: Queue[int] = Queue()
    q.put(1)
    q.put_nowait(2)
    assert_type(q.get(), int)
    assert_type(q.get(timeout=1), int)
    assert_type(q.get_nowait(), int)
    q.task_done()
    q.join()
    light = LightQueue[bytes](maxsize=10)
    light.put(b"x")
    assert_type(light.get(), bytes)
    prio: PriorityQueue[tuple[int, str]] = PriorityQueue()
    prio.put((1, "one"))
    assert_type(prio.get(), tuple[int, str])
    lifo: LifoQueue[str] = eventlet.queue.LifoQueue()
    lifo.put("a")
    assert_type(lifo.get(), str)
    assert_type(eventlet.Queue[float]().qsize(), int)
    try:
        q.get(block=False)
    except Empty:
        pass


def events() -> None:
    done: Event[str] = Event()
    eventlet.spawn(done.send, "ok")
    assert_type(done.wait(), str)
    assert_type(done.wait(timeout=1.0), str | None)
    assert_type(done.poll(), str | None)
    assert_type(done.poll(0), str | int)
    flag: Event[None] = eventlet.Event()
    flag.send()
    failed: Event[int] = Event()
    failed.send(exc=ValueError("no"))
    failed.send_exception(ValueError, ValueError("no"), None)


def pools() -> None:
    pool = GreenPool(10)
    assert_type(pool.spawn(fetch, 1), GreenThread[str])
    pool.spawn_n(fetch, 2)
    squares = pool.imap(square, range(10))
    assert_type(squares, Iterator[int])
    assert_type(list(pool.imap(add, [1, 2], [3, 4])), list[int])
    assert_type(list(pool.starmap(add, [(1, 2)])), list[int])
    pool.waitall()
    pile: GreenPile[str] = eventlet.GreenPile(pool)
    pile.spawn(fetch, 1)
    for text in pile:
        assert_type(text, str)
    with eventlet.TaskGroup() as group:
        child = group.spawn(add, 1, 2)
    assert_type(child, GreenThread[int])
    assert_type(tpool.execute(add, 1, 2), int)


def network() -> None:
    server = eventlet.listen(("127.0.0.1", 0))
    assert_type(server, GreenSocket)
    eventlet.listen(("::1", 0, 0, 0), socket.AF_INET6)
    eventlet.listen("/tmp/eventlet-typing.sock", socket.AF_UNIX)
    client = eventlet.connect(server.getsockname())
    client.sendall(b"ping")
    assert_type(client.recv(4), bytes)
    conn, _address = server.accept()
    assert_type(conn, GreenSocket)

    def handle(sock: GreenSocket, address: tuple[str, int]) -> None:
        sock.sendall(sock.recv(1024))

    def handle_any(sock: socket.socket, address: Any) -> None:
        sock.close()

    eventlet.serve(server, handle)
    eventlet.serve(server, handle_any)
    green = green_socket.socket()
    green.close()


def guards() -> None:
    with Timeout(1):
        eventlet.sleep(0.1)
    with Timeout(1, False):
        eventlet.sleep(0.1)
    with Semaphore(2):
        pass
    eventlet.monkey_patch(socket=True)


def green_modules() -> None:
    poller = green_select.poll()
    poller.register(0, green_select.POLLIN | green_select.POLLOUT)
    assert_type(green_select.select([0], [], [], 1.0), tuple[list[Any], list[Any], list[Any]])
    assert_type(green_time.monotonic(), float)
    green_time.sleep(0.1)
    assert_type(green_socket.gethostbyname("localhost"), str)
    sock = green_socket.socket(green_socket.AF_INET, green_socket.SOCK_STREAM)
    sock.close()

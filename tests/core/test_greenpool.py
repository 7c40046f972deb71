"""eventlet.greenpool: GreenPool and GreenPile."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import greenthread
from eventlet.event import Event
from eventlet.greenpool import GreenPile, GreenPool
from eventlet.greenthread import GreenThread

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block."""
    for _ in range(turns):
        eventlet.sleep(0)


def test_size_validation() -> None:
    with pytest.raises(ValueError, match="size >= 0"):
        GreenPool(-1)
    with pytest.raises(TypeError):
        GreenPool("lots")  # type: ignore[arg-type]
    assert GreenPool("3").size == 3  # type: ignore[arg-type]
    assert GreenPool().size == 1000


def test_spawn_returns_green_thread_with_result() -> None:
    pool = GreenPool(2)

    def add(a: int, b: int = 0) -> int:
        return a + b

    thread = pool.spawn(add, 1, b=2)
    assert isinstance(thread, GreenThread)
    assert pool.running() == 1
    assert pool.free() == 1
    assert thread.wait() == 3
    pool.waitall()
    assert pool.running() == 0
    assert pool.free() == 2
    assert "size=2" in repr(pool)


def test_spawn_blocks_when_full_fifo() -> None:
    pool = GreenPool(1)
    gate: Event[Any] = Event()
    order: list[int] = []
    pool.spawn(gate.wait)

    def spawner(i: int) -> None:
        pool.spawn(order.append, i)

    spawners = [eventlet.spawn(spawner, i) for i in range(3)]
    settle()
    assert pool.waiting() == 3
    assert pool.free() == 0
    gate.send(None)
    pool.waitall()
    for thread in spawners:
        thread.wait()
    assert order == [0, 1, 2]
    assert pool.waiting() == 0


def test_waitall_waits_for_everything() -> None:
    pool = GreenPool(3)
    done: list[int] = []

    def work(i: int) -> None:
        eventlet.sleep(0.001 * i)
        done.append(i)

    for i in range(6):
        pool.spawn(work, i)
    pool.waitall()
    assert sorted(done) == list(range(6))
    pool.waitall()  # idle: returns at once


def test_waitall_from_inside_pool_is_refused() -> None:
    pool = GreenPool()
    thread = pool.spawn(pool.waitall)
    with pytest.raises(AssertionError):
        thread.wait()


def test_spawn_n_runs_and_logs_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    pool = GreenPool(2)
    out: list[int] = []
    assert pool.spawn_n(out.append, 1) is None  # type: ignore[func-returns-value]

    def fail() -> None:
        raise ValueError("spawn_n failure")

    def killed() -> None:
        raise GreenletExit

    with caplog.at_level(logging.ERROR, logger="eventlet.hub"):
        pool.spawn_n(fail)
        pool.spawn_n(killed)
        pool.waitall()
    assert out == [1]
    assert "spawn_n failure" in caplog.text
    assert pool.free() == 2
    assert pool.running() == 0


def test_reentrant_spawn_in_full_pool_runs_inline() -> None:
    pool = GreenPool(1)
    seen: list[str] = []

    def inner() -> str:
        seen.append("inner")
        return "inner result"

    def outer() -> object:
        child = pool.spawn(inner)  # the pool is full of ourselves: runs right here
        pool.spawn_n(seen.append, "inner_n")
        return child.wait()

    assert pool.spawn(outer).wait() == "inner result"
    assert seen == ["inner", "inner_n"]
    pool.waitall()


def test_resize_grow_wakes_spawners_and_shrink_goes_negative() -> None:
    pool = GreenPool(1)
    gate: Event[Any] = Event()
    pool.spawn(gate.wait)
    spawner = eventlet.spawn(pool.spawn, gate.wait)
    settle()
    assert pool.waiting() == 1
    pool.resize(2)
    assert isinstance(spawner.wait(), GreenThread)
    assert pool.running() == 2
    assert pool.free() == 0
    pool.resize(1)
    assert pool.free() == -1
    gate.send(None)
    pool.waitall()
    assert pool.free() == 1


def test_killed_spawner_loses_no_slot_and_waitall_returns() -> None:
    pool = GreenPool(1)
    gate: Event[Any] = Event()
    pool.spawn(gate.wait)
    victim = eventlet.spawn(pool.spawn, gate.wait)
    other = eventlet.spawn(pool.spawn, lambda: "other")
    settle()
    gate.send(None)  # the slot goes to victim, which dies before using it ...
    greenthread.kill(victim, GreenletExit)
    assert other.wait().wait() == "other"  # ... and is passed on
    pool.waitall()
    assert pool.free() == 1


def test_killed_only_spawner_lets_waitall_finish() -> None:
    pool = GreenPool(1)
    gate: Event[Any] = Event()
    pool.spawn(gate.wait)
    victim = eventlet.spawn(pool.spawn, gate.wait)
    settle()
    waiter = eventlet.spawn(pool.waitall)
    settle()
    gate.send(None)
    greenthread.kill(victim, GreenletExit)  # handed a slot it never uses
    waiter.wait()
    assert pool.free() == 1


def test_waitall_on_zero_size_pool_waits_for_resize() -> None:
    pool = GreenPool(0)
    out: list[str] = []
    spawner = eventlet.spawn(pool.spawn, out.append, "ran")
    settle()
    waiter = eventlet.spawn(pool.waitall)
    settle()
    assert not waiter.dead  # a blocked spawner means the pool is not idle
    pool.resize(1)
    waiter.wait()
    spawner.wait()
    assert out == ["ran"]


def test_killing_pool_thread_frees_slot() -> None:
    pool = GreenPool(1)
    thread = pool.spawn(eventlet.sleep, 10)
    settle()
    thread.kill()
    assert pool.free() == 1
    pool.waitall()


def test_imap_in_order() -> None:
    pool = GreenPool(3)

    def slow_square(x: int) -> int:
        eventlet.sleep(0.001 * (5 - x))
        return x * x

    assert list(pool.imap(slow_square, range(6))) == [0, 1, 4, 9, 16, 25]
    assert list(pool.imap(pow, [2, 3], [3, 2])) == [8, 9]
    assert list(pool.imap(None, "ab", "cd")) == [("a", "c"), ("b", "d")]
    assert list(pool.imap(abs, [])) == []


def test_starmap() -> None:
    pool = GreenPool(2)
    assert list(pool.starmap(lambda a, b: a - b, [(5, 1), (3, 3)])) == [4, 0]
    assert list(pool.starmap(None, [(1, 2)])) == [(1, 2)]


def test_imap_exception_reaches_consumer_then_continues() -> None:
    pool = GreenPool(2)

    def maybe_fail(x: int) -> int:
        if x == 1:
            raise ValueError("bad item")
        return x

    results = pool.imap(maybe_fail, range(3))
    assert next(results) == 0
    with pytest.raises(ValueError, match="bad item"):
        next(results)
    assert next(results) == 2
    with pytest.raises(StopIteration):
        next(results)
    with pytest.raises(StopIteration):
        next(results)


def test_imap_iterator_error_reaches_consumer() -> None:
    def arguments() -> Iterator[int]:
        yield 1
        raise KeyError("iterator broke")

    results = GreenPool(2).imap(lambda x: x, arguments())
    assert next(results) == 1
    with pytest.raises(KeyError):
        next(results)


def test_imap_bounded_by_pool_size() -> None:
    pool = GreenPool(2)
    running = 0
    peak = 0

    def work(x: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        eventlet.sleep(0.001)
        running -= 1
        return x

    assert list(pool.imap(work, range(8))) == list(range(8))
    assert peak <= 2


def test_green_pile_results_in_spawn_order() -> None:
    def value_after(seconds: float, value: str) -> str:
        eventlet.sleep(seconds)
        return value

    pile: GreenPile[Any] = GreenPile(4)
    for delay, value in [(0.003, "a"), (0.001, "b"), (0.002, "c")]:
        pile.spawn(value_after, delay, value)
    assert iter(pile) is pile
    assert list(pile) == ["a", "b", "c"]
    with pytest.raises(StopIteration):
        pile.next()


def test_green_pile_shares_pool_and_raises() -> None:
    pool = GreenPool(2)
    pile: GreenPile[Any] = GreenPile(pool)
    assert pile.pool is pool

    def boom() -> None:
        raise OSError("pile failure")

    pile.spawn(boom)
    pile.spawn(lambda: "after")
    with pytest.raises(OSError, match="pile failure"):
        next(pile)
    assert next(pile) == "after"


def test_green_pile_spawn_interrupted_rolls_back_counter() -> None:
    pool = GreenPool(1)
    gate: Event[Any] = Event()
    pool.spawn(gate.wait)
    pile: GreenPile[Any] = GreenPile(pool)
    spawner = eventlet.spawn(pile.spawn, lambda: 1)
    settle()
    assert pile.counter == 1
    spawner.kill()
    assert pile.counter == 0
    gate.send(None)
    pool.waitall()

"""eventlet.pools: Pool and TokenPool."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import greenthread
from eventlet.pools import Pool, Token, TokenPool

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block."""
    for _ in range(turns):
        eventlet.sleep(0)


def counting_pool(**kwargs: object) -> Pool[int]:
    counter = itertools.count()
    return Pool(create=lambda: next(counter), **kwargs)  # type: ignore[arg-type]


def test_create_argument_and_min_size() -> None:
    pool = counting_pool(min_size=2, max_size=3)
    assert pool.current_size == 2
    assert pool.free() == 3
    assert [pool.get(), pool.get(), pool.get()] == [0, 1, 2]
    assert pool.free() == 0
    assert "size=3/3" in repr(pool)


def test_create_must_be_provided() -> None:
    pool: Pool[object] = Pool()
    with pytest.raises(NotImplementedError):
        pool.get()
    assert pool.current_size == 0


def test_subclass_create() -> None:
    class Numbers(Pool[str]):
        def create(self) -> str:
            return "made"

    assert Numbers(min_size=1).get() == "made"


def test_fifo_and_stack_order() -> None:
    fifo = counting_pool(max_size=2)
    a, b = fifo.get(), fifo.get()
    fifo.put(a)
    fifo.put(b)
    assert fifo.get() == a
    stack = counting_pool(max_size=2, order_as_stack=True)
    a, b = stack.get(), stack.get()
    stack.put(a)
    stack.put(b)
    assert stack.get() == b


def test_get_blocks_until_put_fifo() -> None:
    pool = counting_pool(max_size=1)
    item = pool.get()
    got: list[tuple[int, int]] = []

    def getter(i: int) -> None:
        got.append((i, pool.get()))

    waiters = [eventlet.spawn(getter, i) for i in range(3)]
    settle()
    assert pool.waiting() == 3
    for i in range(3):
        pool.put(item)
        settle()
        item = got[i][1]
    for thread in waiters:
        thread.wait()
    assert [i for i, _ in got] == [0, 1, 2]
    assert pool.waiting() == 0
    assert pool.current_size == 1


def test_item_context_manager() -> None:
    pool = TokenPool(max_size=2)
    with pool.item() as token:
        assert isinstance(token, Token)
        assert pool.free() == 1
    assert pool.free() == 2
    with pytest.raises(RuntimeError), pool.item():
        raise RuntimeError
    assert pool.free() == 2


def test_resize_shrink_drops_returned_items() -> None:
    pool = counting_pool(max_size=3)
    items = [pool.get() for _ in range(3)]
    pool.resize(1)
    assert pool.free() == -2
    pool.put(items[0])
    pool.put(items[1])
    assert pool.current_size == 1
    assert not pool.free_items
    pool.put(items[2])
    assert pool.get() == items[2]


def test_resize_grow_lets_waiters_create() -> None:
    pool = counting_pool(max_size=1)
    pool.get()
    waiters = [eventlet.spawn(pool.get) for _ in range(2)]
    settle()
    pool.resize(3)
    assert sorted(w.wait() for w in waiters) == [1, 2]
    assert pool.current_size == 3


def test_failed_create_hands_slot_to_waiter() -> None:
    attempts = itertools.count()

    def flaky() -> int:
        n = next(attempts)
        eventlet.sleep(0.001)  # creating takes a while: others queue up meanwhile
        if n == 0:
            raise ConnectionError("first create fails")
        return n

    pool = Pool(max_size=1, create=flaky)
    first = eventlet.spawn(pool.get)
    settle(1)
    second = eventlet.spawn(pool.get)
    settle(1)
    assert pool.waiting() == 1
    with pytest.raises(ConnectionError):
        first.wait()
    assert second.wait() == 1
    assert pool.current_size == 1


def test_waiter_killed_while_waiting() -> None:
    pool = counting_pool(max_size=1)
    item = pool.get()
    victim = eventlet.spawn(pool.get)
    settle()
    victim.kill()
    assert pool.waiting() == 0
    pool.put(item)
    assert pool.free_items[0] == item


def _put_then_kill(pool: Pool[int], item: int, victim: greenthread.GreenThread[Any]) -> None:
    """From a hub callback (where put cannot yield): hand ``item`` to ``victim``, then kill it."""
    pool.put(item)
    greenthread.kill(victim, GreenletExit)


def test_waiter_killed_after_hand_over_passes_item_on(any_hub: object) -> None:
    pool = counting_pool(max_size=1)
    item = pool.get()
    victim = eventlet.spawn(pool.get)
    other = eventlet.spawn(pool.get)
    settle()
    any_hub.call_soon(_put_then_kill, pool, item, victim)  # type: ignore[attr-defined]
    assert other.wait() == item
    assert victim.dead


def test_waiter_killed_after_hand_over_returns_item_to_pool(any_hub: object) -> None:
    pool = counting_pool(max_size=1)
    item = pool.get()
    victim = eventlet.spawn(pool.get)
    settle()
    any_hub.call_soon(_put_then_kill, pool, item, victim)  # type: ignore[attr-defined]
    settle()
    assert victim.dead
    assert list(pool.free_items) == [item]


def test_put_lets_the_waiter_run_first() -> None:
    pool = counting_pool(max_size=1)
    item = pool.get()
    got = eventlet.spawn(pool.get)
    settle()
    pool.put(item)
    assert got.dead
    assert got.wait() == item  # the waiter ran before put returned


def test_put_to_waiters_that_timed_out_keeps_the_item() -> None:
    """Upstream's scenario: every waiter is about to time out when the item comes back."""
    from eventlet import hubs

    pool = counting_pool(max_size=1)
    item = pool.get()
    waiters = [eventlet.spawn(pool.get) for _ in range(3)]
    settle()
    hub = hubs.get_hub()
    for waiter in waiters:
        hub.schedule_call_global(0, waiter.throw, eventlet.Timeout(None))
    pool.put(item)
    assert list(pool.free_items) == [item]
    for waiter in waiters:
        with pytest.raises(eventlet.Timeout):
            waiter.wait()


def test_waiter_killed_after_slot_grant_passes_slot_on() -> None:
    pool = counting_pool(max_size=1)
    pool.get()
    victim = eventlet.spawn(pool.get)
    other = eventlet.spawn(pool.get)
    settle()
    pool.resize(2)  # one slot, granted to victim
    greenthread.kill(victim, GreenletExit)
    assert other.wait() == 1
    assert pool.current_size == 2


def test_put_with_waiter_over_capacity_drops() -> None:
    pool = counting_pool(max_size=2)
    a, b = pool.get(), pool.get()
    pool.resize(1)
    waiter = eventlet.spawn(pool.get)
    settle()
    pool.put(a)  # over capacity: dropped, the waiter keeps waiting
    assert pool.current_size == 1
    assert pool.waiting() == 1
    pool.put(b)
    assert waiter.wait() == b


def test_token_pool_limits_concurrency() -> None:
    pool = TokenPool(max_size=2)
    active = 0
    peak = 0

    def worker() -> None:
        nonlocal active, peak
        with pool.item():
            active += 1
            peak = max(peak, active)
            eventlet.sleep(0.001)
            active -= 1

    threads = [eventlet.spawn(worker) for _ in range(6)]
    for thread in threads:
        thread.wait()
    assert peak == 2
    assert pool.free() == 2

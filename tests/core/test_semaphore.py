"""eventlet.semaphore: Semaphore, BoundedSemaphore, CappedSemaphore."""

from __future__ import annotations

import time

import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import greenthread
from eventlet.hubs import get_hub
from eventlet.semaphore import BoundedSemaphore, CappedSemaphore, Semaphore

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block."""
    for _ in range(turns):
        eventlet.sleep(0)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="value >= 0"):
        Semaphore(-1)
    with pytest.raises(TypeError):
        Semaphore("many")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Semaphore(None)  # type: ignore[arg-type]
    assert Semaphore("3").counter == 3  # type: ignore[arg-type]
    assert Semaphore().counter == 1


def test_acquire_release_counts() -> None:
    sem = Semaphore(2)
    assert not sem.locked()
    assert not sem.bounded()
    assert sem.acquire()
    assert sem.acquire()
    assert sem.locked()
    assert sem.counter == 0
    assert sem.acquire(blocking=False) is False
    assert sem.release() is True
    assert sem.counter == 1
    assert sem.balance == 1
    assert "c=1" in repr(sem)
    assert "c=1" in str(sem)


def test_waiters_are_served_fifo() -> None:
    sem = Semaphore(0)
    order: list[int] = []

    def worker(i: int) -> None:
        sem.acquire()
        order.append(i)

    threads = [eventlet.spawn(worker, i) for i in range(6)]
    settle()
    assert sem.balance == -6
    for _ in range(6):
        sem.release()
    for thread in threads:
        thread.wait()
    assert order == list(range(6))
    assert sem.counter == 0
    assert sem.balance == 0


def test_release_hands_token_over_no_barging() -> None:
    sem = Semaphore(0)
    waiter = eventlet.spawn(sem.acquire)
    settle()
    sem.release()
    assert sem.acquire(blocking=False) is False  # the token belongs to the waiter now
    assert waiter.wait() is True
    assert sem.counter == 0


def test_timeout_expires() -> None:
    sem = Semaphore(0)
    assert sem.acquire(timeout=0.01) is False
    assert sem.balance == 0
    assert sem.acquire(True, 0) is False


def test_timeout_not_reached() -> None:
    sem = Semaphore(0)
    get_hub().schedule_call_global(0.005, sem.release)
    assert sem.acquire(timeout=5) is True


def test_grant_wins_over_timeout_in_same_turn() -> None:
    sem = Semaphore(0)
    get_hub().schedule_call_global(0.005, sem.release)
    waiter = eventlet.spawn(sem.acquire, timeout=0.01)
    settle(1)
    time.sleep(0.02)  # both timers are due at the next hub turn; the release fires first
    assert waiter.wait() is True
    assert sem.counter == 0
    assert not sem._waiters


def test_timeout_argument_validation() -> None:
    sem = Semaphore(1)
    with pytest.raises(ValueError, match="strictly positive"):
        sem.acquire(timeout=-2)
    with pytest.raises(ValueError, match="non-blocking acquire"):
        sem.acquire(blocking=False, timeout=1)
    assert sem.acquire(True, -1) is True  # threading's "forever"
    assert sem.acquire(False, -1) is False


def test_kill_blocked_waiter_removes_it() -> None:
    sem = Semaphore(0)
    victim = eventlet.spawn(sem.acquire)
    settle()
    assert sem.balance == -1
    victim.kill()
    assert sem.balance == 0
    sem.release()
    assert sem.counter == 1


def test_kill_after_grant_passes_token_on() -> None:
    sem = Semaphore(0)
    first = eventlet.spawn(sem.acquire)
    second = eventlet.spawn(sem.acquire)
    settle()
    sem.release()  # granted to first, which has not resumed yet
    greenthread.kill(first, GreenletExit)
    assert second.wait() is True
    assert sem.counter == 0
    assert not sem._waiters


def test_kill_after_grant_without_other_waiter_restores_counter() -> None:
    sem = Semaphore(0)
    first = eventlet.spawn(sem.acquire)
    settle()
    sem.release()
    first.kill()
    assert sem.counter == 1


@pytest.mark.parametrize("own_timeout", [None, 5])
def test_enclosing_timeout_while_waiting(own_timeout: float | None) -> None:
    sem = Semaphore(0)
    with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.01):
        sem.acquire(timeout=own_timeout)
    assert not sem._waiters


def test_context_manager_and_mutual_exclusion() -> None:
    sem = Semaphore(1)
    inside: list[int] = []
    peak = 0

    def worker() -> None:
        nonlocal peak
        with sem as acquired:
            assert acquired is True
            inside.append(1)
            peak = max(peak, len(inside))
            eventlet.sleep(0)
            inside.pop()

    threads = [eventlet.spawn(worker) for _ in range(5)]
    for thread in threads:
        thread.wait()
    assert peak == 1
    assert sem.counter == 1


def test_release_from_hub_callback_wakes_waiter() -> None:
    sem = Semaphore(0)
    get_hub().call_soon(sem.release)
    assert sem.acquire() is True


def test_adjust_grants_and_debts() -> None:
    sem = Semaphore(0)
    threads = [eventlet.spawn(sem.acquire) for _ in range(3)]
    settle()
    sem._adjust(2)
    settle()
    assert [t.dead for t in threads] == [True, True, False]
    sem._adjust(-2)  # a debt: the next releases repay it before anybody is woken
    assert sem.counter == -2
    sem.release()
    sem.release()
    assert sem.counter == 0
    assert not threads[2].dead
    sem.release()
    assert threads[2].wait() is True


def test_at_fork_reinit_forgets_waiters() -> None:
    sem = Semaphore(0)
    thread = eventlet.spawn(sem.acquire)
    settle()
    sem._at_fork_reinit()
    assert not sem._waiters
    thread.kill()


def test_bounded_semaphore() -> None:
    sem = BoundedSemaphore(2)
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()
    sem.acquire()
    assert sem.release() is True
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()
    assert sem.original_counter == 2
    with sem:
        assert sem.counter == 1


def test_bounded_semaphore_hand_over() -> None:
    sem = BoundedSemaphore(1)
    sem.acquire()
    waiter = eventlet.spawn(sem.acquire)
    settle()
    sem.release()
    assert waiter.wait() is True
    sem.release()
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()


def test_capped_semaphore_validation() -> None:
    with pytest.raises(ValueError, match="positive number"):
        CappedSemaphore(-1, 3)
    with pytest.raises(ValueError, match="cannot be more than"):
        CappedSemaphore(4, 3)
    with pytest.raises(ValueError, match="cannot be more than"):
        CappedSemaphore(1, None)  # type: ignore[arg-type]


def test_capped_semaphore_bounds() -> None:
    sem = CappedSemaphore(1, 2)
    assert not sem.locked()
    assert not sem.bounded()
    assert sem.release() is True  # count 2 == limit
    assert sem.bounded()
    assert sem.release(blocking=False) is False
    assert sem.acquire()
    assert sem.acquire()  # count 0
    assert sem.locked()
    assert sem.acquire(blocking=False) is False
    assert sem.balance == -2
    assert "CappedSemaphore" in repr(sem)


def test_capped_semaphore_context_manager() -> None:
    sem = CappedSemaphore(1, 1)
    with sem as acquired:
        assert acquired is True
        assert sem.locked()
    assert not sem.locked()


def test_capped_semaphore_blocks_both_ways() -> None:
    sem = CappedSemaphore(0, 1)
    taker = eventlet.spawn(sem.acquire)
    settle()
    assert not taker.dead
    sem.release()
    assert taker.wait() is True
    sem.release()  # count 1 == limit
    giver = eventlet.spawn(sem.release)
    settle()
    assert not giver.dead
    assert sem.acquire() is True
    assert giver.wait() is True
    assert sem.balance == 1  # count back at 1: the giver's release went through


def test_capped_semaphore_limit_zero_meets_half_way() -> None:
    sem = CappedSemaphore(0, 0)
    taker = eventlet.spawn(sem.acquire)
    giver = eventlet.spawn(sem.release)
    assert taker.wait() is True
    assert giver.wait() is True


def test_capped_semaphore_kill_blocked_acquirer_undoes() -> None:
    sem = CappedSemaphore(0, 1)
    taker = eventlet.spawn(sem.acquire)
    settle()
    taker.kill()
    assert sem.upper_bound.counter == 1
    assert sem.lower_bound.counter == 0
    assert sem.release() is True
    assert sem.bounded()


def test_capped_semaphore_kill_blocked_releaser_undoes() -> None:
    sem = CappedSemaphore(1, 1)
    giver = eventlet.spawn(sem.release)
    settle()
    giver.kill()
    assert sem.lower_bound.counter == 1
    assert sem.upper_bound.counter == 0
    assert sem.acquire() is True
    assert sem.locked()

"""eventlet.lock.Lock: a green threading.Lock."""

from __future__ import annotations

import pytest

import eventlet
from eventlet.lock import Lock
from eventlet.semaphore import Semaphore

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block."""
    for _ in range(turns):
        eventlet.sleep(0)


def test_is_a_semaphore_of_one() -> None:
    lock = Lock()
    assert isinstance(lock, Semaphore)
    assert not lock.locked()
    assert lock.acquire() is True
    assert lock.locked()
    assert lock.acquire(False) is False
    lock.release()
    assert not lock.locked()


def test_release_unlocked_raises() -> None:
    lock = Lock()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.release()
    lock.acquire()
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


def test_threading_style_arguments() -> None:
    lock = Lock()
    assert lock.acquire(True, -1) is True
    assert lock.acquire(True, 0.01) is False
    assert lock.acquire(blocking=True, timeout=0) is False
    lock.release()


def test_context_manager_serialises_critical_sections() -> None:
    lock = Lock()
    log: list[str] = []

    def worker(name: str) -> None:
        with lock:
            log.append(f"{name}-in")
            eventlet.sleep(0.001)
            log.append(f"{name}-out")

    threads = [eventlet.spawn(worker, n) for n in "abc"]
    for thread in threads:
        thread.wait()
    assert log == ["a-in", "a-out", "b-in", "b-out", "c-in", "c-out"]
    assert not lock.locked()


def test_hand_over_keeps_it_locked() -> None:
    lock = Lock()
    lock.acquire()
    waiter = eventlet.spawn(lock.acquire)
    settle()
    lock.release()  # handed straight to the waiter: it stays locked
    assert lock.locked()
    assert waiter.wait() is True
    lock.release()
    assert not lock.locked()


def test_any_green_thread_may_release() -> None:
    lock = Lock()
    lock.acquire()
    eventlet.spawn(lock.release).wait()
    assert not lock.locked()


def test_kill_waiter_keeps_lock_consistent() -> None:
    lock = Lock()
    lock.acquire()
    victim = eventlet.spawn(lock.acquire)
    settle()
    victim.kill()
    lock.release()
    assert not lock.locked()
    assert not lock._waiters


def test_at_fork_reinit_unlocks() -> None:
    lock = Lock()
    lock.acquire()
    waiter = eventlet.spawn(lock.acquire)
    settle()
    lock._at_fork_reinit()
    assert not lock.locked()
    assert not lock._waiters
    waiter.kill()

"""Green ``_thread``, ``threading`` and ``queue``: in this process (no patching) and, for the patched
standard library, in child processes (monkey patching is process-wide)."""

from __future__ import annotations

import _thread as std_thread
import gc
import os
import queue as std_queue
import subprocess
import sys
import textwrap
import threading as std_threading
import warnings
from pathlib import Path
from typing import Any

import pytest

import eventlet
from eventlet import greenthread, hubs
from eventlet.green import queue as green_queue
from eventlet.green import thread as green_thread
from eventlet.green import threading as green_threading


def run_python(source: str, cwd: Path, timeout: float = 60) -> str:
    """Run ``source`` in a new interpreter (inheriting the environment); return its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=dict(os.environ),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# ------------------------------------------------------------------------------- locks in-process
def test_lock_basics() -> None:
    lock = green_thread.allocate_lock()
    assert isinstance(lock, green_thread.LockType)
    assert "unlocked" in repr(lock)
    assert lock.acquire()
    assert lock.locked()
    assert lock.locked_lock()
    assert "locked" in repr(lock)
    assert not lock.acquire(False)
    assert not lock.acquire(True, 0)
    lock.release()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.release()
    with lock:
        assert lock.locked()
    assert not lock.locked()
    assert lock.acquire_lock() is True
    lock.release_lock()


def test_lock_argument_errors() -> None:
    lock = green_thread.LockType()
    with pytest.raises(ValueError, match="non-blocking"):
        lock.acquire(False, 1)
    with pytest.raises(ValueError, match="non-negative"):
        lock.acquire(True, -5)
    with pytest.raises(OverflowError):
        lock.acquire(True, green_thread.TIMEOUT_MAX * 2)


def test_lock_contention_between_green_threads() -> None:
    lock = green_thread.LockType()
    order: list[str] = []

    def worker(name: str) -> None:
        with lock:
            order.append(f"{name} in")
            eventlet.sleep(0)
            order.append(f"{name} out")

    threads = [eventlet.spawn(worker, name) for name in "abc"]
    for thread in threads:
        thread.wait()
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]


def test_lock_acquire_times_out() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    assert lock.acquire(True, 0.01) is False
    assert lock._waiters == type(lock._waiters)()
    lock.release()


def test_lock_released_by_another_green_thread_wakes_waiter() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    eventlet.spawn(lock.release)
    assert lock.acquire(True, 5)


def test_lock_waiter_killed_passes_the_wakeup_on() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    got: list[str] = []

    def waiter(name: str) -> None:
        with lock:
            got.append(name)

    first = eventlet.spawn(waiter, "first")
    second = eventlet.spawn(waiter, "second")
    eventlet.sleep(0)  # both wait now
    lock.release()  # the first is handed the wake-up...
    first.kill()  # ...but dies before it runs: the second must get the lock
    second.wait()
    assert got == ["second"]


def test_lock_timeout_after_wakeup_was_handed_over() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    results: list[bool] = []
    waiter = eventlet.spawn(lambda: results.append(lock.acquire(True, 5)))
    eventlet.sleep(0)
    lock.release()
    lock.acquire()  # barge in before the waiter runs: it finds the lock taken and waits again
    eventlet.sleep(0)
    assert results == []
    lock.release()
    waiter.wait()
    assert results == [True]


def test_lock_cannot_be_waited_for_in_the_hub() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    errors: list[BaseException] = []

    def in_hub() -> None:
        try:
            lock.acquire()
        except RuntimeError as exc:
            errors.append(exc)

    hubs.get_hub().call_soon(in_hub)
    eventlet.sleep(0)
    assert errors
    assert "hub" in str(errors[0])


def test_lock_released_from_another_os_thread() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    real_lock = std_threading.Lock()
    real_lock.acquire()

    def other_thread() -> None:
        real_lock.acquire()  # wait until the green thread waits
        lock.release()

    thread = std_threading.Thread(target=other_thread)
    thread.start()
    eventlet.spawn(real_lock.release)
    assert lock.acquire(True, 10)
    thread.join()


def test_lock_at_fork_reinit() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    lock._at_fork_reinit()
    assert not lock.locked()


def test_rlock() -> None:
    rlock = green_thread.RLock()
    assert rlock.acquire()
    assert rlock.acquire()
    assert rlock._is_owned()
    assert rlock._recursion_count() == 2
    assert "count=2" in repr(rlock)
    assert rlock.locked()
    rlock.release()
    state = rlock._release_save()
    assert state[0] == 1
    assert not rlock.locked()
    with pytest.raises(RuntimeError):
        rlock._release_save()
    rlock._acquire_restore(state)
    assert rlock._recursion_count() == 1
    rlock.release()
    with pytest.raises(RuntimeError, match="un-acquired"):
        rlock.release()
    with rlock:
        assert rlock.locked()
    rlock.acquire()
    rlock._at_fork_reinit()
    assert not rlock.locked()
    assert rlock._recursion_count() == 0


def test_rlock_is_per_green_thread() -> None:
    rlock = green_thread.RLock()
    rlock.acquire()
    seen: list[object] = []

    def other() -> None:
        seen.append(rlock.acquire(False))
        seen.append(rlock._recursion_count())
        try:
            rlock.release()
        except RuntimeError:
            seen.append("refused")

    eventlet.spawn(other).wait()
    assert seen == [False, 0, "refused"]
    rlock.release()


# ------------------------------------------------------------------------------ threads in-process
def test_get_ident() -> None:
    root = green_thread.get_ident()
    assert root == std_threading.get_ident()  # the root greenlet keeps the OS thread's ident
    other = eventlet.spawn(green_thread.get_ident).wait()
    assert other != root
    assert green_thread.get_ident(greenthread.getcurrent()) == root


def test_start_new_thread_and_count() -> None:
    before = green_thread._count()
    done: eventlet.Event[Any] = eventlet.Event()
    ident = green_thread.start_new_thread(lambda x, y=0: done.send(x + y), (1,), {"y": 2})
    assert isinstance(ident, int)
    assert green_thread._count() == before + 1
    assert done.wait() == 3
    eventlet.sleep(0)
    assert green_thread._count() == before
    assert green_thread.start_new is green_thread.start_new_thread


def test_start_new_thread_checks_arguments() -> None:
    with pytest.raises(TypeError, match="callable"):
        green_thread.start_new_thread(1, ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple"):
        green_thread.start_new_thread(print, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dictionary"):
        green_thread.start_new_thread(print, (), [])  # type: ignore[arg-type]


def test_unhandled_exception_goes_to_unraisablehook(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)

    def task() -> None:
        raise ValueError("task failed")

    green_thread.start_new_thread(task, ())
    green_thread.start_new_thread(green_thread.exit, ())  # SystemExit: silent
    eventlet.sleep(0.01)
    assert len(seen) == 1
    report = seen[0]
    assert str(report.exc_value) == "task failed"  # type: ignore[attr-defined]
    if sys.version_info >= (3, 13):
        assert report.object is None  # type: ignore[attr-defined]
        assert report.err_msg.endswith(repr(task))  # type: ignore[attr-defined]
    else:
        assert report.object is task  # type: ignore[attr-defined]


def test_functions_do_not_bind_as_methods() -> None:
    class Holder:
        locktype = green_thread.allocate_lock
        ident = green_thread.get_ident

    # functions of the module, as the C ones are: never bound to an instance
    assert isinstance(Holder().locktype(), green_thread.LockType)  # type: ignore[misc]
    assert Holder().ident() == green_thread.get_ident()  # type: ignore[misc]


def test_thread_handle() -> None:
    handle = green_thread._ThreadHandle()
    assert handle.ident == 0
    assert "not started" in repr(handle)
    with pytest.raises(RuntimeError, match="not started"):
        handle.join()
    ran: list[int] = []
    returned = green_thread.start_joinable_thread(lambda: ran.append(1), handle=handle, daemon=False)
    assert returned is handle
    assert handle.ident
    assert "running" in repr(handle)
    with pytest.raises(RuntimeError, match="already started"):
        green_thread.start_joinable_thread(print, handle=handle)
    handle.join(0)  # a zero timeout returns without waiting
    handle.join(-1)
    assert ran == [1]
    assert handle.is_done()
    assert "done" in repr(handle)
    other = green_thread.start_joinable_thread(eventlet.sleep)
    green_thread._shutdown()  # joins non-daemon threads only
    other.join(None)
    with pytest.raises(TypeError):
        green_thread.start_joinable_thread(None)  # type: ignore[arg-type]


def test_thread_handle_join_self() -> None:
    errors: list[str] = []
    holder: list[green_thread._ThreadHandle] = []

    def body() -> None:
        eventlet.sleep(0)
        try:
            holder[0].join()
        except RuntimeError as exc:
            errors.append(str(exc))

    holder.append(green_thread.start_joinable_thread(body))
    holder[0].join()
    assert errors == ["Cannot join current thread"]
    made = green_thread._make_thread_handle(1234)
    assert made.ident == 1234
    assert not made.is_done()
    made._set_done()
    made.join()


def test_sentinel_released_when_thread_ends() -> None:
    sentinels: list[green_thread.LockType] = []

    def body() -> None:
        lock = green_thread._set_sentinel()
        lock.acquire()
        sentinels.append(lock)

    green_thread.start_new_thread(body, ())
    eventlet.sleep(0)
    assert sentinels
    assert not sentinels[0].locked()
    root_sentinel = green_thread._set_sentinel()  # the root greenlet's is never released
    assert not root_sentinel.locked()


def test_module_forwards_other_attributes() -> None:
    assert green_thread.interrupt_main is not None
    assert green_thread.error is RuntimeError
    assert green_thread.TIMEOUT_MAX > 0
    with pytest.raises(AttributeError):
        green_thread.no_such_thing  # noqa: B018
    if hasattr(std_threading, "_daemon_threads_allowed"):
        assert green_thread.daemon_threads_allowed is not None
    with pytest.raises(AttributeError):
        green_thread.__no_such_dunder__  # noqa: B018


# ---------------------------------------------------------------------------------- local in-process
def test_local_is_per_green_thread() -> None:
    data = green_thread.local()
    data.x = 1

    def other() -> object:
        assert not hasattr(data, "x")
        data.x = 2
        return data.x

    assert eventlet.spawn(other).wait() == 2
    assert data.x == 1
    del data.x
    assert not hasattr(data, "x")
    with pytest.raises(AttributeError, match="read-only"):
        data.__dict__ = {}
    with pytest.raises(AttributeError, match="read-only"):
        del data.__dict__


def test_local_subclass_init_runs_per_green_thread() -> None:
    class Counter(green_thread.local):
        def __init__(self, start: int) -> None:
            eventlet.sleep(0)  # a switch inside __init__ must not mix the dicts up
            self.value = start

    counter = Counter(5)

    def bump(step: int) -> int:
        counter.value += step
        return counter.value

    threads = [eventlet.spawn(bump, step) for step in (1, 2, 3)]
    assert [t.wait() for t in threads] == [6, 7, 8]
    assert counter.value == 5
    with pytest.raises(TypeError, match="not supported"):
        green_thread.local(1)


def test_local_init_failure_propagates() -> None:
    class Broken(green_thread.local):
        def __init__(self) -> None:
            if greenthread.getcurrent().parent is not None:
                raise KeyError("no")

    broken = Broken()
    with pytest.raises(KeyError):
        eventlet.spawn(lambda: broken.anything).wait()


# ------------------------------------------------------------------------- green threading copy
def test_green_threading_copy_runs_green_threads() -> None:
    assert green_threading.Thread is not std_threading.Thread  # a private copy
    results: list[int] = []
    lock = green_threading.Lock()
    cond = green_threading.Condition(lock)

    def worker(n: int) -> None:
        with cond:
            cond.wait_for(lambda: len(results) >= n)
            results.append(n)
            cond.notify_all()

    threads = [green_threading.Thread(target=worker, args=(n,)) for n in (2, 1, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()
    assert results == [0, 1, 2]
    assert green_threading.current_thread() is green_threading.main_thread()


def test_thread_start_in_the_hub_is_refused_before_the_thread_exists() -> None:
    """``Thread.start()`` waits until the thread runs, which the hub cannot: refused up front, so no
    thread is left half-started (in ``_limbo``, or running while start() said it failed)."""
    ran: list[int] = []
    outcome: list[tuple[RuntimeError, green_threading.Thread]] = []
    raw_started: eventlet.Event[bool] = eventlet.Event()

    def in_hub() -> None:
        thread = green_threading.Thread(target=ran.append, args=(1,))
        try:
            thread.start()
        except RuntimeError as exc:
            outcome.append((exc, thread))
        # a bare start_new_thread does not wait: the hub may start one
        green_thread.start_new_thread(raw_started.send, (True,))

    hubs.get_hub().call_soon(in_hub)
    assert raw_started.wait() is True
    [(error, thread)] = outcome
    assert "cannot be called from the hub" in str(error)
    limbo = green_threading._limbo  # type: ignore[attr-defined]  # copied from threading at run time
    assert thread.ident is None
    assert not thread.is_alive()
    assert thread not in limbo.values()
    assert ran == []
    # Python 3.13's threading starts threads with start_joinable_thread: refused there as well.
    errors: list[BaseException] = []
    tried: eventlet.Event[None] = eventlet.Event()

    def joinable_in_hub() -> None:
        try:
            green_thread.start_joinable_thread(ran.append)
        except RuntimeError as exc:
            errors.append(exc)
        tried.send()

    hubs.get_hub().call_soon(joinable_in_hub)
    tried.wait()
    assert errors
    assert ran == []


def test_green_current_thread_for_spawned_green_threads() -> None:
    def ask() -> object:
        first = green_threading.current_thread()
        assert green_threading.current_thread() is first
        assert first.is_alive()
        assert first.daemon
        with pytest.raises(RuntimeError, match="current thread"):
            first.join()
        return first

    thread = eventlet.spawn(ask)
    view: Any = thread.wait()
    assert view.name.startswith("GreenThread-")
    assert not view.is_alive()
    assert view._g is thread
    assert view.ident == id(thread)
    assert repr(view) == f"<_GreenThread({view.name}, {thread!r})>"
    assert view.join() is view  # a finished green thread: join() gives its result, as upstream's
    assert isinstance(view, green_threading.Thread)
    assert view not in green_threading.enumerate()


def test_green_thread_view_has_upstreams_names_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        def names() -> list[object]:
            view: Any = green_threading.currentThread()  # type: ignore[attr-defined]  # copied at run time
            seen: list[object] = [view.getName(), view.get_name(), view.isAlive(), view.is_daemon()]
            view.setName("renamed")
            seen.append(view.name)
            view.set_name(7)
            seen += [view.getName(), view.isDaemon()]
            return seen

        seen = eventlet.spawn(names).wait()
    assert seen[0] == seen[1]
    assert str(seen[0]).startswith("GreenThread-")
    assert seen[2:] == [True, True, "renamed", "7", True]


def test_green_thread_view_join_waits_and_times_out() -> None:
    views: list[Any] = []
    release: eventlet.Event[None] = eventlet.Event()

    def worker() -> str:
        views.append(green_threading.current_thread())
        release.wait()
        return "result"

    thread = eventlet.spawn(worker)
    eventlet.sleep(0)
    view = views[0]
    assert view.join(timeout=0.001) is None
    assert view.is_alive()
    eventlet.spawn_after(0.001, release.send)
    assert view.join() == "result"
    assert not view.is_alive()
    assert thread.dead
    glet: greenthread.GreenThread[object] = greenthread.GreenThread(hubs.get_hub().greenlet)
    orphan = type(view)(glet, "orphan")  # a view that outlives its green thread object
    del glet
    gc.collect()
    assert orphan._g is None
    assert not orphan.is_alive()
    assert orphan.join() is None


def test_green_current_thread_of_a_bare_greenlet_is_its_os_threads() -> None:
    found: list[object] = []
    eventlet.spawn_n(lambda: found.append(green_threading.current_thread()))
    eventlet.sleep(0)
    assert found == [green_threading.main_thread()]


def test_green_current_thread_of_a_bare_greenlet_in_a_foreign_os_thread() -> None:
    found: list[object] = []

    def in_os_thread() -> None:
        eventlet.spawn_n(lambda: found.append(green_threading.current_thread()))
        eventlet.sleep(0)

    thread = std_threading.Thread(target=in_os_thread)
    thread.start()
    thread.join()
    assert found == [thread]  # the copy does not know that OS thread: the standard module does


def test_green_current_thread_of_a_raw_green_thread_is_a_dummy_thread() -> None:
    """As CPython does for a thread that ``threading`` did not start (``_thread.start_new_thread``)."""
    found: list[Any] = []
    green_thread.start_new_thread(lambda: found.append(green_threading.current_thread()), ())
    eventlet.sleep(0)
    # both copied from threading at run time
    assert type(found[0]) is green_threading._DummyThread  # type: ignore[attr-defined]
    green_threading._active.pop(found[0].ident, None)  # type: ignore[attr-defined]  # registered: drop it


def test_threads_running_methods_of_unreferable_objects() -> None:
    class Slotted:
        __slots__ = ("ran",)

        def run(self) -> None:
            self.ran = True

    target = Slotted()
    ident = green_thread.start_new_thread(target.run, ())  # no weak reference to it: not tracked
    eventlet.sleep(0)
    assert target.ran
    assert green_thread.greenlet_of(ident, target) is None  # finished

    def waits() -> None:
        eventlet.sleep(0.001)

    ident = green_thread.start_new_thread(waits, ())
    assert green_thread.greenlet_of(ident) is not None
    assert green_thread.greenlet_of(None, [1]) is None  # not hashable
    eventlet.sleep(0.002)


def test_green_current_thread_in_foreign_os_thread() -> None:
    """An OS thread the copy did not start is the standard module's own business."""
    found: list[object] = []
    thread = std_threading.Thread(target=lambda: found.append(green_threading.current_thread()))
    thread.start()
    thread.join()
    assert found == [thread]
    raw: list[object] = []
    done = std_threading.Event()

    def record() -> None:
        raw.append(green_threading.current_thread())
        done.set()

    std_thread.start_new_thread(record, ())
    done.wait(10)
    assert isinstance(raw[0], std_threading._DummyThread)
    assert not isinstance(raw[0], green_threading._DummyThread)  # type: ignore[attr-defined]  # copied


def test_green_queue() -> None:
    q: green_queue.Queue[Any] = green_queue.Queue()

    def put_three() -> None:
        for i in range(3):
            q.put(i)

    eventlet.spawn(put_three)
    assert [q.get(timeout=5) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(std_queue.Empty):
        q.get(timeout=0.01)
    simple: green_queue.SimpleQueue[Any] = green_queue.SimpleQueue()
    with pytest.raises(std_queue.Empty):
        simple.get(timeout=0.01)
    eventlet.spawn(simple.put, "x")
    assert simple.get() == "x"
    full: green_queue.LifoQueue[int] = green_queue.LifoQueue(1)
    full.put(1)
    with pytest.raises(std_queue.Full):
        full.put(2, timeout=0.01)
    assert green_queue.PriorityQueue is not std_queue.PriorityQueue


# --------------------------------------------------------------------------- patched, in children
def test_patched_threading_primitives(tmp_path: Path) -> None:
    out = run_python(
        """
        import eventlet
        eventlet.monkey_patch()
        import threading, queue, time, _thread
        from greenlet import getcurrent
        results = []
        lock = threading.Lock(); rlock = threading.RLock(); cond = threading.Condition()
        sem = threading.Semaphore(2); event = threading.Event(); barrier = threading.Barrier(3)
        local = threading.local(); local.x = "main"
        def worker(n):
            with lock:
                results.append(("lock", n)); time.sleep(0.001)
            with rlock, rlock:
                pass
            with sem:
                time.sleep(0.001)
            barrier.wait()
            local.x = n
            event.wait()
            results.append(("done", n, local.x, threading.current_thread().name))
        threads = [threading.Thread(target=worker, args=(i,), name=f"w{i}") for i in range(3)]
        for t in threads: t.start()
        assert all(t.is_alive() for t in threads)
        time.sleep(0.01); event.set()
        for t in threads: t.join(5)
        assert not any(t.is_alive() for t in threads)
        assert sorted(r for r in results if r[0] == "done") == [
            ("done", 0, 0, "w0"), ("done", 1, 1, "w1"), ("done", 2, 2, "w2")]
        assert local.x == "main"
        assert threading.current_thread() is threading.main_thread()
        assert threading.get_ident() == _thread.get_ident() != id(getcurrent())
        assert isinstance(queue.SimpleQueue(), queue.SimpleQueue)
        q = queue.Queue()
        threading.Thread(target=lambda: [q.put(i) for i in range(3)]).start()
        assert [q.get(timeout=5) for _ in range(3)] == [0, 1, 2]
        with cond:
            assert not cond.wait(0.01)
        timer = threading.Timer(0.01, results.append, ("timer",)); timer.start(); timer.join()
        assert results[-1] == "timer"
        print("ok", threading.active_count() >= 1)
        """,
        tmp_path,
    )
    assert out.split() == ["ok", "True"]


def test_patched_executor_logging_and_existing_locks(tmp_path: Path) -> None:
    out = run_python(
        """
        import logging, sys, queue, threading
        logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(threadName)s:%(message)s")
        early_queue = queue.Queue()
        handler = logging.getLogger().handlers[0]
        import eventlet
        eventlet.monkey_patch()
        from eventlet.green import thread as green_thread
        assert isinstance(handler.lock, green_thread.RLock), handler.lock
        assert isinstance(early_queue.mutex, green_thread.LockType)
        assert early_queue.not_empty._lock is early_queue.mutex
        assert early_queue.not_empty.acquire.__self__ is early_queue.mutex
        import concurrent.futures, time
        def job(n):
            time.sleep(0.001)
            logging.info("job %d", n)
            return n * n
        with concurrent.futures.ThreadPoolExecutor(3, thread_name_prefix="pool") as pool:
            assert list(pool.map(job, range(6))) == [0, 1, 4, 9, 16, 25]
        eventlet.spawn(logging.info, "from a green thread").wait()
        early_queue.put(1); assert early_queue.get() == 1
        """,
        tmp_path,
    )
    lines = out.splitlines()
    assert sum(line.startswith("pool_") for line in lines) == 6
    assert any(line.startswith("GreenThread-") and "green thread" in line for line in lines)


def test_patched_non_daemon_threads_are_joined_at_exit(tmp_path: Path) -> None:
    out = run_python(
        """
        import eventlet
        eventlet.monkey_patch()
        import threading, time
        def late():
            time.sleep(0.02)
            print("late thread finished")
        threading.Thread(target=late).start()
        threading.Thread(target=lambda: (time.sleep(5), print("daemon")), daemon=True).start()
        print("main done")
        """,
        tmp_path,
    )
    assert out.splitlines() == ["main done", "late thread finished"]


def test_patched_fork_leaves_a_working_hub(tmp_path: Path) -> None:
    out = run_python(
        """
        import eventlet
        eventlet.monkey_patch()
        import os, threading, time
        eventlet.sleep(0)
        pid = os.fork()
        if pid == 0:
            try:
                lock = threading.Lock(); lock.acquire()
                threading.Thread(target=lambda: (time.sleep(0.001), lock.release())).start()
                assert lock.acquire(timeout=5)
                assert threading.current_thread() is threading.main_thread()
                eventlet.spawn(eventlet.sleep, 0.001).wait()
            except BaseException:
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("child exit", os.waitstatus_to_exitcode(status))
        """,
        tmp_path,
    )
    assert out.strip() == "child exit 0"


def test_green_threading_copy_joins_its_threads_at_exit(tmp_path: Path) -> None:
    out = run_python(
        """
        import eventlet
        from eventlet.green import threading
        threading.Thread(target=lambda: (eventlet.sleep(0.01), print("copy thread done"))).start()
        print("main done")
        """,
        tmp_path,
    )
    assert out.splitlines() == ["main done", "copy thread done"]


def test_lock_waiter_survives_a_spurious_wakeup() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    waiter = eventlet.spawn(lock.acquire)
    eventlet.sleep(0)
    hubs.get_hub().call_soon(waiter.switch)  # a stray switch: it must go back to waiting
    eventlet.sleep(0)
    assert not waiter.dead
    lock.release()
    assert waiter.wait() is True


def test_lock_wakeup_for_a_dead_waiter_while_relocked() -> None:
    lock = green_thread.LockType()
    lock.acquire()
    waiter = eventlet.spawn(lock.acquire)
    eventlet.sleep(0)
    lock.release()  # the waiter is handed the wake-up...
    lock.acquire()  # ...the lock is taken again at once...
    waiter.kill()  # ...and the waiter dies: the wake-up is dropped, nobody else waits
    assert lock.locked()
    assert not lock._waiters
    lock.release()


def test_handle_done_twice_and_sentinel_released_early() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        green_thread._ThreadHandle()._set_done()
    if sys.version_info >= (3, 13):  # _thread._get_main_thread_ident is new in 3.13
        assert green_thread._get_main_thread_ident() == std_threading.main_thread().ident
        assert eventlet.spawn(green_thread._get_main_thread_ident).wait() != std_threading.get_ident()
        in_other_os_thread: list[int] = []
        worker = std_threading.Thread(
            target=lambda: in_other_os_thread.append(green_thread._get_main_thread_ident())
        )
        worker.start()
        worker.join()
        assert in_other_os_thread == [std_threading.main_thread().ident]
    handle = green_thread._make_thread_handle(1)
    handle._set_done()
    handle._set_done()
    assert handle.is_done()

    def body() -> None:
        lock = green_thread._set_sentinel()  # never acquired: nothing to release at the end
        assert not lock.locked()

    green_thread.start_new_thread(body, ())
    eventlet.sleep(0)
    pending = green_thread.start_joinable_thread(lambda: eventlet.sleep(0.001), daemon=False)
    green_thread._shutdown()
    assert pending.is_done()


def test_green_underscore_thread_is_the_same_module() -> None:
    from eventlet.green import _thread

    assert _thread is green_thread


def test_lock_type_cannot_be_subclassed_but_rlock_can() -> None:
    with pytest.raises(TypeError, match="acceptable base type"):

        class MyLock(green_thread.LockType):
            pass

    class MyRLock(green_thread.RLock):
        def __init__(self, a: int) -> None:
            super().__init__()

    assert MyRLock(1).acquire()
    assert green_thread.RLock(1, a=2).acquire()  # arguments are ignored, as by the C RLock


# ---------------------------------------------------- patched: upstream's threading names, fork
def test_patched_current_thread_is_upstream_compatible(tmp_path: Path) -> None:
    out = run_python(
        """
        import warnings
        warnings.simplefilter("error")  # no deprecation warning from the upstream-style names
        import logging
        import eventlet
        eventlet.monkey_patch()
        import threading
        from eventlet import patcher, tpool
        from eventlet.green import thread as green_thread
        assert threading.currentThread is threading.current_thread
        assert threading._PyRLock is green_thread.RLock
        assert isinstance(logging._lock, threading._PyRLock)
        def green():
            t = threading.currentThread()
            return repr(t), t.getName(), t.isDaemon(), t.ident == id(t._g)
        print(*eventlet.spawn(green).wait())
        seen = []
        eventlet.spawn_n(lambda: seen.append(threading.current_thread()))
        eventlet.sleep(0)
        assert seen == [threading.main_thread()]
        original = patcher.original("threading")
        os_thread = original.Thread(target=lambda: seen.append(threading.current_thread()))
        os_thread.start(); os_thread.join()
        assert seen[-1] is os_thread
        in_pool = tpool.execute(threading.current_thread)  # a pool thread: the unpatched module's
        assert type(in_pool) is original.Thread and in_pool in original.enumerate()
        assert in_pool.name.startswith("tpool_thread_") and in_pool.daemon
        assert len(threading._active) == 1, threading._active
        print("ok")
        """,
        tmp_path,
    )
    lines = out.splitlines()
    assert lines[0].startswith("<_GreenThread(GreenThread-1, <GreenThread")
    assert lines[0].endswith("GreenThread-1 True True")
    assert lines[1:] == ["ok"]


def test_patched_and_green_threading_share_their_threads(tmp_path: Path) -> None:
    out = run_python(
        """
        import warnings
        warnings.simplefilter("error")  # they are green threads: no "stay OS threads" warning
        import eventlet
        from eventlet.green import threading as green
        stop = green.Event()
        early = green.Thread(target=stop.wait, name="early")
        early.start()
        last = green.Event()
        def late_work():
            last.wait()
            print("early non-daemon finished at exit")
        early_non_daemon = green.Thread(target=late_work, name="early-non-daemon")
        early_non_daemon.start()
        early_daemon = green.Thread(target=stop.wait, name="early-daemon", daemon=True)
        early_daemon.start()
        eventlet.monkey_patch()
        import threading
        assert early in threading.enumerate() and early_non_daemon in threading.enumerate()
        later = green.Thread(target=stop.wait, name="later")
        patched = threading.Thread(target=stop.wait, name="patched")
        later.start(); patched.start()
        names = {t.name for t in threading.enumerate()}
        assert names == {"MainThread", "early", "early-non-daemon", "early-daemon", "later", "patched"}
        assert {t.name for t in green.enumerate()} == names
        assert green.main_thread() is threading.main_thread() is green.current_thread()
        stop.set()
        for t in (early, early_daemon, later, patched):
            t.join()
        print(len(threading._active), len(green._active))
        last.set()  # it runs once the main thread is done: the interpreter joins it at exit
        """,
        tmp_path,
    )
    assert out.splitlines() == ["2 2", "early non-daemon finished at exit"]


_FORK_PROLOGUE = """
import eventlet
eventlet.monkey_patch()
import os, sys, time, threading
from eventlet import patcher
from eventlet.green import threading as green
original = patcher.original("threading")
stop = threading.Event()
def wait_for_stop():
    stop.wait()
def check(expected, where):
    names = sorted(t.name for t in threading.enumerate())
    assert names == sorted(expected), (where, names)
    assert threading.main_thread() is main, where
    for t in threading.enumerate():
        assert t.is_alive(), (where, t)
main = threading.main_thread()
workers = [threading.Thread(target=wait_for_stop, name="patched"),
           green.Thread(target=wait_for_stop, name="green")]
os_thread = original.Thread(target=stop.wait, name="os")
for t in (*workers, os_thread):
    t.start()
def in_child(pid, then):
    if pid == 0:
        try:
            then()
        except BaseException:
            import traceback; traceback.print_exc()
            os._exit(1)
        sys.stdout.flush()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
"""


def test_patched_fork_keeps_the_green_threads_registered(tmp_path: Path) -> None:
    out = run_python(
        _FORK_PROLOGUE
        + """
def child():
    check(["MainThread", "patched", "green"], "child")
    assert len(original._active) == 1  # the OS thread did not survive
    stop.set()
    for t in workers:
        t.join(5)
        assert not t.is_alive()
    print("child", len(threading._active))
in_child(os.fork(), child)
check(["MainThread", "patched", "green"], "parent")
stop.set()
for t in (*workers, os_thread):
    t.join()
print("parent", len(threading._active), len(original._active))
""",
        tmp_path,
    )
    assert out.splitlines() == ["child 1", "parent 1 1"]


def test_patched_fork_from_green_threads(tmp_path: Path) -> None:
    out = run_python(
        _FORK_PROLOGUE
        + """
results = []
def fork_here(tag):
    def child():
        check(["MainThread", "patched", "green", *extra], tag)
        assert threading.current_thread() is me
        results.append(tag)
    me = threading.current_thread()
    extra = [me.name] if me in threading._active.values() else []
    in_child(os.fork(), child)
    results.append(tag)
    return tag
forker = threading.Thread(target=fork_here, args=("from-a-thread",), name="forker")
forker.start(); forker.join()
spawned = eventlet.spawn(fork_here, "from-a-green-thread")
assert spawned.wait() == "from-a-green-thread"
check(["MainThread", "patched", "green"], "parent")
stop.set()
for t in (*workers, os_thread):
    t.join()
print(results, len(threading._active))
""",
        tmp_path,
    )
    assert out.splitlines() == ["['from-a-thread', 'from-a-green-thread'] 1"]


def test_patched_fork_child_joins_surviving_threads_at_exit(tmp_path: Path) -> None:
    out = run_python(
        """
        import eventlet
        eventlet.monkey_patch()
        import os, threading
        go = threading.Event()
        def finish_later():
            go.wait()
            where = "child" if os.getpid() != parent else "parent"
            os.write(1, f"survivor finished in {where}\\n".encode())  # one write: no interleaving
        parent = os.getpid()
        threading.Thread(target=finish_later).start()
        pid = os.fork()
        go.set()  # in each process, the survivor finishes once the main thread is done
        if pid:
            os.waitpid(pid, 0)
        """,
        tmp_path,
    )
    assert sorted(out.splitlines()) == ["survivor finished in child", "survivor finished in parent"]


def test_patched_fork_drops_green_threads_of_other_os_threads(tmp_path: Path) -> None:
    out = run_python(
        _FORK_PROLOGUE
        + """
started = threading.Event()
def elsewhere_target():
    started.set()
    stop.wait()
def start_elsewhere():
    elsewhere = threading.Thread(target=elsewhere_target, name="elsewhere")
    elsewhere.start()
    elsewhere.join()  # the host OS thread's hub runs it: keep that thread alive meanwhile
host = original.Thread(target=start_elsewhere)  # its green thread lives in that OS thread's hub
host.start()
started.wait()
def child():
    check(["MainThread", "patched", "green"], "child")
    print("child ok")
in_child(os.fork(), child)
stop.set()
host.join()
for t in (*workers, os_thread):
    t.join()
print("parent", len(threading._active))
""",
        tmp_path,
    )
    assert out.splitlines() == ["child ok", "parent 1"]


def test_green_threading_copy_survives_fork(tmp_path: Path) -> None:
    out = run_python(
        """
        import os
        import eventlet
        from eventlet.green import threading as green
        stop = green.Event()
        t = green.Thread(target=stop.wait, name="copy-thread")
        t.start()
        pid = os.fork()
        if pid == 0:
            ok = [x.name for x in green.enumerate()] == ["MainThread", "copy-thread"] and t.is_alive()
            stop.set(); t.join(5)
            os._exit(0 if ok and not t.is_alive() else 1)
        _, status = os.waitpid(pid, 0)
        stop.set(); t.join()
        print(os.waitstatus_to_exitcode(status), len(green._active))
        """,
        tmp_path,
    )
    assert out.split() == ["0", "1"]


def test_patched_fork_while_a_thread_is_starting(tmp_path: Path) -> None:
    out = run_python(
        _FORK_PROLOGUE
        + """
def fork_now():
    assert "starting" in {t.name for t in threading._limbo.values()}
    def child():
        assert done.wait(5)  # it started and ran here too, registered as it should be
        starting.join(5)
        assert not starting.is_alive() and ran == ["starting"]
        print("child ok")
    in_child(os.fork(), child)
ran = []
done = threading.Event()
forker = eventlet.spawn(fork_now)  # runs first: while start() below waits for the new thread
starting = threading.Thread(target=lambda: (ran.append("starting"), done.set()), name="starting")
starting.start()
forker.wait()
starting.join()
stop.set()
for t in (*workers, os_thread):
    t.join()
print("parent", ran)
""",
        tmp_path,
    )
    assert out.splitlines() == ["child ok", "parent ['starting']"]


def test_exit_waits_for_a_running_green_thread_but_not_for_one_stranded_on_a_gone_hub(
    tmp_path: Path,
) -> None:
    """Non-daemon green threads are joined at exit, as OS threads are, while they can still run.

    One parked on a hub that is gone (a test's fresh hub, say) can never finish: waiting for it
    would hold the interpreter's exit forever.  One collected as garbage while parked releases
    its sentinel all the same.
    """
    out = run_python(
        """
        import gc
        import eventlet
        from eventlet import hubs
        from eventlet.green import threading

        def park():
            eventlet.Event().wait()

        def late():
            eventlet.sleep(0.05)
            print("late thread done", flush=True)

        stranded = threading.Thread(target=park)
        stranded.start()
        collected = threading.Thread(target=park)
        collected.start()
        eventlet.sleep(0)
        hubs.set_hub(None)  # the hub goes, with both parked on it
        del collected
        gc.collect()
        threading.Thread(target=late).start()
        print("main done", flush=True)
        """,
        tmp_path,
        timeout=30,
    )
    assert out.splitlines() == ["main done", "late thread done"]


def test_exit_does_not_wait_for_the_os_thread_that_first_imported_green_threading(
    tmp_path: Path,
) -> None:
    """Imported first in a server's OS thread, the module's main thread is that one: exit goes on."""
    out = run_python(
        """
        import threading

        def serve():
            from eventlet.green import threading as green_threading
            print("imported in", green_threading.main_thread().name, flush=True)

        thread = threading.Thread(target=serve)
        thread.start()
        thread.join()
        print("main done", flush=True)
        """,
        tmp_path,
        timeout=30,
    )
    assert out.splitlines() == ["imported in MainThread", "main done"]

"""eventlet.tpool: blocking calls in real OS threads, results back in green threads."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import eventlet
from eventlet import tpool


@pytest.fixture
def pool() -> Iterator[tpool.ThreadPool]:
    """A private pool of 3 threads, stopped after the test."""
    private = tpool.ThreadPool(3)
    yield private
    private.killall()


def test_result_and_real_os_thread(pool: tpool.ThreadPool) -> None:
    main_ident = threading.get_ident()
    result, ident = pool.execute(lambda x, y=1: (x + y, threading.get_ident()), 1, y=2)
    assert result == 3 and ident != main_ident
    assert pool.running == 3 and pool.size == 3


def test_exception_comes_back_with_its_traceback(pool: tpool.ThreadPool) -> None:
    def fail() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError) as info:
        pool.execute(fail)
    assert info.value.__traceback__ is not None
    assert any(entry.name == "fail" for entry in info.traceback)


def test_hub_keeps_running_while_a_worker_blocks(pool: tpool.ThreadPool) -> None:
    gate = threading.Event()  # a real (OS-level) event: only another green thread can set it

    def blocking() -> str:
        assert gate.wait(10)
        return "released"

    waiter = eventlet.spawn(pool.execute, blocking)
    eventlet.sleep(0)
    # The worker blocks; the hub is free, so this green thread runs and releases it.
    eventlet.spawn(gate.set).wait()
    assert waiter.wait() == "released"


def test_many_concurrent_calls(pool: tpool.ThreadPool) -> None:
    calls = [eventlet.spawn(pool.execute, pow, n, 2) for n in range(20)]
    assert [call.wait() for call in calls] == [n * n for n in range(20)]


def test_call_from_a_worker_runs_inline(pool: tpool.ThreadPool) -> None:
    outer = pool.execute(lambda: (threading.get_ident(), pool.execute(threading.get_ident)))
    assert outer[0] == outer[1]


def test_call_from_the_hub_is_refused(pool: tpool.ThreadPool) -> None:
    errors: list[BaseException] = []

    def in_hub() -> None:
        try:
            pool.execute(int)
        except RuntimeError as exc:
            errors.append(exc)

    eventlet.hubs.get_hub().call_soon(in_hub)
    eventlet.sleep(0)
    assert errors and "hub" in str(errors[0])


def test_abandoned_call_result_is_dropped_and_error_logged(
    pool: tpool.ThreadPool, caplog: pytest.LogCaptureFixture
) -> None:
    started = threading.Event()
    gate = threading.Event()

    def slow_failure() -> None:
        started.set()
        gate.wait(10)
        raise ValueError("too late")

    caller = eventlet.spawn(pool.execute, slow_failure)
    while not started.is_set():
        eventlet.sleep(0.001)
    caller.kill()  # gives up while the worker runs the call
    with caplog.at_level(logging.WARNING, logger="eventlet.tpool"):
        gate.set()
        assert pool.execute(lambda: "still works") == "still works"
        for _ in range(500):
            if "too late" in caplog.text:
                break
            eventlet.sleep(0.01)
    assert "after its caller stopped waiting" in caplog.text


def test_abandoned_before_start_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    single = tpool.ThreadPool(1)
    gate = threading.Event()
    ran: list[str] = []
    try:
        first = eventlet.spawn(single.execute, gate.wait, 10)
        eventlet.sleep(0)
        second = eventlet.spawn(single.execute, ran.append, "second")
        eventlet.sleep(0)
        second.kill()  # gives up while its call is still queued
        gate.set()
        assert first.wait() is True
        assert single.execute(lambda: "third") == "third"
        assert ran == []
    finally:
        single.killall()


def test_set_size_grows_and_shrinks(pool: tpool.ThreadPool) -> None:
    pool.execute(int)
    pool.set_size(5)
    assert pool.running == 5
    pool.set_size(2)
    assert pool.running == 2 and pool.execute(lambda: 7) == 7
    with pytest.raises(ValueError, match="at least one"):
        pool.set_size(0)
    idle = tpool.ThreadPool()
    idle.set_size(4)  # not started: only remembered
    assert idle.running == 0 and idle.size == 4


def test_killall_then_restart(pool: tpool.ThreadPool) -> None:
    pool.execute(int)
    pool.killall()
    assert pool.running == 0
    assert pool.execute(lambda: "again") == "again"
    assert pool.running == 3


def test_size_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTLET_THREADPOOL_SIZE", "7")
    assert tpool.ThreadPool().size == 7
    monkeypatch.setenv("EVENTLET_THREADPOOL_SIZE", "")
    assert tpool.ThreadPool().size == tpool.DEFAULT_SIZE
    for bad in ("zero", "0", "-3"):
        monkeypatch.setenv("EVENTLET_THREADPOOL_SIZE", bad)
        with pytest.raises(ValueError, match="EVENTLET_THREADPOOL_SIZE"):
            tpool.ThreadPool().size  # noqa: B018


def test_module_functions_use_the_default_pool() -> None:
    tpool.set_num_threads(2)
    try:
        tpool.setup()
        assert tpool._pool.running == 2
        assert tpool.execute(divmod, 7, 2) == (3, 1)
    finally:
        tpool.killall()
        tpool._pool._size = None
    assert tpool._pool.running == 0


def test_no_thread_is_started_at_import(tmp_path: Path) -> None:
    source = """
        import threading, eventlet.tpool as tpool
        before = threading.active_count()
        print(before, tpool._pool.running)
    """
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ), check=True, timeout=60,
    ).stdout  # fmt: skip
    assert out.split() == ["1", "0"]


def test_workers_are_os_threads_under_monkey_patch(tmp_path: Path) -> None:
    source = """
        import eventlet
        eventlet.monkey_patch()
        import threading, time, os
        from eventlet import tpool
        from eventlet.patcher import original
        real_ident = original("_thread").get_ident
        def where():
            time.sleep(0.001)  # green sleep in the worker's own hub
            return real_ident()
        idents = {tpool.execute(where) for _ in range(4)}
        assert real_ident() not in idents
        pid = os.fork()
        if pid == 0:
            os._exit(0 if tpool.execute(lambda: 5) == 5 else 1)
        print("child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    """
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ), check=True, timeout=60,
    ).stdout  # fmt: skip
    assert out.strip() == "child 0"


# ----------------------------------------------------------------------------------------- Proxy
class Resource:
    """Something with blocking-looking methods."""

    def __init__(self) -> None:
        self.items = {"a": 1}
        self.name = "res"

    def where(self) -> int:
        return threading.get_ident()

    def child(self) -> Resource:
        return Resource()

    def __call__(self, x: int) -> int:
        return x * 2

    def __getitem__(self, key: str) -> int:
        return self.items[key]

    def __setitem__(self, key: str, value: int) -> None:
        self.items[key] = value

    def __delitem__(self, key: str) -> None:
        del self.items[key]

    def __enter__(self) -> str:
        return "entered"

    def __exit__(self, *exc: object) -> bool:
        return False


def test_proxy_runs_methods_in_the_pool() -> None:
    try:
        proxy = tpool.Proxy(Resource())
        assert proxy.where() != threading.get_ident()
        assert proxy.where(nonblocking=True) == threading.get_ident()
        assert proxy.name == "res"
        proxy.name = "renamed"
        assert proxy.name == "renamed"
        proxy.extra = 1
        del proxy.extra
        assert not hasattr(proxy, "extra")
        assert proxy(4) == 8
        proxy["b"] = 2
        assert proxy["b"] == 2
        del proxy["b"]
        with proxy as entered:
            assert entered == "entered"
        assert not isinstance(proxy.child(), tpool.Proxy)
    finally:
        tpool.killall()


def test_proxy_autowrap() -> None:
    try:
        by_type = tpool.Proxy(Resource(), autowrap=(Resource,))
        assert isinstance(by_type.child(), tpool.Proxy)
        by_name = tpool.Proxy(Resource(), autowrap_names=("child", "__call__"))
        assert isinstance(by_name.child(), tpool.Proxy)
        assert isinstance(by_name(1), tpool.Proxy)
        assert tpool.Proxy(Resource())(1) == 2
    finally:
        tpool.killall()


def test_proxy_plain_operations_and_iteration() -> None:
    try:
        proxy = tpool.Proxy([3, 1, 2])
        assert len(proxy) == 3 and 1 in proxy and bool(proxy)
        assert proxy == [3, 1, 2] and proxy != [1] and proxy < [4] and proxy <= [3, 1, 2]
        assert proxy > [0] and proxy >= [3, 1, 2]
        assert str(proxy) == repr(proxy) == "[3, 1, 2]"
        assert list(proxy) == [3, 1, 2]
        iterator = tpool.Proxy(iter([1, 2]))
        assert iter(iterator) is iterator and list(iterator) == [1, 2]
        assert hash(tpool.Proxy("x")) == hash("x")
    finally:
        tpool.killall()


def test_workers_inherit_threading_profile_hooks() -> None:
    seen: list[int] = []

    def profiler(frame: object, event: str, arg: object) -> None:
        if event == "call":
            seen.append(threading.get_ident())

    private = tpool.ThreadPool(1)
    threading.setprofile(profiler)
    try:
        ident = private.execute(threading.get_ident)
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        private.killall()
    assert ident in seen

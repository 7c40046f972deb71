"""eventlet.tpool: blocking calls in real OS threads, results back in green threads."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

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

    def add_and_say_where(x: int, y: int = 1) -> tuple[int, int]:
        return x + y, threading.get_ident()

    result, ident = pool.execute(add_and_say_where, 1, y=2)
    assert result == 3
    assert ident != main_ident
    assert pool.running == 3
    assert pool.size == 3


def test_workers_are_daemon_threads_named_as_upstreams(pool: tpool.ThreadPool) -> None:
    worker = pool.execute(threading.current_thread)
    assert type(worker) is threading.Thread
    assert worker.daemon
    assert worker.name.startswith("tpool_thread_")
    assert worker in threading.enumerate()


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

    def power(base: int, exponent: int) -> int:
        return int(pow(base, exponent))

    calls = [eventlet.spawn(pool.execute, power, n, 2) for n in range(20)]
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
    assert errors
    assert "hub" in str(errors[0])


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
    assert pool.running == 2
    assert pool.execute(lambda: 7) == 7
    with pytest.raises(ValueError, match="negative"):
        pool.set_size(-1)
    with pytest.raises(AssertionError):  # what upstream raises: the error is both
        pool.set_size(-1)
    idle = tpool.ThreadPool()
    idle.set_size(4)  # not started: only remembered
    assert idle.running == 0
    assert idle.size == 4


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
    monkeypatch.setenv("EVENTLET_THREADPOOL_SIZE", "0")
    assert tpool.ThreadPool().size == 0
    for bad in ("zero", "-3"):
        monkeypatch.setenv("EVENTLET_THREADPOOL_SIZE", bad)
        with pytest.raises(ValueError, match="EVENTLET_THREADPOOL_SIZE"):
            tpool.ThreadPool().size  # noqa: B018
    with pytest.raises(AssertionError, match="negative"):  # upstream's error for a negative size
        tpool.ThreadPool().size  # noqa: B018


def test_zero_threads_run_calls_in_the_caller_with_one_warning(pool: tpool.ThreadPool) -> None:
    pool.execute(int)
    pool.set_size(0)  # the running workers stop
    assert pool.running == 0
    with pytest.warns(RuntimeWarning, match="Zero threads in tpool") as warned:
        in_caller = pool.execute(threading.get_ident)
    assert in_caller == threading.get_ident()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning came once: a second one would raise here
        assert pool.execute(lambda: "again") == "again"
    assert len(warned) == 1
    pool.killall()  # forgets the warning: a new start warns again
    with pytest.warns(RuntimeWarning, match="EVENTLET_THREADPOOL_SIZE"):
        pool.execute(int)
    pool.set_size(3)
    assert pool.execute(threading.get_ident) != threading.get_ident()


@pytest.mark.parametrize(("value", "expected"), [("0", "zero"), ("-1", "negative"), ("4", "four")])
def test_pool_size_from_the_environment_in_a_real_program(value: str, expected: str) -> None:
    source = """
        import threading, warnings
        from eventlet import tpool
        warnings.simplefilter("always")
        try:
            with warnings.catch_warnings(record=True) as caught:
                same = tpool.execute(threading.get_ident) == threading.get_ident()
        except AssertionError:
            print("negative")
        else:
            print("zero" if same and len(caught) == 1 else f"four" if len(tpool._threads) == 4 else "?")
    """
    env = {**os.environ, "EVENTLET_THREADPOOL_SIZE": value}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.stdout.strip() == expected, out.stderr


def test_upstream_module_state_names() -> None:
    """tpool._nthreads (read and written) and tpool._threads, as programs written for upstream use them."""
    saved = tpool._pool._size
    try:
        tpool.killall()
        tpool._nthreads = 2  # type: ignore[attr-defined]
        assert tpool._nthreads == 2 == tpool.get_num_threads()  # type: ignore[attr-defined]
        assert tpool._threads == []  # type: ignore[attr-defined]
        tpool.execute(int)
        assert len(tpool._threads) == 2  # type: ignore[attr-defined]
        tpool.set_num_threads(3)
        assert tpool._nthreads == 3  # type: ignore[attr-defined]
        assert len(tpool._threads) == 3  # type: ignore[attr-defined]
    finally:
        tpool.killall()
        tpool._pool._size = saved


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

    def __exit__(self, *exc: object) -> Literal[False]:
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


class _Holder:
    number = 1
    text = "one"
    child = [1, 2]  # not callable: a plain attribute


def test_proxy_autowrap_wraps_plain_attributes_too() -> None:
    by_type = tpool.Proxy(_Holder(), autowrap=(int,))
    assert isinstance(by_type.number, tpool.Proxy)
    assert by_type.number == 1
    assert by_type.text == "one"
    assert not isinstance(by_type.text, tpool.Proxy)
    by_name = tpool.Proxy(_Holder(), autowrap_names=("child",))
    assert isinstance(by_name.child, tpool.Proxy)
    assert by_name.child[1] == 2
    assert not isinstance(by_name._obj, tpool.Proxy)


def test_proxy_copy_and_deepcopy_go_through_the_pool() -> None:
    import copy

    class Copyable:
        def __init__(self) -> None:
            self.where: list[int] = []

        def __copy__(self) -> str:
            self.where.append(threading.get_ident())
            return "copied"

        def __deepcopy__(self, memo: object) -> str:
            self.where.append(threading.get_ident())
            return "deep-copied"

    try:
        original = Copyable()
        proxy = tpool.Proxy(original)
        assert copy.copy(proxy) == "copied"
        assert copy.deepcopy(proxy) == "deep-copied"
        assert threading.get_ident() not in original.where
        assert len(original.where) == 2
    finally:
        tpool.killall()


def test_a_finished_call_keeps_no_reference_to_its_function_or_arguments() -> None:
    import gc
    import weakref

    class Target:
        def method(self) -> str:
            return "ok"

        def fail(self) -> None:
            raise LookupError("expected")

    try:
        target = Target()
        ref = weakref.ref(target)
        assert tpool.Proxy(target).method() == "ok"
        with pytest.raises(LookupError):
            tpool.Proxy(target).fail()
        eventlet.sleep(0)
        del target
        gc.collect()
        assert ref() is None
    finally:
        tpool.killall()


def test_tpool_exceptions_prints_a_failed_call(capsys: pytest.CaptureFixture[str]) -> None:
    from eventlet import debug

    def fail() -> None:
        raise LookupError("shown")

    try:
        with pytest.raises(LookupError):
            tpool.execute(fail)
        assert capsys.readouterr().err == ""  # quiet by default
        debug.tpool_exceptions(True)
        with pytest.raises(LookupError):
            tpool.execute(fail)
        err = capsys.readouterr().err
        assert "LookupError: shown" in err
        assert "test_tpool_exceptions_prints_a_failed_call" in err
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stderr", None)  # pythonw: nowhere to print, and no error
            with pytest.raises(LookupError):
                tpool.execute(fail)
    finally:
        debug.tpool_exceptions(False)
        tpool.killall()
    assert tpool.QUIET


def test_proxy_plain_operations_and_iteration() -> None:
    try:
        proxy = tpool.Proxy([3, 1, 2])
        assert len(proxy) == 3
        assert 1 in proxy
        assert bool(proxy)
        assert proxy == [3, 1, 2]
        assert proxy != [1]
        assert proxy < [4]
        assert proxy <= [3, 1, 2]
        assert proxy > [0]
        assert proxy >= [3, 1, 2]
        assert str(proxy) == repr(proxy) == "[3, 1, 2]"
        assert list(proxy) == [3, 1, 2]
        iterator = tpool.Proxy(iter([1, 2]))
        assert iter(iterator) is iterator
        assert list(iterator) == [1, 2]
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
        threading.setprofile(None)
        private.killall()
    assert ident in seen


def test_start_real_thread_is_a_named_daemon_thread_under_the_programs_hooks() -> None:
    seen: list[str] = []

    def profiler(frame: Any, event: str, arg: object) -> None:
        if event == "call":
            seen.append(frame.f_code.co_name)

    done = threading.Event()
    inside: list[Any] = []

    def work() -> None:
        current = threading.current_thread()
        inside.extend([current.name, current.daemon, threading.get_ident()])
        done.set()

    saved = threading.getprofile()
    threading.setprofile(profiler)
    try:
        started = tpool.start_real_thread(work, name="helper-1")
        assert done.wait(30)
    finally:
        threading.setprofile(saved)
    assert inside == ["helper-1", True, started]
    assert started != threading.get_ident()
    assert "work" in seen


def test_start_real_thread_without_hooks_runs_untraced() -> None:
    done = threading.Event()
    saved = threading.gettrace()  # coverage's, when the suite runs under it
    traced: list[object] = []

    def work() -> None:
        traced.append(sys.gettrace())
        done.set()

    threading.settrace(None)
    try:
        tpool.start_real_thread(work)
        assert done.wait(30)
    finally:
        threading.settrace(saved)
    assert traced == [None]

"""The building blocks: green pipe streams, flags, ThreadCall, exit watchers, green waitpid, worker loop."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

import eventlet
import eventlet.processes
from eventlet import tpool
from eventlet.event import Event
from eventlet.processes import PipeStream, PipeTimeout, TextStream, resolve_io_mode
from eventlet.processes._exitwait import PidfdWatcher, ThreadWatcher, exit_watcher
from eventlet.processes._protocol import dump_error, dump_result, frame, read_frame
from eventlet.processes._sync import ThreadCall, raise_flag, wait_flag
from eventlet.processes._worker import noop, run_chunk, run_star_chunk, serve
from eventlet.testing import hub_turns

from . import pool_tasks as tasks


@pytest.fixture
def pipe(io_mode: str) -> Iterator[tuple[PipeStream, PipeStream]]:
    r, w = os.pipe()
    reader, writer = PipeStream(r, "r"), PipeStream(w, "w")
    yield reader, writer
    writer.close()
    reader.close()


def test_stream_basics(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe
    assert (reader.mode, writer.mode) == ("rb", "wb")
    assert reader.readable()
    assert not reader.writable()
    assert writer.writable()
    assert not writer.readable()
    assert not reader.seekable()
    assert not reader.isatty()
    assert reader.name == reader.fileno()
    assert reader.io_mode == writer.io_mode == resolve_io_mode(None)
    assert "PipeStream rb fd=" in repr(reader)
    with pytest.raises(io.UnsupportedOperation):
        reader.detach()
    with pytest.raises(io.UnsupportedOperation):
        reader.write(b"x")
    with pytest.raises(io.UnsupportedOperation):
        writer.read()
    writer.flush()
    assert writer.write(b"one\ntwo\nthree") == 13
    writer.close()
    writer.close()
    assert "closed" in repr(writer)
    with pytest.raises(ValueError, match="closed"):
        writer.fileno()
    assert reader.readline() == b"one\n"
    assert reader.readline(2) == b"tw"
    assert reader.readline(10) == b"o\n"
    buffer = bytearray(3)
    assert reader.readinto(buffer) == 3
    assert buffer == b"thr"
    assert reader.readinto1(buffer) == 2
    assert buffer[:2] == b"ee"
    assert reader.read() == b""
    assert reader.read1() == b""
    assert reader.readline() == b""
    assert list(reader) == []


def test_readline_across_reads_and_limits(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe

    def feed() -> None:
        for part in (b"ab", b"cd", b"e\nfg", b"hij\n"):
            writer.write(part)
            hub_turns()  # the reader takes it before the next part comes
        writer.close()

    feeder = eventlet.spawn(feed)
    assert reader.readline() == b"abcde\n"
    assert reader.readline(4) == b"fghi"
    assert reader.readline(None) == b"j\n"
    assert reader.read(5) == b""
    feeder.wait()


def test_read_sizes_and_timeouts(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe
    reader.timeout = 0.05
    with pytest.raises(PipeTimeout) as info:
        reader.read(1)
    assert info.value.written == 0
    with pytest.raises(PipeTimeout):
        reader.read1(10, timeout=0.01)
    writer.write(b"12345")
    assert reader.read(2, timeout=None) == b"12"
    assert reader.read1(10) == b"345"
    writer.write(b"late")
    assert reader.read(4) == b"late"
    with pytest.raises(PipeTimeout):
        reader.read(timeout=0.02)


def test_write_timeout_reports_progress(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe
    big = b"x" * (4 << 20)
    with pytest.raises(PipeTimeout) as info:
        writer.write(big, timeout=0.05)
    if writer.io_mode == "poll":
        assert 0 < info.value.written < len(big)
    else:
        # thread mode: the write goes on in the background; the next write waits for it first
        with pytest.raises(PipeTimeout, match="earlier write"):
            writer.write(b"more", timeout=0.01)
    drained = eventlet.spawn(reader.read, len(big) + 4 if writer.io_mode == "thread" else 1)
    if writer.io_mode == "thread":
        writer.write(b"more", timeout=10)
    assert drained.wait()


def test_write_timeout_that_has_already_passed() -> None:
    r, w = os.pipe()
    with PipeStream(r, "r", io_mode="poll"), PipeStream(w, "w", io_mode="poll") as writer:
        with pytest.raises(PipeTimeout):
            writer.write(b"x" * (4 << 20), timeout=0)


def test_closing_a_stream_wakes_its_reader(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe
    waiting = eventlet.spawn(reader.read, 1)
    hub_turns()  # the reader waits
    reader.close()
    with pytest.raises((OSError, ValueError)):
        waiting.wait()
    if writer.io_mode == "thread":
        writer.write(b"x")  # the abandoned read completes now, and the fd is released


def test_write_to_a_closed_reader_is_a_broken_pipe(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe
    reader.close()
    with pytest.raises(BrokenPipeError):
        writer.write(b"x")
    with pytest.raises(BrokenPipeError):  # thread mode: the failed write is reported again
        writer.write(b"x")


def test_bad_mode_and_io_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        PipeStream(0, "rw")
    with pytest.raises(ValueError, match="io_mode"):
        PipeStream(0, "r", io_mode="smoke signals")
    with pytest.raises(ValueError, match="io_mode"):
        resolve_io_mode("nope")
    assert resolve_io_mode("thread") == "thread"


def test_text_stream(pipe: tuple[PipeStream, PipeStream]) -> None:
    reader, writer = pipe
    text_in, text_out = TextStream(reader), TextStream(writer, "utf-8", "strict")
    assert text_out.write("aé\nb") == 4
    text_out.flush()
    assert text_in.readline() == "aé\n"
    with pytest.raises(PipeTimeout):
        text_in.readline(timeout=0.02)
    writer.write("€".encode()[:1])
    with pytest.raises(PipeTimeout):
        text_in.read(2, timeout=0.02)  # half a character is not a character yet
    writer.write("€".encode()[1:])
    assert text_in.read(2) == "b€"
    text_out.close()
    assert text_out.closed
    assert list(text_in) == []


def test_flags_are_core_events() -> None:
    flag: Event[None] = Event()
    assert not wait_flag(flag, 0)
    assert not wait_flag(flag, 0.01)
    waiters = [eventlet.spawn(wait_flag, flag) for _ in range(3)]
    eventlet.sleep(0)
    raise_flag(flag)
    raise_flag(flag)  # raising it again does nothing (Event.send twice would raise)
    assert [w.wait() for w in waiters] == [True] * 3
    flag.reset()  # the waiter lowers it
    assert not wait_flag(flag, 0)


def test_flag_waiter_killed_or_timed_out_is_not_woken_later() -> None:
    flag: Event[None] = Event()
    victim = eventlet.spawn(wait_flag, flag)
    eventlet.sleep(0)
    victim.kill()
    timed = eventlet.spawn(wait_flag, flag, 0.01)
    assert timed.wait() is False
    assert not flag._waiters
    raise_flag(flag)
    eventlet.sleep(0)  # the wake-ups would run now: nobody is resumed


def test_thread_call() -> None:
    release = threading.Event()

    def blocked(value: int) -> int:
        release.wait(10)
        return value * 2

    call = ThreadCall(blocked, 21)
    assert not call.wait(0)
    assert not call.finished
    release.set()
    assert call.wait(10)
    assert call.result() == 42
    assert call.finished
    done: list[int] = []
    call.add_done_callback(lambda: done.append(1))
    assert done == [1]

    failing = ThreadCall(tasks.fail, "in a thread")
    failing.wait()
    with pytest.raises(ValueError, match="in a thread"):
        failing.result()


@pytest.mark.parametrize("pooled", [False, True])
def test_thread_call_threads_are_real_and_run_under_the_threading_hooks(pooled: bool) -> None:
    """ThreadCall's threads are core's (tpool): real, and profiled as a threading.Thread is."""
    profiled: list[int] = []

    def profiler(frame: object, event: str, arg: object) -> None:
        if event == "call":
            profiled.append(threading.get_ident())

    pool = tpool.ThreadPool(1) if pooled else None
    saved = threading.getprofile()
    threading.setprofile(profiler)
    try:
        call = ThreadCall(threading.get_ident, pool=pool)
        assert call.wait(10)
    finally:
        threading.setprofile(saved)
        if pool is not None:
            pool.killall()
    ident = call.result()
    assert ident != threading.get_ident()
    assert ident in profiled


def test_thread_pool_starts_over_after_fork() -> None:
    pool = tpool.ThreadPool(2)
    assert ThreadCall(tasks.add, 1, 2, pool=pool).wait(10)
    pool._after_fork()  # what a forked child runs: the parent's threads are not there
    call = ThreadCall(tasks.add, 2, 2, pool=pool)
    assert call.wait(10)
    assert call.result() == 4
    pool.killall()


def test_thread_call_abandon() -> None:
    release = threading.Event()
    call = ThreadCall(release.wait, 10)
    notified: Event[None] = Event()
    call.add_done_callback(notified.send)
    call.abandon(OSError("gave up"))
    call.abandon(OSError("twice"))
    assert call.wait()
    with pytest.raises(OSError, match="gave up"):
        call.result()
    release.set()
    notified.wait()  # the thread's late outcome is dropped
    with pytest.raises(OSError, match="gave up"):
        call.result()


def test_exit_watchers(io_mode: str) -> None:
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    watcher = exit_watcher(proc.pid, io_mode)
    assert isinstance(watcher, PidfdWatcher if io_mode == "poll" else ThreadWatcher)
    assert watcher.wait(0.01) is False
    assert proc.stdin is not None
    proc.stdin.close()  # cat exits now, never earlier: no race with the short wait above
    assert watcher.wait(5) is True
    assert watcher.wait(5) is True  # a watcher may report the exit again
    watcher.close()
    watcher.close()
    assert proc.wait() == 0


def test_pidfd_watcher_of_a_reaped_child_and_a_closed_one() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert PidfdWatcher(proc.pid).wait(1) is True
    proc = subprocess.Popen(["sleep", "10"])
    watcher = PidfdWatcher(proc.pid)
    waiting = eventlet.spawn(watcher.wait, None)
    hub_turns()  # the waiter waits
    watcher.close()  # the waiter hears EBADF: reported as "exited, go and look"
    assert waiting.wait() is True
    proc.kill()
    proc.wait()


def test_pidfd_watcher_passes_on_unexpected_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = subprocess.Popen(["sleep", "10"])
    watcher = PidfdWatcher(proc.pid)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr("eventlet.processes._exitwait.wait_fd", broken)
    with pytest.raises(OSError, match="I/O error"):
        watcher.wait(1)
    watcher.close()
    proc.kill()
    proc.wait()


def test_thread_watcher_of_a_reaped_child() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert exit_watcher(proc.pid, "thread").wait(5) is True


def test_worker_loop_in_process() -> None:
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    messages = [
        frame(pickle.dumps({"sys_path": ["/nowhere", *sys.path], "main": {}})),
        frame(pickle.dumps((noop, (), {}))),
        frame(pickle.dumps((tasks.add, (1, 2), {}))),
        frame(pickle.dumps((tasks.fail, ("x",), {}))),
    ]
    os.write(requests_w, b"".join(messages))
    os.close(requests_w)
    saved = list(sys.path)
    try:
        with os.fdopen(requests_r, "rb") as requests:
            assert serve(requests, replies_w) == 0
    finally:
        sys.path[:] = saved
        os.close(replies_w)
    with os.fdopen(replies_r, "rb") as replies:
        assert pickle.loads(read_frame(replies) or b"") == (True, None)
        assert pickle.loads(read_frame(replies) or b"") == (True, 3)
        ok, (exc, text) = pickle.loads(read_frame(replies) or b"")
        assert not ok
        assert isinstance(exc, ValueError)
        assert "pool_tasks.py" in text
        assert read_frame(replies) is None


def test_worker_loop_edge_cases() -> None:
    for data, status in (
        (b"", 0),
        (
            frame(pickle.dumps({"sys_path": [], "main": {}})) + frame(pickle.dumps((tasks.fail, ("i",), {}))),
            1,
        ),
    ):
        requests_r, requests_w = os.pipe()
        replies_r, replies_w = os.pipe()
        os.write(requests_w, data)
        os.close(requests_w)
        saved = list(sys.path)
        try:
            with os.fdopen(requests_r, "rb") as requests:
                assert serve(requests, replies_w) == status
        finally:
            sys.path[:] = saved
            os.close(replies_w)
            os.close(replies_r)


def test_read_frame_rejects_truncated_frames() -> None:
    with pytest.raises(EOFError, match="header"):
        read_frame(io.BytesIO(b"\x00\x00"))
    with pytest.raises(EOFError, match="middle of a frame"):
        read_frame(io.BytesIO(frame(b"abcdef")[:-2]))


def test_dump_error_of_an_unpicklable_exception() -> None:
    class Local(Exception):
        pass

    ok, (exc, text) = pickle.loads(dump_error(Local("here")))
    assert not ok
    assert isinstance(exc, RuntimeError)
    assert "Local: here" in str(exc)
    assert "Local" in text


def test_lazy_package_namespace() -> None:
    assert "ProcessPool" in dir(eventlet.processes)
    with pytest.raises(AttributeError, match="no attribute"):
        eventlet.processes.nothing_here  # type: ignore[attr-defined]  # noqa: B018 - deliberately missing


def test_worker_helpers() -> None:
    assert noop(1, 2) is None  # type: ignore[func-returns-value]  # checked: it takes anything, returns None
    assert run_star_chunk(tasks.add, [(1, 2), (3, 4)]) == [3, 7]
    assert run_chunk(tasks.square, [2, 3]) == [4, 9]
    ok, (exc, _text) = pickle.loads(dump_result(lambda: None))
    assert not ok
    assert isinstance(exc, pickle.PicklingError)


HOOKS_UNDER_MONKEY_PATCH = """
import eventlet
eventlet.monkey_patch()
import threading
from eventlet import tpool
from eventlet.processes._sync import ThreadCall

seen = set()

def profiler(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "marker":
        seen.add(threading.get_ident())

def marker():
    return threading.get_ident()

threading.setprofile(profiler)  # on the threading module programs use: the patched one
alone = ThreadCall(marker)
pooled = ThreadCall(marker, pool=tpool.ThreadPool(1))
assert alone.wait(30) and pooled.wait(30)
print(alone.result() in seen, pooled.result() in seen, tpool.execute(marker) in seen)
"""


def test_helper_threads_run_under_the_programs_hooks_after_monkey_patch() -> None:
    """The threading hooks a program sets reach this package's threads, also after monkey_patch().

    eventlet's own modules get an unpatched copy of ``threading``; a thread starter that read the
    hooks there (this package's own did) missed them.  Core's, shared with tpool, reads the
    program's module.
    """
    out = subprocess.run(
        [sys.executable, "-c", HOOKS_UNDER_MONKEY_PATCH], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True"]

"""eventlet.green.os: cooperative read/write and waits for children."""

from __future__ import annotations

import os as stdos
import signal
import sys
import tempfile
import time
from typing import Any

import pytest

import eventlet
from eventlet.green import os

pytestmark = pytest.mark.usefixtures("any_hub")


def test_reexports_the_stdlib() -> None:
    assert os.getpid() == stdos.getpid()
    assert os.path is stdos.path
    assert os.O_RDONLY == stdos.O_RDONLY
    assert "read" in os.__patched__


def test_read_and_write_on_non_blocking_pipes_are_green() -> None:
    r, w = stdos.pipe()
    stdos.set_blocking(r, False)
    stdos.set_blocking(w, False)

    eventlet.spawn(os.write, w, b"late")  # runs once the read below waits
    assert os.read(r, 10) == b"late"
    big = b"x" * (1024 * 1024)
    got = bytearray()

    def reader() -> None:
        while len(got) < len(big):
            got.extend(os.read(r, 65536))

    thread = eventlet.spawn(reader)
    view = memoryview(big)
    while view:
        view = view[os.write(w, view) :]  # waits when the pipe is full
    thread.wait()
    assert got == big
    stdos.close(r)
    stdos.close(w)


def test_read_and_write_on_blocking_pipes_wait_for_readiness() -> None:
    r, w = stdos.pipe()
    assert stdos.get_blocking(r)

    def writer() -> None:  # runs once the read below waits
        assert os.write(w, b"y" * 100_000) <= 100_000  # at most PIPE_BUF per call on a pipe
        stdos.close(w)

    thread = eventlet.spawn(writer)
    data = os.read(r, 100_000)
    thread.wait()
    assert data
    assert set(data) == {ord("y")}
    stdos.close(r)


def test_regular_files_are_read_and_written_directly() -> None:
    with tempfile.TemporaryFile() as f:
        fd = f.fileno()
        assert os.write(fd, b"file data") == 9
        stdos.lseek(fd, 0, 0)
        assert os.read(fd, 100) == b"file data"


def test_fdopen_gives_a_green_file() -> None:
    r, w = stdos.pipe()
    reader = os.fdopen(r, "rb")
    writer = os.fdopen(w, "wb", 0)
    writer.write(b"fdopen")
    writer.close()
    assert reader.read() == b"fdopen"
    reader.close()


def _child(code: int, delay: float = 0.05) -> int:
    pid = stdos.fork()
    if pid == 0:  # pragma: no cover - the child
        time.sleep(delay)
        stdos._exit(code)
    return pid


def _gated_child(code: int) -> tuple[int, int]:
    """A child that exits with ``code`` once the test closes the returned fd, never earlier."""
    gate, release = stdos.pipe()
    pid = stdos.fork()
    if pid == 0:  # pragma: no cover - the child
        stdos.close(release)
        stdos.read(gate, 1)  # end of file once the parent closes its end
        stdos._exit(code)
    stdos.close(gate)
    return pid, release


def _release_once_waiting(release: int) -> None:
    """Let the gated child exit from a green thread: it runs only once the test's wait yields."""
    eventlet.spawn(stdos.close, release)


def _ticking() -> tuple[list[int], eventlet.GreenThread[Any]]:
    ticks: list[int] = []

    def ticker() -> None:
        while True:
            ticks.append(1)
            eventlet.sleep(0.002)

    return ticks, eventlet.spawn(ticker)


def test_waitpid_is_green() -> None:
    ticks, ticker = _ticking()
    pid, release = _gated_child(3)
    _release_once_waiting(release)  # the child cannot exit before waitpid has yielded once
    got_pid, status = os.waitpid(pid, 0)
    ticker.kill()
    assert got_pid == pid
    assert stdos.waitstatus_to_exitcode(status) == 3
    assert ticks  # the hub ran while we waited


def test_waitpid_wnohang_and_errors() -> None:
    pid, release = _gated_child(0)  # still running: it waits for the test
    assert os.waitpid(pid, os.WNOHANG) == (0, 0)
    stdos.kill(pid, signal.SIGKILL)
    stdos.close(release)
    _pid, status = os.waitpid(pid, 0)
    assert stdos.waitstatus_to_exitcode(status) == -signal.SIGKILL
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # already reaped: pidfd_open fails, the wait says why


def test_wait_any_child_polls() -> None:
    pid = _child(5)
    got_pid, status = os.wait()
    assert got_pid == pid
    assert stdos.waitstatus_to_exitcode(status) == 5


def test_wait3_and_wait4() -> None:
    pid = _child(6)
    got_pid, status, usage = os.wait4(pid, 0)
    assert got_pid == pid
    assert stdos.waitstatus_to_exitcode(status) == 6
    assert usage is not None
    pid = _child(7)
    got_pid, status, _usage = os.wait3(0)
    assert got_pid == pid
    assert stdos.waitstatus_to_exitcode(status) == 7


def test_waitpid_with_wuntraced_polls() -> None:
    pid = _child(0, delay=5)
    stdos.kill(pid, signal.SIGSTOP)
    got_pid, status = os.waitpid(pid, os.WUNTRACED)
    assert got_pid == pid
    assert stdos.WIFSTOPPED(status)
    stdos.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@pytest.mark.skipif(not hasattr(stdos, "pidfd_open"), reason="no pidfd")
def test_waitpid_without_pidfd_support_falls_back_to_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(pid: int) -> int:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr("eventlet.green.os._os.pidfd_open", unsupported)
    pid, release = _gated_child(9)
    _release_once_waiting(release)  # exits only after the first poll found it running
    assert stdos.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 9


def test_module_runs_in_a_subprocess() -> None:
    # smoke: the module imports standalone (no hub needed at import time)
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", "from eventlet.green import os; print(os.sep)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == stdos.sep

"""GreenPipe and GreenFileIO: green file objects over pipes and non-blocking fds."""

from __future__ import annotations

import errno
import io
import os
import tempfile

import pytest

import eventlet
from eventlet.greenio import GreenFileIO, GreenPipe
from eventlet.testing import hub_turns

pytestmark = pytest.mark.usefixtures("any_hub")


def test_text_pipe_lines_and_iteration() -> None:
    r, w = os.pipe()
    reader = GreenPipe(r, "r")
    writer = GreenPipe(w, "w")

    def produce() -> None:
        for n in range(3):
            writer.write(f"line {n}\n")
            writer.flush()
            eventlet.sleep(0.001)
        writer.close()

    eventlet.spawn(produce)
    assert reader.readline() == "line 0\n"
    assert list(reader) == ["line 1\n", "line 2\n"]
    assert reader.read() == ""
    reader.close()
    assert reader.closed


def test_binary_pipe_read_readinto_and_large_writes() -> None:
    r, w = os.pipe()
    reader = GreenPipe(r, "rb")
    writer = GreenPipe(w, "wb")
    payload = os.urandom(1024 * 1024)  # far more than a pipe holds: the writer waits

    def produce() -> None:
        writer.write(payload)
        writer.close()

    eventlet.spawn(produce)
    buf = bytearray(10)
    assert reader.readinto(buf) == 10
    rest = reader.read()
    assert bytes(buf) + rest == payload
    reader.close()


def test_raw_unbuffered_and_misc_methods() -> None:
    r, w = os.pipe()
    raw_reader = GreenPipe(r, "rb", buffering=0)
    raw_writer = GreenPipe(w, "wb", 0)
    assert isinstance(raw_reader, GreenFileIO)
    assert raw_reader.readable()
    assert not raw_reader.writable()
    assert not raw_reader.seekable()
    assert raw_writer.writable()
    assert not raw_writer.readable()
    assert raw_reader.fileno() == r
    assert raw_reader.name == r
    assert not raw_reader.isatty()
    assert "GreenFileIO fd=" in repr(raw_reader)
    with pytest.raises(io.UnsupportedOperation):
        raw_reader.write(b"x")
    with pytest.raises(io.UnsupportedOperation):
        raw_writer.read(1)
    raw_writer.write(b"abc")
    assert raw_reader.read(10) == b"abc"
    raw_writer.close()
    assert raw_reader.readall() == b""
    raw_reader.close()
    raw_reader.close()  # twice is fine
    assert "closed" in repr(raw_reader)
    with pytest.raises(ValueError, match="closed file"):
        raw_reader.fileno()
    with pytest.raises(ValueError, match="unbuffered text"):
        GreenPipe(os.dup(0) if False else os.pipe()[0], "r", buffering=0)


def test_closefd_false_keeps_the_descriptor() -> None:
    r, w = os.pipe()
    raw = GreenFileIO(r, "r", closefd=False)
    raw.close()
    os.write(w, b"z")
    assert os.read(r, 1) == b"z"
    os.close(r)
    os.close(w)


def test_regular_files_by_path_and_file_object() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "f.txt")
        with GreenPipe(path, "w") as f:
            f.write("hello\nworld\n")
        with GreenPipe(path, "a") as f:
            f.write("more\n")
        with GreenPipe(path, "r") as f:
            assert f.read() == "hello\nworld\nmore\n"
        with GreenPipe(path, "r+b") as f:
            assert f.read(5) == b"hello"
            f.seek(0)
            f.write(b"HELLO")
            f.flush()
            f.seek(0)
            assert f.readline() == b"HELLO\n"
            assert f.tell() == 6
            f.truncate()
            f.write(b"123456")
            f.truncate(9)
            assert f.tell() == 9  # upstream's GreenPipe moves to the new end
            f.seek(0)
            assert f.read() == b"HELLO\n123"
            f.seek(6)
            f.truncate(6)
            raw = f.raw
            assert raw.seekable()
            assert raw.tell() == 6
            assert raw.truncate(3) == 3
        with open(path, "rb") as plain:
            green = GreenPipe(plain, "rb")  # taken over: duplicated, the original closed
            assert plain.closed
            assert green.read() == b"HEL"
            green.close()


def test_pipe_in_read_write_mode_uses_a_pair() -> None:
    import socket

    a, b = socket.socketpair()
    f = GreenPipe(a.detach(), "r+b", buffering=16)
    b.sendall(b"in")
    assert f.read(2) == b"in"
    f.write(b"out")
    f.flush()
    assert b.recv(3) == b"out"
    f.close()
    b.close()


def test_bad_arguments() -> None:
    for mode in ("x", "rw", "rr", "rbt", "", "b"):
        with pytest.raises(ValueError, match="invalid mode"):
            GreenPipe(0, mode)
    with pytest.raises(ValueError, match="file descriptor"):
        GreenFileIO(-1)
    with pytest.raises(FileNotFoundError):
        GreenPipe("/nonexistent/dir/file", "r")
    r, w = os.pipe()
    os.close(w)
    os.close(r)
    with pytest.raises(OSError, match="Bad file descriptor") as info:
        GreenPipe(r, "r")
    assert info.value.errno == errno.EBADF
    with open(__file__, "rb") as f:
        fd = f.fileno()
        os.close(fd)  # the object's fd is gone: dup fails before the take-over
        with pytest.raises(OSError, match="Bad file descriptor"):
            GreenPipe(f, "rb")
        try:
            f.close()
        except OSError:
            pass


def test_failure_after_dup_closes_the_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    r, w = os.pipe()
    reader = os.fdopen(r, "rb")
    before = len(os.listdir("/proc/self/fd"))

    def refuse(*args: object) -> None:
        raise OSError(errno.EINVAL, "refused")

    monkeypatch.setattr("eventlet.greenio.pipe.os.set_blocking", refuse)
    with pytest.raises(OSError, match="refused"):
        GreenPipe(reader, "rb")
    assert len(os.listdir("/proc/self/fd")) == before - 1  # the original closed, no dup leaked
    os.close(w)


def test_close_wakes_a_blocked_reader() -> None:
    r, w = os.pipe()
    reader = GreenPipe(r, "rb", 0)
    outcome = []

    def read() -> None:
        try:
            reader.read(1)
        except OSError as exc:
            outcome.append(exc.errno)

    thread = eventlet.spawn(read)
    hub_turns(1)  # the reader waits
    reader.close()
    thread.wait()
    assert outcome == [errno.EBADF]
    os.close(w)


def test_isatty_on_a_terminal() -> None:
    master, slave = os.openpty()
    f = GreenFileIO(slave, "r+")
    assert f.isatty()
    f.close()
    os.close(master)

"""Green pipe streams: file objects over a pipe's fd whose blocking calls only block a green thread.

Two ways to wait, chosen per stream by ``io_mode``:

``"poll"`` (the default on POSIX)
    The fd is made non-blocking; a read or write that would block waits in the hub with
    ``wait_fd`` under a serial, so the hub keeps the fd registered between waits.

``"thread"`` (the only way on Windows, where anonymous pipes cannot be polled)
    The fd stays blocking; each read or write runs in a real OS thread and its outcome comes back
    to the hub through ``call_threadsafe``.  An operation that times out keeps running and its
    result is picked up by the next call, so no data is lost.  Setting the environment variable
    ``EVENTLET_PROCESSES_MODE=thread`` forces this mode on POSIX too (the tests use it to run the
    Windows code path on Linux).

:class:`PipeStream` is binary and buffered for reading (``read``, ``read1``, ``readline``, line
iteration); writes go straight to the pipe.  Every blocking method takes an optional ``timeout``
(default: the stream's :attr:`PipeStream.timeout`) and raises :class:`PipeTimeout` when it passes.
It derives from ``io.BufferedIOBase`` so ``io.TextIOWrapper`` can sit on top of it, as
``subprocess.Popen`` does in text mode.  :class:`~eventlet.processes.TextStream` (in ``_text``) is a
lighter text layer that keeps the timeouts.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from eventlet._patching.state import original_attr
from eventlet.hubs import notify_close, wait_fd
from eventlet.hubs.hub import EV_READ, EV_WRITE, new_serial
from eventlet.processes._sync import ThreadCall

__all__ = ["MODE_ENV", "PipeStream", "PipeTimeout", "resolve_io_mode"]

MODE_ENV = "EVENTLET_PROCESSES_MODE"
#: the unpatched calls: these fds are handled here, never by a monkey-patched ``os``
_read: Callable[[int, int], bytes] = original_attr("os", "read")
_write: Callable[[int, Any], int] = original_attr("os", "write")
CHUNK = 65536
_DEFAULT: Any = object()


def resolve_io_mode(io_mode: str | None) -> str:
    """``"poll"`` or ``"thread"``: the argument, else ``$EVENTLET_PROCESSES_MODE``, else the default."""
    if io_mode is None:
        io_mode = os.environ.get(MODE_ENV) or ("thread" if sys.platform == "win32" else "poll")
    if io_mode not in ("poll", "thread"):
        raise ValueError(f"io_mode must be 'poll' or 'thread', not {io_mode!r}")
    return io_mode


class PipeTimeout(TimeoutError):
    """A pipe read or write did not finish in time.  ``written``: bytes a write got through."""

    def __init__(self, message: str, written: int = 0) -> None:
        super().__init__(message)
        self.written = written


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[_write(fd, view) :]
    return len(data)


class PipeStream(io.BufferedIOBase):
    """One end of a pipe (``mode`` ``"r"`` or ``"w"``) as a green binary file object.

    ``owner`` is an object whose ``close()`` releases the fd (the ``FileIO`` that ``Popen`` made);
    without it the stream closes the fd itself.
    """

    def __init__(
        self,
        fd: int,
        mode: str,
        *,
        io_mode: str | None = None,
        owner: Any = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__()
        try:
            if mode not in ("r", "w"):
                raise ValueError(f"mode must be 'r' or 'w', not {mode!r}")
            self._io_mode = resolve_io_mode(io_mode)
        except ValueError:
            super().close()  # a stream that never was: the finalizer must not touch the fd
            raise
        self._fd = fd
        self._mode = mode
        self._owner = owner
        #: default timeout (seconds) of the blocking methods; ``None`` waits forever.
        self.timeout = timeout
        self._serial = new_serial()
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._pending: ThreadCall | None = None
        os.set_blocking(fd, self._io_mode == "thread")

    # ------------------------------------------------------------------ file object basics
    @property
    def io_mode(self) -> str:
        """``"poll"`` or ``"thread"``: how this stream waits."""
        return self._io_mode

    @property
    def mode(self) -> str:
        """``"rb"`` or ``"wb"``."""
        return self._mode + "b"

    @property
    def name(self) -> int:
        """The fd, as for ``open(fd)``."""
        return self._fd

    def fileno(self) -> int:
        """The pipe's file descriptor."""
        self._check_open()
        return self._fd

    def readable(self) -> bool:
        """True for the read end."""
        self._check_open()
        return self._mode == "r"

    def writable(self) -> bool:
        """True for the write end."""
        self._check_open()
        return self._mode == "w"

    def seekable(self) -> bool:
        """Pipes cannot seek."""
        return False

    def isatty(self) -> bool:
        """Pipes are not terminals."""
        return False

    def detach(self) -> Any:
        """Not supported: the stream owns its fd."""
        raise io.UnsupportedOperation("PipeStream cannot be detached")

    def flush(self) -> None:
        """Nothing to do: writes are not buffered."""
        self._check_open()

    def close(self) -> None:
        """Close the fd (telling the hub first).  Safe to call twice.

        In thread mode an operation still running in its thread keeps the fd open until it ends,
        so the fd number cannot be reused under its feet.
        """
        if self.closed:
            return
        pending = self._pending
        self._pending = None
        super().close()
        if self._io_mode == "poll":
            notify_close(self._fd)
        if pending is not None and not pending.finished:
            pending.abandon(OSError(errno.EBADF, "the pipe was closed while a green thread used it"))
            pending.add_done_callback(self._release)
        else:
            self._release()

    def _release(self) -> None:
        if self._owner is not None:
            self._owner.close()
        else:
            os.close(self._fd)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed pipe")

    def _check_mode(self, mode: str) -> None:
        self._check_open()
        if self._mode != mode:
            raise io.UnsupportedOperation("not readable" if mode == "r" else "not writable")

    def _deadline(self, timeout: float | None) -> float | None:
        if timeout is _DEFAULT:
            timeout = self.timeout
        return None if timeout is None else time.monotonic() + timeout

    # ------------------------------------------------------------------ raw waiting I/O
    def _raw_read(self, deadline: float | None) -> bytes:
        """One read from the pipe (waiting as needed); ``b""`` at end of file."""
        if self._io_mode == "thread":
            call = self._pending
            if call is None:
                call = self._pending = ThreadCall(_read, self._fd, CHUNK)
            if not call.wait(None if deadline is None else deadline - time.monotonic()):
                raise PipeTimeout("timed out reading from the pipe")
            self._pending = None
            data: bytes = call.result()
            return data
        while True:
            try:
                return _read(self._fd, CHUNK)
            except BlockingIOError:
                self._wait(EV_READ, deadline, "timed out reading from the pipe", 0)

    def _wait(self, mask: int, deadline: float | None, message: str, written: int) -> None:
        remaining = None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PipeTimeout(message, written)
        wait_fd(self._fd, mask, remaining, PipeTimeout(message, written), self._serial)

    def _fill(self, deadline: float | None) -> bool:
        """Append one read to the buffer; False at end of file."""
        if self._eof:
            return False
        data = self._raw_read(deadline)
        if not data:
            self._eof = True
            return False
        if self._pos < len(self._buf):
            self._buf = self._buf[self._pos :] + data
        else:
            self._buf = data
        self._pos = 0
        return True

    def _take(self, count: int) -> bytes:
        pos = self._pos
        chunk = self._buf[pos : pos + count]
        self._pos = pos + len(chunk)
        return chunk

    # ------------------------------------------------------------------ reading
    def read(self, size: int | None = -1, timeout: float | None = _DEFAULT) -> bytes:
        """Read ``size`` bytes (fewer only at end of file); all of it up to EOF if ``size < 0``."""
        self._check_mode("r")
        deadline = self._deadline(timeout)
        if size is None or size < 0:
            while self._fill(deadline):
                pass
            return self._take(len(self._buf))
        while len(self._buf) - self._pos < size and self._fill(deadline):
            pass
        return self._take(size)

    def read1(self, size: int = -1, timeout: float | None = _DEFAULT) -> bytes:
        """Return buffered bytes if there are any, else at most one read from the pipe."""
        self._check_mode("r")
        if self._pos >= len(self._buf):
            self._fill(self._deadline(timeout))
        return self._take(len(self._buf) if size is None or size < 0 else size)

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` (fewer bytes only at end of file); return the count."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readinto1(self, buffer: Any) -> int:
        """Like :meth:`readinto` with at most one read from the pipe."""
        view = memoryview(buffer).cast("B")
        data = self.read1(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1, timeout: float | None = _DEFAULT) -> bytes:
        """Read up to and including the next ``b"\\n"`` (or ``size`` bytes, or to end of file)."""
        self._check_mode("r")
        deadline = self._deadline(timeout)
        limit = -1 if size is None else size
        scanned = 0  # bytes after the read position known to hold no newline
        while True:
            buf = self._buf
            pos = self._pos
            end = buf.find(b"\n", pos + scanned)
            if end >= 0 and (limit < 0 or end + 1 - pos <= limit):
                return self._take(end + 1 - pos)
            available = len(buf) - pos
            if 0 <= limit <= available:
                return self._take(limit)
            scanned = available
            if not self._fill(deadline):
                return self._take(len(self._buf))

    def __iter__(self) -> Iterator[bytes]:
        """Iterate over lines."""
        self._check_open()
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    # ------------------------------------------------------------------ writing
    def write(self, data: Any, timeout: float | None = _DEFAULT) -> int:
        """Write all of ``data`` (bytes-like); return its length.

        On timeout :class:`PipeTimeout` says how many bytes got through (``written``).  In thread
        mode the write goes on in its thread and the next write waits for it first.
        """
        self._check_mode("w")
        deadline = self._deadline(timeout)
        if self._io_mode == "thread":
            return self._thread_write(bytes(data), deadline)
        view = memoryview(data).cast("B")
        total = len(view)
        done = 0
        while done < total:
            try:
                done += _write(self._fd, view[done:])
            except BlockingIOError:
                self._wait(EV_WRITE, deadline, "timed out writing to the pipe", done)
        return total

    def _thread_write(self, data: bytes, deadline: float | None) -> int:
        previous = self._pending
        if previous is not None:
            if not previous.wait(None if deadline is None else deadline - time.monotonic()):
                raise PipeTimeout("timed out waiting for an earlier write to the pipe")
            self._pending = None
            previous.result()
        call = self._pending = ThreadCall(_write_all, self._fd, data)
        if not call.wait(None if deadline is None else deadline - time.monotonic()):
            raise PipeTimeout("timed out writing to the pipe (the write goes on in the background)")
        self._pending = None
        written: int = call.result()
        return written

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<PipeStream {self.mode} {state} {self._io_mode}>"

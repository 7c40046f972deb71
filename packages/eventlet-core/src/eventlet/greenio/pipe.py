"""Green file objects over pipes and other non-blocking file descriptors.

:class:`GreenFileIO` is a raw ``io`` object over an fd that it puts in non-blocking mode: a read or a
write is tried first and, if the kernel says it would block, the green thread waits on the hub for the
fd and tries again.  :func:`GreenPipe` stacks the usual ``io`` buffering and text layers on top, so the
result reads, writes, iterates over lines and closes like the object ``open()`` returns.

Regular files are never "not ready" for the kernel (and epoll refuses them), so over a regular file
the object simply makes the system calls: it never waits.
"""

from __future__ import annotations

import io
import os
from typing import Any

from eventlet.hubs import notify_close, wait_fd
from eventlet.hubs.hub import EV_READ, EV_WRITE, new_serial

__all__ = ["GreenFileIO", "GreenPipe"]


class GreenFileIO(io.RawIOBase):
    """A raw, unbuffered file object over ``fd`` whose reads and writes are green.

    ``mode`` is ``"r"``, ``"w"`` or ``"r+"`` style (``"b"`` is implied).  With ``closefd`` (the
    default) closing the object closes the fd.
    """

    #: -1 until the constructor succeeds (so a failed one never closes anything)
    _fd = -1

    def __init__(self, fd: int, mode: str = "r", closefd: bool = True) -> None:
        super().__init__()
        if not isinstance(fd, int) or fd < 0:
            raise ValueError(f"GreenFileIO needs a file descriptor (an int >= 0), not {fd!r}")
        os.set_blocking(fd, False)
        self._fd = fd
        self._readable = "r" in mode or "+" in mode
        self._writable = bool(set(mode) & set("wax+"))
        self._closefd = closefd
        self._serial = new_serial()
        self._seekable: bool | None = None
        self.mode = mode

    @property
    def name(self) -> int:
        """The file descriptor (as ``FileIO.name`` for an fd-created object)."""
        return self._fd

    def fileno(self) -> int:
        """The file descriptor."""
        self._checkClosed()
        return self._fd

    def readable(self) -> bool:
        """True if opened for reading."""
        self._checkClosed()
        return self._readable

    def writable(self) -> bool:
        """True if opened for writing."""
        self._checkClosed()
        return self._writable

    def seekable(self) -> bool:
        """True for regular files, False for pipes, sockets and terminals."""
        self._checkClosed()
        if self._seekable is None:
            try:
                os.lseek(self._fd, 0, os.SEEK_CUR)
            except OSError:
                self._seekable = False
            else:
                self._seekable = True
        return self._seekable

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the file position (regular files only)."""
        self._checkClosed()
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        """The file position (regular files only)."""
        return self.seek(0, os.SEEK_CUR)

    def isatty(self) -> bool:
        """True if the fd is a terminal."""
        self._checkClosed()
        return os.isatty(self._fd)

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``, waiting (green) until some data or end of file is there."""
        self._checkClosed()
        if not self._readable:
            raise io.UnsupportedOperation("File not open for reading")
        while True:
            try:
                return os.readv(self._fd, [buffer])
            except BlockingIOError:
                pass
            wait_fd(self._fd, EV_READ, serial=self._serial)

    def readall(self) -> bytes:
        """Read until end of file."""
        chunks: list[bytes] = []
        while True:
            chunk = self.read(io.DEFAULT_BUFFER_SIZE * 8)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def write(self, data: Any) -> int:
        """Write some of ``data``, waiting (green) until the fd takes at least a byte."""
        self._checkClosed()
        if not self._writable:
            raise io.UnsupportedOperation("File not open for writing")
        while True:
            try:
                return os.write(self._fd, data)
            except BlockingIOError:
                pass
            wait_fd(self._fd, EV_WRITE, serial=self._serial)

    def truncate(self, size: int | None = None) -> int:
        """Truncate a regular file to ``size`` (default: the current position) and move there.

        Unlike ``FileIO.truncate``, the position moves to ``size`` (upstream eventlet's GreenPipe
        does so, and programs written for it expect ``tell() == size`` afterwards).
        """
        self._checkClosed()
        if size is None:
            size = self.tell()
        os.ftruncate(self._fd, size)
        os.lseek(self._fd, size, os.SEEK_SET)
        return size

    def close(self) -> None:
        """Close (and, with ``closefd``, close the fd, waking any green thread waiting on it)."""
        if self.closed:
            return
        try:
            super().close()
        finally:
            fd = self._fd
            if fd >= 0:
                notify_close(fd)
                if self._closefd:
                    os.close(fd)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<GreenFileIO {state} mode={self.mode!r}>"


def GreenPipe(
    name: Any,
    mode: str = "r",
    buffering: int = -1,
    encoding: str | None = None,
    errors: str | None = None,
    newline: str | None = None,
    closefd: bool = True,
) -> Any:
    """Open a green file object over a pipe, an fd, a file object or a path, like ``open()``.

    ``name`` may be an fd (an int), an object with ``fileno()`` (taken over: its fd is duplicated and
    the object closed, so closing the result closes the last descriptor), or a path to open.  ``mode``
    and the other arguments are ``open()``'s: ``"rb"`` gives a ``BufferedReader``, ``"r"`` a text
    wrapper, ``buffering=0`` the raw :class:`GreenFileIO`.
    """
    if (
        not isinstance(mode, str)
        or set(mode) - set("rwab+t")
        or len(set(mode)) != len(mode)
        or sum(c in mode for c in "rwa") != 1
        or ("b" in mode and "t" in mode)
    ):
        raise ValueError(f"invalid mode: {mode!r}")
    if isinstance(name, int):
        fd = name
    elif hasattr(name, "fileno"):
        fd = os.dup(name.fileno())
        name.close()
        closefd = True
    else:
        flags = _open_flags(mode)
        fd = os.open(name, flags, 0o666)
        closefd = True
    raw_mode = mode.replace("b", "").replace("t", "")
    binary = "b" in mode
    try:
        raw = GreenFileIO(fd, raw_mode, closefd)
    except BaseException:
        if closefd and not isinstance(name, int):
            os.close(fd)
        raise
    if buffering == 0:
        if not binary:
            raw.close()
            raise ValueError("can't have unbuffered text I/O")
        return raw
    if buffering < 0:
        buffering = io.DEFAULT_BUFFER_SIZE
    buffered: Any
    if raw.readable() and raw.writable():
        if raw.seekable():
            buffered = io.BufferedRandom(raw, buffering)
        else:
            buffered = io.BufferedRWPair(raw, raw, buffering)
    elif raw.writable():
        buffered = io.BufferedWriter(raw, buffering)
    else:
        buffered = io.BufferedReader(raw, buffering)
    if binary:
        return buffered
    text = io.TextIOWrapper(buffered, encoding, errors, newline, line_buffering=buffering == 1)
    text.mode = mode  # type: ignore[misc]
    return text


def _open_flags(mode: str) -> int:
    """``os.open`` flags for an ``open()``-style mode."""
    if "+" in mode:
        flags = os.O_RDWR
    elif "r" in mode:
        flags = os.O_RDONLY
    else:
        flags = os.O_WRONLY
    if "w" in mode:
        flags |= os.O_CREAT | os.O_TRUNC
    elif "a" in mode:
        flags |= os.O_CREAT | os.O_APPEND
    return flags | getattr(os, "O_CLOEXEC", 0)

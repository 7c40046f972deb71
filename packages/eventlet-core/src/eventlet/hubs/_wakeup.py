"""The hub's wake-up fd: how other OS threads, and signals, rouse a hub asleep in its poller.

Other threads.  ``call_threadsafe`` queues a callback and writes to this fd, which the hub always
watches, so a hub sleeping in ``epoll_wait`` (or ``poll``, ``select``, ``kevent``) returns at once.

Signals.  CPython runs a Python-level signal handler only in the main thread, between two
bytecodes; the C-level handler, which runs when the signal arrives, merely notes it.  So a hub in
the main thread that sleeps with no timer due can sleep through a signal, ``SIGINT`` included, in
two ways:

* the signal comes after the interpreter last checked for signals but before the poller's system
  call starts: the call is not interrupted, since nothing is pending any more at the kernel level;
* the kernel hands the signal to another thread (any thread that does not block it may receive a
  signal sent to the process): the main thread's system call is not interrupted at all.

``signal.set_wakeup_fd`` closes both gaps: the C-level handler also writes the signal number to an
fd of our choosing.  The hub of the main thread therefore claims the signal wake-up for its own
wake-up fd; when the poller returns, the interpreter runs the Python handler at the next bytecode.
CPython writes a single byte, which an eventfd refuses (it takes 8-byte counters only), so the main
thread's hub uses a pipe; hubs of other threads keep the cheaper eventfd.  On Windows, where
``select`` watches sockets only, the wake-up fd is a connected socket pair.

The claim is process-wide state, so it is given back when the hub closes (if nobody else has taken
it meanwhile), before the fd itself is closed: a stale claim would make CPython write signal
numbers into whatever file later gets the same number.  For the same reason a write from another
thread and the closing of the fd exclude each other (a lock): once closed, writes do nothing.
"""

from __future__ import annotations

import _thread
import logging
import os
import signal
import socket

__all__ = ["WakeupFd"]

logger = logging.getLogger("eventlet.hub")

_ON_WINDOWS = os.name == "nt"


class WakeupFd:
    """A readable-when-poked fd for one hub; optionally also the process's signal wake-up fd."""

    __slots__ = ("_lock", "_sockets", "claims_signals", "read_fd", "write_fd")

    def __init__(self, *, byte_writes: bool = False, sockets: bool | None = None) -> None:
        """Make the fd: an eventfd where the OS has one, unless ``byte_writes`` asks for a pipe.

        ``byte_writes`` is needed to serve as a signal wake-up fd (CPython writes one byte).
        ``sockets`` (default: on Windows only) makes it a connected socket pair instead.
        """
        #: True while this fd is the one ``signal.set_wakeup_fd`` names
        self.claims_signals = False
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._lock = _thread.allocate_lock()  # the unpatched module: see eventlet.patcher
        if _ON_WINDOWS if sockets is None else sockets:  # select() on Windows watches sockets only
            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._sockets = (reader, writer)
            self.read_fd, self.write_fd = reader.fileno(), writer.fileno()
        elif hasattr(os, "eventfd") and not byte_writes:
            self.read_fd = self.write_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:
            self.read_fd, self.write_fd = os.pipe()  # not inheritable: close-on-exec already
            os.set_blocking(self.read_fd, False)
            os.set_blocking(self.write_fd, False)

    def write(self) -> None:
        """Make the fd readable, from any thread; nothing once closed.

        A full pipe is readable already, so that is no error either.
        """
        with self._lock:
            try:
                if self.write_fd < 0:
                    return
                if self.read_fd == self.write_fd:
                    os.eventfd_write(self.write_fd, 1)
                elif self._sockets is None:
                    os.write(self.write_fd, b"\0")
                else:
                    self._sockets[1].send(b"\0")
            except BlockingIOError:
                pass

    def drain(self) -> None:
        """Consume what was written, so the fd stops being readable."""
        try:
            if self.read_fd == self.write_fd:
                os.read(self.read_fd, 8)
            elif self._sockets is None:
                while len(os.read(self.read_fd, 4096)) == 4096:  # a burst of signals, say
                    pass
            else:
                while len(self._sockets[0].recv(4096)) == 4096:
                    pass
        except BlockingIOError:  # a spurious readiness report, or drained to the last byte
            pass

    def claim_signals(self) -> bool:
        """Make this fd the process's signal wake-up fd (main thread only); True if it now is."""
        try:
            previous = signal.set_wakeup_fd(self.write_fd, warn_on_full_buffer=False)
        except ValueError as exc:  # not the main thread of the main interpreter
            logger.debug("hub: cannot take the signal wake-up fd: %s", exc)
            return False
        if previous not in (-1, self.write_fd):
            logger.debug("hub: signal wake-up fd %d replaced by the hub's %d", previous, self.write_fd)
        self.claims_signals = True
        return True

    def release_signals(self) -> bool:
        """Give the signal wake-up fd back (to none), unless somebody else has taken it since.

        False if this fd stays claimed: only the main thread may change the claim.
        """
        if not self.claims_signals:
            return True
        try:
            current = signal.set_wakeup_fd(-1)
        except ValueError:  # called from another thread
            return False
        self.claims_signals = False
        if current != self.write_fd:  # taken over meanwhile (an asyncio loop, say): keep theirs
            signal.set_wakeup_fd(current, warn_on_full_buffer=False)
        return True

    def renew(self) -> None:
        """In a forked child: fresh kernel objects under the same fd numbers (the loop knows them).

        The lock is new as well: another thread of the parent may have held it at the fork, and
        that thread does not exist in the child to release it.
        """
        self._lock = _thread.allocate_lock()
        fresh = WakeupFd(byte_writes=self.read_fd != self.write_fd, sockets=self._sockets is not None)
        os.dup2(fresh.read_fd, self.read_fd)
        if fresh.write_fd != fresh.read_fd:
            os.dup2(fresh.write_fd, self.write_fd)
        fresh.close()

    def close(self) -> None:
        """Release the signal claim, then the fd(s).  Closing twice does nothing.

        Closed from another thread while it is the signal wake-up fd, the fds are left open (and a
        warning logged): closing them would let CPython write signal numbers into whatever file
        gets the number next, or fail on every signal.
        """
        released = self.release_signals()
        with self._lock:
            read_fd, write_fd = self.read_fd, self.write_fd
            if write_fd < 0:
                return
            self.read_fd = self.write_fd = -1
            if not released:
                logger.warning(
                    "hub closed outside the main thread: its signal wake-up fd %d stays open", write_fd
                )
                if self._sockets is not None:
                    for sock in self._sockets:
                        sock.detach()  # nor may the socket objects close them when collected
                return
            if self._sockets is not None:
                for sock in self._sockets:
                    sock.close()
                return
            if write_fd != read_fd:
                os.close(write_fd)
            os.close(read_fd)

"""``subprocess.Popen`` with every blocking call cooperative.

The class derives from the standard library's ``Popen`` so that every argument, platform detail
and bit of bookkeeping (``pass_fds``, ``start_new_session``, the ``_waitpid_lock`` that keeps
``poll`` and ``send_signal`` from racing) stays exactly as documented.  Four things change:

* **Starting.**  The standard ``__init__`` runs in a helper thread (see
  :meth:`GreenPopen._start_in_thread`), so the fork and exec do not stall the hub.
* **Pipes.**  After the child is started, each pipe the standard ``__init__`` wrapped in a file
  object is re-wrapped in a :class:`~eventlet.processes._streams.PipeStream` (plus the same
  ``TextIOWrapper`` in text mode).  The original ``FileIO`` stays the owner of the fd and is closed
  when the stream is.  Reading or writing then blocks only the calling green thread.
* **Waiting.**  ``_wait`` (behind ``wait()``, ``communicate()``, ``__exit__``) asks an exit watcher
  (a pidfd on Linux, see :mod:`eventlet.processes._exitwait`) to wake it when the child exits, then
  reaps with the standard non-blocking ``_internal_poll``.  There is no sleep loop.
* **communicate.**  The standard implementation multiplexes the pipes with ``selectors``, which
  would block the whole OS thread.  Here one green thread per pipe feeds stdin or drains stdout and
  stderr, and the caller waits for all of them with the deadline.  On ``TimeoutExpired`` they keep
  going, so a later ``communicate()`` (usually after ``kill()``) collects the rest, as documented
  for the standard library.
"""

from __future__ import annotations

import errno
import functools
import io
import subprocess
import time
from typing import TYPE_CHECKING, Any

from eventlet.event import Event
from eventlet.greenthread import spawn_n
from eventlet.processes._exitwait import ExitWatcher, exit_watcher
from eventlet.processes._streams import CHUNK, PipeStream, resolve_io_mode
from eventlet.processes._sync import ThreadCall, raise_flag, wait_flag
from eventlet.tpool import ThreadPool

__all__ = ["GreenPopen", "stdlib_popen"]


#: Threads that start children.  Not a function of the CPU count: a starting thread is blocked, not
#: busy, while its child is created (vfork suspends it until the exec), so on two cores eight of them
#: run 500 ``true`` 50 at a time about 15% faster than three did.
SPAWN_THREADS = 8


def spawn_pool(_pools: list[ThreadPool] = []) -> ThreadPool:  # noqa: B006 - one per process
    """The threads that start children (:data:`SPAWN_THREADS`, started on first use)."""
    if not _pools:
        _pools.append(ThreadPool(SPAWN_THREADS))
    return _pools[0]


def stdlib_popen() -> type[subprocess.Popen[Any]]:
    """The standard library's own ``Popen`` class, even after monkey patching."""
    cls: type[subprocess.Popen[Any]] = subprocess.Popen
    while getattr(cls, "_eventlet_green", False):
        cls = cls.__bases__[0]
    return cls


class _Communication:
    """The green threads of one ``communicate()``: a feeder for stdin, a drainer per output pipe."""

    def __init__(self, popen: GreenPopen, data: Any) -> None:
        self.popen = popen
        self.stdout: list[bytes] | None = None
        self.stderr: list[bytes] | None = None
        self.popen_args = popen.args
        self.error: BaseException | None = None
        self.done: Event[None] = Event()
        self.running = 0
        if popen.stdin and data:
            if popen.text_mode:
                data = data.encode(popen.stdin.encoding, popen.stdin.errors)
            self._start(self._feed, popen.stdin, data)
        if popen.stdout:
            self.stdout = []
            if not popen.stdout.closed:
                self._start(self._drain, popen.stdout, self.stdout)
        if popen.stderr:
            self.stderr = []
            if not popen.stderr.closed:
                self._start(self._drain, popen.stderr, self.stderr)
        if not self.running:
            raise_flag(self.done)

    def _start(self, function: Any, *args: Any) -> None:
        self.running += 1
        spawn_n(self._run, function, args)

    def _run(self, function: Any, args: tuple[Any, ...]) -> None:
        try:
            function(*args)
        except BaseException as exc:
            if self.error is None:
                self.error = exc
        finally:
            self.running -= 1
            if not self.running:
                raise_flag(self.done)

    @staticmethod
    def _feed(stdin: Any, data: Any) -> None:
        binary = stdin.buffer if isinstance(stdin, io.TextIOWrapper) else stdin
        try:
            binary.write(data)
        except BrokenPipeError:
            pass  # the child stopped reading: communicate() ignores that, like the stdlib
        except OSError as exc:  # pragma: no cover - Windows reports a closed pipe as EINVAL
            if exc.errno != errno.EINVAL:
                raise
        try:
            stdin.close()
        except BrokenPipeError:  # pragma: no cover - nothing is buffered, so close has nothing to flush
            pass

    @staticmethod
    def _drain(stream: Any, chunks: list[bytes]) -> None:
        binary = stream.buffer if isinstance(stream, io.TextIOWrapper) else stream
        read1 = binary.read1
        while True:
            chunk = read1(CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
        stream.close()

    def finish(self, endtime: float | None, orig_timeout: float | None) -> tuple[Any, Any]:
        """Wait for the green threads until ``endtime``; the raw outputs (or TimeoutExpired)."""
        remaining = None if endtime is None else endtime - time.monotonic()
        if not wait_flag(self.done, remaining):
            stdout, stderr = self.stdout, self.stderr
            raise subprocess.TimeoutExpired(
                self.popen.args,
                orig_timeout,  # type: ignore[arg-type]
                output=b"".join(stdout) if stdout else None,
                stderr=b"".join(stderr) if stderr else None,
            )
        if self.error is not None:
            raise self.error
        return (
            None if self.stdout is None else b"".join(self.stdout),
            None if self.stderr is None else b"".join(self.stderr),
        )


if TYPE_CHECKING:

    class _PopenBase(subprocess.Popen[Any]):
        """The standard ``Popen``, with the private parts this class builds on (not in the stubs)."""

        text_mode: bool

        def _internal_poll(self) -> int | None: ...
        def _remaining_time(self, endtime: float | None) -> float | None: ...
        def _translate_newlines(self, data: bytes, encoding: str, errors: str) -> str: ...

else:
    _PopenBase = stdlib_popen()


class GreenPopen(_PopenBase):
    """``subprocess.Popen`` whose pipes, ``wait()`` and ``communicate()`` are green.

    Takes every argument of the standard ``Popen``, plus ``io_mode`` (``"poll"`` or ``"thread"``,
    see :func:`eventlet.processes.resolve_io_mode`; default from the environment).
    """

    _eventlet_green = True
    stdin: Any
    stdout: Any
    stderr: Any
    returncode: int | None

    def __init__(self, *args: Any, io_mode: str | None = None, **kwargs: Any) -> None:
        self._io_mode = resolve_io_mode(io_mode)
        self._exit_watcher: ExitWatcher | None = None
        self._green_comm: _Communication | None = None
        preexec_fn = kwargs.get("preexec_fn", args[6] if len(args) > 6 else None)
        if preexec_fn is None:
            self._start_in_thread(args, kwargs)
        else:
            # Python code between fork and exec must not run in a multi-threaded process's
            # helper thread: start the child from this thread (blocking the hub briefly).
            super().__init__(*args, **kwargs)
        if self.stdin is not None:
            self.stdin = self._green_file(self.stdin, "w")
        if self.stdout is not None:
            self.stdout = self._green_file(self.stdout, "r")
        if self.stderr is not None:
            self.stderr = self._green_file(self.stderr, "r")

    def _start_in_thread(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Run the standard ``__init__`` (fork and exec) in a helper thread; wait green for it.

        Forking and executing a program costs a millisecond or more of kernel time during which
        the calling thread cannot run: done here it would stall every green thread.  In helper
        threads (``fork_exec`` releases the GIL) several children start in parallel.  If the
        caller gives up waiting (killed, interrupted), the child is killed and reaped when its
        start completes.
        """
        call = ThreadCall(functools.partial(super().__init__, *args, **kwargs), pool=spawn_pool())
        try:
            call.wait()
        except BaseException:
            call.add_done_callback(self._abandon)
            raise
        call.result()

    def _abandon(self) -> None:
        if getattr(self, "_child_created", False) and self.returncode is None:
            self.kill()
            spawn_n(self.__exit__, None, None, None)

    def _green_file(self, fileobj: Any, mode: str) -> Any:
        text = isinstance(fileobj, io.TextIOWrapper)
        if text:
            encoding, errors, line_buffering = fileobj.encoding, fileobj.errors, fileobj.line_buffering
            fileobj = fileobj.detach()
        if isinstance(fileobj, (io.BufferedReader, io.BufferedWriter)):
            fileobj = fileobj.detach()
        stream = PipeStream(fileobj.fileno(), mode, io_mode=self._io_mode, owner=fileobj)
        if not text:
            return stream
        if mode == "w":
            return io.TextIOWrapper(
                stream, encoding, errors, line_buffering=line_buffering, write_through=True
            )
        return io.TextIOWrapper(stream, encoding, errors)

    @property
    def io_mode(self) -> str:
        """``"poll"`` or ``"thread"``: how the pipes and the exit are waited for."""
        return self._io_mode

    def _wait(self, timeout: float | None) -> int:
        """Wait, cooperatively, for the child to exit; raise TimeoutExpired after ``timeout``."""
        if self.returncode is not None:
            return self.returncode
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._internal_poll() is None:
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
            watcher = self._exit_watcher
            if watcher is None:
                watcher = self._exit_watcher = exit_watcher(
                    self.pid, self._io_mode, getattr(self, "_handle", None)
                )
            watcher.wait(remaining)
        watcher = self._exit_watcher
        if watcher is not None:
            self._exit_watcher = None
            watcher.close()
        assert self.returncode is not None
        return self.returncode

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        """Close the pipes and reap the child, like the stdlib; also end any ``communicate``.

        Green threads of a ``communicate()`` that timed out are still reading; closing the pipes
        wakes them with EBADF, and waiting for them here leaves nothing running behind.
        """
        try:
            super().__exit__(exc_type, value, traceback)
        finally:
            comm = self._green_comm
            if comm is not None:
                comm.done.wait()

    def _communicate(self, input: Any, endtime: float | None, orig_timeout: float | None) -> Any:
        comm = self._green_comm
        if comm is None:
            if self.stdin:
                try:
                    self.stdin.flush()
                except BrokenPipeError:  # pragma: no cover - nothing is buffered to flush
                    pass
                if not input:
                    try:
                        self.stdin.close()
                    except BrokenPipeError:  # pragma: no cover - nothing is buffered to flush
                        pass
            comm = self._green_comm = _Communication(self, input)
        stdout, stderr = comm.finish(endtime, orig_timeout)
        self.wait(timeout=self._remaining_time(endtime))
        if self.text_mode:
            if stdout is not None:
                stdout = self._translate_newlines(stdout, self.stdout.encoding, self.stdout.errors)
            if stderr is not None:
                stderr = self._translate_newlines(stderr, self.stderr.encoding, self.stderr.errors)
        return stdout, stderr

"""Process: a child process with green streams, group-wide signals and a graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from eventlet.processes._popen import GreenPopen
from eventlet.processes._streams import PipeStream
from eventlet.processes._text import TextStream

__all__ = ["Process"]

PIPE = subprocess.PIPE


class Process:
    """Start ``args`` as a child process whose pipes are green streams.

    ``stdin``, ``stdout`` and ``stderr`` default to pipes (pass ``None`` to inherit, or a file,
    fd, ``subprocess.DEVNULL`` or ``subprocess.STDOUT``, as for ``Popen``).  The streams are
    :class:`~eventlet.processes.PipeStream` objects, or :class:`~eventlet.processes.TextStream`
    with ``text=True`` or an ``encoding``; their blocking methods take a ``timeout``.

    ``new_session=True`` starts the child in a new session, ``process_group=0`` in a new process
    group: either makes it the leader of a group, so ``kill(group=True)`` reaches its whole tree.
    Other keyword arguments go to ``subprocess.Popen``.  Leaving a ``with`` block closes the pipes
    and, if the child still runs, kills it (its group, if it leads one) and reaps it.
    """

    def __init__(
        self,
        args: str | Sequence[Any],
        *,
        stdin: Any = PIPE,
        stdout: Any = PIPE,
        stderr: Any = PIPE,
        text: bool = False,
        encoding: str | None = None,
        errors: str | None = None,
        new_session: bool = False,
        process_group: int | None = None,
        io_mode: str | None = None,
        **popen_kwargs: Any,
    ) -> None:
        if process_group is not None:
            if sys.version_info >= (3, 11):
                popen_kwargs["process_group"] = process_group
            else:  # pragma: no cover - Python 3.10 has no process_group argument
                popen_kwargs["preexec_fn"] = lambda: os.setpgid(0, process_group)
        self._leads_group = new_session or process_group == 0
        self._popen = GreenPopen(
            args,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=new_session,
            io_mode=io_mode,
            **popen_kwargs,
        )
        wrap = text or encoding is not None or errors is not None
        self.stdin: Any = self._wrap(self._popen.stdin, wrap, encoding, errors)
        self.stdout: Any = self._wrap(self._popen.stdout, wrap, encoding, errors)
        self.stderr: Any = self._wrap(self._popen.stderr, wrap, encoding, errors)

    @staticmethod
    def _wrap(stream: PipeStream | None, text: bool, encoding: str | None, errors: str | None) -> Any:
        if stream is None or not text:
            return stream
        return TextStream(stream, encoding, errors)

    @property
    def args(self) -> Any:
        """The command, as given."""
        return self._popen.args

    @property
    def pid(self) -> int:
        """The child's process id."""
        pid: int = self._popen.pid
        return pid

    @property
    def returncode(self) -> int | None:
        """None while the child runs; then its exit status, or ``-N`` if signal N killed it."""
        code: int | None = self._popen.returncode
        return code

    @property
    def popen(self) -> GreenPopen:
        """The underlying green ``subprocess.Popen``."""
        return self._popen

    def poll(self) -> int | None:
        """Reap the child if it has exited, without blocking; the return code or None."""
        code: int | None = self._popen.poll()
        return code

    def wait(self, timeout: float | None = None) -> int:
        """Wait (green) for the child to exit; ``subprocess.TimeoutExpired`` after ``timeout``."""
        code: int = self._popen.wait(timeout)
        return code

    def communicate(self, input: bytes | str | None = None, timeout: float | None = None) -> tuple[Any, Any]:
        """Send ``input``, read stdout and stderr to the end, wait for exit: ``(stdout, stderr)``."""
        if isinstance(input, str):
            input = input.encode(self.stdin.encoding, self.stdin.errors)
        stdout, stderr = self._popen.communicate(input, timeout)
        return self._decode(self.stdout, stdout), self._decode(self.stderr, stderr)

    @staticmethod
    def _decode(stream: Any, data: bytes | None) -> Any:
        if isinstance(stream, TextStream) and data is not None:
            return data.decode(stream.encoding, stream.errors)
        return data

    def send_signal(self, sig: int, group: bool = False) -> None:
        """Send ``sig`` to the child, or with ``group`` to its whole process group.

        A child that has been reaped is not signalled (its pid may belong to someone else now);
        its group still is, as long as members of it remain.
        """
        if not group:
            self._popen.send_signal(sig)
            return
        if not self._leads_group:
            raise ValueError(
                "the child does not lead a process group: start it with new_session=True or process_group=0"
            )
        if sys.platform == "win32":  # pragma: no cover - Windows only
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(self.pid)], capture_output=True, check=False)
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass  # the group is empty: nothing left to signal

    def terminate(self, group: bool = False) -> None:
        """Ask the child (or its group) to stop: SIGTERM (TerminateProcess on Windows)."""
        if group:
            self.send_signal(signal.SIGTERM, group=True)
        else:
            self._popen.terminate()

    def kill(self, group: bool = False) -> None:
        """Kill the child (or its group): SIGKILL (TerminateProcess on Windows)."""
        if group:
            self.send_signal(getattr(signal, "SIGKILL", signal.SIGTERM), group=True)
        else:
            self._popen.kill()

    def stop(self, grace: float = 5.0, group: bool = False) -> int:
        """Terminate, wait up to ``grace`` seconds, then kill; reap and return the exit status.

        With ``group`` the whole process group gets SIGTERM, and after the leader exits or the
        grace period ends, SIGKILL for whatever is left of it.
        """
        if self.poll() is None or group:
            self.terminate(group)
            try:
                self.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
            if group:
                self.kill(group=True)
        return self.wait()

    def close(self) -> None:
        """Close the pipes (not the child)."""
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
        if self.poll() is None:
            self.kill(group=self._leads_group)
        self.wait()

    def __repr__(self) -> str:
        state = "running" if self.returncode is None else f"returncode={self.returncode}"
        return f"<Process pid={self.pid} {state} args={self.args!r}>"

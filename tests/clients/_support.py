"""Helpers for the real-client tests: free ports, a WSGI server in its own OS thread, children.

A blocking client (``requests``, the Socket.IO client) cannot share an OS thread with a green
server: it would stop the hub that serves it.  :class:`ThreadedServer` therefore runs
``eventlet.wsgi.server`` in a separate OS thread, which gets its own hub; the test's thread stays
an ordinary blocking client.  Code that must run under ``monkey_patch()`` runs in a child
process (:func:`run_child`), since patching is process-wide.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHILD = HERE / "_patched_child.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Ready:
    """Duck-typed ``server_event``: ``eventlet.wsgi.server`` sends it the Server once it is ready."""

    def __init__(self) -> None:
        self.server: Any = None
        self.event = threading.Event()

    def send(self, server: Any) -> None:
        self.server = server
        self.event.set()


class ThreadedServer:
    """``eventlet.wsgi.server(eventlet.listen(...), app)`` running in its own OS thread."""

    def __init__(self, app: WSGIApplication, **options: Any) -> None:
        self._ready = _Ready()
        self._failure: list[BaseException] = []
        self.port = 0
        self._thread = threading.Thread(target=self._run, args=(app, options), daemon=True)
        self._thread.start()
        if not self._ready.event.wait(10) or self._failure:
            raise RuntimeError(f"the server thread did not start: {self._failure!r}")

    def _run(self, app: WSGIApplication, options: dict[str, Any]) -> None:
        import eventlet
        import eventlet.wsgi

        try:
            sock = eventlet.listen(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            eventlet.wsgi.server(sock, app, log_output=False, server_event=self._ready, **options)
        except BaseException as exc:  # reported by __init__ or stop(), in the test's thread
            self._failure.append(exc)
            self._ready.event.set()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server (from this thread) and join its thread."""
        if self._ready.server is not None:
            self._ready.server.stop(timeout=2)
        self._thread.join(10)
        assert not self._thread.is_alive(), "the server thread did not finish"
        assert not self._failure, self._failure

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_child(scenario: str, *args: str, timeout: float = 30, env: dict[str, str] | None = None) -> Any:
    """Run ``_patched_child.py scenario args...`` (which monkey-patches first); its JSON answer.

    The child prints one JSON document on its last stdout line; a failure shows its output.
    """
    return run_script(CHILD, scenario, *args, timeout=timeout, env=env)


def run_script(script: Path, *args: str, timeout: float = 30, env: dict[str, str] | None = None) -> Any:
    """Run ``python script args...`` from the repository root; the JSON on its last stdout line."""
    child_env = dict(os.environ)
    child_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    what = " ".join([script.name, *args])
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"{what} printed nothing:\n{proc.stderr}"
    return json.loads(lines[-1])


class LineProcess:
    """A child process whose merged stdout/stderr is read line by line by a background thread."""

    def __init__(self, argv: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
        child_env = dict(os.environ, PYTHONUNBUFFERED="1")
        child_env.update(env or {})
        self.argv = argv
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        """Everything the process printed so far."""
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first line printed (so far or from now on) that matches ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                left = deadline - time.monotonic()
                finished = self.proc.poll() is not None and not self._reader.is_alive()
                if left <= 0 or finished:
                    raise AssertionError(
                        f"{self.argv!r} printed no line matching {pattern!r}"
                        f" (exit status {self.proc.poll()}):\n" + "\n".join(self.lines)
                    )
                self._changed.wait(min(left, 0.1))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send ``sig`` (if still running), wait for the exit; the exit status (killed if stuck)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.argv!r} did not exit on signal {sig}:\n{self.output()}") from None
        self._reader.join(5)
        return status

    def __enter__(self) -> LineProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

"""Running ``python -m eventlet.httpd`` in tests: a process whose log lines are waited for."""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.httpd._cli_app:app"


class Proc:
    """A running ``python -m eventlet.httpd`` whose stderr is scanned for log lines."""

    def __init__(self, *args: str, cwd: Path = ROOT) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "eventlet.httpd", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: list[str] = []
        self._pending = b""

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first (new or past) stderr line matching ``pattern``."""
        regex = re.compile(pattern)
        for line in self.lines:
            match = regex.search(line)
            if match:
                self.lines.remove(line)
                return match
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no line matching {pattern!r} in {self.lines!r}"
            ready, _, _ = select.select([self.proc.stderr], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stderr.fileno(), 65536)
            assert chunk, f"process ended without {pattern!r}: {self.lines!r}"
            data = self._pending + chunk
            *complete, self._pending = data.split(b"\n")
            for raw in complete:
                line = raw.decode(errors="replace")
                match = regex.search(line)
                if match:
                    self.lines.extend(x.decode(errors="replace") for x in complete[complete.index(raw) + 1 :])
                    return match
                self.lines.append(line)

    def port(self) -> int:
        return int(self.wait_for(r"(?:serving|listening) on https?://[^:]+:(\d+)").group(1))

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:  # pragma: no cover - only when a test failed
                self.proc.kill()
                self.proc.wait()

    def close(self) -> None:
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _get(port: int, path: str = "/", timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()

"""Drain under load: clients that count what happens to every request while the server stops.

``python -m tests.httpd.drain --runs 20`` runs every scenario 20 times and prints one line per
run and a total (the report of issue 13 quotes it); ``tests/httpd/test_drain.py`` runs each
scenario once in CI.  A scenario starts ``python -m eventlet.httpd`` (one process, or a
supervisor with two workers), loads it with client threads, and does something to it:

* ``term1``/``int1``: SIGTERM/SIGINT to the single process;
* ``term2``/``int2``: SIGTERM/SIGINT to the supervisor of two workers;
* ``hup2``: SIGHUP (replace both workers) under load, then SIGTERM;
* ``crash2``: a request makes a worker crash (``os._exit``) under load, then SIGTERM.

Each request is classified: ``ok`` (answered in full), ``refused`` (at connect: the client
knows nothing was sent), ``retried`` (a kept-alive connection closed before any byte of the
answer; the request never reached the application and HTTP clients resend it, RFC 9112 9.3.1),
or ``lost`` (reset or cut short after the request was sent).  ``lost`` must be 0; in ``crash2``
the requests the crashing worker had already taken die with it (``died``: begun, connect
included, before the crash was over) and only later ones count as lost.  While the server keeps
serving (``hup2``, ``crash2`` before the final stop) nothing may be refused either.

``DRAIN_DEBUG=1`` prints every lost request (with when it was sent) and the server's log of a run
that lost one; ``DRAIN_LOG_LEVEL=debug`` makes that log say more.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.httpd._cli_app:app"
SCENARIOS = ("term1", "int1", "term2", "int2", "hup2", "crash2")
_CLOSE_CLIENTS = 6
_KEEPALIVE_CLIENTS = 2


class Server:
    """``python -m eventlet.httpd`` on a free port, its stderr collected by a thread."""

    def __init__(self, workers: int) -> None:
        args = [sys.executable, "-m", "eventlet.httpd", APP, "--bind", "127.0.0.1:0"]
        args += ["--graceful-timeout", "10", "--log-level", os.environ.get("DRAIN_LOG_LEVEL", "info")]
        if workers:
            args += ["--workers", str(workers)]
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.wait_for(r"(?:serving|listening) on http://[^:]+:(\d+)").group(1))
        for _ in range(workers):
            self.wait_for(r"serving on")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with self._cond:
                self.lines.append(raw.decode(errors="replace").rstrip())
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first line (consumed) matching ``pattern``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for index, line in enumerate(self.lines):
                    match = regex.search(line)
                    if match:
                        del self.lines[index]
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line matching {pattern!r}: {self.lines!r}")
                self._cond.wait(min(left, 0.1))

    def close(self) -> int:
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._reader.join(5)


def _read_response(sock: socket.socket) -> tuple[bytes, bool]:
    """Read one response (Content-Length framed); ``(bytes read, complete)``."""
    data = b""
    while True:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", data[:end])
            if match and len(data) >= end + 4 + int(match.group(1)):
                return data, True
        try:
            chunk = sock.recv(65536)
        except OSError as exc:
            if os.environ.get("DRAIN_DEBUG"):
                print(f"{time.time():.6f} recv failed: {exc!r} after {data!r}", file=sys.stderr)
            return data, False
        if not chunk:
            return data, False
        data += chunk


class Load:
    """Client threads sending requests until :meth:`stop`; ``counts`` of outcomes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.counts: Counter[str] = Counter()
        self.lost_at: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.threads = [threading.Thread(target=self._close_client, args=(i,)) for i in range(_CLOSE_CLIENTS)]
        self.threads += [threading.Thread(target=self._keepalive_client) for _ in range(_KEEPALIVE_CLIENTS)]
        for thread in self.threads:
            thread.start()

    def _count(self, outcome: str, sent_at: float = 0.0, detail: str = "") -> None:
        with self._lock:
            self.counts[outcome] += 1
            if outcome == "lost":
                self.lost_at.append(sent_at)
                if os.environ.get("DRAIN_DEBUG"):
                    ago = time.monotonic() - sent_at
                    print(f"{time.time():.6f} lost, sent {ago:.6f} s ago: {detail}", file=sys.stderr)

    def _connect(self) -> socket.socket | None:
        sock = socket.socket()
        sock.settimeout(30)
        try:
            sock.connect(("127.0.0.1", self.port))
        except ConnectionRefusedError:
            sock.close()
            self._count("refused")
            return None
        return sock

    def _close_client(self, index: int) -> None:
        path = b"/slow?0.3" if index == 0 else b"/fast"
        request = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        while not self._stop.is_set():
            # the clock is read before connect(): a worker may accept the connection before this
            # thread (waiting for the GIL) runs again, so a later reading could postdate the crash
            sent_at = time.monotonic()
            sock = self._connect()
            if sock is None:
                time.sleep(0.01)
                continue
            with sock:
                try:
                    sock.sendall(request)
                except OSError as exc:
                    self._count("lost", sent_at, f"send failed: {exc!r}")
                    continue
                data, complete = _read_response(sock)
            self._count("ok" if complete else "lost", sent_at, f"close client got {data!r}")

    def _keepalive_client(self) -> None:
        request = b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
        sock: socket.socket | None = None
        reused = False
        while not self._stop.is_set():
            sent_at = time.monotonic()  # before connect(), for the reason given in _close_client
            if sock is None:
                sock = self._connect()
                reused = False
                if sock is None:
                    time.sleep(0.01)
                    continue
            try:
                sock.sendall(request)
                data, complete = _read_response(sock)
            except OSError as exc:
                data, complete = b"", False
                detail = repr(exc)
            else:
                detail = repr(data)
            if complete and b"connection: close" not in data.lower():
                self._count("ok")
                reused = True
                time.sleep(0.005)  # idle a moment between requests, as real clients do
                continue
            sock.close()
            sock = None
            if complete:
                self._count("ok")
            elif reused and not data:
                self._count("retried")
            else:
                self._count("lost", sent_at, f"keep-alive client (reused {reused}) got {detail}")
        if sock is not None:
            sock.close()

    def stop(self) -> Counter[str]:
        self._stop.set()
        for thread in self.threads:
            thread.join(60)
        return self.counts


def _wait_refused(port: int, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            return
        except TimeoutError:  # the SYN was dropped (the server is stopping): try again
            continue
        time.sleep(0.02)
    raise AssertionError("the server never stopped accepting")


def run(scenario: str, load_seconds: float = 0.8) -> dict[str, int]:
    """Run one scenario; the outcome counts (see the module docstring)."""
    workers = 2 if scenario.endswith("2") else 0
    server = Server(workers)
    load = Load(server.port)
    extra: Counter[str] = Counter()
    try:
        time.sleep(load_seconds)
        if scenario in ("hup2", "crash2"):
            if scenario == "hup2":
                server.proc.send_signal(signal.SIGHUP)
                for _ in range(2):
                    server.wait_for(r"took over from worker")
            else:
                crash = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                crash.sendall(b"GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _read_response(crash)[0] == b"", "the crash request was answered"
                crash.close()
                crashed_at = time.monotonic()
                server.wait_for(r"exited with status")
                server.wait_for(r"serving on")
            time.sleep(load_seconds)
            with load._lock:
                serving_refused = load.counts["refused"]
            extra["refused_while_serving"] = serving_refused
            if scenario == "crash2":
                with load._lock:
                    died = sum(1 for t in load.lost_at if t <= crashed_at)
                extra["died"] = died
        signum = signal.SIGINT if scenario.startswith("int") else signal.SIGTERM
        server.proc.send_signal(signum)
        _wait_refused(server.port)
        time.sleep(0.2)  # clients keep trying (and are refused) after the socket closed
    finally:
        counts = load.stop()
        status = server.close()
    result = dict(counts)
    result.update(extra)
    if os.environ.get("DRAIN_DEBUG") and counts.get("lost"):
        print("\n".join(server.lines), file=sys.stderr)
    if "died" in result:
        result["lost"] = result.get("lost", 0) - result["died"]
    result["exit_status"] = status
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    totals: dict[str, Counter[str]] = {}
    failed = 0
    for scenario in args.scenarios.split(","):
        total: Counter[str] = Counter()
        for number in range(1, args.runs + 1):
            result = run(scenario)
            total.update(result)
            bad = result.get("lost", 0) or result.get("refused_while_serving", 0) or result["exit_status"]
            failed += bool(bad)
            print(f"{scenario} run {number}: {result}", flush=True)
        totals[scenario] = total
    print("totals:")
    for scenario, total in totals.items():
        print(f"  {scenario}: {dict(sorted(total.items()))}")
    print(f"{failed} runs with a lost request, a refusal while serving or a bad exit status")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

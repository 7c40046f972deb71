"""What operators expect from the command: errors, --help, a config file, a pid file, inherited
and socket-activated sockets, worker recycling, the --timeout watchdog, and a stop that arrives
while workers are still starting.  Every test runs the real command."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from eventlet.httpd import _cli
from tests.httpd._procs import APP, ROOT, Proc, _get


def _run(*args: str, timeout: float = 30, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eventlet.httpd", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bind", "127.0.0.1:99999"], "the port must be between 0 and 65535, not 99999"),
        (["--bind", "127.0.0.1:http"], "the port must be a number"),
        (["--bind", "nosuchhost.invalid:8000"], "cannot listen on nosuchhost.invalid:8000"),
        (["--bind", "::1:8000"], "write an IPv6 address in brackets"),
        (["--bind", "unix:"], "unix: needs a path"),
        (["--bind", "fd://x"], "a file descriptor is a number"),
        (["--fd", "0"], "descriptor 0 is not"),
        (["--fd", "987"], "descriptor 987 is not a socket"),
        (["--metrics-bind", "unix:/tmp/m.sock"], "--metrics-bind takes HOST:PORT"),
    ],
)
def test_bad_bind_is_a_one_line_error(args: list[str], message: str) -> None:
    result = _run(APP, *args, stdin=subprocess.DEVNULL)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == _cli.LOAD_FAILED_EXIT, result.stderr
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_help_shows_every_default() -> None:
    result = _run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for expected in (
        "(default: 127.0.0.1:8000)",
        "--timeout TIMEOUT kill a worker whose hub is stuck this long (0: off) (default: 30.0)",
        "(default: 1073741824)",
        "(default: 127.0.0.1,::1)",
        "(default: 10000)",
    ):
        assert expected in text
    assert "--worker-fd" not in text


def test_config_file_with_the_options_names_and_a_pid_file(procs: list[Proc], tmp_path: Path) -> None:
    sock_path = tmp_path / "app.sock"
    pid_path = tmp_path / "app.pid"
    config = tmp_path / "httpd.toml"
    config.write_text(
        f'app = "{APP}"\nbind = "unix:{sock_path}"\nkeepalive = 0\nmax_connections = 50\n'
        f'pid = "{pid_path}"\nforwarded-for = true\nmax-body = "none"\n'
    )
    proc = Proc("--config", str(config), "--access-log", "-")  # the command line adds to the file
    procs.append(proc)
    proc.wait_for(r"serving on unix:")
    assert pid_path.read_text().strip() == str(proc.proc.pid)
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(sock_path))
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # keepalive = 0: the server closes
        data = b""
        while chunk := client.recv(4096):
            data += chunk
    assert data.endswith(str(proc.proc.pid).encode())
    assert proc.stop() == 0
    assert not pid_path.exists()
    assert proc.proc.stdout is not None
    assert b'"GET / HTTP/1.1" 200' in proc.proc.stdout.read()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("workers = 'many'\n", "workers: invalid literal"),
        ("debug = 1\n", "debug takes true or false"),
        ("bind = 8000\n", "bind takes a string"),
        ("workers = [1]\n", "workers takes a single value"),
        ("keepalive = 5\nheader-timeout = 2.5\n", None),
        ("this is not toml", "is not valid TOML"),
    ],
)
def test_config_file_errors_are_one_line(tmp_path: Path, text: str, message: str | None) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    if message is None:  # valid: the values reach the parser with their types
        args = _cli.parse_args(["--config", str(config), APP])
        assert args.keepalive == 5.0
        assert args.header_timeout == 2.5
        return
    result = _run(APP, "--config", str(config))
    assert result.returncode == _cli.LOAD_FAILED_EXIT
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


def test_missing_config_file_and_missing_app(tmp_path: Path) -> None:
    result = _run(APP, "--config", str(tmp_path / "none.toml"))
    assert result.returncode == _cli.LOAD_FAILED_EXIT
    assert "cannot read" in result.stderr
    result = _run("--bind", "127.0.0.1:0")
    assert result.returncode == 2
    assert "the application is missing" in result.stderr


def _listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def test_inherited_socket_with_fd(procs: list[Proc]) -> None:
    listener = _listener()
    port = listener.getsockname()[1]
    fd = listener.fileno()
    proc = _Popen(APP, "--fd", str(fd), pass_fds=(fd,))
    procs.append(proc)
    listener.close()  # the server's copy is the only one now
    proc.wait_for(r"serving on")
    assert _get(port)[0] == 200
    assert proc.stop() == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_inherited_socket_with_workers(procs: list[Proc]) -> None:
    listener = _listener()
    port = listener.getsockname()[1]
    fd = listener.fileno()
    proc = _Popen(APP, "--bind", f"fd://{fd}", "--workers", "2", pass_fds=(fd,))
    procs.append(proc)
    listener.close()
    for _ in range(2):
        proc.wait_for(r"serving on")
    assert {_get(port)[0] for _ in range(4)} == {200}
    assert proc.stop() == 0


def test_systemd_style_socket_activation(procs: list[Proc]) -> None:
    """LISTEN_PID/LISTEN_FDS set for the exec'd process itself, the socket on descriptor 3."""
    listener = _listener()
    port = listener.getsockname()[1]
    command = f'LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=web exec "{sys.executable}" -m eventlet.httpd {APP}'
    proc = _Popen(command, shell_fds=(listener.fileno(),))
    procs.append(proc)
    listener.close()
    proc.wait_for(rf"serving on http://127.0.0.1:{port}")
    status, body = _get(port, "/")
    assert status == 200
    assert int(body) == proc.proc.pid  # the same process: exec kept the pid
    assert proc.stop() == 0


@pytest.mark.skipif(
    shutil.which("systemd-socket-activate") is None, reason="systemd-socket-activate is not installed"
)
def test_socket_activation_by_systemd_socket_activate(procs: list[Proc]) -> None:
    port = _free_port()
    command = [
        shutil.which("systemd-socket-activate") or "",
        "--listen",
        f"127.0.0.1:{port}",
        sys.executable,
        "-m",
        "eventlet.httpd",
        APP,
        "--workers",
        "1",
    ]
    proc = Proc.__new__(Proc)
    proc.proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    proc.lines, proc._pending = [], b""
    procs.append(proc)
    proc.wait_for(rf"Listening on 127.0.0.1:{port}")  # it starts us on the first connection
    assert _get(port, timeout=30)[0] == 200
    proc.wait_for(rf"listening on http://127.0.0.1:{port}")
    assert proc.stop() == 0


def test_systemd_variables_for_another_process_are_ignored() -> None:
    env = {"LISTEN_PID": "1", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "x"}
    from eventlet.httpd import _activation

    assert _activation.listen_fds(env) == []
    assert env == {}
    assert _activation.listen_fds({}) == []
    with pytest.raises(_activation.BindError):
        _activation.listen_fds({"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "two"})
    assert _activation.listen_fds({"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "2"}) == [3, 4]


def test_two_systemd_sockets_are_refused(procs: list[Proc]) -> None:
    first, second = _listener(), _listener()
    command = f'LISTEN_PID=$$ LISTEN_FDS=2 exec "{sys.executable}" -m eventlet.httpd {APP}'
    proc = _Popen(command, shell_fds=(first.fileno(), second.fileno()))
    procs.append(proc)
    assert proc.proc.wait(30) == _cli.LOAD_FAILED_EXIT
    proc.wait_for(r"systemd passed 2 sockets; eventlet-httpd serves one")
    first.close()
    second.close()


def _Popen(*args: str, shell_fds: tuple[int, ...] = (), pass_fds: tuple[int, ...] = ()) -> Proc:
    """A Proc of ``python -m eventlet.httpd args`` (or, with ``shell_fds``, of the shell command
    ``args[0]`` run with those descriptors as its 3, 4, ..., as systemd passes them)."""
    proc = Proc.__new__(Proc)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    preexec: Any = None
    if not shell_fds:
        cmd = [sys.executable, "-m", "eventlet.httpd", *args]
    else:
        cmd = ["/bin/sh", "-c", args[0]]
        targets = tuple(range(3, 3 + len(shell_fds)))
        pass_fds = (*pass_fds, *targets)
        copies = [os.dup(fd) for fd in shell_fds]  # above 3 + n: dup2 cannot clobber a source

        def preexec() -> None:
            for copy, target in zip(copies, targets, strict=True):
                os.dup2(copy, target)

    proc.proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        pass_fds=pass_fds,
        preexec_fn=preexec,
    )
    proc.lines, proc._pending = [], b""
    for copy in copies if shell_fds else ():
        os.close(copy)
    return proc


def test_max_requests_with_jitter_recycles_workers_without_a_failed_request(procs: list[Proc]) -> None:
    proc = Proc(
        APP, "--bind", "127.0.0.1:0", "--workers", "1", "--max-requests", "4", "--max-requests-jitter", "2"
    )
    procs.append(proc)
    port = proc.port()
    proc.wait_for(r"serving on")
    served: list[int] = []
    deadline = time.monotonic() + 60
    while len(set(served)) < 3:  # until recycled twice; every request answered meanwhile
        assert time.monotonic() < deadline, served
        status, body = _get(port)
        assert status == 200
        served.append(int(body))
    runs = [served.count(pid) for pid in dict.fromkeys(served)]
    # Each worker served its limit (4 plus up to 2) before asking, then more until its successor
    # was ready (a successor takes over only once it accepts).
    assert all(count >= 4 for count in runs[:-1])
    proc.wait_for(r"served \d+ requests: asking for a successor")
    proc.wait_for(r"took over from worker")
    assert proc.stop() == 0


def test_timeout_kills_a_worker_whose_hub_is_blocked_and_shows_the_stack(procs: list[Proc]) -> None:
    proc = Proc(APP, "--bind", "127.0.0.1:0", "--workers", "1", "--timeout", "1")
    procs.append(proc)
    port = proc.port()
    first = int(proc.wait_for(r"started worker (\d+)").group(1))
    proc.wait_for(r"serving on")
    outcome: list[Any] = []

    def blocked() -> None:
        try:
            outcome.append(_get(port, "/block?30", timeout=30))
        except OSError as exc:
            outcome.append(exc)

    client = threading.Thread(target=blocked)
    client.start()
    report = proc.wait_for(r"the hub of worker (\d+) has been blocked for")
    assert int(report.group(1)) == first
    proc.wait_for(r"time\.sleep")  # the stack names the blocking call
    proc.wait_for(rf"worker {first} timed out")
    proc.wait_for(rf"worker {first} exited with status -9")
    replacement = int(proc.wait_for(r"started worker (\d+)").group(1))
    proc.wait_for(r"serving on")
    client.join(30)
    assert outcome
    assert isinstance(outcome[0], OSError)  # the blocked request died with its worker
    assert _get(port) == (200, str(replacement).encode())
    assert proc.stop() == 0


def test_stop_while_workers_start_still_serves_the_queued_request(procs: list[Proc]) -> None:
    proc = Proc("tests.httpd._cli_slow_app:app", "--bind", "127.0.0.1:0", "--workers", "2")
    procs.append(proc)
    port = proc.port()
    for _ in range(2):
        proc.wait_for(r"started worker")
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # queued: nobody accepts yet
    proc.proc.send_signal(signal.SIGTERM)  # while the workers import the application
    data = b""
    while chunk := client.recv(4096):
        data += chunk
    client.close()
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert proc.stop() == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_small_paths_of_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventlet.httpd import _activation, _admission, _forwarded, _proxy

    parser = _cli.build_parser()
    assert parser.parse_args([APP, "--max-body", "5"]).max_body == 5
    assert parser.parse_args([APP, "--max-body", "NONE"]).max_body is None
    with pytest.raises(SystemExit):
        parser.parse_args([APP, "--max-body", "-1"])
    # inherited sockets: fd://N, and descriptors that cannot be served
    listener = _listener()
    served = _activation.make_socket(f"fd://{os.dup(listener.fileno())}", 5)
    assert served.getsockname() == listener.getsockname()
    served.close()
    listener.close()
    for sock in (socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket()):
        with sock, pytest.raises(_activation.BindError, match="not a listening stream socket"):
            _activation.inherited_socket(sock.fileno())
    # the pid file of another process is left alone; a missing one is reported
    pid_file = tmp_path / "other.pid"
    pid_file.write_text("1\n")
    _cli._remove_pid(str(pid_file))
    assert pid_file.exists()
    _cli._remove_pid(str(tmp_path / "missing.pid"))
    # the queue of a listening socket: transient errors skipped, others end the pass
    errors = [OSError(errno.ECONNABORTED, "aborted"), OSError(errno.EBADF, "closed")]

    class Listener:
        def accept(self) -> Any:
            raise errors.pop(0)

    admission = _admission.Admission()
    assert admission._take_queued(Listener()) == 0
    assert not errors
    # a full cache of trust verdicts still answers
    monkeypatch.setattr(_forwarded, "_CACHE_SIZE", 0)
    assert "10.9.9.9" in _forwarded.TrustedPeers("10.0.0.0/8")
    # a PROXY header whose connection closes while it is read
    chunks = [b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", b""]
    with pytest.raises(_proxy.ProxyHeaderError, match="closed"):
        _proxy.read_header(None, lambda size, flags=0: chunks.pop(0) if flags else b"")

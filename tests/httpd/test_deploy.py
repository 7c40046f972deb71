"""The deployment guide's examples (docs/deploy/), run as the guide runs them.

The systemd units are read (ListenStream, ExecStart, ExecReload) and started the way systemd
starts them: the socket created first and handed over on descriptor 3 with ``LISTEN_PID`` and
``LISTEN_FDS`` naming the exec'd process; reload and stop are the units' signals.  The TLS
configuration and the gunicorn configuration file run as they are, with the test's addresses,
certificates and application.  The nginx configurations run in test_proxies.py.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.httpd._nginx import DEPLOY, free_port
from tests.httpd._procs import APP, ROOT, Proc, _get
from tests.httpd.test_gunicorn import GUNICORN, Gunicorn

pytest.importorskip("trustme")


def unit(name: str) -> dict[str, str]:
    """``Key=value`` lines of a systemd unit file (the last wins)."""
    values = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def config_copy(name: str, folder: Path, replacements: dict[str, str]) -> Path:
    text = (DEPLOY / name).read_text()
    for old, new in replacements.items():
        assert old in text, f"{old!r} is not in docs/deploy/{name} any more"
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text)
    return path


def _unix_get(path: Path, target: str = "/") -> bytes:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(20)
        client.connect(str(path))
        client.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    return data


def test_systemd_units_with_socket_activation(tmp_path: Path, procs: list[Proc]) -> None:
    socket_unit, service = unit("myapp.socket"), unit("myapp.service")
    sock_path = tmp_path / "http.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock_path))  # what systemd does for ListenStream=/run/myapp/http.sock
    listener.listen(128)
    assert socket_unit["ListenStream"] == "/run/myapp/http.sock"
    metrics_port = free_port()
    config = config_copy(
        "eventlet-httpd.toml",
        tmp_path,
        {
            '"myapp.wsgi:application"': f'"{APP}"',
            "workers = 4": "workers = 2",
            '"127.0.0.1:9100"': f'"127.0.0.1:{metrics_port}"',
        },
    )
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/eventlet-httpd")
    assert argv[1:] == ["--config", "/etc/myapp/eventlet-httpd.toml"]
    argv = [sys.executable, "-m", "eventlet.httpd", "--config", str(config)]
    if not _has_prometheus():
        argv += ["--metrics-bind", ""]  # the exporter needs eventlet-httpd[metrics]
    command = "LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=myapp.socket exec " + shlex.join(argv)
    copy = os.dup(listener.fileno())
    proc = Proc.__new__(Proc)
    proc.proc = subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        pass_fds=(3,),
        preexec_fn=lambda: os.dup2(copy, 3),
    )
    os.close(copy)
    proc.lines, proc._pending = [], b""
    procs.append(proc)
    for _ in range(2):
        proc.wait_for(r"serving on unix:")
    assert _unix_get(sock_path).startswith(b"HTTP/1.1 200 OK")
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    proc.proc.send_signal(signal.SIGHUP)  # systemctl reload
    for _ in range(2):
        proc.wait_for(r"took over from worker")
    assert _unix_get(sock_path).startswith(b"HTTP/1.1 200 OK")
    if _has_prometheus():
        deadline = time.monotonic() + 20
        while b"eventlet_httpd_requests_total 2.0" not in _metrics(metrics_port):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert service["KillMode"] == "mixed"  # systemctl stop: SIGTERM to the main process only
    assert proc.stop(timeout=float(service["TimeoutStopSec"])) == 0
    # systemd still holds the socket: clients queue there for the next start (nothing is refused)
    waiting = socket.socket(socket.AF_UNIX)
    waiting.connect(str(sock_path))
    waiting.close()
    listener.close()


def _has_prometheus() -> bool:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:  # pragma: no cover - the test dependencies include it
        return False
    return True


def _metrics(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_tls_configuration(tmp_path: Path, procs: list[Proc]) -> None:
    pytest.importorskip("eventlet.ssl", reason="eventlet-ssl is not installed")
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    certfile, keyfile = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    config = config_copy(
        "tls.toml",
        tmp_path,
        {
            '"myapp.wsgi:application"': f'"{APP}"',
            '"0.0.0.0:8443"': '"127.0.0.1:0"',
            "/etc/ssl/certs/example.com.pem": str(certfile),
            "/etc/ssl/private/example.com.key": str(keyfile),
        },
    )
    proc = Proc("--config", str(config))
    procs.append(proc)
    port = proc.port()
    for _ in range(2):
        proc.wait_for(r"serving on https://")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"X-Scheme: https" in data
    status, body = _get(port)  # plain HTTP on the TLS port
    assert status == 400
    assert b"plain HTTP request sent to an HTTPS port" in body
    assert proc.stop() == 0


@pytest.mark.skipif(GUNICORN is None, reason="the gunicorn command is not installed")
def test_gunicorn_configuration_file(procs: list[Any]) -> None:
    master = Gunicorn("-c", str(DEPLOY / "gunicorn.conf.py"), "--workers", "1", APP)
    procs.append(master)
    port = master.port()
    master.wait_for(r"Using worker: eventlet\.httpd\.gunicorn\.EventletWorker")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"GET /env HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.5\r\n"
            b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.endswith(b"203.0.113.5 0 https x")  # forwarded_allow_ips trusts 127.0.0.1
    assert master.stop() == 0

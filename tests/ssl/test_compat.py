"""Upstream-compatible entry points (wrap_ssl, eventlet.green.ssl, eventlet.green.OpenSSL),
monkey patching, backend selection errors and reloadable server certificates."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import eventlet
import eventlet.ssl
from eventlet.green import socket as green_socket
from tests.ssl.conftest import Certs, client_context, connect, server_context


def _serve_legacy(certs: Certs) -> tuple[Any, Any]:
    listener = eventlet.wrap_ssl(
        eventlet.listen(("127.0.0.1", 0)), certfile=str(certs.server), server_side=True
    )

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(conn.recv(100))

    return listener, eventlet.spawn(serve)


def test_wrap_ssl_legacy_signature(certs: Certs, green_hub: Any) -> None:
    listener, server = _serve_legacy(certs)
    port = listener.getsockname()[1]
    conn = eventlet.wrap_ssl(
        green_socket.create_connection(("127.0.0.1", port)),
        ca_certs=str(certs.ca),
        server_hostname="localhost",
        ciphers="ECDHE+AESGCM",
        ssl_version=ssl.PROTOCOL_TLS_CLIENT,
    )
    with conn:
        conn.sendall(b"legacy")
        assert conn.recv(100) == b"legacy"
    server.wait()
    listener.close()


def test_wrap_ssl_checks_no_certificate_unless_asked(certs: Certs, green_hub: Any) -> None:
    """Upstream's contract (the old ``ssl.wrap_socket``): a self-signed server is accepted."""
    listener, server = _serve_self_signed(certs)
    port = listener.getsockname()[1]
    for wrap in (eventlet.wrap_ssl, eventlet.ssl.GreenSSLSocket):
        with wrap(green_socket.create_connection(("127.0.0.1", port))) as conn:
            assert conn.getpeercert() == {}  # not validated, so not decoded either
            conn.sendall(b"unchecked")
            assert conn.recv(100) == b"unchecked"
    server.kill()
    listener.close()


def _serve_self_signed(certs: Certs, **kw: Any) -> tuple[Any, Any]:
    listener = eventlet.wrap_ssl(
        eventlet.listen(("127.0.0.1", 0)), certfile=str(certs.self_signed), server_side=True, **kw
    )

    def serve() -> None:
        while True:
            conn, _ = listener.accept()
            with conn:
                try:
                    conn.sendall(conn.recv(100))
                except OSError:
                    pass  # a client that refused our certificate, or went away

    return listener, eventlet.spawn(serve)


def test_wrap_ssl_verifies_when_asked(certs: Certs, green_hub: Any) -> None:
    listener, server = _serve_self_signed(certs)
    port = listener.getsockname()[1]
    with pytest.raises(ssl.SSLCertVerificationError):  # against the system's CAs
        eventlet.wrap_ssl(green_socket.create_connection(("127.0.0.1", port)), cert_reqs=ssl.CERT_REQUIRED)
    with pytest.raises(ssl.SSLCertVerificationError):  # against CAs that did not sign it
        eventlet.wrap_ssl(
            green_socket.create_connection(("127.0.0.1", port)),
            cert_reqs=ssl.CERT_REQUIRED,
            ca_certs=str(certs.ca),
        )
    server.kill()
    listener.close()
    listener, server = _serve_legacy(certs)
    port = listener.getsockname()[1]
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):  # the host name is checked
        eventlet.wrap_ssl(
            green_socket.create_connection(("127.0.0.1", port)),
            cert_reqs=ssl.CERT_REQUIRED,
            ca_certs=str(certs.ca),
            server_hostname="elsewhere.example.org",
        )
    server.kill()
    listener.close()


def test_wrap_ssl_server_can_require_client_certificates(certs: Certs, green_hub: Any) -> None:
    listener = eventlet.wrap_ssl(
        eventlet.listen(("127.0.0.1", 0)),
        str(certs.server),
        str(certs.server),
        server_side=True,
        cert_reqs=ssl.CERT_REQUIRED,
        ca_certs=str(certs.ca),
    )
    port = listener.getsockname()[1]
    peers: list[Any] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            peers.append(conn.getpeercert())
            conn.sendall(conn.recv(100))

    server = eventlet.spawn(serve)
    with eventlet.wrap_ssl(
        green_socket.create_connection(("127.0.0.1", port)),
        certfile=str(certs.client),
        cert_reqs=ssl.CERT_REQUIRED,
        ca_certs=str(certs.ca),
    ) as conn:
        conn.sendall(b"mutual")
        assert conn.recv(100) == b"mutual"
    server.wait()
    assert dict(rdn[0] for rdn in peers[0]["subject"])["commonName"] == "client"
    listener.close()


def test_wrap_ssl_unverified_pinned_and_context(certs: Certs, green_hub: Any) -> None:
    listener, server = _serve_legacy(certs)
    port = listener.getsockname()[1]
    conn = eventlet.ssl.GreenSSLSocket(
        green_socket.create_connection(("127.0.0.1", port)),
        cert_reqs=ssl.CERT_NONE,
        ssl_version=ssl.PROTOCOL_TLSv1_2,
    )
    with conn:
        assert conn.version() == "TLSv1.2"
        assert conn.getpeercert() == {}
        conn.sendall(b"ok")
        assert conn.recv(2) == b"ok"
    server.wait()
    listener.close()
    with pytest.raises(ValueError, match="not supported"):
        eventlet.wrap_ssl(socket.socket(), ssl_version=99)
    with pytest.raises(ValueError, match="certfile must be specified"):
        eventlet.wrap_ssl(socket.socket(), keyfile=str(certs.server))
    with eventlet.wrap_ssl(
        socket.socket(), context=client_context(certs, "pyopenssl"), server_hostname="x"
    ) as s:
        assert eventlet.ssl.backend_of(s.context) == "pyopenssl"


def test_green_ssl_socket_constructor_takes_a_standard_context_only(certs: Certs, green_hub: Any) -> None:
    """``GreenSSLSocket(sock, context=...)``: upstream's constructor makes standard-library sockets."""
    listener, server = _serve_legacy(certs)
    port = listener.getsockname()[1]
    conn = eventlet.ssl.GreenSSLSocket(
        green_socket.create_connection(("127.0.0.1", port)),
        context=client_context(certs),
        server_hostname="localhost",
    )
    with conn:
        assert isinstance(conn, eventlet.ssl.GreenSSLSocket)
        assert conn.getpeercert()["subjectAltName"]
        conn.sendall(b"ok")
        assert conn.recv(2) == b"ok"
    server.wait()
    listener.close()
    with pytest.raises(TypeError, match=r"an ssl\.SSLContext is needed"):
        with socket.socket() as plain:
            eventlet.ssl.GreenSSLSocket(plain, context=client_context(certs, "pyopenssl"))


def test_own_api_stays_secure_by_default(certs: Certs, green_hub: Any) -> None:
    """eventlet.ssl.wrap_socket without a context, and create_default_context, verify."""
    listener, server = _serve_self_signed(certs)
    port = listener.getsockname()[1]
    with pytest.raises(ssl.SSLCertVerificationError):
        eventlet.ssl.wrap_socket(
            green_socket.create_connection(("127.0.0.1", port)), server_hostname="localhost"
        )
    with pytest.raises(ValueError, match="server_hostname"):  # it checks host names too
        eventlet.ssl.wrap_socket(green_socket.socket())
    context = eventlet.ssl.create_default_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    with pytest.raises(ssl.SSLCertVerificationError):
        eventlet.ssl.wrap_socket(
            green_socket.create_connection(("127.0.0.1", port)), context, server_hostname="localhost"
        )
    server.kill()
    listener.close()


def test_green_ssl_module(certs: Certs, green_hub: Any) -> None:
    from eventlet.green import ssl as green_ssl

    assert green_ssl.CERT_REQUIRED is ssl.CERT_REQUIRED
    assert green_ssl.SSLError is ssl.SSLError
    assert green_ssl.wrap_socket is eventlet.ssl.wrap_ssl
    assert "wrap_socket" in green_ssl.__patched__  # monkey_patch() puts it back on 3.12+
    assert set(green_ssl.__patched__) <= set(vars(green_ssl))
    server_ctx = green_ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(str(certs.server))
    listener = server_ctx.wrap_socket(green_socket.socket(), server_side=True)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    assert isinstance(listener, green_ssl.SSLSocket)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(conn.recv(100))

    server = eventlet.spawn(serve)
    ctx = green_ssl.create_default_context(cafile=str(certs.ca))
    assert isinstance(ctx, green_ssl.SSLContext)
    assert isinstance(green_ssl._create_unverified_context(), green_ssl.SSLContext)
    with ctx.wrap_socket(socket.socket(), server_hostname="localhost") as conn:
        conn.connect(listener.getsockname())
        conn.sendall(b"green module")
        assert conn.recv(100) == b"green module"
    server.wait()
    listener.close()


def test_green_openssl_connection(certs: Certs, green_hub: Any) -> None:
    import OpenSSL
    import OpenSSL.crypto

    import eventlet.green.OpenSSL.crypto
    import eventlet.green.OpenSSL.version
    from eventlet.green.OpenSSL import SSL, __version__, crypto, version

    assert crypto is eventlet.green.OpenSSL.crypto
    assert version is eventlet.green.OpenSSL.version
    assert crypto.X509 is OpenSSL.crypto.X509
    assert "X509" in dir(crypto)
    assert crypto.__all__ == OpenSSL.crypto.__all__
    with pytest.raises(AttributeError):
        crypto.__no_such_name__  # noqa: B018
    assert __version__ == version.__version__ == OpenSSL.__version__
    assert version.__title__ == "pyOpenSSL"
    server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    server_ctx.use_certificate_chain_file(str(certs.server))
    server_ctx.use_privatekey_file(str(certs.server))
    listener = SSL.Connection(server_ctx, eventlet.listen(("127.0.0.1", 0)))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        assert isinstance(conn, SSL.Connection)
        conn.do_handshake()
        data = conn.recv(100)
        conn.sendall(data * 2)
        conn.shutdown()
        conn.close()

    server = eventlet.spawn(serve)
    client_ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    client_ctx.load_verify_locations(str(certs.ca))
    client_ctx.set_verify(SSL.VERIFY_PEER)
    conn = SSL.Connection(client_ctx, socket.socket())
    conn.settimeout(5.0)
    conn.connect(("127.0.0.1", port))
    conn.do_handshake()
    conn.send(b"abc")
    out = bytearray(6)
    got = 0
    while got < 6:
        got += conn.recv_into(memoryview(out)[got:])
    assert out == b"abcabc"
    with pytest.raises(SSL.ZeroReturnError):
        conn.read(10)
    conn.shutdown()
    conn.close()
    server.wait()
    listener.close()
    memory = SSL.Connection(client_ctx)  # memory BIO: never waits
    memory.set_connect_state()
    with pytest.raises(SSL.WantReadError):
        memory.do_handshake()
    with pytest.raises(SSL.Error):
        memory.sendall(b"x")


def test_monkey_patched_http_client(certs: Certs, tmp_path: Path) -> None:
    """http.client HTTPS under monkey_patch, served by a green server in the same process."""
    script = tmp_path / "patched.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import eventlet
            eventlet.monkey_patch()
            import http.client, ssl, threading
            import eventlet.ssl
            from eventlet.ssl import GreenSSLContext
            assert ssl.SSLContext is GreenSSLContext
            ctx = eventlet.ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, certfile={str(certs.server)!r})
            listener = eventlet.listen(("127.0.0.1", 0))
            port = listener.getsockname()[1]
            def serve():
                sock, _ = listener.accept()
                conn = eventlet.ssl.wrap_socket(sock, ctx, server_side=True)
                while b"\\r\\n\\r\\n" not in conn.recv(4096):
                    pass
                head = b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nConnection: close\\r\\n\\r\\n"
                conn.sendall(head + b"hello")
                conn.close()
            eventlet.spawn(serve)
            https = http.client.HTTPSConnection(
                "127.0.0.1", port, context=ssl.create_default_context(cafile={str(certs.ca)!r}))
            https.request("GET", "/")
            assert type(https.sock).__name__ == "GreenSSLSocket", type(https.sock)
            response = https.getresponse()
            print(response.status, response.read().decode())
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.stdout.strip() == "200 hello", result.stderr


def test_backend_selection_errors(certs: Certs, green_hub: Any) -> None:
    with pytest.raises(TypeError, match="does not match"):
        eventlet.ssl.wrap_socket(socket.socket(), client_context(certs), backend="pyopenssl")
    with pytest.raises(ValueError, match="Unknown TLS backend"):
        eventlet.ssl.create_default_context(backend="gnutls")
    with pytest.raises(TypeError, match="SSLContext"):
        eventlet.ssl.wrap_socket(socket.socket(), object())
    with pytest.raises(ValueError, match="purpose"):
        eventlet.ssl.create_default_context("bogus")  # type: ignore[arg-type]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pytest.raises(NotImplementedError):
        eventlet.ssl.wrap_socket(udp, client_context(certs, "pyopenssl"), server_hostname="x")
    udp.close()
    for bad in ({"session": object()}, {"server_hostname": "x"}):
        with pytest.raises(ValueError, match="client mode"):
            eventlet.ssl.wrap_socket(socket.socket(), server_context(certs, "pyopenssl"), True, **bad)


def test_default_server_context_without_certificate_fails_handshake(certs: Certs, green_hub: Any) -> None:
    a, b = green_socket.socketpair()
    server = eventlet.spawn(eventlet.ssl.wrap_socket, a, server_side=True, backend="pyopenssl")
    with pytest.raises(ssl.SSLError):
        eventlet.ssl.wrap_socket(b, client_context(certs), server_hostname="localhost")
    with pytest.raises(ssl.SSLError):
        server.wait()


def _cn(port: int, certs: Certs, backend: str) -> str:
    with connect(port, client_context(certs, backend)) as conn:
        conn.sendall(b"?")
        conn.recv(1)
        return dict(rdn[0] for rdn in conn.getpeercert()["subject"])["commonName"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["stdlib", "pyopenssl"])
def test_reloadable_server_context(certs: Certs, tls_server: Any, tmp_path: Path, backend: str) -> None:
    live = tmp_path / "live.pem"
    shutil.copy(certs.server, live)
    configured: list[Any] = []
    reloadable = eventlet.ssl.ReloadableServerContext(str(live), backend=backend, configure=configured.append)
    server = tls_server(reloadable)  # a ReloadableServerContext is accepted where a context is
    old = connect(server.port, client_context(certs, backend))
    assert _cn(server.port, certs, backend) == "server-a"
    shutil.copy(certs.server_b, live)
    reloadable.reload()
    assert reloadable.generation == 2
    assert len(configured) == 2
    assert _cn(server.port, certs, backend) == "server-b"
    old.sendall(b"still")  # the established connection is unaffected
    assert old.recv(5) == b"still"
    old.close()
    live.write_text("not a certificate")
    with pytest.raises(Exception, match="PEM lib"):
        reloadable.reload()
    assert _cn(server.port, certs, backend) == "server-b"  # the old pair stays


def test_reloadable_context_watches_files(
    certs: Certs, tls_server: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live_cert, live_key = tmp_path / "cert.pem", tmp_path / "key.pem"
    shutil.copy(certs.server, live_cert)
    shutil.copy(certs.server, live_key)
    now = [0.0]
    reloadable = eventlet.ssl.ReloadableServerContext(
        str(live_cert), str(live_key), check_interval=10.0, clock=lambda: now[0]
    )
    listener = reloadable.wrap_socket(eventlet.listen(("127.0.0.1", 0)))
    port = listener.getsockname()[1]

    def serve_forever() -> None:
        while True:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(conn.recv(1))

    server = eventlet.spawn(serve_forever)
    try:
        assert _cn(port, certs, "stdlib") == "server-a"
        shutil.copy(certs.server_b, live_cert)
        shutil.copy(certs.server_b, live_key)
        os.utime(live_cert, ns=(1, 1))  # a different mtime, whatever the file system's resolution
        assert _cn(port, certs, "stdlib") == "server-a"  # too early: not checked yet
        now[0] = 11.0
        assert _cn(port, certs, "stdlib") == "server-b"  # accept() took the reloaded context
        assert reloadable.generation == 2
        live_key.write_text("garbage")
        now[0] = 22.0
        with caplog.at_level(logging.ERROR, logger="eventlet.ssl"):
            assert reloadable.context is not None
        assert reloadable.generation == 2
        assert "keeping the current TLS certificate" in caplog.text
    finally:
        server.kill()
        listener.close()


def _environment_without_pyopenssl(root: Path) -> dict[str, str]:
    """A ``PYTHONPATH`` (for ``python -S``) with eventlet's distributions and greenlet, nothing else.

    Each directory of the ``eventlet`` package (one per distribution in an editable install, one in
    all in a wheel install) and greenlet are linked in, with the distributions' metadata (their
    entry points name the green modules): pyOpenSSL stays out, however this environment has it.
    """

    import greenlet

    entries = []
    for index, directory in enumerate(eventlet.__path__):
        entry = root / f"eventlet-{index}"
        entry.mkdir()
        (entry / "eventlet").symlink_to(directory, target_is_directory=True)
        entries.append(entry)
    shared = root / "shared"
    shared.mkdir()
    (shared / "greenlet").symlink_to(Path(greenlet.__file__).parent, target_is_directory=True)
    for name in ("eventlet-core", "eventlet-ssl", "eventlet-processes", "eventlet-httpd"):
        try:  # the one-component environments (py311-ssl) have only core and ssl
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        meta = Path(str(distribution._path))  # type: ignore[attr-defined]
        (shared / meta.name).symlink_to(meta, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COV_CORE"))}
    env["PYTHONPATH"] = os.pathsep.join(map(str, [shared, *entries]))
    return env


def test_monkey_patch_without_pyopenssl(certs: Certs, tmp_path: Path) -> None:
    """eventlet-ssl's default install has no pyOpenSSL: patching and TLS work all the same."""
    code = textwrap.dedent(
        f"""
        import importlib.util
        assert importlib.util.find_spec("OpenSSL") is None, "pyOpenSSL is importable here"
        import eventlet
        eventlet.monkey_patch()
        import ssl, socket
        from eventlet import patcher
        import eventlet.ssl
        assert ssl.SSLContext is eventlet.ssl.GreenSSLContext
        print(sorted(k for k in patcher.already_patched if k != "psycopg"))
        server_ctx = eventlet.ssl.create_default_context(
            ssl.Purpose.CLIENT_AUTH, certfile={str(certs.server)!r})
        listener = eventlet.listen(("127.0.0.1", 0))
        def serve():
            sock, _ = listener.accept()
            with eventlet.ssl.wrap_socket(sock, server_ctx, server_side=True) as conn:
                conn.sendall(conn.recv(100))
        server = eventlet.spawn(serve)
        ctx = ssl.create_default_context(cafile={str(certs.ca)!r})
        with ctx.wrap_socket(socket.create_connection(listener.getsockname()),
                             server_hostname="localhost") as conn:
            conn.sendall(b"no pyOpenSSL needed")
            print(conn.recv(100).decode())
        server.wait()
        try:
            import eventlet.green.OpenSSL
        except ModuleNotFoundError as exc:
            print("green OpenSSL needs", exc.name)
        """
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_environment_without_pyopenssl(tmp_path),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "['os', 'select', 'socket', 'subprocess', 'thread', 'time']",
        "no pyOpenSSL needed",
        "green OpenSSL needs OpenSSL",
    ]


def test_monkey_patched_ssl_has_upstreams_wrap_socket(certs: Certs, tmp_path: Path) -> None:
    """``ssl.wrap_socket`` (gone from the standard library in 3.12) is green under monkey_patch."""
    code = textwrap.dedent(
        f"""
        import eventlet
        eventlet.monkey_patch()
        import ssl, socket
        from eventlet.green import ssl as green_ssl
        assert ssl.wrap_socket is green_ssl.wrap_socket
        listener = ssl.wrap_socket(socket.socket(), certfile={str(certs.server)!r}, server_side=True)
        listener.bind(("127.0.0.1", 0)); listener.listen()
        def serve():
            conn, _ = listener.accept()
            with conn:
                conn.sendall(conn.recv(100))
        server = eventlet.spawn(serve)
        with ssl.wrap_socket(socket.create_connection(listener.getsockname())) as conn:
            conn.sendall(b"old api")
            print(type(conn).__name__, conn.recv(100).decode())
        server.wait()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "GreenSSLSocket old api"

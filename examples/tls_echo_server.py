"""A TLS echo server on eventlet.ssl: one green thread per connection, handshakes included.

Run:   python examples/tls_echo_server.py --port 6443 [--certfile cert.pem --keyfile key.pem]
Try:   openssl s_client -quiet -connect 127.0.0.1:6443      then type a line
Stop:  Ctrl-C

Without ``--certfile`` a throw-away self-signed certificate for localhost/127.0.0.1 is made with
the ``openssl`` command at start-up (clients then have to skip verification, as s_client does by
default).  Each handshake runs in the connection's own green thread, bounded by a timeout, so a
client that stalls or speaks something else than TLS never holds up the others.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import ssl
import subprocess
import tempfile

import eventlet
import eventlet.ssl
from _ctrl_c import interrupt_main_on_ctrl_c

log = logging.getLogger("tls-echo")

HANDSHAKE_TIMEOUT = 10.0


def self_signed(directory: str) -> tuple[str, str]:
    """Make a self-signed certificate and key for localhost in ``directory``; their paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def make_handler(context: ssl.SSLContext) -> object:
    """The per-connection handler: TLS handshake, then echo until the client closes."""

    def handle(conn: socket.socket, address: tuple[str, int]) -> None:
        peer = f"{address[0]}:{address[1]}"
        try:
            tls = eventlet.ssl.wrap_socket(
                conn, context, server_side=True, handshake_timeout=HANDSHAKE_TIMEOUT
            )
        except (OSError, ValueError) as exc:  # not TLS, a failed handshake, or too slow
            log.info("%s: handshake failed: %s", peer, exc)
            conn.close()
            return
        with tls:
            log.info("%s: %s %s", peer, tls.version(), (tls.cipher() or ("?",))[0])
            try:
                while data := tls.recv(65536):
                    tls.sendall(data)
            except OSError as exc:
                log.info("%s: %s", peer, exc)
        log.info("%s disconnected", peer)

    return handle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6443, help="0 picks a free port")
    parser.add_argument("--certfile", help="PEM certificate chain (default: a self-signed one)")
    parser.add_argument("--keyfile", help="PEM private key (default: in --certfile)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as scratch:
        if args.certfile:
            certfile, keyfile = args.certfile, args.keyfile
        else:
            certfile, keyfile = self_signed(scratch)
            log.info("made a self-signed certificate for localhost: %s", certfile)
        context = eventlet.ssl.create_default_context(
            eventlet.ssl.Purpose.CLIENT_AUTH, certfile=certfile, keyfile=keyfile
        )
        server = eventlet.listen((args.host, args.port))
        log.info("TLS echo server on %s:%s", *server.getsockname()[:2])
        interrupt_main_on_ctrl_c()
        try:
            eventlet.serve(server, make_handler(context))  # type: ignore[arg-type]
        except KeyboardInterrupt:
            log.info("bye")


if __name__ == "__main__":
    main()

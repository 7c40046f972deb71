"""Shared helpers of the TLS workloads: a throwaway certificate and each implementation's
green ``ssl`` module (ours and upstream eventlet: ``eventlet.green.ssl``; gevent: ``gevent.ssl``).

The certificate is made with the ``openssl`` binary (the peers' virtualenvs have no
``cryptography``): an ECDSA P-256 self-signed one for localhost, valid a day.
"""

from __future__ import annotations

import importlib
import os
import ssl
import subprocess
import tempfile
from typing import Any


def make_certificate() -> str:
    """Path of a PEM file holding a fresh self-signed certificate and its key."""
    folder = tempfile.mkdtemp(prefix="bench-tls-")
    path = os.path.join(folder, "server.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            path,
            "-out",
            path + ".crt",
        ],
        check=True,
        capture_output=True,
    )
    with open(path, "a") as out, open(path + ".crt") as crt:
        out.write(crt.read())
    return path


def green_ssl(impl: str) -> Any:
    """The implementation's green ``ssl`` module ("reference": the standard one)."""
    if impl == "gevent":
        return importlib.import_module("gevent.ssl")
    if impl == "reference":
        return ssl
    return importlib.import_module("eventlet.green.ssl")


def server_context(impl: str, certfile: str) -> Any:
    """A server context of the implementation's green ssl module, loaded with ``certfile``."""
    module = green_ssl(impl)
    ctx = module.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile)
    return ctx

"""``eventlet.monkey_patch()`` where pyOpenSSL is not installed (eventlet-ssl's default install).

That is what users of gunicorn's eventlet worker, Flask-SocketIO or celery have: eventlet-ssl
without its ``[pyopenssl]`` extra.  monkey_patch() must patch everything else, standard ``ssl``
included, and skip the green ``OpenSSL`` module.  Two ways, each in a child process (patching is
process-wide):

* ``absent``: in an environment without pyOpenSSL, such as the ``gunicorn23`` tox environment
  (which sets ``NO_PYOPENSSL_REQUIRED=1`` so that the test fails rather than skips if the
  environment is wrong); it skips elsewhere;
* ``hidden``: everywhere, with ``sys.modules["OpenSSL"] = None`` in the child, which makes
  ``import OpenSSL`` raise ``ModuleNotFoundError`` as an absent package does.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.clients._support import ROOT

pytest.importorskip("trustme")
pytest.importorskip("eventlet.ssl")

CHILD = r"""
import sys

if sys.argv[1] == "hidden":
    sys.modules["OpenSSL"] = None  # import OpenSSL now raises ModuleNotFoundError

import eventlet

eventlet.monkey_patch()

import socket
import ssl
import threading

import trustme

from eventlet import patcher
from eventlet.ssl import GreenSSLSocket

for name in ("socket", "select", "thread", "time", "ssl"):
    assert patcher.is_monkey_patched(name), name
try:
    import eventlet.green.OpenSSL  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError("eventlet.green.OpenSSL imported without pyOpenSSL")

# A TLS echo between two green threads, through the patched standard modules.
ca = trustme.CA()
server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ca.issue_cert("localhost").configure_cert(server_context)
client_context = ssl.create_default_context()
ca.configure_trust(client_context)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()


def serve():
    conn, _ = listener.accept()
    with server_context.wrap_socket(conn, server_side=True) as tls:
        tls.sendall(tls.recv(100).upper())


server = threading.Thread(target=serve)
server.start()
with socket.create_connection(listener.getsockname()) as raw:
    with client_context.wrap_socket(raw, server_hostname="localhost") as tls:
        assert isinstance(tls, GreenSSLSocket), type(tls)
        tls.sendall(b"ping")
        answer = tls.recv(100)
server.join()
listener.close()
assert answer == b"PING", answer
print("ok")
"""


def _has_pyopenssl() -> bool:
    return importlib.util.find_spec("OpenSSL") is not None


@pytest.mark.parametrize("how", ["absent", "hidden"])
def test_monkey_patch_without_pyopenssl(how: str) -> None:
    if how == "absent" and _has_pyopenssl():
        if os.environ.get("NO_PYOPENSSL_REQUIRED"):
            pytest.fail("pyOpenSSL is installed in an environment that must not have it")
        pytest.skip("pyOpenSSL is installed here (tox -e gunicorn23 runs this without it)")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, how],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "ok\n", done.stdout + done.stderr
    assert done.stderr == "", done.stderr

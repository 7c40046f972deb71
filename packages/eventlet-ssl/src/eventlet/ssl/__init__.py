"""Green TLS for Eventlet, on the standard library's ``ssl`` or on pyOpenSSL, behind one API.

>>> import eventlet.ssl
>>> ctx = eventlet.ssl.create_default_context(cafile="ca.pem")          # verifies, TLS >= 1.2
>>> sock = eventlet.ssl.wrap_socket(eventlet.connect(("example.org", 443)), ctx,
...                                 server_hostname="example.org")

The sockets returned behave like ``ssl.SSLSocket`` (handshake, ``recv``/``send``/``sendall``,
``makefile``, ``pending``, ``unwrap``, ``getpeercert``, ``version``, ``cipher``, timeouts raising
``TimeoutError``) but every wait suspends only the calling green thread.  Pass an
``OpenSSL.SSL.Context`` (extra ``eventlet-ssl[pyopenssl]``) instead of an ``ssl.SSLContext`` to
use pyOpenSSL.  :class:`ReloadableServerContext` lets a server replace its certificate without a
restart.
"""

from ssl import Purpose

from eventlet import _coinstall  # noqa: F401  (fails if upstream eventlet's files are mixed in)
from eventlet.ssl._api import BACKENDS, backend_of, create_default_context, wrap_socket, wrap_ssl
from eventlet.ssl._reload import ReloadableServerContext
from eventlet.ssl._stdlib import GreenSSLContext, GreenSSLSocket

#: The green ``ssl.SSLContext`` (its ``wrap_socket`` returns :class:`GreenSSLSocket`).
SSLContext = GreenSSLContext

__all__ = [
    "BACKENDS",
    "GreenSSLContext",
    "GreenSSLSocket",
    "Purpose",
    "ReloadableServerContext",
    "SSLContext",
    "backend_of",
    "create_default_context",
    "wrap_socket",
    "wrap_ssl",
]

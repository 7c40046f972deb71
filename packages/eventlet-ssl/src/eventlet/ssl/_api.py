"""The one API over both TLS backends: making contexts and wrapping sockets.

The backend is chosen by the context: an ``ssl.SSLContext`` (any, not only ours) gives a
:class:`~eventlet.ssl._stdlib.GreenSSLSocket`, an ``OpenSSL.SSL.Context`` gives a
:class:`~eventlet.ssl._pyopenssl.PyOpenSSLSocket`, a
:class:`~eventlet.ssl._reload.ReloadableServerContext` gives whichever its current context is.
Without a context, ``backend`` ("stdlib", the default, or "pyopenssl") picks one and a secure
default context is made for it.  pyOpenSSL is imported only when it is used.

This module sits above the backends and below :mod:`eventlet.ssl._reload`: a context that changes
over time is any :class:`ContextSource`, which is all :func:`wrap_socket` needs to know of it.
"""

from __future__ import annotations

import socket as _stdsocket
import ssl as _stdssl
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from eventlet.ssl._stdlib import GreenSSLContext, GreenSSLSocket, wrap_legacy, wrap_stdlib

if TYPE_CHECKING:
    from eventlet.ssl._pyopenssl import PyOpenSSLSocket

__all__ = ["BACKENDS", "ContextSource", "create_default_context", "wrap_socket", "wrap_ssl"]

BACKENDS = ("stdlib", "pyopenssl")
Purpose = _stdssl.Purpose


class ContextSource(ABC):
    """A server's supplier of TLS contexts, asked again for every connection it accepts.

    :func:`wrap_socket` takes the current :attr:`context` from it, and a listening socket wrapped
    with it asks it again on each ``accept()``.
    :class:`~eventlet.ssl.ReloadableServerContext` is one.
    """

    @property
    @abstractmethod
    def context(self) -> Any:
        """The context to use now (an ``ssl.SSLContext`` or an ``OpenSSL.SSL.Context``)."""


def backend_of(context: Any) -> str:
    """``"stdlib"`` or ``"pyopenssl"``: the backend a context object belongs to."""
    if isinstance(context, _stdssl.SSLContext):
        return "stdlib"
    if type(context).__module__.startswith("OpenSSL."):
        return "pyopenssl"
    raise TypeError(f"Expected an ssl.SSLContext or an OpenSSL.SSL.Context, got {type(context).__name__}")


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"Unknown TLS backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    return backend


def create_default_context(
    purpose: _stdssl.Purpose = Purpose.SERVER_AUTH,
    *,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: str | bytes | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    password: str | bytes | None = None,
    alpn_protocols: Sequence[str] | None = None,
    require_client_cert: bool = False,
    backend: str = "stdlib",
) -> Any:
    """A context with secure defaults, for either backend.

    ``Purpose.SERVER_AUTH`` (the default) makes a *client* context: it verifies the server's
    certificate (against ``cafile``/``capath``/``cadata``, or the system's CAs) and its host name.
    ``Purpose.CLIENT_AUTH`` makes a *server* context; with ``require_client_cert`` it demands a
    client certificate signed by the given CAs (mutual TLS).  TLS 1.2 is the minimum version.
    ``certfile``/``keyfile``/``password`` load this side's certificate chain and key;
    ``alpn_protocols`` offers (client) or accepts (server: its first protocol the client also
    offers) ALPN protocols.  Returns a :class:`GreenSSLContext` for ``backend="stdlib"``,
    an ``OpenSSL.SSL.Context`` for ``backend="pyopenssl"``.
    """
    if purpose not in (Purpose.SERVER_AUTH, Purpose.CLIENT_AUTH):
        raise ValueError(f"Unknown purpose {purpose!r}")
    if _check_backend(backend) == "pyopenssl":
        from eventlet.ssl._contexts import pyopenssl_context

        return pyopenssl_context(
            client=purpose == Purpose.SERVER_AUTH,
            cafile=cafile,
            capath=capath,
            cadata=cadata,
            certfile=certfile,
            keyfile=keyfile,
            password=password,
            alpn_protocols=alpn_protocols,
            require_client_cert=require_client_cert,
        )
    if purpose == Purpose.SERVER_AUTH:
        context = GreenSSLContext(_stdssl.PROTOCOL_TLS_CLIENT)
        context.verify_mode = _stdssl.CERT_REQUIRED
        context.check_hostname = True
    else:
        context = GreenSSLContext(_stdssl.PROTOCOL_TLS_SERVER)
        if require_client_cert:
            context.verify_mode = _stdssl.CERT_REQUIRED
    context.minimum_version = _stdssl.TLSVersion.TLSv1_2
    if cafile or capath or cadata:
        context.load_verify_locations(cafile, capath, cadata)
    elif context.verify_mode != _stdssl.CERT_NONE:
        context.load_default_certs(purpose)
    if certfile:
        context.load_cert_chain(certfile, keyfile, password)
    if alpn_protocols:
        context.set_alpn_protocols(list(alpn_protocols))
    return context


def wrap_socket(
    sock: _stdsocket.socket,
    context: Any = None,
    server_side: bool = False,
    server_hostname: str | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    session: Any = None,
    *,
    handshake_timeout: float | None = None,
    backend: str | None = None,
) -> GreenSSLSocket | PyOpenSSLSocket:
    """Wrap a connected or unconnected stream socket (plain or green) in a green TLS socket.

    ``sock`` is taken over (detached); use the returned socket from then on.  ``context`` is an
    ``ssl.SSLContext``, an ``OpenSSL.SSL.Context`` or a
    :class:`~eventlet.ssl.ReloadableServerContext`; without one a default context is made for
    ``backend`` (see :func:`create_default_context`).  ``handshake_timeout`` bounds the handshake
    instead of the socket's timeout (useful on servers: a client that stalls mid-handshake is
    dropped after it).  The handshake runs now if the socket is connected and
    ``do_handshake_on_connect``, otherwise on ``connect()``, or on first use.
    """
    source = None
    if isinstance(context, ContextSource):
        source = context
        context = source.context
    elif context is None:
        purpose = Purpose.CLIENT_AUTH if server_side else Purpose.SERVER_AUTH
        context = create_default_context(purpose, backend=backend or "stdlib")
    kind = backend_of(context)
    if backend is not None and _check_backend(backend) != kind:
        raise TypeError(f"backend={backend!r} does not match the context given ({kind})")
    wrap: Callable[..., GreenSSLSocket | PyOpenSSLSocket]
    if kind == "stdlib":
        wrap = wrap_stdlib
    else:
        from eventlet.ssl._pyopenssl import wrap_pyopenssl

        wrap = wrap_pyopenssl
    wrapped = wrap(
        sock,
        context,
        server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect,
        suppress_ragged_eofs=suppress_ragged_eofs,
        server_hostname=server_hostname,
        session=session,
        handshake_timeout=handshake_timeout,
    )
    if source is not None:
        wrapped.context_source = source
    return wrapped


def wrap_ssl(
    sock: _stdsocket.socket,
    keyfile: str | None = None,
    certfile: str | None = None,
    server_side: bool = False,
    cert_reqs: _stdssl.VerifyMode | int = _stdssl.CERT_NONE,
    ssl_version: int | None = None,
    ca_certs: str | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    ciphers: str | None = None,
    *,
    server_hostname: str | None = None,
    context: Any = None,
) -> GreenSSLSocket | PyOpenSSLSocket:
    """Upstream eventlet's ``wrap_ssl``: the old ``ssl.wrap_socket``, green.

    It keeps that function's contract, which programs written for upstream eventlet rely on:
    **no certificate is checked unless the caller asks** with ``cert_reqs=ssl.CERT_REQUIRED``
    (or ``CERT_OPTIONAL``), against ``ca_certs`` (or the system's CAs when none are given); the
    host name is then checked too when ``server_hostname`` is given.  For a client that verifies
    by default use :func:`eventlet.ssl.create_default_context` and :func:`eventlet.ssl.wrap_socket`.

    ``keyfile``/``certfile`` load this side's key and certificate (a server needs them),
    ``ciphers`` sets the cipher list, ``ssl_version`` pins one protocol version
    (``PROTOCOL_TLSv1_2``...; the default negotiates TLS 1.2 or later).  ``context`` (either
    backend) replaces all the context arguments.
    """
    if context is not None:
        return wrap_socket(
            sock,
            context,
            server_side=server_side,
            server_hostname=server_hostname,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
        )
    return wrap_legacy(
        sock,
        keyfile,
        certfile,
        server_side,
        cert_reqs,
        ssl_version,
        ca_certs,
        do_handshake_on_connect,
        suppress_ragged_eofs,
        ciphers,
        server_hostname=server_hostname,
    )

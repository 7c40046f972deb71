"""Secure default ``OpenSSL.SSL.Context`` objects (the pyOpenSSL half of create_default_context)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from OpenSSL import SSL

from eventlet.ssl._pyopenssl import CHECK_HOSTNAME_ATTR

__all__ = ["pyopenssl_context"]

#: Session id context for server-side session caching (required once clients are verified).
SESSION_ID_CONTEXT = b"eventlet.ssl"


def _load_cadata(context: SSL.Context, cadata: str | bytes) -> None:
    """Trust the CA certificates in ``cadata`` (PEM text or DER bytes, as ``ssl`` accepts)."""
    if isinstance(cadata, str):
        pem = cadata.encode("ascii")
    else:
        pem = x509.load_der_x509_certificate(cadata).public_bytes(Encoding.PEM)
    # pyOpenSSL loads CA certificates from files only (its X509 objects are deprecated).
    with tempfile.NamedTemporaryFile(suffix=".pem") as bundle:
        bundle.write(pem)
        bundle.flush()
        context.load_verify_locations(bundle.name)


def _alpn_chooser(accepted: list[bytes]) -> Any:
    def choose(conn: SSL.Connection, offered: list[bytes]) -> bytes:
        for protocol in accepted:
            if protocol in offered:
                return protocol
        return SSL.NO_OVERLAPPING_PROTOCOLS  # type: ignore[return-value]

    return choose


def pyopenssl_context(
    *,
    client: bool,
    cafile: str | None,
    capath: str | None,
    cadata: str | bytes | None,
    certfile: str | None,
    keyfile: str | None,
    password: str | bytes | None,
    alpn_protocols: Sequence[str] | None,
    require_client_cert: bool,
) -> SSL.Context:
    """An ``OpenSSL.SSL.Context`` configured like the stdlib's secure default context.

    The options mean what they mean to :func:`eventlet.ssl.create_default_context`, the only caller,
    which also holds their defaults.
    """
    context = SSL.Context(SSL.TLS_CLIENT_METHOD if client else SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION)
    verify = client or require_client_cert
    if client:
        context.set_verify(SSL.VERIFY_PEER)
    else:
        context.set_session_id(SESSION_ID_CONTEXT)
        if require_client_cert:
            context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
    setattr(context, CHECK_HOSTNAME_ATTR, client)
    if cafile or capath:
        context.load_verify_locations(cafile, capath)
    if cadata:
        _load_cadata(context, cadata)
    if verify and not (cafile or capath or cadata):
        context.set_default_verify_paths()
    if certfile:
        context.use_certificate_chain_file(certfile)
        if password is None:
            context.use_privatekey_file(keyfile or certfile)
        else:
            secret = password.encode() if isinstance(password, str) else password
            with open(keyfile or certfile, "rb") as f:
                context.use_privatekey(load_pem_private_key(f.read(), secret))  # type: ignore[arg-type]
        context.check_privatekey()
    if alpn_protocols:
        encoded = [protocol.encode() for protocol in alpn_protocols]
        if client:
            context.set_alpn_protos(encoded)
        else:
            context.set_alpn_select_callback(_alpn_chooser(encoded))
    return context

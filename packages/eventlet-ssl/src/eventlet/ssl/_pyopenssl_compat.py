"""pyOpenSSL in the standard library's shapes: its exceptions, certificates and host name checks.

:class:`~eventlet.ssl._pyopenssl.PyOpenSSLSocket` promises the ``ssl.SSLSocket`` API; the parts of
that promise that are pure translation, with no socket in them, live here.  :func:`translate_error`
maps a pyOpenSSL exception to the standard library's (the table of what the socket then does is in
its module's docstring); :func:`cert_to_dict` gives a peer certificate the dict shape of
``ssl.SSLSocket.getpeercert()``; :func:`set_expected_host` makes the handshake check the peer's host
name, through OpenSSL's ``X509_VERIFY_PARAM`` host/IP check reached through the cffi bindings
pyOpenSSL itself uses (pyOpenSSL has no public call for it).
"""

from __future__ import annotations

import ipaddress
import os
import ssl as _stdssl
from typing import Any

from OpenSSL import SSL
from OpenSSL._util import ffi as _ffi
from OpenSSL._util import lib as _lib

__all__ = ["cert_to_dict", "set_expected_host", "translate_error"]


def _verify_message(conn: SSL.Connection) -> tuple[int, str]:
    code = _lib.SSL_get_verify_result(conn._ssl)
    return code, _ffi.string(_lib.X509_verify_cert_error_string(code)).decode()


def translate_error(exc: SSL.Error, conn: SSL.Connection | None = None) -> OSError:
    """The standard library's exception for a pyOpenSSL one (see the table in ``_pyopenssl``)."""
    if isinstance(exc, SSL.WantReadError):
        return _stdssl.SSLWantReadError(_stdssl.SSL_ERROR_WANT_READ, "The operation did not complete (read)")
    if isinstance(exc, SSL.WantWriteError):
        return _stdssl.SSLWantWriteError(
            _stdssl.SSL_ERROR_WANT_WRITE, "The operation did not complete (write)"
        )
    if isinstance(exc, SSL.ZeroReturnError):
        return _stdssl.SSLZeroReturnError(
            _stdssl.SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed (EOF)"
        )
    if isinstance(exc, SSL.SysCallError):
        code = exc.args[0] if exc.args else -1
        if isinstance(code, int) and code > 0:
            return OSError(code, os.strerror(code))
        return _stdssl.SSLEOFError(_stdssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")
    text = "; ".join(":".join(str(part) for part in entry) for entry in (exc.args[0] if exc.args else []))
    if conn is not None and "certificate verify failed" in text:
        code, message = _verify_message(conn)
        error = _stdssl.SSLCertVerificationError(
            1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}"
        )
        error.verify_code = code
        error.verify_message = message
        error.reason = "CERTIFICATE_VERIFY_FAILED"
        return error
    return _stdssl.SSLError(1, text or repr(exc))


def set_expected_host(conn: SSL.Connection, hostname: str) -> None:
    """Make the handshake fail unless the peer's certificate is valid for ``hostname``."""
    param = _lib.SSL_get0_param(conn._ssl)
    try:
        packed = ipaddress.ip_address(hostname).packed
    except ValueError:
        _lib.X509_VERIFY_PARAM_set_hostflags(param, _lib.X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
        name = hostname.encode("idna")
        ok = _lib.X509_VERIFY_PARAM_set1_host(param, name, len(name))
    else:
        ok = _lib.X509_VERIFY_PARAM_set1_ip(param, packed, len(packed))
    if ok != 1:  # pragma: no cover - names OpenSSL refuses here were refused by SNI already
        raise ValueError(f"Cannot check the certificate against the host name {hostname!r}")


def _format_time(when: Any) -> str:
    return f"{when:%b} {when.day:2d} {when:%H:%M:%S %Y} GMT"


def _name_tuple(name: Any) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(tuple((attr.oid._name, str(attr.value)) for attr in rdn) for rdn in name.rdns)


def cert_to_dict(cert: Any) -> dict[str, Any]:
    """A ``cryptography`` certificate in the shape ``ssl.SSLSocket.getpeercert()`` returns."""
    from cryptography import x509

    result: dict[str, Any] = {
        "subject": _name_tuple(cert.subject),
        "issuer": _name_tuple(cert.issuer),
        "version": cert.version.value + 1,
        "serialNumber": f"{cert.serial_number:X}",
        "notBefore": _format_time(cert.not_valid_before_utc),
        "notAfter": _format_time(cert.not_valid_after_utc),
    }
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return result
    alt: list[tuple[str, str]] = [("DNS", name) for name in names.get_values_for_type(x509.DNSName)]
    alt += [("IP Address", str(ip)) for ip in names.get_values_for_type(x509.IPAddress)]
    result["subjectAltName"] = tuple(alt)
    return result

"""pyOpenSSL's ``OpenSSL.crypto`` under its upstream-eventlet name.

Nothing in it does I/O (keys, certificates, signatures), so it needs no green version: every name
is pyOpenSSL's own object, looked up when used (so that pyOpenSSL's deprecation warnings come only
for the names a program uses, as with ``OpenSSL.crypto`` itself).  Needs the extra
``eventlet-ssl[pyopenssl]``.
"""

from typing import Any

from OpenSSL import crypto as _crypto

__all__ = list(_crypto.__all__)


def __getattr__(name: str) -> Any:
    """Every public name is ``OpenSSL.crypto``'s."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_crypto, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

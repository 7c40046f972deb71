"""A drop-in ``ssl`` module whose sockets are green.

Everything the standard ``ssl`` module defines is here; replaced are :class:`SSLContext` (a
subclass whose ``wrap_socket`` / ``sslsocket_class`` give :class:`~eventlet.ssl.GreenSSLSocket`),
:class:`SSLSocket`, the context factories (so they build green contexts, with the standard
library's secure settings), and ``wrap_socket``: the old function of the standard library (gone
in 3.12), as upstream eventlet keeps it, see :func:`eventlet.ssl.wrap_ssl`.  Like the old function
it checks no certificate unless ``cert_reqs`` asks for it.

``monkey_patch()`` installs the names in ``__patched__`` into the real ``ssl`` module (on 3.12
and later that puts ``ssl.wrap_socket`` back, as upstream eventlet does), so ``http.client``,
``urllib3`` and ``requests`` make green TLS connections; patch before those libraries are
imported, since some of them copy ``ssl.SSLContext`` at import.
"""

from __future__ import annotations

import ssl as _stdssl
from types import ModuleType
from typing import TYPE_CHECKING, Any

from eventlet.ssl import GreenSSLContext, GreenSSLSocket, wrap_ssl

globals().update(
    {
        name: value
        for name, value in vars(_stdssl).items()
        if not (name.startswith("__") or isinstance(value, ModuleType))
    }
)

__all__ = [name for name in getattr(_stdssl, "__all__", ()) if name != "__all__"]
# Not "SSLSocket": the standard SSLSocket._create calls super(SSLSocket, self) through the module
# global, which must stay the original class (GreenSSLSocket subclasses it, so isinstance holds).
__patched__: list[str] = [
    "SSLContext",
    "_create_default_https_context",
    "_create_unverified_context",
    "create_default_context",
    "wrap_socket",
]

if not TYPE_CHECKING:  # for type checkers, the standard names (imported below)
    SSLContext = GreenSSLContext
    SSLSocket = GreenSSLSocket
    wrap_socket = wrap_ssl
_original_create_default_context = _stdssl.create_default_context
_original_create_unverified_context = _stdssl._create_unverified_context


def create_default_context(
    purpose: _stdssl.Purpose = _stdssl.Purpose.SERVER_AUTH,
    *,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: str | bytes | None = None,
) -> GreenSSLContext:
    """``ssl.create_default_context`` returning a green context (the same settings)."""
    context = _original_create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)
    return _greened(context)


def _create_unverified_context(*args: Any, **kwargs: Any) -> GreenSSLContext:
    """``ssl._create_unverified_context`` returning a green context."""
    return _greened(_original_create_unverified_context(*args, **kwargs))


_create_default_https_context = create_default_context


def _greened(context: _stdssl.SSLContext) -> GreenSSLContext:
    """Make a standard context green in place (its class gains the green ``wrap_socket``)."""
    if not isinstance(context, GreenSSLContext):
        context.__class__ = GreenSSLContext
    return context  # type: ignore[return-value]


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from ssl import *  # type: ignore[assignment]  # noqa: F403

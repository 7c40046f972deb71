"""Host names in socket addresses, resolved without blocking the hub.

The C implementations of ``connect``, ``bind`` and ``sendto`` resolve a host name themselves, inside
the system call wrapper, which would stall every green thread of the OS thread for as long as the
lookup takes.  A green socket passes its address through :func:`resolve_address` first: a numeric host
(or one the C code handles without a lookup, such as ``""``, ``"<broadcast>"`` or a scoped IPv6
address) goes through untouched; a name is resolved by :mod:`eventlet._resolver`'s worker threads
into the address of the socket's own family.
"""

from __future__ import annotations

import _socket
from typing import Any

from eventlet import _resolver

__all__ = ["resolve_address"]

_family_of = _socket.socket.__dict__["family"].__get__
_INET_FAMILIES = frozenset(
    family for family in (_socket.AF_INET, getattr(_socket, "AF_INET6", None)) if family is not None
)


def _needs_lookup(host: object) -> bool:
    """True for a host name that only a resolver can turn into an address."""
    return (
        isinstance(host, str)
        and host not in ("", "<broadcast>")
        and "%" not in host
        and not _resolver.is_numeric_host(host)
    )


def resolve_address(sock: _socket.socket, address: Any) -> Any:
    """Resolve the host of an (host, port, ...) address through the resolver threads."""
    if type(address) is tuple and address and _needs_lookup(address[0]):
        family = _family_of(sock)
        if family in _INET_FAMILIES:
            infos = _resolver.getaddrinfo(address[0], None, family)
            return (infos[0][4][0], *address[1:])
    return address

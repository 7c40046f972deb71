"""Types that the public signatures share: socket addresses and the socket-like protocols.

Nothing here runs: the module holds aliases and :class:`typing.Protocol` classes, imported by the
modules whose signatures use them (most only under ``TYPE_CHECKING``).  The public names are
re-exported where users meet them: :data:`eventlet.convenience.Address`, ...
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, TypeVar

__all__ = ["Address", "Closable", "Listener", "ListeningSocket"]

#: A socket address as ``bind``/``connect`` take it: ``(host, port)`` for IPv4 (and IPv6),
#: ``(host, port, flowinfo, scope_id)`` for IPv6, a path (``str``) or an abstract name (``bytes``)
#: for ``AF_UNIX``.  A bare port number is not an address.
Address: TypeAlias = tuple[str, int] | tuple[str, int, int, int] | str | bytes


class Closable(Protocol):
    """Anything with ``close()``, which :func:`eventlet.serve` calls when a handler returns."""

    def close(self) -> object:
        """Release the connection."""
        ...


S_co = TypeVar("S_co", bound=Closable, covariant=True)


class Listener(Protocol[S_co]):
    """A listening socket as :func:`eventlet.serve` uses it: ``accept()`` gives ``(connection, address)``.

    ``socket.socket``, :class:`eventlet.greenio.GreenSocket` and the green TLS sockets all are.
    """

    def accept(self) -> tuple[S_co, Any]:
        """Wait for the next connection; return it with the peer's address."""
        ...


class ListeningSocket(Protocol):
    """A listening socket as the WSGI servers use it (``socket.socket`` and the green sockets are)."""

    def accept(self) -> tuple[Any, Any]:
        """Wait for the next connection; return it with the peer's address."""
        ...

    def getsockname(self) -> Any:
        """The address the socket is bound to."""
        ...

    def fileno(self) -> int:
        """The socket's file descriptor."""
        ...

    def close(self) -> None:
        """Close the socket."""
        ...

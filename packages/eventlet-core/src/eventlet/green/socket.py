"""A drop-in ``socket`` module whose sockets and name lookups are green.

Everything the standard ``socket`` module defines is available here; what could block the OS thread is
replaced: the :class:`socket` class (a subclass of the standard one, see
:mod:`eventlet.greenio.socket`), the functions that create sockets (``socketpair``, ``fromfd``,
``create_connection``, ``create_server``) so that they return green ones, and the resolver functions,
which run libc's resolver in worker threads (:mod:`eventlet._resolver`).
"""

from __future__ import annotations

import _socket
import builtins
import os
import socket as _stdsocket
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from eventlet import _resolver
from eventlet.greenio.socket import GreenSocket

# Start from a copy of the standard module (constants, exceptions, enums, helpers), then override.
globals().update(
    {
        name: value
        for name, value in vars(_stdsocket).items()
        if not (name.startswith("__") or isinstance(value, ModuleType))
    }
)

__all__ = [name for name in getattr(_stdsocket, "__all__", ()) if name != "__all__"]
__patched__: list[str] = [
    "create_connection",
    "create_server",
    "fromfd",
    "getaddrinfo",
    "getfqdn",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "socket",
    "socketpair",
]

if not TYPE_CHECKING:  # for type checkers, ``socket`` is the standard class (imported below)
    socket = GreenSocket
_GLOBAL_DEFAULT_TIMEOUT: Any = vars(_stdsocket)["_GLOBAL_DEFAULT_TIMEOUT"]
_AddressFamily = _stdsocket.AddressFamily
_SocketKind = _stdsocket.SocketKind


def _as_enum(value: int, enum: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        return value


def getaddrinfo(
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
) -> list[tuple[Any, Any, int, str, Any]]:
    """``socket.getaddrinfo`` without blocking the hub (families and kinds as enums, like the stdlib)."""
    return [
        (_as_enum(af, _AddressFamily), _as_enum(kind, _SocketKind), pr, canon, sockaddr)
        for af, kind, pr, canon, sockaddr in _resolver.getaddrinfo(host, port, family, type, proto, flags)
    ]


from eventlet._resolver import gethostbyaddr as gethostbyaddr  # noqa: E402
from eventlet._resolver import gethostbyname as gethostbyname  # noqa: E402
from eventlet._resolver import gethostbyname_ex as gethostbyname_ex  # noqa: E402
from eventlet._resolver import getnameinfo as getnameinfo  # noqa: E402


def getfqdn(name: str = "") -> str:
    """The fully qualified name of ``name`` (the local host if empty), as ``socket.getfqdn``."""
    name = name.strip()
    if not name or name in ("0.0.0.0", "::"):
        name = _socket.gethostname()
    try:
        hostname, aliases, _addresses = gethostbyaddr(name)
    except OSError:
        return name
    for candidate in [hostname, *aliases]:
        if "." in candidate:
            return candidate
    return hostname


def fromfd(fd: Any, family: int, type: int, proto: int = 0) -> GreenSocket:
    """A green socket on a duplicate of ``fd`` (the original stays open and unchanged)."""
    return GreenSocket(family, type, proto, os.dup(fd if isinstance(fd, int) else fd.fileno()))


def socketpair(
    family: Any = None,
    type: int = _socket.SOCK_STREAM,
    proto: int = 0,
) -> tuple[GreenSocket, GreenSocket]:
    """A pair of connected green sockets (AF_UNIX by default where it exists, as the stdlib)."""
    if family is None:
        family = getattr(_socket, "AF_UNIX", _socket.AF_INET)
    first, second = _stdsocket.socketpair(family, type, proto)
    return _take_over(first), _take_over(second)


def _take_over(sock: _stdsocket.socket) -> GreenSocket:
    """A green socket on ``sock``'s own fd (``GreenSocket(sock)`` would work on a duplicate)."""
    return GreenSocket(sock.family, sock.type, sock.proto, sock.detach())


def _socket_class() -> type[GreenSocket]:
    """The class to create sockets with: the standard module's ``socket`` if it has been replaced
    by a green one (monkey patching, or a test's subclass of it), else :class:`GreenSocket`."""
    cls = getattr(sys.modules.get("socket"), "socket", None)  # not _stdsocket: a pristine copy
    return cls if isinstance(cls, type) and issubclass(cls, GreenSocket) else GreenSocket


def create_connection(
    address: tuple[Any, ...],
    timeout: Any = _GLOBAL_DEFAULT_TIMEOUT,
    source_address: Any = None,
    *,
    all_errors: bool = False,
) -> GreenSocket:
    """Connect to ``(host, port)`` trying each address it resolves to; return a green socket.

    ``timeout`` (default: the global default) is set before connecting; ``source_address`` is bound
    first if given.  On failure the last error is raised, or with ``all_errors`` (Python 3.11+) an
    ``ExceptionGroup`` of all of them.
    """
    group: Any = getattr(builtins, "ExceptionGroup", None)
    if all_errors and group is None:  # pragma: no cover - Python 3.10
        raise TypeError("create_connection(all_errors=True) needs Python 3.11 or later")
    host, port = address[0], address[1]
    errors: list[OSError] = []
    for family, kind, proto, _canon, sockaddr in getaddrinfo(host, port, 0, _socket.SOCK_STREAM):
        sock = None
        try:
            sock = _socket_class()(family, kind, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            if sock is not None:
                sock.close()
            if not all_errors:
                errors.clear()
            errors.append(exc)
            continue
        errors.clear()
        return sock
    if not errors:
        raise OSError("getaddrinfo returns an empty list")
    try:
        if all_errors:
            raise group("create_connection failed", errors)
        raise errors[0]
    finally:
        errors = []


def create_server(
    address: tuple[Any, ...],
    *,
    family: int = _socket.AF_INET,
    backlog: int | None = None,
    reuse_port: bool = False,
    dualstack_ipv6: bool = False,
) -> GreenSocket:
    """A green listening TCP socket bound to ``address`` (see ``socket.create_server``)."""
    if reuse_port and not hasattr(_socket, "SO_REUSEPORT"):  # pragma: no cover - Linux has it
        raise ValueError("SO_REUSEPORT not supported on this platform")
    if dualstack_ipv6:
        if not _stdsocket.has_dualstack_ipv6():  # pragma: no cover - Linux has it
            raise ValueError("dualstack_ipv6 not supported on this platform")
        if family != _socket.AF_INET6:
            raise ValueError("dualstack_ipv6 requires AF_INET6 family")
    sock = GreenSocket(family, _socket.SOCK_STREAM)
    try:
        if os.name not in ("nt", "cygwin"):  # pragma: no branch - Windows only
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
        if family == getattr(_socket, "AF_INET6", None):
            sock.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 0 if dualstack_ipv6 else 1)
        try:
            sock.bind(address)
        except OSError as err:
            raise OSError(
                err.errno, f"{err.strerror} (while attempting to bind on address {address!r})"
            ) from None
        if backlog is None:
            sock.listen()
        else:
            sock.listen(backlog)
        return sock
    except BaseException:
        sock.close()
        raise


def __getattr__(name: str) -> Any:
    """Anything else the standard module has (for names added after this module was imported)."""
    try:
        return getattr(_stdsocket, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from socket import *  # type: ignore[assignment]  # noqa: F403

"""Where the listening socket comes from: ``--bind``, an inherited descriptor, or systemd.

``--bind`` takes ``HOST:PORT``, ``[IPv6]:PORT``, ``unix:PATH`` or ``fd://N``; :func:`parse_bind`
checks it up front, so a port out of range is a one-line error rather than a traceback from
``bind``.  ``--fd N`` (or ``fd://N``) serves a listening socket the parent process left open on
descriptor ``N``.  Socket activation follows systemd's protocol (``sd_listen_fds``): when
``LISTEN_PID`` is this process's id, ``LISTEN_FDS`` sockets start at descriptor 3; the variables
are removed from the environment once read, so child processes do not take them for theirs.

When the service stops for good, :func:`refuse_new_connections` stops the kernel from starting
new connections on a listening socket while the handshakes already under way still complete
(Linux: a socket filter dropping SYN segments): the server then takes every connection the
kernel completed, and closes the socket with none left to reset.  A client whose SYN was
dropped retries it and is refused once the socket is closed: it knows nothing was sent.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from typing import Any

__all__ = [
    "SD_LISTEN_FDS_START",
    "BindError",
    "inherited_socket",
    "listen_fds",
    "make_socket",
    "parse_bind",
    "refuse_new_connections",
]

SD_LISTEN_FDS_START = 3
"""The first descriptor systemd passes (``SD_LISTEN_FDS_START`` of ``sd-daemon.h``)."""

logger = logging.getLogger("eventlet.httpd")

_SO_ATTACH_FILTER = 26  # Linux
# Classic BPF over the TCP header: load the flags byte; SYN set -> drop; else accept.
_DROP_SYN = ((0x30, 0, 0, 13), (0x45, 0, 1, 0x02), (0x06, 0, 0, 0), (0x06, 0, 0, 0xFFFFFFFF))


class BindError(ValueError):
    """A ``--bind`` value or an inherited socket that cannot be served; ``str()`` is one line."""


def parse_bind(bind: str) -> tuple[int, Any]:
    """``(family, address)`` for ``bind``; ``family`` is -1 and ``address`` the fd for ``fd://N``."""
    if bind.startswith("unix:"):
        path = bind[5:]
        if not path:
            raise BindError("unix: needs a path (unix:/run/app.sock)")
        return socket.AF_UNIX, path
    if bind.startswith("fd://"):
        return -1, _fd_number(bind[5:])
    host, sep, port_text = bind.rpartition(":")
    if not sep:
        host, port_text = bind, "8000"
    family = socket.AF_INET
    if host.startswith("[") and host.endswith("]"):
        host, family = host[1:-1], socket.AF_INET6
    elif ":" in host:
        raise BindError(f"{bind!r}: write an IPv6 address in brackets, as [{host}]:{port_text}")
    try:
        port = int(port_text)
    except ValueError:
        raise BindError(f"{bind!r}: the port must be a number, not {port_text!r}") from None
    if not 0 <= port <= 65535:
        raise BindError(f"{bind!r}: the port must be between 0 and 65535, not {port}")
    return family, (host or "0.0.0.0", port)


def _fd_number(text: str) -> int:
    try:
        fd = int(text)
    except ValueError:
        raise BindError(f"a file descriptor is a number, not {text!r}") from None
    if fd < 0:
        raise BindError(f"a file descriptor is not negative, not {fd}")
    return fd


def make_socket(bind: str, backlog: int) -> socket.socket:
    """A listening (plain, inheritable) socket for ``bind`` (see :func:`parse_bind`)."""
    family, address = parse_bind(bind)
    if family == -1:
        return inherited_socket(address)
    if family == socket.AF_UNIX:
        if os.path.exists(address):
            os.unlink(address)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def inherited_socket(fd: int) -> socket.socket:
    """The listening stream socket a parent process left open on descriptor ``fd``."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise BindError(f"descriptor {fd} is not a socket ({exc.strerror or exc})") from None
    option = getattr(socket, "SO_ACCEPTCONN", None)
    try:
        listening = 1 if option is None else sock.getsockopt(socket.SOL_SOCKET, option)
    except OSError:  # pragma: no cover - a platform that cannot tell: trust the caller
        listening = 1
    if sock.type != socket.SOCK_STREAM or not listening:
        sock.detach()
        raise BindError(f"descriptor {fd} is not a listening stream socket")
    sock.set_inheritable(True)
    return sock


def listen_fds(environ: dict[str, str] | None = None) -> list[int]:
    """The descriptors systemd passed this process (empty when not socket-activated).

    Reads and removes ``LISTEN_PID``, ``LISTEN_FDS`` and ``LISTEN_FDNAMES`` from ``environ``
    (default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    pid = env.pop("LISTEN_PID", None)
    count = env.pop("LISTEN_FDS", None)
    env.pop("LISTEN_FDNAMES", None)
    if pid is None or count is None:
        return []
    try:
        if int(pid) != os.getpid():
            return []  # meant for another process (the variables leaked through)
        number = int(count)
    except ValueError:
        raise BindError(
            f"malformed socket activation variables LISTEN_PID={pid!r} LISTEN_FDS={count!r}"
        ) from None
    return list(range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + number))


def refuse_new_connections(sock: Any) -> bool:
    """Make the kernel drop new connection attempts on the listening ``sock`` (see above).

    Returns False where that cannot be done (not Linux, not TCP): the socket is unchanged.
    """
    if not sys.platform.startswith("linux") or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    import ctypes  # here: ctypes takes milliseconds to import, and only a stop needs it
    import struct

    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *insn) for insn in _DROP_SYN))
    program = struct.pack("@HP", len(_DROP_SYN), ctypes.addressof(code))
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, program)
    except OSError as exc:  # pragma: no cover - a kernel without socket filters
        logger.debug("cannot stop new connections on the listening socket: %s", exc)
        return False
    return True

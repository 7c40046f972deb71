"""How the connection drivers' waits expire: wait states and the exceptions the server throws.

Timeouts cost no timer per read or write.  Before a socket call that may block, a driver
(:class:`~eventlet.httpd._connection.HttpProtocol`) sets its ``waiting`` attribute to one of the
states below and its ``deadline`` (for a request head: the header timeout from the first byte of a
head, the keep-alive timeout while idle between requests; for body reads and response writes:
``socket_timeout``), and clears ``waiting`` when the call returns.  The server's periodic sweep
throws :class:`Expired` into drivers whose deadline passed; a partial head then gets ``408``, an
idle connection is closed silently, and a stalled body read or write ends the connection.  When the
server stops, it throws :class:`Shutdown` into the drivers idle between requests (a request that
already reached the socket is still served).  (The green socket itself waits for readability before
a ``recv`` that follows a send, so the keep-alive loop makes no failing ``recv`` call either.)
"""

from __future__ import annotations

__all__ = ["HEAD_WAIT", "IO_WAIT", "Expired", "Shutdown"]

HEAD_WAIT = 1
"""``HttpProtocol.waiting``: waiting for request head bytes."""
IO_WAIT = 2
"""``HttpProtocol.waiting``: blocked reading a body or writing a response."""


class Expired(Exception):
    """Thrown into a driver waiting for a request head past its deadline."""


class Shutdown(Exception):
    """Thrown into an idle driver when the server stops."""

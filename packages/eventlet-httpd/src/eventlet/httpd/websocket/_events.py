"""The events of the sans-IO websocket protocol core: what received bytes turn into.

:meth:`eventlet.httpd.websocket._protocol.WebSocketConnection.receive_data` returns a list of these:
a complete data message, a ping, a pong, or the peer's close frame.  They are plain slotted
dataclasses, compared by value; :mod:`eventlet.httpd.websocket._protocol` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Close", "Event", "Message", "Ping", "Pong"]


@dataclass(slots=True)
class Message:
    """A complete data message: ``str`` for text, ``bytes`` for binary."""

    data: str | bytes


@dataclass(slots=True)
class Ping:
    """A ping from the peer (already answered when ``auto_pong`` is on)."""

    payload: bytes


@dataclass(slots=True)
class Pong:
    """A pong from the peer."""

    payload: bytes


@dataclass(slots=True)
class Close:
    """The peer's close frame; ``code`` is 1005 when it carried none."""

    code: int
    reason: str


Event = Message | Ping | Pong | Close

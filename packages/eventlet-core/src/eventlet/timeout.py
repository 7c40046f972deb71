"""Timeouts: raise an exception in a green thread if a block of code takes too long."""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.hub import Timer

__all__ = ["Timeout", "is_timeout", "with_timeout", "wrap_is_timeout"]


class Timeout(BaseException):
    """Raise ``exception`` (default: this Timeout itself) in the current green thread after ``seconds``.

    Use it as a context manager::

        with Timeout(5):
            data = sock.recv(1024)

    or start it by creating it and stop it with :meth:`cancel`.  ``seconds=None`` never fires.  With
    ``exception=False`` the ``with`` block is left silently when the time is up.  It derives from
    ``BaseException`` so that a bare ``except Exception`` does not swallow it.
    """

    is_timeout = True

    def __init__(
        self,
        seconds: float | None = None,
        exception: BaseException | type[BaseException] | bool | None = None,
    ) -> None:
        super().__init__(seconds, exception)
        self.seconds = seconds
        self.exception = exception
        self.timer: Timer | None = None
        self.start()

    def start(self) -> Timeout:
        """Schedule the timeout (again, if it was already pending)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.seconds is None:
            return self
        to_raise: Any = self
        if self.exception is not None and not isinstance(self.exception, bool):
            to_raise = self.exception
        self.timer = get_hub().schedule_call_global(self.seconds, _throw_if_alive, getcurrent(), to_raise)
        return self

    @property
    def pending(self) -> bool:
        """True while the timeout is scheduled and has not fired."""
        return self.timer is not None and self.timer.pending

    def cancel(self) -> None:
        """Stop the timeout from firing; the object may be started again with :meth:`start`."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def __repr__(self) -> str:
        pending = " pending" if self.pending else ""
        exception = "" if self.exception is None else f" exception={self.exception!r}"
        return f"<Timeout at {id(self):#x} seconds={self.seconds!r}{exception}{pending}>"

    def __str__(self) -> str:
        if self.seconds is None:
            return ""
        suffix = "" if self.seconds == 1 else "s"
        if self.exception is None or self.exception is True:
            return f"{self.seconds} second{suffix}"
        if self.exception is False:
            return f"{self.seconds} second{suffix} (silent)"
        return f"{self.seconds} second{suffix} ({self.exception})"

    def __enter__(self) -> Timeout:
        if self.timer is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self.cancel()
        return exc is self and self.exception is False

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _throw_if_alive(target: greenlet, exc: Any) -> None:
    """The timer callback: raise ``exc`` in ``target``, unless it finished (then nobody cares)."""
    if not target.dead:
        target.throw(exc)


def with_timeout(seconds: float | None, function: Callable[..., Any], *args: Any, **kwds: Any) -> Any:
    """Call ``function(*args, **kwds)``, raising :class:`Timeout` if it takes over ``seconds``.

    With the keyword ``timeout_value``, return that value instead of raising.
    """
    has_value = "timeout_value" in kwds
    timeout_value = kwds.pop("timeout_value", None)
    timeout = Timeout(seconds)
    try:
        try:
            return function(*args, **kwds)
        except Timeout as exc:
            if exc is timeout and has_value:
                return timeout_value
            raise
    finally:
        timeout.cancel()


def is_timeout(obj: object) -> bool:
    """True for an exception that means "timed out" (``Timeout``, ``TimeoutError``, or marked)."""
    return bool(getattr(obj, "is_timeout", False)) or isinstance(obj, socket.timeout)


def wrap_is_timeout(base: Any) -> Any:
    """Mark what ``base`` produces as a timeout, so that :func:`is_timeout` recognises it.

    A class gets a read-only ``is_timeout`` property and is returned; any other callable is wrapped
    so that the object it returns gets ``is_timeout = True``.
    """
    if isinstance(base, type):
        base.is_timeout = property(lambda _self: True)  # type: ignore[attr-defined]
        return base

    @functools.wraps(base)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = base(*args, **kwargs)
        result.is_timeout = True
        return result

    return wrapped

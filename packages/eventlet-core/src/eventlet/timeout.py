"""Timeouts: raise an exception in a green thread if a block of code takes too long."""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable
from typing import Any

from eventlet.hubs._timeout import Timeout as Timeout

__all__ = ["Timeout", "is_timeout", "with_timeout", "wrap_is_timeout"]


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

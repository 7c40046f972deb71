"""Names upstream eventlet still exports but deprecated long ago, for programs that use them.

Each one works as it did upstream and warns (``DeprecationWarning``) when used, naming what to write
instead.  They are reached lazily, through ``eventlet.__getattr__`` and ``eventlet.greenthread``'s
module ``__getattr__``, so neither ``import eventlet`` nor any hot path pays for them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.hub import Timer
from eventlet.timeout import Timeout, with_timeout

__all__ = [
    "GREENTHREAD_NAMES",
    "TOP_LEVEL_NAMES",
    "TimeoutError",
    "call_after",
    "call_after_global",
    "call_after_local",
    "exc_after",
    "greenthread_with_timeout",
]


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated: use {new} instead", DeprecationWarning, stacklevel=3)


class TimeoutError(Timeout):  # upstream's name: it shadows the builtin, on purpose
    """Upstream's deprecated alias of :class:`eventlet.Timeout` (a subclass of it that warns)."""

    def __init__(
        self,
        seconds: float | None = None,
        exception: BaseException | type[BaseException] | bool | None = None,
    ) -> None:
        _warn("eventlet.TimeoutError", "eventlet.Timeout")
        super().__init__(seconds, exception)


def exc_after(seconds: float | None, *throw_args: Any) -> Timer:
    """Raise ``throw_args`` in the calling green thread after ``seconds`` (deprecated).

    Use ``eventlet.Timeout(seconds, exception)``.  Returns the timer; ``cancel()`` it to stop.
    ``seconds=None`` returns a timer that is never scheduled.
    """
    _warn("eventlet.exc_after", "eventlet.Timeout(seconds, exception)")
    hub = get_hub()
    if seconds is None:  # a timer that never fires, as upstream returns
        timer = hub.schedule_call_global(0, _ignore)
        timer.cancel()
        return timer
    return hub.schedule_call_local(seconds, getcurrent().throw, *throw_args)


def _ignore(*_args: Any) -> None:
    """The callback of a timer that is never scheduled."""


def call_after_global(seconds: float, func: Callable[..., Any], *args: Any, **kwargs: Any) -> greenlet:
    """Start ``func(*args, **kwargs)`` in a new greenlet after ``seconds`` (deprecated).

    Use :func:`eventlet.spawn_after`.  Returns the greenlet, as upstream does.
    """
    _warn("call_after_global", "eventlet.spawn_after")
    hub = get_hub()
    thread = greenlet(func, hub.greenlet)
    hub.schedule_call_global(seconds, functools.partial(thread.switch, *args, **kwargs))
    return thread


def call_after_local(seconds: float, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Timer:
    """Like :func:`call_after_global`, cancelled if the caller exits first (deprecated).

    Use :func:`eventlet.spawn_after_local`.  Returns the timer, as upstream does.
    """
    _warn("call_after_local", "eventlet.spawn_after_local")
    hub = get_hub()
    thread = greenlet(func, hub.greenlet)
    return hub.schedule_call_local(seconds, functools.partial(thread.switch, *args, **kwargs))


#: upstream's other name of :func:`call_after_local`
call_after = call_after_local


def greenthread_with_timeout(seconds: float, function: Callable[..., Any], *args: Any, **kwds: Any) -> Any:
    """``eventlet.greenthread.with_timeout``: upstream's deprecated home of :func:`eventlet.with_timeout`."""
    _warn("eventlet.greenthread.with_timeout", "eventlet.with_timeout")
    return with_timeout(seconds, function, *args, **kwds)


#: what ``eventlet`` itself resolves here
TOP_LEVEL_NAMES = {
    "TimeoutError": TimeoutError,
    "exc_after": exc_after,
    "call_after_global": call_after_global,
}

#: what ``eventlet.greenthread`` resolves here
GREENTHREAD_NAMES: dict[str, Any] = {
    "TimeoutError": TimeoutError,
    "with_timeout": greenthread_with_timeout,
    "exc_after": exc_after,
    "call_after_global": call_after_global,
    "call_after_local": call_after_local,
    "call_after": call_after,
}

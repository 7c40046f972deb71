"""The :class:`~eventlet.timeout.Timeout` exception: a timer that throws into a green thread.

A kernel operation (a timer whose callback raises in the waiting green thread), so it lives with the
hub: :func:`eventlet.hubs.trampoline` raises it by default, and :mod:`eventlet.timeout` publishes
it (its ``__module__`` says so) with the helpers around it.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs._choice import get_hub
from eventlet.hubs.hub import Timer

__all__ = ["Timeout"]


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


Timeout.__module__ = "eventlet.timeout"  # its public home (repr, pickling, the docs)

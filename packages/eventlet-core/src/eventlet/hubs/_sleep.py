"""``sleep``: how a green thread gives up the OS thread for a while (a kernel trap, as in curio).

``eventlet.sleep`` and ``eventlet.greenthread.sleep`` are this function.  It lives in the kernel
because it is the hottest user of the hub's private state: ``sleep(0)`` queues the caller on the
ready queue (``hub.resume``) and switches straight to the hub's greenlet, and a timed sleep arms a
plain-list timer entry inline (:func:`eventlet.hubs.timer._arm_entry`'s steps: calling it would add
7% to the instructions of a timed sleep).  Outside :mod:`eventlet.hubs`, nothing touches that state.

Switching straight to the hub's greenlet skips :meth:`~eventlet.hubs.hub.BaseHub.switch`, which
calls the ``switch_out`` hook of the greenlet's class, if it has one.  So the shortcut is taken only
for the classes in :data:`PLAIN_GREENLETS`, known to have none: ``greenlet.greenlet`` and what
:func:`register_plain_greenlet` adds (``eventlet.greenthread.GreenThread``, when it is defined).
"""

from __future__ import annotations

from greenlet import getcurrent, greenlet

from eventlet.hubs._choice import _registry, get_hub
from eventlet.hubs.timer import _cancel_entry

__all__ = ["PLAIN_GREENLETS", "register_plain_greenlet", "sleep"]

#: greenlet classes known to have no ``switch_out`` hook (a registry of types, filled at import)
PLAIN_GREENLETS: set[type] = {greenlet}

#: where get_hub() keeps each OS thread's hub (read directly on the hottest path, sleep(0))
_thread_hubs = _registry.local


def register_plain_greenlet(cls: type[greenlet]) -> None:
    """Declare that greenlets of ``cls`` (not of its subclasses) have no ``switch_out`` hook."""
    if getattr(cls, "switch_out", None) is not None:
        raise ValueError(f"{cls.__name__} has a switch_out hook")
    PLAIN_GREENLETS.add(cls)


def sleep(seconds: float = 0) -> None:
    """Yield to other green threads for ``seconds`` (``0``: just let the others run once).

    Never blocks the OS thread.  Called from the hub itself (in a hub callback), ``sleep(0)``
    returns at once and a longer sleep raises RuntimeError.
    """
    try:
        hub = _thread_hubs.hub
    except AttributeError:
        hub = get_hub()
    current = getcurrent()
    hub_greenlet = hub.greenlet
    if current is hub_greenlet:
        if seconds <= 0:
            return  # a hub callback yielding: there is nothing to yield to, as upstream
        raise RuntimeError("Cannot sleep in the hub: it would block forever")
    if not seconds > 0:  # (NaN too)
        resume = hub.resume  # a local first: see "Kernel operations" in eventlet.hubs.hub
        resume(current)  # the hub switches back to us
        try:
            # The hot path of cooperative yielding: straight to the loop when it is alive and the
            # greenlet cannot have a switch_out hook (hub.switch handles the other cases).
            if type(current) in PLAIN_GREENLETS and not hub_greenlet.dead:
                hub_greenlet.switch()
            else:
                hub.switch()
        except BaseException:
            try:
                hub.withdraw(current)  # woken by an exception: do not wake it again later
            except ValueError:
                pass
            raise
        return
    # timer._arm_entry(hub, seconds, current.switch, (), None), inlined: calling it would add 7%
    # to a timed sleep.  The timer fires (and is done) unless something else wakes us first.
    deadline = hub.clock() + seconds
    timer = [deadline, 0, current.switch, (), hub, None, seconds]
    hub._incoming.append(timer)
    if deadline < hub._next_due:
        hub._next_due = deadline
    try:
        if type(current) in PLAIN_GREENLETS and not hub_greenlet.dead:
            hub_greenlet.switch()  # as above
        else:
            hub.switch()
    finally:
        if timer[2] is not None:
            _cancel_entry(timer)

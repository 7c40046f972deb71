"""Upstream eventlet's ``eventlet.hubs.timer``: the :class:`Timer` and :class:`LocalTimer` classes.

They are the hub's own timer entries (:mod:`eventlet.hubs._timers`), so a timer made here and one
returned by ``hub.schedule_call_global`` are the same kind of object::

    from eventlet.hubs import timer

    t = timer.Timer(0.5, print, "later").schedule()  # or get_hub().add_timer(t)
    t.cancel()
"""

from __future__ import annotations

from eventlet.hubs._timers import LocalTimer, Timer

__all__ = ["LocalTimer", "Timer"]

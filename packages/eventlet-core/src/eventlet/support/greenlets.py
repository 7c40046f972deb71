"""The greenlet names upstream eventlet re-exported here: ``greenlet``, ``getcurrent``, ``GreenletExit``."""

from greenlet import GreenletExit, getcurrent, greenlet

__all__ = ["GreenletExit", "getcurrent", "greenlet"]

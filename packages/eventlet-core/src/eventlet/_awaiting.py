"""Awaiting a green thread from a coroutine (with the asyncio hub): what ``await thread`` runs.

Below both :mod:`eventlet.greenthread` (whose ``GreenThread.__await__`` uses it) and
:mod:`eventlet.asyncio` (which builds on green threads): it needs only the hub, and the green thread
it is given.  Imported on the first ``await`` of a green thread, never by ``import eventlet``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from greenlet import GreenletExit

from eventlet.hubs import get_hub
from eventlet.hubs.hub import BaseHub

if TYPE_CHECKING:
    from eventlet.greenthread import GreenThread

__all__ = ["asyncio_hub", "await_green_thread"]

T = TypeVar("T")


def asyncio_hub() -> Any:
    """The current thread's hub, which must be the asyncio hub (RuntimeError otherwise)."""
    hub: BaseHub = get_hub()
    if getattr(hub, "loop", None) is None:
        raise RuntimeError(
            f"eventlet.asyncio needs the asyncio hub, not {hub.name!r}: "
            "set EVENTLET_HUB=asyncio or call eventlet.hubs.use_hub('asyncio') first"
        )
    return hub


async def await_green_thread(thread: GreenThread[T]) -> T:
    """What ``await thread`` runs: wait (in the loop) until the green thread finishes.

    The thread's result or exception is the await's; a thread killed (``GreenletExit``) cancels
    the await; cancelling the await kills the thread.
    """
    hub = asyncio_hub()
    loop = asyncio.get_running_loop()
    if loop is not hub.loop:
        raise RuntimeError("A green thread can only be awaited from the loop of its thread's hub")
    future: asyncio.Future[T] = loop.create_future()

    def on_exit(finished: GreenThread[T]) -> None:
        if future.done():
            return  # the await was cancelled
        try:
            result = finished.wait()
        except GreenletExit:
            future.cancel()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)

    def on_done(done: asyncio.Future[Any]) -> None:
        if done.cancelled() and not thread.dead:
            thread.kill()

    future.add_done_callback(on_done)
    thread.link(on_exit)
    try:
        return await future
    finally:
        thread.unlink(on_exit)

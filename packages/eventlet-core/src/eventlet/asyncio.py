"""Green threads and asyncio coroutines together (with the asyncio hub).

With ``EVENTLET_HUB=asyncio`` (or ``eventlet.hubs.use_hub("asyncio")``) the hub runs an asyncio
event loop, so both kinds of concurrency share one OS thread:

* green code starts a coroutine with :func:`spawn_for_awaitable` and waits for it like for any
  green thread (``gt.wait()``);
* a coroutine waits for a green thread with ``await gt`` (:class:`eventlet.greenthread.GreenThread`
  is awaitable).

Cancellation crosses over both ways, as upstream eventlet's does (and as awaiting a task does in
asyncio): killing the green thread of :func:`spawn_for_awaitable` (or its ending any other way
before the awaitable is done) cancels the awaitable; cancelling what awaits a green thread (the
awaiting task, ``asyncio.wait_for`` timing out) kills the green thread, and a coroutine awaiting
a green thread that is killed gets :class:`asyncio.CancelledError`.  ``asyncio.shield(gt)`` keeps
the green thread alive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from greenlet import getcurrent

from eventlet._awaiting import asyncio_hub as _asyncio_hub
from eventlet.greenthread import GreenThread, spawn

__all__ = ["get_event_loop", "spawn_for_awaitable"]

T = TypeVar("T")


def get_event_loop() -> asyncio.AbstractEventLoop:
    """The asyncio event loop the current thread's hub runs on (RuntimeError with other hubs)."""
    loop: asyncio.AbstractEventLoop = _asyncio_hub().loop
    return loop


def spawn_for_awaitable(awaitable: Awaitable[T]) -> GreenThread[T]:
    """Run ``awaitable`` (a coroutine, task or future) on the hub's loop; return a green thread.

    The green thread's ``wait()`` returns the awaitable's result or raises its exception;
    killing the green thread cancels the awaitable.
    """
    hub = _asyncio_hub()
    future = asyncio.ensure_future(awaitable, loop=hub.loop)
    thread = spawn(_wait_for_future, hub, future)
    thread.link(_cancel_unless_done, future)  # killed (even before it started), or thrown at
    return thread


def _cancel_unless_done(_thread: GreenThread[Any], future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.cancel()


def _wait_for_future(hub: Any, future: asyncio.Future[Any]) -> Any:
    if not future.done():
        current = getcurrent()
        future.add_done_callback(lambda _f: hub.call_soon(_resume_if_waiting, current, future))
        while not future.done():
            hub.switch()
    return future.result()


def _resume_if_waiting(waiter: Any, future: asyncio.Future[Any]) -> None:
    if not waiter.dead:
        waiter.switch()

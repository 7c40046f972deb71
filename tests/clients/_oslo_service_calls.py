"""oslo.service's green helpers on our eventlet, one after another; prints a JSON document.

Run as ``python tests/clients/_oslo_service_calls.py``, monkey-patched first as OpenStack services
are.  Each helper is driven to its end by the program itself (no clock decides an outcome):

* looping calls: ``FixedIntervalLoopingCall`` and ``DynamicLoopingCall`` until the function raises
  ``LoopingCallDone`` (the value reaches ``wait()``), ``BackOffLoopingCall`` likewise,
  ``FixedIntervalWithTimeoutLoopingCall`` until its timeout (``LoopingCallTimeOut``), and
  ``RetryDecorator`` retrying a function until it stops failing;
* a ``ThreadGroup``: a thread's result, ``stop()`` killing a waiting thread and a timer,
  ``stop(graceful=True)`` waiting for a thread that another one lets go;
* ``periodic_task.PeriodicTasks`` running its task;
* the eventlet backdoor (``backdoor_port``: ``eventlet.backdoor`` on a free port), asked to
  evaluate an expression over a green socket.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402 - after patching, as OpenStack services do
from collections.abc import Callable  # noqa: E402
from typing import Any, Protocol, TypeVar  # noqa: E402

from oslo_config import cfg  # noqa: E402
from oslo_service import _options, eventlet_backdoor, loopingcall, periodic_task, threadgroup  # noqa: E402

from eventlet.event import Event  # noqa: E402
from eventlet.green import socket  # noqa: E402

# oslo.service has no type information: the shape of the two decorators used here.
_Function = TypeVar("_Function", bound=Callable[..., object])


class Decorator(Protocol):
    """Returns the function, or a wrapper with its signature."""

    def __call__(self, function: _Function, /) -> _Function: ...


retry_decorator: Callable[..., Decorator] = loopingcall.RetryDecorator
periodic_task_decorator: Callable[..., Decorator] = periodic_task.periodic_task


def counting_until(last: int, value: Any, then: Any = None) -> Any:
    """A function that returns ``then`` until its ``last``-th call, which ends the looping call."""
    calls = [0]

    def function() -> Any:
        calls[0] += 1
        if calls[0] == last:
            raise loopingcall.LoopingCallDone(retvalue=value)
        return then

    return function


def looping_calls() -> dict[str, Any]:
    result: dict[str, Any] = {}
    fixed = loopingcall.FixedIntervalLoopingCall(counting_until(5, "fixed"))
    result["fixed"] = fixed.start(interval=0.001).wait()
    dynamic = loopingcall.DynamicLoopingCall(counting_until(3, "dynamic", then=0.001))
    result["dynamic"] = dynamic.start(periodic_interval_max=1).wait()
    backoff = loopingcall.BackOffLoopingCall(counting_until(3, "backoff", then=False))
    result["backoff"] = backoff.start(starting_interval=0.001, timeout=60, max_interval=0.01).wait()
    try:
        loopingcall.FixedIntervalWithTimeoutLoopingCall(lambda: None).start(
            interval=0.001, timeout=0.01
        ).wait()
    except loopingcall.LoopingCallTimeOut:
        result["timed_out"] = True

    attempts = [0]

    @retry_decorator(max_retry_count=5, inc_sleep_time=0.001, max_sleep_time=0.01, exceptions=(OSError,))
    def flaky() -> int:
        attempts[0] += 1
        if attempts[0] < 3:
            raise OSError("not yet")
        return attempts[0]

    result["retried"] = flaky()
    return result


def thread_groups() -> dict[str, Any]:
    result: dict[str, Any] = {}
    group = threadgroup.ThreadGroup()
    never: Event[Any] = Event()
    group.add_thread(never.wait)
    result["thread_result"] = group.add_thread(lambda: 42).wait()
    group.add_timer(0.001, lambda: None)
    group.stop()  # kills the waiting thread and the timer
    group.wait()
    result["after_stop"] = [len(group.threads), len(group.timers)]

    graceful = threadgroup.ThreadGroup()
    go: Event[Any] = Event()
    finished: list[str] = []
    graceful.add_thread(lambda: finished.append(go.wait()))
    eventlet.spawn_n(go.send, "let go")
    graceful.stop(graceful=True)  # waits for the thread, which the other one lets go
    result["graceful"] = finished
    return result


class Tasks(periodic_task.PeriodicTasks):  # type: ignore[misc]  # oslo.service: no types
    """One periodic task, due at once."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        super().__init__(conf)
        self.runs = 0

    @periodic_task_decorator(spacing=0, run_immediately=True)
    def count(self, context: Any) -> None:
        self.runs += 1


def backdoor(conf: cfg.ConfigOpts) -> str:
    conf.register_opts(_options.eventlet_backdoor_opts)
    conf.set_override("backdoor_port", "0")
    port = eventlet_backdoor.initialize_if_enabled(conf)
    with socket.create_connection(("127.0.0.1", port)) as conn, conn.makefile("rw") as stream:

        def until_prompt() -> str:
            text = ""
            while not text.endswith(">>> "):
                char = stream.read(1)
                assert char, f"the backdoor closed after {text!r}"
                text += char
            return text

        until_prompt()
        stream.write("print(6 * 7)\n")
        stream.flush()
        return until_prompt().splitlines()[0]


def main() -> dict[str, Any]:
    conf = cfg.CONF
    conf([], project="eventlet-clients")
    tasks = Tasks(conf)
    tasks.run_periodic_tasks(None)
    return {**looping_calls(), **thread_groups(), "periodic_runs": tasks.runs, "backdoor": backdoor(conf)}


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)

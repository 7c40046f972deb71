"""Instructions per operation on the paths the timer and hub work touches, counted by callgrind.

Wall and CPU time on this shared VM swing by 10-45% between runs of the same code; the number of
instructions an operation executes does not (to a percent or two, for the paths whose hub turns
depend on the clock: ``sleep0`` and ``spawn_wait``).  So a change to a hot path is compared with
this script before and after (``git checkout`` the other commit, run again)::

    python benchmarks/callgrind.py                      # every path, with this interpreter
    python benchmarks/callgrind.py timeout echo --ops 50000
    python benchmarks/callgrind.py --python benchmarks/.venvs/ours/bin/python

Each path runs in a child interpreter under ``valgrind --tool=callgrind`` twice, with 0 and with
``--ops`` operations (after the same warm-up), and the difference is divided by ``--ops``: start-up
and imports cancel out.  The figures include the loop's own overhead (about 900 instructions per
operation with ``--ops 100000``), the same for every commit.  Needs ``valgrind`` (``apt-get install
valgrind``); slow (a few seconds per path and per run).
"""

from __future__ import annotations

import argparse
import operator
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any


def _tick() -> None:
    pass


def _sleep0(n: int) -> None:
    import eventlet

    for _ in range(n):
        eventlet.sleep(0)


def _sleep_timed(n: int) -> None:
    # 100 green threads sleeping a nanosecond: each timer is due at the hub's next turn
    import eventlet

    def worker(count: int) -> None:
        for _ in range(count):
            eventlet.sleep(1e-9)

    threads = [eventlet.spawn(worker, n // 100) for _ in range(100)]
    for thread in threads:
        thread.wait()


def _timeout(n: int) -> None:
    from eventlet.timeout import Timeout

    for _ in range(n):
        with Timeout(1.0):
            pass


def _timeout_switch(n: int) -> None:
    import eventlet
    from eventlet.timeout import Timeout

    for _ in range(n):
        with Timeout(1.0):
            eventlet.sleep(0)


def _spawn_after(n: int) -> None:
    import eventlet

    for _ in range(n):
        eventlet.spawn_after(1.0, _tick).cancel()


def _schedule_cancel(n: int) -> None:
    from eventlet.hubs import get_hub

    schedule, cancel = get_hub().schedule_call_global, operator.methodcaller("cancel")
    for i in range(n):
        cancel(schedule(0.01 * (i % 100) / 100, _tick))


def _timers_half(n: int) -> None:
    import eventlet
    from eventlet.hubs import get_hub

    schedule = get_hub().schedule_call_global
    timers = [schedule(0.01 * (i % 100) / 100, _tick) for i in range(n)]
    for timer in timers[::2]:
        timer.cancel()
    eventlet.sleep(0.011)


def _echo(n: int, timeout: float | None = None) -> None:
    import eventlet
    from eventlet.green import socket

    a, b = socket.socketpair()
    b.settimeout(timeout)

    def server() -> None:
        for _ in range(n):
            b.sendall(b.recv(64))

    thread = eventlet.spawn(server)
    for _ in range(n):
        a.sendall(b"x" * 64)
        a.recv(64)
    thread.wait()
    a.close()
    b.close()


def _echo_timeout(n: int) -> None:
    _echo(n, 30.0)


def _echo_many(n: int, timeout: float | None = None) -> None:
    # 100 lock-step connections, as the tcp_echo / recv_timeout workloads' server sees them
    import eventlet
    from eventlet.green import socket

    pairs = [socket.socketpair() for _ in range(100)]
    rounds = n // 100

    def server(sock: Any) -> None:
        sock.settimeout(timeout)
        for _ in range(rounds):
            sock.sendall(sock.recv(64))

    def client(sock: Any) -> None:
        for _ in range(rounds):
            sock.sendall(b"x" * 64)
            sock.recv(64)

    threads = [eventlet.spawn(server, b) for _a, b in pairs]
    threads += [eventlet.spawn(client, a) for a, _b in pairs]
    for thread in threads:
        thread.wait()
    for a, b in pairs:
        a.close()
        b.close()


def _echo_many_timeout(n: int) -> None:
    _echo_many(n, 30.0)


def _spawn_wait(n: int) -> None:
    import eventlet

    for _ in range(n):
        eventlet.spawn(_tick).wait()


def _queue_timeout(n: int) -> None:
    # a ping-pong through two queues where every get has a timeout (Event, Semaphore and the
    # green locks arm theirs the same way)
    import eventlet
    from eventlet.queue import LightQueue

    there: LightQueue[int | None] = LightQueue()
    back: LightQueue[int] = LightQueue()

    def echo() -> None:
        while (item := there.get(timeout=5)) is not None:
            back.put(item)

    thread = eventlet.spawn(echo)
    for i in range(n):
        there.put(i)
        back.get(timeout=5)
    there.put(None)
    thread.wait()


PATHS: dict[str, tuple[str, Callable[[int], Any]]] = {
    "sleep0": ("sleep(0)", _sleep0),
    "sleep": ("sleep(t), the timer due at the next turn (100 threads)", _sleep_timed),
    "timeout": ("with Timeout(1): pass", _timeout),
    "timeout_switch": ("with Timeout(1): sleep(0)", _timeout_switch),
    "spawn_after": ("spawn_after + cancel", _spawn_after),
    "schedule_cancel": ("schedule_call_global + cancel", _schedule_cancel),
    "timers_half": ("timers, half cancelled, then fired", _timers_half),
    "echo": ("echo over a socket pair", _echo),
    "echo_timeout": ("echo with settimeout(30)", _echo_timeout),
    "echo100": ("echo over 100 socket pairs (per round trip)", _echo_many),
    "echo100_timeout": ("echo over 100 socket pairs, settimeout(30) on one side", _echo_many_timeout),
    "spawn_wait": ("spawn + wait", _spawn_wait),
    "queue_timeout": ("queue ping-pong, every get with a timeout (per round trip)", _queue_timeout),
}


def _child(name: str, ops: int) -> None:
    run = PATHS[name][1]
    run(500)  # the same warm-up in both runs: lazy imports and first-use costs cancel out
    run(ops)


def _instructions(python: str, name: str, ops: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, __file__]
    done = subprocess.run(
        [*command, "--child", name, str(ops)],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from callgrind for {name}:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    """Print the instructions per operation of each path asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help=f"among: {', '.join(PATHS)} (default: all)")
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "OPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    names = args.paths or list(PATHS)
    unknown = [name for name in names if name not in PATHS]
    if unknown:
        parser.error(f"unknown paths: {', '.join(unknown)}")
    for name in names:
        per_op = (_instructions(args.python, name, args.ops) - _instructions(args.python, name, 0)) / args.ops
        print(f"{name:16s} {per_op:9,.0f} instructions/op  {PATHS[name][0]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

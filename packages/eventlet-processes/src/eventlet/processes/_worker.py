"""A ProcessPool worker: ``python -m eventlet.processes._worker``.  Plain blocking Python.

The parent talks to it over the worker's stdin and stdout (see :mod:`eventlet.processes._protocol`).
At start the worker moves those two pipes to private fds and points fd 0 at ``/dev/null`` and fd 1
at stderr, so whatever the tasks print cannot corrupt the protocol.  It exits with status 0 when
the parent closes its end (end of file on the request pipe).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from eventlet.processes._mainmodule import loads_in_worker, set_main
from eventlet.processes._protocol import dump_error, dump_result, frame, read_frame, write_all

__all__ = ["main", "noop", "run_chunk", "run_star_chunk", "serve"]


def noop(*args: Any) -> None:
    """Do nothing: the initializer of a pool that was given none."""


def run_chunk(function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """``[function(item) for item in items]``: one task of ``ProcessPool.map``."""
    return [function(item) for item in items]


def run_star_chunk(function: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
    """``[function(*item) for item in items]``: one task of ``ProcessPool.starmap``."""
    return [function(*item) for item in items]


def _take_over_stdio() -> tuple[int, int]:  # pragma: no cover - runs in the worker processes
    requests = os.dup(0)
    replies = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return requests, replies


def _run_one(payload: bytes) -> bytes:
    try:
        function, args, kwargs = loads_in_worker(payload)
        result = function(*args, **kwargs)
    except BaseException as exc:
        return dump_error(exc)
    return dump_result(result)


def serve(requests: BinaryIO, replies_fd: int) -> int:
    """Answer the frames read from ``requests`` on ``replies_fd`` until end of file; exit status."""
    setup = read_frame(requests)
    init = read_frame(requests)
    if setup is None or init is None:
        return 0
    settings = pickle.loads(setup)
    sys.path[:] = settings["sys_path"]
    set_main(settings["main"])
    reply = _run_one(init)
    write_all(replies_fd, frame(reply))
    if not pickle.loads(reply)[0]:
        return 1
    while True:
        payload = read_frame(requests)
        if payload is None:
            return 0
        write_all(replies_fd, frame(_run_one(payload)))


def main() -> int:  # pragma: no cover - runs in the worker processes
    """Serve the parent over this process's stdin and stdout; the exit status."""
    requests_fd, replies_fd = _take_over_stdio()
    with os.fdopen(requests_fd, "rb") as requests:
        return serve(requests, replies_fd)


if __name__ == "__main__":  # pragma: no cover - the worker process
    sys.exit(main())

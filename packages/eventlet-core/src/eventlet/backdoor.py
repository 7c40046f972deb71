"""A Python console over TCP into a running program, for debugging it live.

::

    eventlet.spawn(backdoor.backdoor_server, eventlet.listen(("127.0.0.1", 3000)), locals())

then ``telnet 127.0.0.1 3000`` (or ``nc``) gives a ``>>>`` prompt inside the process.  Each client
gets its own green thread and its own :class:`code.InteractiveConsole`; the program keeps running.

``print()``, expression results and tracebacks must reach the client, not the server's terminal,
yet ``sys.stdout`` is shared by the whole process.  While sessions are open, ``sys.stdout``,
``sys.stderr`` and ``sys.stdin`` are replaced by routers that look at the current green thread:
a session's green thread talks to its client, every other one to the real stream, as before.
The routers are removed when the last session ends, or when the program exits with sessions still
open (an ``atexit`` hook puts the real streams back, so the interpreter's final flush reaches them).
Listen on 127.0.0.1 only: whoever connects can run any code in the process.
"""

from __future__ import annotations

import atexit
import code
import logging
import sys
import weakref
from typing import Any, TextIO

from greenlet import getcurrent, greenlet

from eventlet import greenthread
from eventlet._accept import AcceptBackoff

__all__ = ["BackdoorConsole", "backdoor", "backdoor_server"]

logger: logging.Logger = logging.getLogger("eventlet.backdoor")


class BackdoorConsole(code.InteractiveConsole):
    """An interactive console whose input and output are a connected socket."""

    def __init__(self, conn: Any, locals: dict[str, Any] | None = None) -> None:
        super().__init__(locals)
        self.conn = conn
        self._buffer = b""
        self.closed: bool = False

    def write(self, data: str) -> None:
        """Send ``data`` (output, prompts, tracebacks) to the client."""
        if not self.closed:
            try:
                self.conn.sendall(data.replace("\n", "\r\n").encode("utf-8", "replace"))
            except OSError:
                self.closed = True  # the client went away: the next read ends the session

    def readline(self) -> str:
        """The next line the client typed, with its end of line; ``""`` when it disconnects."""
        while b"\n" not in self._buffer and not self.closed:
            try:
                data = self.conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            self._buffer += data
        line, sep, self._buffer = self._buffer.partition(b"\n")
        if not sep and not line:
            return ""
        return (line.rstrip(b"\r") + sep).decode("utf-8", "replace")

    def raw_input(self, prompt: str = "") -> str:
        """Prompt the client and return its line; EOFError when it disconnects."""
        self.write(prompt)
        line = self.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")


class _Router:
    """Stands in for a standard stream: a session's green thread gets its console."""

    def __init__(self, real: TextIO, name: str, routing: _Routing) -> None:
        self.real = real
        self.name = name
        self.routing = routing

    def _console(self) -> BackdoorConsole | None:
        try:
            current = getcurrent()
        except RuntimeError:  # "greenlet is being finalized": interpreter shutdown, use the real one
            return None
        return self.routing.sessions.get(current)

    def write(self, data: str) -> int:
        console = self._console()
        if console is None:
            return self.real.write(data)
        console.write(data)
        return len(data)

    def readline(self, size: int = -1) -> str:
        console = self._console()
        return self.real.readline(size) if console is None else console.readline()

    def flush(self) -> None:
        if self._console() is None:
            self.real.flush()

    def close(self) -> None:
        if self._console() is None:
            self.real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _Routing:
    """Which green threads are sessions, and the stream routers installed while there are any."""

    STREAMS = ("stdin", "stdout", "stderr")

    def __init__(self) -> None:
        self.sessions: weakref.WeakKeyDictionary[greenlet, BackdoorConsole] = weakref.WeakKeyDictionary()
        self.installed: dict[str, _Router] = {}

    def enter(self, console: BackdoorConsole) -> None:
        if not self.installed:
            for name in self.STREAMS:
                router = _Router(getattr(sys, name), name, self)
                self.installed[name] = router
                setattr(sys, name, router)
            atexit.register(self.restore)
        self.sessions[getcurrent()] = console

    def leave(self) -> None:
        self.sessions.pop(getcurrent(), None)
        if not self.sessions:
            self.restore()

    def restore(self) -> None:
        """Put the real streams back (the last session ended, or the program is exiting)."""
        if not self.installed:
            return
        atexit.unregister(self.restore)
        for name, router in self.installed.items():
            if getattr(sys, name) is router:
                setattr(sys, name, router.real)
            else:  # someone replaced it meanwhile: leave theirs, but stop routing through ours
                logger.warning("sys.%s was replaced during a backdoor session; not restoring it", name)
        self.installed.clear()


_routing = _Routing()


def _serve(conn: Any, addr: Any, locals: dict[str, Any] | None) -> None:
    console = BackdoorConsole(conn, locals)
    _routing.enter(console)
    logger.info("backdoor session opened from %s", addr)
    try:
        banner = (  # the interpreter's own three lines, which clients and upstream's tests expect
            f"Python {sys.version} on {sys.platform}\n"
            'Type "help", "copyright", "credits" or "license" for more information.\n'
            "(InteractiveConsole of an eventlet backdoor: Ctrl-D or exit() ends the session)"
        )
        console.interact(banner=banner, exitmsg="")
    except SystemExit:
        pass  # exit() in the console ends the session, not the program
    finally:
        _routing.leave()
        logger.info("backdoor session from %s closed", addr)
        try:
            conn.close()
        except OSError:  # pragma: no cover - closing a dead socket
            pass


def backdoor(conn_info: tuple[Any, Any], locals: dict[str, Any] | None = None) -> Any:
    """Serve a console on one connection, or listen on an address and serve every client.

    With ``(conn, addr)`` (what ``accept()`` returns): start a green thread running a console on
    ``conn`` and return it at once.  With ``(host, port)``: listen there and serve clients
    forever, like :func:`backdoor_server`.  ``locals`` is the console's namespace.
    """
    first, second = conn_info
    if isinstance(first, str):
        from eventlet.convenience import listen

        return backdoor_server(listen((first, second)), locals)
    return greenthread.spawn(_serve, first, second, locals)


def backdoor_server(sock: Any, locals: dict[str, Any] | None = None) -> None:
    """Accept clients on listening socket ``sock`` forever, a console for each; close ``sock`` after.

    Run it in a green thread of its own (``eventlet.spawn(backdoor_server, sock)``).  ``accept``
    failures that pass (an aborted connection, running out of descriptors) are ridden out as in
    every accept loop (:mod:`eventlet._accept`); any other ends it.
    """
    logger.info("backdoor server listening on %s", sock.getsockname())
    accept = AcceptBackoff(logger, "backdoor server").accept
    try:
        while True:
            backdoor(accept(sock), locals)
    finally:
        sock.close()

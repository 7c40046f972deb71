"""The demo: a websocket chat page served by eventlet-httpd.

Run:   python examples/demo.py --port 8080        (or: ./dev.sh demo)
Open:  http://127.0.0.1:8080/ in two browser tabs and chat between them.
Try:   curl 127.0.0.1:8080/hello
Stop:  Ctrl-C

``/`` is an HTML page with a small inline JavaScript client; it opens a websocket to ``/chat``,
where every message a client sends is broadcast to all the connected clients, each handled by its
own green thread.  ``/hello`` answers in plain text.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import signal
from collections.abc import Callable, Iterable
from typing import Any

from eventlet.greenthread import spawn_n
from eventlet.httpd import Server, WebSocket, WebSocketWSGI
from eventlet.hubs import get_hub

log = logging.getLogger("demo")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Eventlet chat</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
  #log { border: 1px solid #ccc; height: 20rem; overflow-y: auto; padding: .5rem; }
  #log p { margin: .2rem 0; }
  .notice { color: #777; }
  form { display: flex; gap: .5rem; margin-top: .5rem; }
  #text { flex: 1; }
</style>
</head>
<body>
<h1>Eventlet chat</h1>
<p id="status">connecting&hellip;</p>
<div id="log"></div>
<form id="form"><input id="text" autocomplete="off" placeholder="say something"><button>Send</button></form>
<script>
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + "/chat");
  function show(text) {
    const line = document.createElement("p");
    if (text.startsWith("* ")) line.className = "notice";
    line.textContent = text;
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }
  ws.onopen = () => { status.textContent = "connected"; };
  ws.onclose = () => { status.textContent = "disconnected"; };
  ws.onmessage = (event) => show(event.data);
  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    if (input.value && ws.readyState === WebSocket.OPEN) ws.send(input.value);
    input.value = "";
  };
</script>
</body>
</html>
"""

MAX_MESSAGE = 4096


class ChatApp:
    """The WSGI application: the page, ``/hello`` and the ``/chat`` websocket room."""

    def __init__(self) -> None:
        self.members: set[WebSocket] = set()
        self._numbers = itertools.count(1)
        self.chat = WebSocketWSGI(self.talk, max_frame_length=MAX_MESSAGE)

    def broadcast(self, text: str) -> None:
        """Send ``text`` to every connected client (including the sender)."""
        for member in list(self.members):
            try:
                member.send(text)
            except OSError as exc:  # that client vanished; its own handler will clean up
                log.info("could not send to a client: %s", exc)
                self.members.discard(member)

    def talk(self, ws: WebSocket) -> None:
        """One websocket client: join, relay its messages, leave."""
        name = f"guest-{next(self._numbers)}"
        ws.send(f"* welcome, you are {name}")
        self.members.add(ws)
        self.broadcast(f"* {name} joined")
        try:
            while (message := ws.wait()) is not None:
                if isinstance(message, bytes):
                    message = message.decode("utf-8", "replace")
                self.broadcast(f"{name}: {message}")
        finally:
            self.members.discard(ws)
            self.broadcast(f"* {name} left")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/chat":
            return self.chat(environ, start_response)
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return _plain(
                start_response, "405 Method Not Allowed", "only GET here\n", [("Allow", "GET, HEAD")]
            )
        if path == "/":
            body = PAGE.encode()
            start_response(
                "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
            )
            return [body]
        if path == "/hello":
            return _plain(
                start_response, "200 OK", "Hello from Eventlet! Open / in a browser for the chat.\n"
            )
        return _plain(start_response, "404 Not Found", f"no page at {path}\n")


def _plain(
    start_response: Callable[..., Any], status: str, text: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        server = Server(ChatApp(), args.host, args.port, grace_period=1.0)
    except OSError as exc:
        parser.exit(1, f"demo: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
    host = server.address[0]
    print(f"Eventlet demo: websocket chat on http://{host}:{server.port}/  (Ctrl-C to stop)", flush=True)
    hub = get_hub()

    def on_stop_signal(signum: int, frame: Any) -> None:
        # Ctrl-C or SIGTERM (a service manager, `kill`): ask the hub to stop the server gracefully,
        # closing the websockets with "going away"; a second Ctrl-C interrupts at once.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        hub.call_threadsafe(spawn_n, server.stop)

    signal.signal(signal.SIGINT, on_stop_signal)
    signal.signal(signal.SIGTERM, on_stop_signal)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    print("bye", flush=True)


if __name__ == "__main__":
    main()

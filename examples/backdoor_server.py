"""A server with a backdoor: an interactive Python console over TCP into the running process.

Run:   python examples/backdoor_server.py --port 6000 --backdoor-port 3000
Try:   nc 127.0.0.1 6000     (a greeting), then  nc 127.0.0.1 3000  and type: counter['connections']
Stop:  Ctrl-C

The backdoor listens on 127.0.0.1 only: never expose it, it runs any code it is sent.
"""

from __future__ import annotations

import argparse
import socket

import eventlet
from _ctrl_c import interrupt_main_on_ctrl_c
from eventlet import backdoor

counter = {"connections": 0}


def handle(conn: socket.socket, address: tuple[str, int]) -> None:
    """Greet the client, count it, close."""
    counter["connections"] += 1
    with conn:
        conn.sendall(b"hello, you are client #%d\n" % counter["connections"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=6000, help="0 picks a free port")
    parser.add_argument("--backdoor-port", type=int, default=3000, help="0 picks a free port")
    args = parser.parse_args()
    console = eventlet.listen(("127.0.0.1", args.backdoor_port))
    eventlet.spawn(backdoor.backdoor_server, console, {"counter": counter})
    server = eventlet.listen(("127.0.0.1", args.port))
    print(f"serving on {server.getsockname()[1]}, backdoor on {console.getsockname()[1]}", flush=True)
    interrupt_main_on_ctrl_c()
    try:
        eventlet.serve(server, handle)
    except KeyboardInterrupt:
        print("bye", flush=True)


if __name__ == "__main__":
    main()

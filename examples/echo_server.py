"""A TCP echo server: one green thread per connection.

Run:   python examples/echo_server.py --port 6000
Try:   printf 'hello\n' | nc -q1 127.0.0.1 6000
Stop:  Ctrl-C
"""

from __future__ import annotations

import argparse
import logging
import socket

import eventlet
from _ctrl_c import interrupt_main_on_ctrl_c

log = logging.getLogger("echo")


def handle(conn: socket.socket, address: tuple[str, int]) -> None:
    """Send back every byte the client sends, until it closes its side."""
    with conn:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError as exc:  # the client reset the connection
            log.info("%s:%s: %s", address[0], address[1], exc)
    log.info("%s:%s disconnected", address[0], address[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6000, help="0 picks a free port")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = eventlet.listen((args.host, args.port))
    log.info("echo server on %s:%s", *server.getsockname()[:2])
    interrupt_main_on_ctrl_c()
    try:
        eventlet.serve(server, handle)
    except KeyboardInterrupt:
        log.info("bye")


if __name__ == "__main__":
    main()

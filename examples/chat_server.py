"""A line-based TCP chat room: whatever one client sends, every other client receives.

Run:   python examples/chat_server.py --port 7000
Try:   nc 127.0.0.1 7000   (in two terminals)
Stop:  Ctrl-C

Each client gets a welcome line, then sees the others' lines prefixed with their address, and a
notice when someone joins or leaves.  A client that stops reading slows the broadcast down only
for as long as its socket buffer is full; one that vanishes is dropped.
"""

from __future__ import annotations

import argparse
import logging
import socket
from typing import BinaryIO

import eventlet
from _ctrl_c import interrupt_main_on_ctrl_c

log = logging.getLogger("chat")

MAX_LINE = 4096


class ChatRoom:
    """The connected clients and how to broadcast to them."""

    def __init__(self) -> None:
        self.members: dict[socket.socket, BinaryIO] = {}

    def broadcast(self, sender: socket.socket, line: bytes) -> None:
        """Send ``line`` to everyone but ``sender``; drop clients that went away."""
        for peer, writer in list(self.members.items()):
            if peer is sender:
                continue
            try:
                writer.write(line)
                writer.flush()
            except (OSError, ValueError) as exc:  # reset, or closed by its own handler meanwhile
                log.info("dropping a client: %s", exc)
                self.members.pop(peer, None)

    def handle(self, conn: socket.socket, address: tuple[str, int]) -> None:
        """Serve one client until it disconnects."""
        name = f"{address[0]}:{address[1]}"
        with conn, conn.makefile("rb") as reader, conn.makefile("wb") as writer:
            writer.write(f"* welcome {name}, {len(self.members)} other(s) here\n".encode())
            writer.flush()
            self.members[conn] = writer
            self.broadcast(conn, f"* {name} joined\n".encode())
            log.info("%s joined", name)
            try:
                while line := reader.readline(MAX_LINE):
                    if not line.endswith(b"\n"):
                        line += b"\n"
                    self.broadcast(conn, f"{name}: ".encode() + line)
            except OSError as exc:  # the client reset the connection: it has left
                log.info("%s: %s", name, exc)
            finally:
                self.members.pop(conn, None)
        self.broadcast(conn, f"* {name} left\n".encode())
        log.info("%s left", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7000, help="0 picks a free port")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = eventlet.listen((args.host, args.port))
    log.info("chat server on %s:%s", *server.getsockname()[:2])
    interrupt_main_on_ctrl_c()
    try:
        eventlet.serve(server, ChatRoom().handle)
    except KeyboardInterrupt:
        log.info("bye")


if __name__ == "__main__":
    main()

"""Faults: resets, broken pipes, half-closed connections, closes under a waiter, running out of fds."""

from __future__ import annotations

import errno
import os
import struct
import subprocess
import sys
import textwrap

import pytest

import eventlet
from eventlet.green import socket
from eventlet.greenio import GreenSocket
from eventlet.testing import hub_turns


def tcp_pair() -> tuple[GreenSocket, GreenSocket]:
    with eventlet.listen(("127.0.0.1", 0)) as listener:
        client = eventlet.connect(listener.getsockname())
        server, _ = listener.accept()
    return client, server


def reset(sock: GreenSocket) -> None:
    """Close with SO_LINGER 0: the peer gets a RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.usefixtures("any_hub")
def test_peer_reset_while_waiting_reads_as_the_end() -> None:
    client, server = tcp_pair()
    eventlet.spawn(reset, client)  # runs once the recv below waits
    with server:
        assert server.recv(10) == b""  # upstream eventlet's contract (stdlib sockets raise)
        assert server.recv(10) == b""


@pytest.mark.usefixtures("any_hub")
def test_peer_reset_before_the_call() -> None:
    client, server = tcp_pair()
    reset(client)
    eventlet.sleep(0.01)

    def send_twice() -> None:  # the kernel may take the first send before it reports the reset
        server.sendall(b"x" * 100)
        server.sendall(b"x" * 100)

    with server, pytest.raises(ConnectionResetError):
        send_twice()


@pytest.mark.usefixtures("any_hub")
def test_epipe_after_local_shutdown_and_after_peer_close() -> None:
    client, server = tcp_pair()
    with client, server:
        client.shutdown(socket.SHUT_WR)
        with pytest.raises(BrokenPipeError):
            client.send(b"x")
    client, server = tcp_pair()
    server.close()

    def flood() -> None:  # until the kernel reports the closed peer
        for _ in range(100):
            client.sendall(b"x" * 65536)
            eventlet.sleep(0.001)

    with client, pytest.raises((BrokenPipeError, ConnectionResetError)):
        flood()


@pytest.mark.usefixtures("any_hub")
def test_half_closed_connection_reads_to_eof_then_answers() -> None:
    client, server = tcp_pair()
    with client, server:

        def serve_one() -> None:
            request = b""
            while chunk := server.recv(4):
                request += chunk
            server.sendall(b"got " + request)
            server.shutdown(socket.SHUT_WR)

        thread = eventlet.spawn(serve_one)
        client.sendall(b"whole request")
        client.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := client.recv(3):
            answer += chunk
        thread.wait()
        assert answer == b"got whole request"


@pytest.mark.usefixtures("any_hub")
def test_close_under_a_waiting_accept_and_sendall() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    client, server = tcp_pair()
    errors: list[int | None] = []

    def accept() -> None:
        try:
            listener.accept()
        except OSError as exc:
            errors.append(exc.errno)

    def flood() -> None:
        try:
            client.sendall(b"x" * (64 * 1024 * 1024))
        except OSError as exc:
            errors.append(exc.errno)

    threads = [eventlet.spawn(accept), eventlet.spawn(flood)]
    hub_turns(1)  # both wait: for a connection, for room in the buffers
    listener.close()
    client.close()
    for thread in threads:
        thread.wait()
    server.close()
    assert errors == [errno.EBADF, errno.EBADF]


CHILD = textwrap.dedent(
    """
    import logging, os, resource, sys
    import eventlet

    retries = [0]

    class Count(logging.Handler):
        def emit(self, record):
            if "retrying" in record.getMessage():
                retries[0] += 1

    log = logging.getLogger("eventlet.convenience")
    log.addHandler(Count())
    log.setLevel(logging.DEBUG)
    log.propagate = False

    server = eventlet.listen(("127.0.0.1", 0), backlog=20)
    eventlet.sleep(0)  # create the hub (and its fds) before the limit
    in_use = len(os.listdir("/proc/self/fd")) - 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 3, hard))  # room for 3 connections
    print(server.getsockname()[1], flush=True)

    def handle(conn, addr):
        data = conn.recv(10)
        if data == b"stop":
            raise eventlet.StopServe()
        if data == b"retries":
            conn.sendall(str(retries[0]).encode())
        else:
            conn.sendall(b"ok:" + data)

    eventlet.serve(server, handle)
    """
)


@pytest.mark.parametrize("hub", ["epolls", "poll", "selects"])
def test_serve_backs_off_on_emfile_and_recovers(hub: str) -> None:
    env = dict(os.environ, EVENTLET_HUB=hub)
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(6)]
        eventlet.sleep(0.3)  # the child accepted 3 and now meets EMFILE on every retry
        for n, client in enumerate(clients):  # each answer frees an fd, letting one more in
            client.sendall(b"%d" % n)
            assert client.recv(10) == b"ok:%d" % n
            client.close()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as probe:
            probe.sendall(b"retries")
            retries = int(probe.recv(10))
        assert 1 <= retries < 40  # backed off (a spinning loop would retry thousands of times)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as stopper:
            stopper.sendall(b"stop")
            assert stopper.recv(10) == b""
        assert child.wait(10) == 0
    finally:
        if child.poll() is None:  # pragma: no cover - only when the test fails
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

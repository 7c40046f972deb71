"""examples/echo_server.py and examples/chat_server.py, talked to like nc would."""

from __future__ import annotations

from tests.examples._run import connect, ctrl_c, read_line, start

PORT = r"on 127\.0\.0\.1:(\d+)"


def test_echo_server_echoes_for_several_clients_and_stops_on_ctrl_c() -> None:
    with start("echo_server", "--port", "0") as proc:
        port = int(proc.wait_for(PORT).group(1))
        clients = [connect(port) for _ in range(3)]
        for i, client in enumerate(clients):
            client.sendall(b"hello %d\n" % i)
        for i, client in enumerate(clients):
            assert read_line(client) == b"hello %d\n" % i
        big = bytes(range(256)) * 1024
        clients[0].sendall(big)
        received = bytearray()
        while len(received) < len(big):
            received += clients[0].recv(65536)
        assert received == big
        for client in clients:
            name = "{}:{}".format(*client.getsockname())
            client.close()
            proc.wait_for(f"{name} disconnected")  # idle again: Ctrl-C lands in the main loop
        ctrl_c(proc)


def test_chat_server_broadcasts_to_the_others() -> None:
    with start("chat_server", "--port", "0") as proc:
        port = int(proc.wait_for(PORT).group(1))
        ann = connect(port)
        assert read_line(ann).startswith(b"* welcome ")
        bob = connect(port)
        assert read_line(bob).endswith(b"1 other(s) here\n")
        bob_name = bob.getsockname()
        assert read_line(ann) == b"* %s:%d joined\n" % (bob_name[0].encode(), bob_name[1])
        ann.sendall(b"hi bob\n")
        ann_name = ann.getsockname()
        assert read_line(bob) == b"%s:%d: hi bob\n" % (ann_name[0].encode(), ann_name[1])
        bob.sendall(b"hi ann\n")
        assert read_line(ann).endswith(b": hi ann\n")
        bob.close()
        assert read_line(ann) == b"* %s:%d left\n" % (bob_name[0].encode(), bob_name[1])
        ann.close()
        proc.wait_for("{}:{} left".format(*ann_name))
        ctrl_c(proc)

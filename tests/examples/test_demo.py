"""examples/demo.py: the websocket chat page, /hello and the /chat websocket, like a browser would."""

from __future__ import annotations

import signal
import urllib.error
import urllib.request

import pytest

from tests.examples._run import ctrl_c, start

websocket = pytest.importorskip("websocket")  # websocket-client


def test_page_hello_and_chat() -> None:
    with start("demo", "--port", "0") as proc:
        url = proc.wait_for(r"websocket chat on (http://127\.0\.0\.1:\d+/)").group(1)
        with urllib.request.urlopen(url + "hello", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            assert b"Hello from Eventlet" in response.read()
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert page.startswith("<!doctype html>")
        assert "new WebSocket(" in page
        assert '"/chat"' in page
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "nowhere", timeout=10)
        assert missing.value.code == 404

        ws_url = url.replace("http://", "ws://") + "chat"
        ann = websocket.create_connection(ws_url, timeout=10)
        assert ann.recv() == "* welcome, you are guest-1"
        assert ann.recv() == "* guest-1 joined"
        bob = websocket.create_connection(ws_url, timeout=10)
        assert bob.recv() == "* welcome, you are guest-2"
        assert bob.recv() == "* guest-2 joined"
        assert ann.recv() == "* guest-2 joined"
        ann.send("hello bob")
        assert ann.recv() == "guest-1: hello bob"
        assert bob.recv() == "guest-1: hello bob"
        bob.send_binary(b"bytes are shown as text")
        assert ann.recv() == "guest-2: bytes are shown as text"
        bob.close()
        assert ann.recv() == "* guest-2 left"
        ann.close()
        proc.wait_for(r'"GET /chat HTTP/1.1" 101 ')
        ctrl_c(proc)


def test_port_in_use_is_a_clear_error() -> None:
    with start("demo", "--port", "0") as first:
        port = first.wait_for(r"http://127\.0\.0\.1:(\d+)/").group(1)
        with start("demo", "--port", port) as second:
            assert second.proc.wait(20) != 0
            second.wait_for(f"demo: cannot listen on 127.0.0.1:{port}: Address already in use")
            assert "Traceback" not in second.output()
        ctrl_c(first)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_closes_open_websockets_and_exits_cleanly(stop_signal: int) -> None:
    with start("demo", "--port", "0") as proc:
        url = proc.wait_for(r"websocket chat on (http://127\.0\.0\.1:\d+/)").group(1)
        ws = websocket.create_connection(url.replace("http://", "ws://") + "chat", timeout=10)
        assert ws.recv() == "* welcome, you are guest-1"
        assert ws.recv() == "* guest-1 joined"
        proc.proc.send_signal(stop_signal)
        # The server says goodbye with a close frame after its grace period, not a reset.
        opcode, frame = ws.recv_data_frame(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(frame.data[:2], "big") in (1000, 1001)
        ws.close()
        assert proc.proc.wait(20) == 0, proc.output()
        proc.wait_for(r"^bye$")

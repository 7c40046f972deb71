"""eventlet._accept.AcceptBackoff: the accept-with-backoff every accept loop of the project uses."""

from __future__ import annotations

import errno
import logging
from typing import Any

import pytest

import eventlet
from eventlet import hubs
from eventlet._accept import FIRST_DELAY, MAX_DELAY, AcceptBackoff

log = logging.getLogger("tests.accept")


class Scripted:
    """A listening socket whose ``accept`` fails with the given errnos first, then accepts."""

    def __init__(self, real: Any, *failures: int) -> None:
        self.real = real
        self.failures = list(failures)
        self.calls: list[float] = []  # the hub's (virtual) time of each accept call

    def accept(self) -> tuple[Any, Any]:
        self.calls.append(hubs.get_hub().clock())
        if self.failures:
            number = self.failures.pop(0)
            raise OSError(number, errno.errorcode[number])
        return self.real.accept()  # type: ignore[no-any-return]


@pytest.fixture
def listener() -> Any:
    with eventlet.listen(("127.0.0.1", 0)) as sock:
        yield sock


def _connect(listener: Any) -> Any:
    return eventlet.connect(listener.getsockname())


@pytest.mark.virtual_clock
def test_transient_errors_are_retried_at_once(listener: Any, caplog: pytest.LogCaptureFixture) -> None:
    sock = Scripted(listener, errno.ECONNABORTED, errno.EPROTO, errno.EINTR)
    with _connect(listener), caplog.at_level(logging.DEBUG, "tests.accept"):
        conn, addr = AcceptBackoff(log, "test").accept(sock)
        conn.close()
    assert len(sock.calls) == 4
    assert sock.calls[-1] == sock.calls[0]
    assert addr[0] == "127.0.0.1"
    assert not caplog.records  # no sleep


@pytest.mark.virtual_clock
def test_resource_errors_back_off_doubling_then_a_success_ends_the_episode(
    listener: Any, caplog: pytest.LogCaptureFixture
) -> None:
    backoff = AcceptBackoff(log, "test")
    failures = [errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM] + [errno.EMFILE] * 5
    sock = Scripted(listener, *failures)
    with caplog.at_level(logging.DEBUG, "tests.accept"):
        with _connect(listener):
            backoff.accept(sock)[0].close()
        waits = [round(b - a, 6) for a, b in zip(sock.calls, sock.calls[1:], strict=False)]
        assert waits == [FIRST_DELAY * 2**n for n in range(6)] + [MAX_DELAY] * 3
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == ["test cannot accept ([Errno 24] EMFILE): backing off until it clears"]
        assert sum("retrying in" in r.getMessage() for r in caplog.records) == len(failures)
        # A new episode starts from the first delay again, with a new warning.
        sock = Scripted(listener, errno.EMFILE)
        with _connect(listener):
            backoff.accept(sock)[0].close()
        assert round(sock.calls[1] - sock.calls[0], 6) == FIRST_DELAY
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 2


def test_other_errors_are_raised(listener: Any) -> None:
    backoff = AcceptBackoff(log, "test")
    with pytest.raises(OSError, match="EBADF") as info:
        backoff.accept(Scripted(listener, errno.EBADF))
    assert info.value.errno == errno.EBADF
    assert backoff.retry(OSError(errno.EINVAL, "not listening")) is False
    assert backoff.retry(OSError(errno.ECONNABORTED, "aborted")) is True

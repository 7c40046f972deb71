"""The access log: one line per response, Apache "combined" style by default.

The format is a ``%``-style template over named fields, so a deployment can reorder or drop
them; the fields are:

``client_ip`` (the peer, or the first ``X-Forwarded-For`` entry when ``forwarded_for`` is on),
``remote_addr`` (always the peer), ``date_time`` (``10/Oct/2000:13:55:36 +0000``),
``request_line``, ``method``, ``path``, ``query``, ``protocol``, ``status_code``,
``body_length`` (bytes of body sent, ``-`` when none), ``wall_seconds`` (float), ``referer``,
``user_agent``.

Lines go to the logger ``eventlet.httpd.access`` at INFO (nothing is formatted when that logger
is disabled for INFO, so an unconfigured access log costs one check per request), to any object
with an ``info`` method, or to a writable text file (one line each, flushed).
"""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["COMBINED", "COMMON", "EVENTLET", "AccessLog"]

COMBINED = (
    '%(client_ip)s - - [%(date_time)s] "%(request_line)s" %(status_code)s %(body_length)s '
    '"%(referer)s" "%(user_agent)s"'
)
"""Apache's combined log format (the default)."""
COMMON = '%(client_ip)s - - [%(date_time)s] "%(request_line)s" %(status_code)s %(body_length)s'
"""Apache's common log format."""
EVENTLET = (
    '%(client_ip)s - - [%(date_time)s] "%(request_line)s" %(status_code)s %(body_length)s %(wall_seconds).6f'
)
"""Upstream eventlet.wsgi's default format."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class AccessLog:
    """Writes access log lines to ``target`` (see the module docstring).

    ``target`` is ``None`` (the ``eventlet.httpd.access`` logger), a logger-like object (has
    ``info``) or a file-like object (has ``write``).  ``forwarded_for`` makes ``client_ip``
    the first address of ``X-Forwarded-For`` when present.
    """

    __slots__ = ("_file", "_logger", "_second", "_stamp", "format", "forwarded_for")

    def __init__(self, target: Any = None, format: str = COMBINED, forwarded_for: bool = False) -> None:
        self.format: str = format
        self.forwarded_for: bool = forwarded_for
        self._logger: Any = None
        self._file: Any = None
        if target is None:
            self._logger = logging.getLogger("eventlet.httpd.access")
        elif callable(getattr(target, "info", None)):
            self._logger = target
        elif callable(getattr(target, "write", None)):
            self._file = target
        else:
            raise TypeError(f"access log target must be a logger or a writable file, not {target!r}")
        self._second = -1
        self._stamp = ""

    @property
    def enabled(self) -> bool:
        """Whether a line written now would go anywhere."""
        logger = self._logger
        if logger is None:
            return True
        is_enabled = getattr(logger, "isEnabledFor", None)
        return is_enabled is None or bool(is_enabled(logging.INFO))

    def _date_time(self) -> str:
        second = int(time.time())
        if second != self._second:
            t = time.gmtime(second)
            self._stamp = (
                f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
                f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
            )
            self._second = second
        return self._stamp

    def fields(
        self,
        environ: dict[str, Any],
        status: str,
        body_length: int,
        wall_seconds: float,
    ) -> dict[str, Any]:
        """The named fields for one request (see the module docstring)."""
        remote = environ.get("REMOTE_ADDR", "-")
        client = remote
        if self.forwarded_for:
            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            if forwarded:
                client = forwarded.split(",", 1)[0].strip() or remote
        method = environ.get("REQUEST_METHOD", "-")
        path = environ.get("RAW_PATH_INFO", "-")
        query = environ.get("QUERY_STRING", "")
        protocol = environ.get("SERVER_PROTOCOL", "-")
        target = path + "?" + query if query else path
        return {
            "client_ip": client,
            "remote_addr": remote,
            "date_time": self._date_time(),
            "request_line": f"{method} {target} {protocol}",
            "method": method,
            "path": path,
            "query": query,
            "protocol": protocol,
            "status_code": status.split(" ", 1)[0],
            "body_length": body_length if body_length else "-",
            "wall_seconds": wall_seconds,
            "referer": environ.get("HTTP_REFERER", "-"),
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
        }

    def write(self, environ: dict[str, Any], status: str, body_length: int, wall_seconds: float) -> None:
        """Format and emit one line."""
        line = self.format % self.fields(environ, status, body_length, wall_seconds)
        if self._file is not None:
            self._file.write(line + "\n")
            flush = getattr(self._file, "flush", None)
            if flush is not None:
                flush()
        else:
            self._logger.info("%s", line)

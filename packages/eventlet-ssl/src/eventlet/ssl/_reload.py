"""Server contexts whose certificate and key can be replaced while the server runs.

How it works
------------
A TLS context is shared by every connection made from it, and changing a live one in place is
not atomic (loading a new certificate whose key then fails to load leaves a mismatched pair).  So
:class:`ReloadableServerContext` never changes a context: :meth:`~ReloadableServerContext.reload`
builds a complete new one from the files, checks it (the key must match the certificate), and
only then makes it current.  Connections already established keep the context they were made
with; new ones get the new pair.  If the files are bad the old context stays and the error is
raised (or, when watching, logged on ``eventlet.ssl``).

Watching costs no thread and no timer: with ``check_interval`` set, the context looks at the
files' modification times when it is asked for (that is, on a new connection), at most once per
interval, and reloads if they changed.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any

from eventlet.ssl._api import ContextSource, create_default_context, wrap_socket

__all__ = ["ReloadableServerContext"]

logger = logging.getLogger("eventlet.ssl")


class ReloadableServerContext(ContextSource):
    """A server-side TLS context whose certificate/key pair can be reloaded without a restart.

    ``ReloadableServerContext(certfile, keyfile)`` loads the pair now.  Use it wherever a context
    is accepted (:func:`eventlet.ssl.wrap_socket`), or call its :meth:`wrap_socket`, or take its
    current :attr:`context`.  ``configure(context)`` is called on every new context before it is
    used (set ciphers, client CAs, SNI callbacks...).  The other keywords are those of
    :func:`eventlet.ssl.create_default_context` (``backend`` included).  ``check_interval``
    (seconds) enables watching the files' modification times.
    """

    def __init__(
        self,
        certfile: str,
        keyfile: str | None = None,
        password: str | bytes | None = None,
        *,
        cafile: str | None = None,
        alpn_protocols: Sequence[str] | None = None,
        require_client_cert: bool = False,
        backend: str = "stdlib",
        configure: Callable[[Any], object] | None = None,
        check_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.certfile = certfile
        self.keyfile = keyfile
        self.password = password
        self.cafile = cafile
        self.alpn_protocols = alpn_protocols
        self.require_client_cert = require_client_cert
        self.backend = backend
        self.configure = configure
        self.check_interval = check_interval
        self.clock = clock
        #: How many times a new pair was loaded (the first load counts as 1).
        self.generation: int = 0
        self._mtimes = self._stat()
        self._checked = clock()
        self._context = self._build()
        self.generation = 1

    def _stat(self) -> tuple[int, ...]:
        paths = [self.certfile] if self.keyfile is None else [self.certfile, self.keyfile]
        return tuple(os.stat(path).st_mtime_ns for path in paths)

    def _build(self) -> Any:
        context = create_default_context(
            ssl.Purpose.CLIENT_AUTH,
            cafile=self.cafile,
            certfile=self.certfile,
            keyfile=self.keyfile,
            password=self.password,
            alpn_protocols=self.alpn_protocols,
            require_client_cert=self.require_client_cert,
            backend=self.backend,
        )
        if self.configure is not None:
            self.configure(context)
        return context

    def reload(self) -> None:
        """Load the files again; new connections use the new pair (errors keep the old one)."""
        mtimes = self._stat()
        context = self._build()
        self._context = context
        self._mtimes = mtimes
        self.generation += 1
        logger.info("reloaded TLS certificate %s (generation %d)", self.certfile, self.generation)

    def _maybe_reload(self) -> None:
        now = self.clock()
        if now - self._checked < self.check_interval:  # type: ignore[operator]
            return
        self._checked = now
        try:
            if self._stat() != self._mtimes:
                self.reload()
        except Exception as exc:  # OSError, ssl.SSLError, OpenSSL.SSL.Error: keep serving
            logger.error("keeping the current TLS certificate: reloading %s failed: %s", self.certfile, exc)

    @property
    def context(self) -> Any:
        """The current context (an ``ssl.SSLContext`` or ``OpenSSL.SSL.Context``)."""
        if self.check_interval is not None:
            self._maybe_reload()
        return self._context

    def wrap_socket(self, sock: Any, server_side: bool = True, **kwargs: Any) -> Any:
        """Wrap ``sock`` server-side with the current context (see :func:`eventlet.ssl.wrap_socket`)."""
        return wrap_socket(sock, self, server_side=server_side, **kwargs)

"""TextStream: text with timeouts over a green :class:`~eventlet.processes.PipeStream`."""

from __future__ import annotations

import codecs
import time
from collections.abc import Iterator

from eventlet.processes._streams import _DEFAULT, CHUNK, PipeStream

__all__ = ["TextStream"]


class TextStream:
    """Text over a :class:`PipeStream`: ``read``, ``readline``, line iteration, ``write``, timeouts.

    Decoding is incremental, so a character split across two reads is decoded whole.  Line endings
    are kept as they come (no newline translation).
    """

    def __init__(self, stream: PipeStream, encoding: str | None = None, errors: str | None = None) -> None:
        self.buffer = stream
        self.encoding: str = encoding or "utf-8"
        self.errors: str = errors or "strict"
        self._decoder = codecs.getincrementaldecoder(self.encoding)(self.errors)
        self._text = ""

    @property
    def closed(self) -> bool:
        """True once closed."""
        return self.buffer.closed

    def fileno(self) -> int:
        """The pipe's file descriptor."""
        return self.buffer.fileno()

    def close(self) -> None:
        """Close the underlying pipe."""
        self.buffer.close()

    def _more(self, deadline: float | None) -> bool:
        remaining = None if deadline is None else deadline - time.monotonic()
        chunk = self.buffer.read1(CHUNK, timeout=remaining)
        self._text += self._decoder.decode(chunk, final=not chunk)
        return bool(chunk)

    def _take(self, count: int) -> str:
        text, self._text = self._text[:count], self._text[count:]
        return text

    def read(self, size: int = -1, timeout: float | None = _DEFAULT) -> str:
        """Read ``size`` characters (fewer only at end of file), or everything up to EOF."""
        deadline = self.buffer._deadline(timeout)
        while (size < 0 or len(self._text) < size) and self._more(deadline):
            pass
        return self._take(len(self._text) if size < 0 else size)

    def readline(self, timeout: float | None = _DEFAULT) -> str:
        """Read up to and including the next ``"\\n"``, or the rest at end of file."""
        deadline = self.buffer._deadline(timeout)
        scanned = 0
        while True:
            end = self._text.find("\n", scanned)
            if end >= 0:
                return self._take(end + 1)
            scanned = len(self._text)
            if not self._more(deadline):
                return self._take(len(self._text))

    def __iter__(self) -> Iterator[str]:
        """Iterate over lines."""
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, text: str, timeout: float | None = _DEFAULT) -> int:
        """Encode and write all of ``text``; return its length in characters."""
        self.buffer.write(text.encode(self.encoding, self.errors), timeout=timeout)
        return len(text)

    def flush(self) -> None:
        """Nothing to do: writes are not buffered."""
        self.buffer.flush()

    def __enter__(self) -> TextStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

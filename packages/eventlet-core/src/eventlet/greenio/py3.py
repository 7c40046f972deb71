"""Upstream eventlet's ``eventlet.greenio.py3``: green pipes and file objects, by that name.

The objects of :mod:`eventlet.greenio`: :func:`GreenPipe`, :class:`GreenFileIO`, and
``_fileobject`` (``socket.SocketIO``, which programs subclass).
"""

from __future__ import annotations

from eventlet.greenio import GreenFileIO, GreenPipe, _fileobject

__all__ = ["GreenFileIO", "GreenPipe", "_fileobject"]

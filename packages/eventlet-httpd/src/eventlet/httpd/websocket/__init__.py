"""Websockets for eventlet-httpd, in three layers (the modules are private).

* The sans-IO core (RFC 6455 with RFC 7692's permessage-deflate): bytes in, events out, no
  socket, green thread or hub.  ``_frames`` (opcodes, close codes, masking, frame building),
  ``_events`` (what received bytes turn into), ``_deflate`` (negotiation and the codec),
  ``_handshake`` (the opening handshake, server and client side) and ``_protocol``
  (:class:`~eventlet.httpd.websocket._protocol.WebSocketConnection`, the per-connection state
  machine).  The import contracts in ``pyproject.toml`` keep them free of I/O.
* The green driver, ``_app``: :class:`eventlet.httpd.WebSocketWSGI` and the
  :class:`eventlet.httpd.WebSocket` it hands to a handler, on the connection's green socket.
* Upstream eventlet's websocket API, used by :mod:`eventlet.websocket`: ``_compat_handshake``
  (upstream's lenient handshake and deflate negotiation), ``_compat_frames`` (upstream's frame
  reader and exception classes), ``_legacy`` (the hixie-75/76 drafts and upstream's
  ``WebSocket``) and ``_rfc6455`` (upstream's ``RFC6455WebSocket`` on the sans-IO core).

The public names live in :mod:`eventlet.httpd` (``WebSocket``, ``WebSocketWSGI``) and
:mod:`eventlet.websocket` (upstream's).
"""

"""Trusted proxies: who may tell us the client's address, and what they say.

Behind a reverse proxy the peer of every connection is the proxy; the proxy reports the client
in headers (``X-Forwarded-For``, ``X-Forwarded-Proto``, ``X-Forwarded-Host``, or the standard
``Forwarded`` of RFC 7239) or, below HTTP, in a PROXY protocol header (:mod:`eventlet.httpd._proxy`).
Anyone can send such headers, so they are believed only from the peers in
:class:`TrustedPeers` (the server's ``forwarded_allow_ips``): addresses, networks
(``10.0.0.0/8``) or ``*``; a peer on a UNIX socket is always trusted, as only local processes
allowed to open the socket reach it (gunicorn does the same).

The decision is taken once per connection, so a connection from an untrusted peer costs
nothing per request.  For a trusted one, :class:`ForwardedApp` wraps the application: when the
request carries forwarding headers it rewrites ``REMOTE_ADDR`` (``REMOTE_PORT`` becomes
``"0"``: the client's port is not known), ``wsgi.url_scheme`` (and ``HTTPS``) and ``HTTP_HOST``.
``Forwarded`` wins over the ``X-Forwarded-*`` headers when both are present.

The client is found by walking the list of addresses from the right (the hop nearest to us)
and skipping trusted proxies: the first untrusted address is the client, so a client cannot
pose as another by sending its own ``X-Forwarded-For`` through a proxy that appends to it.
When every address is trusted (``*``), the leftmost one is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["ForwardedApp", "TrustedPeers", "parse_forwarded"]

_CACHE_SIZE = 1024
_SCHEMES = frozenset(("http", "https"))


class TrustedPeers:
    """A set of trusted peer addresses: ``spec`` is ``"*"``, or addresses and networks.

    ``spec`` is a comma-separated string or an iterable of strings.  ``"" in peers`` (the
    peer of a UNIX socket) is always true.
    """

    def __init__(self, spec: str | Iterable[str]) -> None:
        items = spec.split(",") if isinstance(spec, str) else list(spec)
        names = [item.strip() for item in items if item.strip()]
        self.all: bool = "*" in names
        self._exact: set[str] = {""}
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for name in names:
            if name == "*":
                continue
            try:
                network = ipaddress.ip_network(name, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {name!r}") from None
            if network.num_addresses == 1:
                self._exact.add(str(network.network_address))
            else:
                self._networks.append(network)
        self._verdicts: dict[str, bool] = {}

    def __contains__(self, address: object) -> bool:
        if self.all or address in self._exact:
            return True
        if not isinstance(address, str) or not self._networks:
            return False
        verdict = self._verdicts.get(address)
        if verdict is None:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                verdict = False
            else:
                verdict = any(ip in network for network in self._networks)
            if len(self._verdicts) < _CACHE_SIZE:
                self._verdicts[address] = verdict
        return verdict

    def __repr__(self) -> str:
        if self.all:
            return "TrustedPeers('*')"
        return f"TrustedPeers({sorted(self._exact - {''}) + [str(n) for n in self._networks]!r})"


def _host_of(node: str) -> str:
    """The address in a ``for=`` node or an ``X-Forwarded-For`` entry (port and brackets off)."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return node[1 : node.find("]")] if "]" in node else node[1:]
    if node.count(":") == 1:  # IPv4 with a port (a bare IPv6 address has several colons)
        return node.partition(":")[0]
    return node


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """The elements of a ``Forwarded`` header value (RFC 7239), parameter names lower-cased."""
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    pair: list[str] = []
    quoted = False
    escaped = False

    def end_pair() -> None:
        name, _, text = "".join(pair).partition("=")
        name = name.strip().lower()
        text = text.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        if name:
            current.setdefault(name, text)
        pair.clear()

    for char in value:
        if escaped:
            pair.append(char)
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
                continue
            if char == '"':
                quoted = False
            pair.append(char)
        elif char == '"':
            quoted = True
            pair.append(char)
        elif char == ";":
            end_pair()
        elif char == ",":
            end_pair()
            elements.append(current)
            current = {}
        else:
            pair.append(char)
    end_pair()
    elements.append(current)
    return [element for element in elements if element]


def _pick(values: list[str], index: int) -> str:
    """The value matching the client's hop when the lists line up, else the nearest hop's."""
    if len(values) == 1:
        return values[0]
    return values[index] if 0 <= index < len(values) else values[-1]


class ForwardedApp:
    """Wraps ``app`` to apply a trusted proxy's forwarding headers (see the module docstring)."""

    __slots__ = ("app", "trusted")

    def __init__(self, app: Callable[..., Any], trusted: TrustedPeers) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Rewrite the environ from the forwarding headers, then call the application."""
        if "HTTP_FORWARDED" in environ:
            self._apply_forwarded(environ, environ["HTTP_FORWARDED"])
        elif (
            "HTTP_X_FORWARDED_FOR" in environ
            or "HTTP_X_FORWARDED_PROTO" in environ
            or "HTTP_X_FORWARDED_HOST" in environ
        ):
            self._apply_x_forwarded(environ)
        return self.app(environ, start_response)

    def _client(self, nodes: list[str]) -> tuple[str | None, int]:
        """The client among ``nodes`` (left to right) and its index; None if none is given."""
        trusted = self.trusted
        for index in range(len(nodes) - 1, -1, -1):
            if nodes[index] not in trusted:
                return nodes[index], index
        return (nodes[0], 0) if nodes else (None, -1)

    def _apply_x_forwarded(self, environ: dict[str, Any]) -> None:
        index = -1
        value = environ.get("HTTP_X_FORWARDED_FOR")
        if value:
            client, index = self._client([_host_of(n) for n in value.split(",") if n.strip()])
            if client:
                _set_client(environ, client)
        proto = environ.get("HTTP_X_FORWARDED_PROTO")
        if proto:
            _set_scheme(environ, _pick([p.strip() for p in proto.split(",")], index))
        host = environ.get("HTTP_X_FORWARDED_HOST")
        if host:
            environ["HTTP_HOST"] = _pick([h.strip() for h in host.split(",")], index)

    def _apply_forwarded(self, environ: dict[str, Any], value: str) -> None:
        elements = parse_forwarded(value)
        nodes = [_host_of(element.get("for", "")) for element in elements]
        client, index = self._client(nodes)
        if client is None:
            return
        element = elements[index]
        if client and client != "unknown" and not client.startswith("_"):
            _set_client(environ, client)
        if "proto" in element:
            _set_scheme(environ, element["proto"])
        if element.get("host"):
            environ["HTTP_HOST"] = element["host"]


def _set_client(environ: dict[str, Any], client: str) -> None:
    environ["REMOTE_ADDR"] = client
    environ["REMOTE_PORT"] = "0"


def _set_scheme(environ: dict[str, Any], scheme: str) -> None:
    scheme = scheme.strip().lower()
    if scheme not in _SCHEMES:
        return
    environ["wsgi.url_scheme"] = scheme
    if scheme == "https":
        environ["HTTPS"] = "on"
    else:
        environ.pop("HTTPS", None)

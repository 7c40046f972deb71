"""eventlet.support.greendns: dnspython lookups on green sockets, against a DNS server on 127.0.0.1."""

from __future__ import annotations

import socket as stdsocket
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dns")

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

import eventlet
from eventlet.green import socket
from eventlet.support import greendns

ZONE = {
    ("www.example.test.", "A"): ["10.0.0.1", "10.0.0.2"],
    ("www.example.test.", "AAAA"): ["fd00::1"],
    ("v4only.example.test.", "A"): ["10.0.0.9"],
    ("alias.example.test.", "CNAME"): ["www.example.test."],
    ("alias2.example.test.", "CNAME"): ["alias.example.test."],
    ("db.", "A"): ["10.0.0.7"],
    ("1.0.0.10.in-addr.arpa.", "PTR"): ["www.example.test."],
    ("2.0.0.10.in-addr.arpa.", "PTR"): ["a.example.test.", "b.example.test."],
    ("twice.example.test.", "A"): ["10.0.0.3", "10.0.0.4"],
}


def answer_for(query: dns.message.Message) -> dns.message.Message:
    """The zone's answer to ``query`` (NXDOMAIN for unknown names, no records for other types)."""
    response = dns.message.make_response(query)
    question = query.question[0]
    name = question.name.to_text()
    rdtype = dns.rdatatype.to_text(question.rdtype)
    known = {key[0] for key in ZONE}
    records = ZONE.get((name, rdtype))
    if records:
        response.answer.append(dns.rrset.from_text_list(name, 60, "IN", rdtype, records))
    elif rdtype in ("A", "AAAA") and (name, "CNAME") in ZONE:
        target = ZONE[(name, "CNAME")][0]
        response.answer.append(dns.rrset.from_text_list(name, 60, "IN", "CNAME", [target]))
        while (target, "CNAME") in ZONE:
            target = ZONE[(target, "CNAME")][0]
        more = ZONE.get((target, rdtype))
        if more:
            response.answer.append(dns.rrset.from_text_list(target, 60, "IN", rdtype, more))
    elif name not in known:
        response.set_rcode(dns.rcode.NXDOMAIN)
    return response


class DnsServer:
    """A UDP and TCP DNS server on 127.0.0.1 run by green threads; ``reply`` may be replaced."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen()
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.reply: Callable[[dns.message.Message, bytes], Any] = lambda q, wire: answer_for(q).to_wire()
        self.queries: list[str] = []
        self.threads = [eventlet.spawn(self._serve_udp), eventlet.spawn(self._serve_tcp)]

    def _answer(self, wire: bytes) -> Any:
        query = dns.message.from_wire(wire)
        self.queries.append(query.question[0].name.to_text())
        return self.reply(query, wire)

    def _serve_udp(self) -> None:
        while True:
            wire, sender = self.udp.recvfrom(65535)
            out = self._answer(wire)
            for datagram in out if isinstance(out, list) else [] if out is None else [out]:
                self.udp.sendto(datagram, sender)

    def _serve_tcp(self) -> None:
        while True:
            conn, _ = self.tcp.accept()
            eventlet.spawn(self._serve_conn, conn)

    def _serve_conn(self, conn: socket.socket) -> None:
        with conn:
            length = conn.recv(2)
            (size,) = struct.unpack("!H", length)
            wire = b""
            while len(wire) < size:
                wire += conn.recv(size - len(wire))
            out = self._answer(wire)
            if out is None:
                conn.recv(1)  # never answer: hold the connection until the client gives up
            else:
                conn.sendall(struct.pack("!H", len(out)) + out)

    def close(self) -> None:
        for thread in self.threads:
            thread.kill()
        self.udp.close()
        self.tcp.close()


@pytest.fixture
def server() -> Iterator[DnsServer]:
    srv = DnsServer()
    yield srv
    srv.close()


def local_resolver(server: DnsServer, lifetime: float = 2.0) -> greendns.GreenResolver:
    """A green resolver that asks only the test server."""
    resolver = greendns.GreenResolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = server.port
    resolver.lifetime = lifetime
    resolver.timeout = lifetime
    return resolver


@pytest.fixture
def hosts_file(tmp_path: Path) -> Path:
    path = tmp_path / "hosts"
    path.write_text(
        "# a comment\n"
        "127.0.0.5   files.example.test   files # inline\r\n"
        "fd00::5 files.example.test\r"
        "fe80::1 linklocal\n"
        "not-an-address name\n"
        "10.9.9.9\n"
        "10.0.0.1 www.example.test alias-in-hosts\n"
    )
    return path


@pytest.fixture
def proxy(server: DnsServer, hosts_file: Path, monkeypatch: pytest.MonkeyPatch) -> greendns.ResolverProxy:
    """The module's resolver replaced by one on the test server and the test hosts file."""
    rp = greendns.ResolverProxy(greendns.HostsResolver(str(hosts_file)), filename=None)
    rp._resolver = local_resolver(server)
    monkeypatch.setattr(greendns, "resolver", rp)
    return rp


# ---------------------------------------------------------------------------- the hosts file


def test_hosts_resolver_reads_names_aliases_and_skips_what_it_cannot_use(hosts_file: Path) -> None:
    hr = greendns.HostsResolver(str(hosts_file))
    assert hr._v4 == {
        "files.example.test": "127.0.0.5",
        "files": "127.0.0.5",
        "www.example.test": "10.0.0.1",
        "alias-in-hosts": "10.0.0.1",
    }
    assert hr._v6 == {"files.example.test": "fd00::5"}
    assert hr._aliases == {"files": "files.example.test", "alias-in-hosts": "www.example.test"}
    answer = hr.query("FILES.example.test.")
    assert [r.address for r in answer] == ["127.0.0.5"]
    assert answer.rrset is not None
    assert 0 < answer.rrset.ttl <= greendns.HOSTS_TTL
    assert answer.expiration
    empty = hr.query(b"files", dns.rdatatype.AAAA, raise_on_no_answer=False).rrset
    assert empty is not None
    assert len(empty) == 0
    assert str(hr.query(dns.name.from_text("files"), dns.rdatatype.CNAME)[0].target) == (
        "files.example.test."
    )
    with pytest.raises(dns.resolver.NoAnswer):
        hr.query("linklocal", dns.rdatatype.AAAA)
    with pytest.raises(dns.resolver.NoAnswer):
        hr.query("files", dns.rdatatype.MX)
    assert sorted(hr.getaliases("files")) == ["files.example.test"]
    assert hr.getaliases("files.example.test") == ["files"]


def test_hosts_resolver_reloads_after_its_interval(hosts_file: Path) -> None:
    hr = greendns.HostsResolver(str(hosts_file), interval=0)
    hosts_file.write_text("10.1.1.1 later.example.test\n")
    assert hr.query("later.example.test")[0].address == "10.1.1.1"
    hosts_file.unlink()
    empty = hr.query("later.example.test", raise_on_no_answer=False).rrset
    assert empty is not None
    assert len(empty) == 0
    assert greendns.HostsResolver().fname == "/etc/hosts"
    assert greendns.HostsResolver(fname="").fname == ""
    assert greendns.HostsResolver("")._v4 == {}


def test_address_helpers() -> None:
    assert greendns.is_ipv4_addr("10.0.0.1")
    assert not greendns.is_ipv4_addr("10.0.0.256")
    assert greendns.is_ipv6_addr("fe80::1%eth0")
    assert not greendns.is_ipv6_addr("fe80::x")
    assert not greendns.is_ipv4_addr(b"10.0.0.1")
    assert not greendns.is_ipv6_addr(None)
    assert greendns.is_ip_addr("::1")
    assert not greendns.is_ip_addr("example.test")


# ---------------------------------------------------------------------------- queries on the wire


def _query(name: str, rdtype: str = "A") -> dns.message.QueryMessage:
    return dns.message.make_query(name, rdtype)


def test_udp_and_tcp_queries(server: DnsServer) -> None:
    for send in (greendns.udp, greendns.tcp):
        response = send(_query("www.example.test."), "127.0.0.1", timeout=2, port=server.port)
        assert sorted(r.address for r in response.answer[0]) == ["10.0.0.1", "10.0.0.2"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as own:
        response = greendns.udp(_query("db."), "127.0.0.1", port=server.port, sock=own)
        assert own.fileno() >= 0  # a socket given is left open
    with socket.create_connection(("127.0.0.1", server.port)) as own:
        response = greendns.tcp(_query("db."), "127.0.0.1", port=server.port, sock=own, timeout=None)
        assert own.fileno() >= 0
    assert response.answer[0][0].address == "10.0.0.7"
    response = greendns.udp(
        _query("db."), "127.0.0.1", port=server.port, source="127.0.0.1", af=socket.AF_INET, timeout=None
    )
    response = greendns.tcp(_query("db."), "127.0.0.1", port=server.port, source="127.0.0.1", source_port=0)
    assert response.answer[0][0].address == "10.0.0.7"


def test_udp_over_ipv6_loopback() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as srv:
        srv.bind(("::1", 0))
        port = srv.getsockname()[1]

        def serve() -> None:
            wire, sender = srv.recvfrom(512)
            srv.sendto(answer_for(dns.message.from_wire(wire)).to_wire(), sender)

        eventlet.spawn(serve)
        response = greendns.udp(_query("db."), "0:0::1", port=port, source="::1")
        assert response.answer[0][0].address == "10.0.0.7"


def test_udp_times_out_and_checks_who_answers(server: DnsServer) -> None:
    server.reply = lambda q, wire: None
    with pytest.raises(dns.exception.Timeout):
        greendns.udp(_query("db."), "127.0.0.1", timeout=0.05, port=server.port)
    with pytest.raises(dns.exception.Timeout):
        greendns.tcp(_query("db."), "127.0.0.1", timeout=0.05, port=server.port)
    with pytest.raises(dns.exception.Timeout):
        greendns.udp(_query("db."), "127.0.0.1", timeout=0, port=server.port)

    intruder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    intruder.bind(("127.0.0.1", 0))
    senders: list[tuple[str, int]] = []

    def from_elsewhere(q: dns.message.Message, wire: bytes) -> bytes:
        out = answer_for(q).to_wire()
        intruder.sendto(out, senders[-1])
        return out

    def capture() -> None:  # remember who asked, so the intruder can answer first
        wire, sender = server.udp.recvfrom(65535)
        senders.append(sender)
        server.udp.sendto(from_elsewhere(dns.message.from_wire(wire), wire), sender)

    server.threads[0].kill()
    try:
        eventlet.spawn(capture)
        with pytest.raises(dns.query.UnexpectedSource):
            greendns.udp(_query("db."), "127.0.0.1", timeout=2, port=server.port)
        eventlet.spawn(capture)
        response = greendns.udp(
            _query("db."), "127.0.0.1", timeout=2, port=server.port, ignore_unexpected=True
        )
        assert response.answer[0][0].address == "10.0.0.7"
    finally:
        intruder.close()


def test_udp_bad_answers_raise_or_are_skipped(server: DnsServer) -> None:
    replies: list[Callable[[dns.message.Message], bytes]] = []

    def scripted(q: dns.message.Message, wire: bytes) -> list[bytes]:
        datagrams = [reply(q) for reply in replies]  # sent in this order, then the right answer
        replies.clear()
        return [*datagrams, answer_for(q).to_wire()]

    def other_id(q: dns.message.Message) -> bytes:
        response = answer_for(q)
        response.id = (q.id + 1) % 65536
        return response.to_wire()

    def garbage(q: dns.message.Message) -> bytes:
        return b"\x00\x01garbage"

    def truncated(q: dns.message.Message) -> bytes:
        response = answer_for(q)
        response.flags |= dns.flags.TC
        return response.to_wire()

    def truncated_other(q: dns.message.Message) -> bytes:
        response = answer_for(q)
        response.flags |= dns.flags.TC
        response.id = (q.id + 1) % 65536
        return response.to_wire()

    server.reply = scripted
    port = server.port
    replies[:] = [other_id]
    with pytest.raises(dns.query.BadResponse):
        greendns.udp(_query("db."), "127.0.0.1", port=port)
    replies[:] = [garbage]
    with pytest.raises(dns.exception.DNSException):
        greendns.udp(_query("db."), "127.0.0.1", port=port)
    replies[:] = [truncated]
    with pytest.raises(dns.message.Truncated):
        greendns.udp(_query("db."), "127.0.0.1", port=port, raise_on_truncation=True, ignore_errors=True)
    replies[:] = [other_id, garbage, truncated_other]
    response = greendns.udp(
        _query("db."), "127.0.0.1", port=port, raise_on_truncation=True, ignore_errors=True
    )
    assert response.answer[0][0].address == "10.0.0.7"


def test_tcp_errors(server: DnsServer) -> None:
    def other_id(q: dns.message.Message, wire: bytes) -> bytes:
        response = answer_for(q)
        response.id = (q.id + 1) % 65536
        return response.to_wire()

    server.reply = other_id
    with pytest.raises(dns.query.BadResponse):
        greendns.tcp(_query("db."), "127.0.0.1", port=server.port)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        eventlet.spawn(lambda: listener.accept()[0].close())
        with pytest.raises(EOFError):
            greendns.tcp(_query("db."), "127.0.0.1", port=listener.getsockname()[1])


# ---------------------------------------------------------------------------- the resolvers


def test_green_resolver_asks_from_a_worker_thread_while_the_hub_runs(server: DnsServer) -> None:
    resolver = local_resolver(server)

    def tick() -> None:
        for _ in range(1000):
            eventlet.sleep(0.001)

    ticker = eventlet.spawn(tick)
    answer = resolver.resolve("www.example.test.", "A")
    assert sorted(r.address for r in answer) == ["10.0.0.1", "10.0.0.2"]
    assert resolver.resolve_address("10.0.0.1")[0].target.to_text() == "www.example.test."
    ticker.kill()
    assert server.queries  # the server (a green thread in this hub) answered meanwhile


def test_proxy_prefers_the_hosts_file_then_asks_the_name_servers(
    server: DnsServer, proxy: greendns.ResolverProxy
) -> None:
    assert [r.address for r in proxy.query("www.example.test")] == ["10.0.0.1"]  # from the hosts file
    assert server.queries == []
    assert [r.address for r in proxy.query("v4only.example.test")] == ["10.0.0.9"]
    assert sorted(r.address for r in proxy.query("twice.example.test")) == ["10.0.0.3", "10.0.0.4"]
    assert [r.address for r in proxy.query("db")] == ["10.0.0.7"]  # a single label is also asked as "db."
    assert "db." in server.queries
    with pytest.raises(dns.resolver.NXDOMAIN, match=r"0\.0\.0\.0"):  # None stands for 0.0.0.0
        proxy.query(None, raise_on_no_answer=False)
    with pytest.raises(dns.resolver.NXDOMAIN):
        proxy.query("nowhere.example.test", use_network=True)
    with pytest.raises(dns.resolver.NXDOMAIN):
        proxy.query("v4only.example.test", use_network=False)
    with pytest.raises(dns.resolver.NXDOMAIN):  # no record of the type: upstream's NXDOMAIN too
        proxy.query("v4only.example.test", dns.rdatatype.AAAA)

    class NoRecords:
        def query(self, *args: Any, **kwargs: Any) -> Any:
            raise dns.resolver.NoAnswer()

    refusing = greendns.ResolverProxy(NoRecords(), filename=None)
    refusing._resolver = NoRecords()
    with pytest.raises(dns.resolver.NoAnswer):  # the last error is raised...
        refusing.query("www.example.test")
    with pytest.raises(dns.resolver.NXDOMAIN):  # ... unless it is NoAnswer and none was wanted
        refusing.query("www.example.test", raise_on_no_answer=False)
    assert proxy.getaliases("alias2.example.test") == ["alias.example.test.", "www.example.test."]
    assert proxy.getaliases("alias-in-hosts") == ["www.example.test"]
    with pytest.raises(dns.resolver.NoNameservers):  # no configuration: nobody to ask
        greendns.ResolverProxy(filename=None).getaliases("x")
    rp = greendns.ResolverProxy(filename=None)
    first = rp._resolver
    greendns.reset()
    rp.clear()
    assert rp._resolver is not first
    assert isinstance(rp._resolver, greendns.GreenResolver)


def test_resolve_and_its_errors(server: DnsServer, proxy: greendns.ResolverProxy) -> None:
    assert [r.address for r in greendns.resolve("files.example.test", socket.AF_INET6)] == ["fd00::5"]
    assert [r.address for r in greendns.resolve("v4only.example.test")] == ["10.0.0.9"]
    empty = greendns.resolve("nowhere.example.test", raises=False)
    assert not empty.rrset
    assert empty.qname == dns.name.from_text("nowhere.example.test")
    with pytest.raises(socket.gaierror) as info:
        greendns.resolve("nowhere.example.test")
    assert info.value.errno == socket.EAI_NONAME
    with pytest.raises(socket.gaierror) as info:
        greendns.resolve("x.example.test", socket.AF_UNIX)
    assert info.value.errno == socket.EAI_FAMILY
    assert greendns.resolve_cname("alias.example.test") == "www.example.test."
    assert greendns.resolve_cname("db.") == "db."
    assert greendns.getaliases("alias.example.test") == ["www.example.test."]
    proxy._resolver = local_resolver(server, lifetime=0.05)
    server.reply = lambda q, wire: None
    for call in (
        lambda: greendns.resolve("slow.example.test"),
        lambda: greendns.resolve_cname("slow.example.test"),
        lambda: greendns.getaliases("slow.example.test"),
    ):
        with pytest.raises(socket.gaierror) as info:
            call()
        assert info.value.errno == socket.EAI_AGAIN
    server.reply = lambda q, wire: answer_for(q).to_wire()
    proxy._resolver = local_resolver(server)
    assert greendns.resolve_cname("nowhere.example.test") == "nowhere.example.test"
    proxy._resolver.nameservers = []
    with pytest.raises(socket.gaierror):
        greendns.resolve_cname("nothing.example.test")
    proxy._resolver.nameservers = []
    with pytest.raises(socket.gaierror):
        greendns.getaliases("nothing.example.test")


def test_getaddrinfo(server: DnsServer, proxy: greendns.ResolverProxy) -> None:
    def addresses(*args: Any, **kwargs: Any) -> set[Any]:
        return {ai[4] for ai in greendns.getaddrinfo(*args, **kwargs)}

    assert addresses("www.example.test", 80) == {("10.0.0.1", 80)}  # the hosts file shadows DNS
    assert addresses("files.example.test", 80) == {("127.0.0.5", 80), ("fd00::5", 80, 0, 0)}
    assert addresses("db.", 80) == {("10.0.0.7", 80)}  # not in the file: asked on the network
    assert addresses(b"v4only.example.test", "80", socket.AF_INET) == {("10.0.0.9", 80)}
    assert addresses("twice.example.test", 1, socket.AF_INET6, flags=socket.AI_V4MAPPED) == {
        ("::ffff:10.0.0.3", 1, 0, 0),
        ("::ffff:10.0.0.4", 1, 0, 0),
    }
    assert addresses("v4only.example.test", 1, socket.AF_INET6, flags=socket.AI_V4MAPPED | socket.AI_ALL) == {
        ("::ffff:10.0.0.9", 1, 0, 0)
    }
    assert addresses("files.example.test", 1, socket.AF_INET6, flags=socket.AI_V4MAPPED) == {
        ("fd00::5", 1, 0, 0)
    }
    assert addresses("files.example.test", 1, socket.AF_INET6, flags=socket.AI_V4MAPPED | socket.AI_ALL) == {
        ("fd00::5", 1, 0, 0),
        ("::ffff:127.0.0.5", 1, 0, 0),
    }
    with pytest.raises(socket.gaierror, match="No address found"):
        greendns.getaddrinfo("nowhere.example.test", 1, socket.AF_INET6, 0, 0, socket.AI_V4MAPPED)
    assert addresses("10.0.0.1", 2) == {("10.0.0.1", 2)}
    assert addresses(None, 3, socket.AF_INET) == {("127.0.0.1", 3)}
    first = greendns.getaddrinfo("alias.example.test", 80, socket.AF_INET, flags=socket.AI_CANONNAME)[0]
    assert first[3] == "www.example.test."
    assert greendns.getaddrinfo("10.0.0.1", 80, socket.AF_INET, flags=socket.AI_CANONNAME)[0][3] == "10.0.0.1"
    for host, flags in (("nowhere.example.test", 0), ("db.", socket.AI_NUMERICHOST)):
        with pytest.raises(socket.gaierror):
            greendns.getaddrinfo(host, 80, 0, 0, 0, flags)
    with pytest.raises(socket.gaierror):  # an IPv6 address asked as IPv4
        greendns.getaddrinfo("fd00::1", 80, socket.AF_INET)
    with pytest.raises(socket.gaierror):  # no address for the family: nothing found
        greendns.getaddrinfo("fd00::1", 80, socket.AF_INET, 0, 0, socket.AI_ADDRCONFIG)
    with pytest.raises(socket.gaierror) as info:
        greendns.getaddrinfo("v4only.example.test", 80, socket.AF_INET6)
    assert "No address found" in str(info.value)
    proxy._resolver = local_resolver(server, lifetime=0.05)
    server.reply = lambda q, wire: None
    with pytest.raises(socket.gaierror) as info:
        greendns.getaddrinfo("slow.example.test", 80)
    assert info.value.errno == socket.EAI_AGAIN


def test_getaddrinfo_lets_unexpected_errors_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_FAIL, "broken")

    monkeypatch.setattr(greendns, "resolve", broken)
    with pytest.raises(socket.gaierror) as info:
        greendns.getaddrinfo("x.example.test", 80)
    assert info.value.errno == socket.EAI_FAIL


def test_gethostbyname_and_ex(proxy: greendns.ResolverProxy) -> None:
    assert greendns.gethostbyname("10.1.2.3") == "10.1.2.3"
    assert greendns.gethostbyname("v4only.example.test") == "10.0.0.9"
    assert greendns.gethostbyname_ex("10.1.2.3") == ("10.1.2.3", [], ["10.1.2.3"])
    name, aliases, addresses = greendns.gethostbyname_ex("twice.example.test")
    assert (name, aliases, sorted(addresses)) == ("twice.example.test", [], ["10.0.0.3", "10.0.0.4"])


def test_getnameinfo(proxy: greendns.ResolverProxy) -> None:
    assert greendns.getnameinfo(("10.0.0.1", 80), 0) == ("www.example.test", "http")
    assert greendns.getnameinfo(("10.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV) == (
        "10.0.0.1",
        "80",
    )
    assert greendns.getnameinfo(("10.0.0.1", 53), socket.NI_DGRAM)[1] == "domain"
    assert greendns.getnameinfo(("10.0.0.1", 1), 0)[1] in ("tcpmux", "1")
    assert greendns.getnameinfo(("10.0.0.8", 65000), 0) == ("10.0.0.8", "65000")  # no PTR record
    assert greendns.getnameinfo(("v4only.example.test", 80), socket.NI_NUMERICHOST)[0] == "10.0.0.9"
    assert greendns.getnameinfo(("v4only.example.test", 80, 0, 0), 0)[0] == "v4only.example.test"
    with pytest.raises(socket.gaierror):
        greendns.getnameinfo(("10.0.0.8", 80), socket.NI_NAMEREQD)
    with pytest.raises(socket.gaierror):
        greendns.getnameinfo(("10.0.0.1", 80), socket.NI_NAMEREQD | socket.NI_NUMERICHOST)
    with pytest.raises(socket.gaierror):
        greendns.getnameinfo(("nowhere.example.test", 80), 0)
    with pytest.raises(OSError, match="multiple"):
        greendns.getnameinfo(("10.0.0.2", 80), 0)
    with pytest.raises(OSError, match="multiple"):
        greendns.getnameinfo(("twice.example.test", 80), 0)
    with pytest.raises(TypeError):
        greendns.getnameinfo(["10.0.0.1", 80], 0)
    with pytest.raises(TypeError):
        greendns.getnameinfo(("10.0.0.1",), 0)


def test_raise_new_error_leaves_the_template_clean() -> None:
    for _ in range(2):
        with pytest.raises(socket.gaierror) as info:
            greendns._raise_new_error(greendns.EAI_EAGAIN_ERROR)
        assert info.value is not greendns.EAI_EAGAIN_ERROR
    assert greendns.EAI_EAGAIN_ERROR.__traceback__ is None


def test_the_green_socket_module_does_not_resolve_through_greendns() -> None:
    assert socket.getaddrinfo is not greendns.getaddrinfo
    assert greendns.socket is socket  # type: ignore[attr-defined]  # what greendns imported


def test_import_without_dnspython_says_how_to_install_it() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["dns"] = None
        try:
            import eventlet.support.greendns
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert 'pip install "eventlet-core[dns]"' in out.stdout


def test_udp_endpoint_family_falls_back_to_ipv4_for_names() -> None:
    from eventlet.support import _dns_query

    assert _dns_query._endpoints("localhost", 53, None, None, 0) == (
        stdsocket.AF_INET,
        ("localhost", 53),
        None,
    )
    assert not _dns_query._same_address(stdsocket.AF_INET, ("not an address", 53), ("127.0.0.1", 53))

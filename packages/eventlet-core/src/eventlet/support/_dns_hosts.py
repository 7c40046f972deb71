"""The hosts file as a dnspython resolver: :class:`HostsResolver` and its :class:`HostsAnswer`.

Part of :mod:`eventlet.support.greendns` (which needs dnspython).  The file (``/etc/hosts``, or
Windows' ``drivers\\etc\\hosts``) is read when the resolver is made and again, on the next query, once
``interval`` seconds have passed.  Names are matched without regard to case; IPv6 link-local
addresses (``fe80::...``) are skipped, as the address alone cannot say which interface they are on.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from typing import Any

import dns.exception
import dns.ipv4
import dns.ipv6
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.resolver
import dns.rrset

__all__ = ["HOSTS_TTL", "HostsAnswer", "HostsResolver", "is_ipv4_addr", "is_ipv6_addr"]

#: Seconds between two reads of the hosts file (and the TTL of the answers made from it).
HOSTS_TTL = 10.0

_LINE_BREAKS = re.compile(r"[\r\n]+")


def is_ipv4_addr(host: object) -> bool:
    """True if ``host`` is a string holding a dotted-quad IPv4 address."""
    if not isinstance(host, str):
        return False
    try:
        dns.ipv4.inet_aton(host)
    except dns.exception.SyntaxError:
        return False
    return True


def is_ipv6_addr(host: object) -> bool:
    """True if ``host`` is a string holding an IPv6 address (a ``%scope`` suffix is allowed)."""
    if not isinstance(host, str):
        return False
    try:
        dns.ipv6.inet_aton(host.split("%", 1)[0])
    except dns.exception.SyntaxError:
        return False
    return True


class HostsAnswer(dns.resolver.Answer):
    """An answer made without a DNS response (from the hosts file, or an empty one).

    ``rrset`` may be any sequence of records; its ``ttl``, if it has one, sets ``expiration``.
    With ``raise_on_no_answer`` an empty ``rrset`` raises ``dns.resolver.NoAnswer``.
    """

    def __init__(
        self,
        qname: Any,
        rdtype: Any,
        rdclass: Any,
        rrset: Any,
        raise_on_no_answer: bool = True,
    ) -> None:
        # dnspython's constructor wants a response message; this answer has none.
        self.response: Any = None
        self.nameserver: str | None = None
        self.port: int | None = None
        self.qname = qname
        self.rdtype = rdtype
        self.rdclass = rdclass
        self.canonical_name = qname
        if not rrset and raise_on_no_answer:
            raise dns.resolver.NoAnswer()
        self.rrset = rrset
        ttl = getattr(rrset, "ttl", None)
        self.expiration = time.time() + ttl if ttl is not None else 0


def _default_hosts_file() -> str | None:
    if os.name == "nt":  # pragma: no cover - Windows
        return os.path.expandvars(r"%SystemRoot%\system32\drivers\etc\hosts")
    return "/etc/hosts"


class HostsResolver:
    """Answers A, AAAA and CNAME queries from a hosts file.

    ``fname`` is the file (default: the system's); ``interval`` the seconds after which a query
    reads it again.  An alias (any name after the first on a line) is a CNAME of the first name.
    """

    def __init__(self, fname: str | None = None, interval: float = HOSTS_TTL) -> None:
        self._v4: dict[str, str] = {}
        self._v6: dict[str, str] = {}
        self._aliases: dict[str, str] = {}  # alias -> canonical name
        self.interval = interval
        self.fname: str | None = fname if fname is not None else _default_hosts_file()
        self._last_load = 0.0
        if self.fname:
            self._load()

    def _readlines(self) -> Iterable[str]:
        """The file's lines without comments and surrounding blanks, empty ones left out.

        A missing or unreadable file has no lines.  (This reads the disk in the calling thread, as
        opening any local file does.)
        """
        try:
            with open(self.fname, "rb") as file:  # type: ignore[arg-type]
                text = file.read().decode(errors="ignore")
        except OSError:
            return []
        lines = (line.split("#", 1)[0].strip() for line in _LINE_BREAKS.split(text))
        return [line for line in lines if line]

    def _load(self) -> None:
        """Read the file again, replacing what was known."""
        v4: dict[str, str] = {}
        v6: dict[str, str] = {}
        aliases: dict[str, str] = {}
        for line in self._readlines():
            fields = line.split()
            if len(fields) < 2:
                continue
            address, canonical, *others = fields
            if is_ipv4_addr(address):
                table = v4
            elif is_ipv6_addr(address) and not address.lower().startswith("fe80"):
                table = v6
            else:
                continue
            canonical = canonical.lower()
            table[canonical] = address
            for alias in others:
                alias = alias.lower()
                table[alias] = address
                aliases[alias] = canonical
        self._v4, self._v6, self._aliases = v4, v6, aliases
        self._last_load = time.time()

    def query(
        self,
        qname: Any,
        rdtype: Any = dns.rdatatype.A,
        rdclass: Any = dns.rdataclass.IN,
        tcp: bool = False,
        source: Any = None,
        raise_on_no_answer: bool = True,
    ) -> HostsAnswer:
        """Answer ``qname`` (str, bytes or ``dns.name.Name``) for A, AAAA or CNAME from the file.

        ``rdclass``, ``tcp`` and ``source`` are accepted for dnspython's signature and ignored.
        Raises ``dns.resolver.NoAnswer`` when the file has nothing (unless ``raise_on_no_answer``
        is false: then the answer's ``rrset`` is empty).
        """
        now = time.time()
        if self._last_load + self.interval < now:
            self._load()
        if isinstance(qname, bytes):
            name = qname.decode("ascii")
            qname = dns.name.from_text(qname)
        elif isinstance(qname, str):
            name = qname
            qname = dns.name.from_text(qname)
        else:
            name = str(qname)
        name = name.lower()
        rdclass = dns.rdataclass.IN
        rrset = dns.rrset.RRset(qname, rdclass, rdtype)
        rrset.ttl = int(self._last_load + self.interval - now)
        table = {
            dns.rdatatype.A: self._v4,
            dns.rdatatype.AAAA: self._v6,
            dns.rdatatype.CNAME: self._aliases,
        }.get(rdtype)
        if table is not None:
            found = table.get(name)
            if not found and qname.is_absolute():
                found = table.get(name[:-1])
            if found:
                if rdtype == dns.rdatatype.A:
                    rrset.add(dns.rdtypes.IN.A.A(rdclass, rdtype, found))
                elif rdtype == dns.rdatatype.AAAA:
                    rrset.add(dns.rdtypes.IN.AAAA.AAAA(rdclass, rdtype, found))
                else:
                    target = dns.name.from_text(found)
                    rrset.add(dns.rdtypes.ANY.CNAME.CNAME(rdclass, rdtype, target))
        return HostsAnswer(qname, rdtype, rdclass, rrset, raise_on_no_answer)

    def getaliases(self, hostname: str) -> list[str]:
        """The other names of ``hostname``: its canonical name and every alias of that name."""
        canonical = self._aliases.get(hostname, hostname)
        names = [canonical, *(alias for alias, target in self._aliases.items() if target == canonical)]
        names.remove(hostname)
        return names

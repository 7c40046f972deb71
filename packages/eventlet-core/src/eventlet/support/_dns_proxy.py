"""The resolver :mod:`eventlet.support.greendns` asks: the hosts file first, then name servers.

:class:`ResolverProxy` combines a :class:`~eventlet.support._dns_hosts.HostsResolver` with a
dnspython resolver configured from ``resolv.conf``, created on first use (so that importing works on
a machine without any DNS configuration).  That resolver is a :class:`GreenResolver`: dnspython's
own, whose queries run in the worker threads of :mod:`eventlet._resolver`, so a lookup never blocks
the hub whether or not the program is monkey patched, and the global ``dns`` package is left as it is.
"""

from __future__ import annotations

import functools
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from eventlet._resolver import resolver_pool

__all__ = ["GreenResolver", "ResolverProxy"]

_HOSTS_RDTYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


class GreenResolver(dns.resolver.Resolver):
    """``dns.resolver.Resolver`` whose :meth:`resolve` runs in a worker thread.

    Everything else (configuration, cache, ``query``, ``resolve_address``) is dnspython's.
    """

    def resolve(self, *args: Any, **kwargs: Any) -> dns.resolver.Answer:
        """dnspython's ``resolve``, made in a worker thread while the green thread waits."""
        call = functools.partial(dns.resolver.Resolver.resolve, self, *args, **kwargs)
        answer: dns.resolver.Answer = resolver_pool.call(call)
        return answer


class ResolverProxy:
    """A resolver that answers from the hosts file when it can, and from name servers otherwise.

    ``hosts_resolver`` is the :class:`~eventlet.support._dns_hosts.HostsResolver` to consult
    first (None: none); ``filename`` the ``resolv.conf`` the name-server resolver is configured
    from (None: no configuration, so no name servers).
    """

    def __init__(self, hosts_resolver: Any = None, filename: str | None = "/etc/resolv.conf") -> None:
        self._hosts = hosts_resolver
        self._filename = filename
        self._cached_resolver: Any = None

    @property
    def _resolver(self) -> Any:
        """The name-server resolver, created (from ``filename``) on first use."""
        if self._cached_resolver is None:
            self.clear()
        return self._cached_resolver

    @_resolver.setter
    def _resolver(self, value: Any) -> None:
        self._cached_resolver = value

    def clear(self) -> None:
        """Make a new name-server resolver (re-reading ``resolv.conf``) with an empty cache."""
        resolver = GreenResolver(filename=self._filename)  # type: ignore[arg-type]
        resolver.cache = dns.resolver.LRUCache()
        self._resolver = resolver

    def query(
        self,
        qname: Any,
        rdtype: Any = dns.rdatatype.A,
        rdclass: Any = dns.rdataclass.IN,
        tcp: bool = False,
        source: Any = None,
        raise_on_no_answer: bool = True,
        _hosts_rdtypes: tuple[Any, ...] = _HOSTS_RDTYPES,
        use_network: bool = True,
    ) -> Any:
        """Answer a query: from the hosts file if it knows the name, else from the name servers.

        A name of one label (``"db"``) is also asked as a top-level name (``"db."``) and the
        answers are merged, as the C library's resolver does.  With ``use_network`` false only the
        hosts file is consulted.  Raises dnspython's exceptions (``NoAnswer``, ``NXDOMAIN``,
        ``Timeout``...), as ``dns.resolver.Resolver.query`` does.
        """
        if qname is None:
            qname = "0.0.0.0"
        if isinstance(qname, (str, bytes)):
            qname = dns.name.from_text(qname, None)
        merged = _Merged()
        if self._hosts and rdclass == dns.rdataclass.IN and rdtype in _hosts_rdtypes:
            merged.step(self._hosts.query, qname, rdtype, raise_on_no_answer=False)
            if merged.answer is not None or not use_network:
                return merged.result(qname, raise_on_no_answer)
        resolver = self._resolver
        merged.step(resolver.query, qname, rdtype, rdclass, tcp, source, raise_on_no_answer=False)
        if len(qname) == 1:
            absolute = qname.concatenate(dns.name.root)
            merged.step(resolver.query, absolute, rdtype, rdclass, tcp, source, raise_on_no_answer=False)
        return merged.result(qname, raise_on_no_answer)

    def getaliases(self, hostname: Any) -> list[str]:
        """Every other name of ``hostname``: aliases from the hosts file, then its CNAME chain."""
        aliases: list[str] = self._hosts.getaliases(hostname) if self._hosts else []
        while True:
            try:
                answer = self._resolver.query(hostname, dns.rdatatype.CNAME)
            except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
                return aliases
            aliases.extend(str(record.target) for record in answer.rrset)
            hostname = answer[0].target


class _Merged:
    """The answers of the steps of one :meth:`ResolverProxy.query`, and the last error."""

    def __init__(self) -> None:
        self.answer: Any = None
        self.error: BaseException | None = None

    def step(self, query: Any, *args: Any, **kwargs: Any) -> None:
        try:
            answer = query(*args, **kwargs)
        except Exception as exc:  # kept: raised by result() if no step answers
            self.error = exc
            return
        if answer.rrset is not None and len(answer.rrset):
            if self.answer is None:
                self.answer = answer
            else:
                self.answer.rrset.union_update(answer.rrset)

    def result(self, qname: Any, raise_on_no_answer: bool) -> Any:
        if self.answer is not None:  # only answers with records are kept
            return self.answer
        error = self.error
        if error is not None and (raise_on_no_answer or not isinstance(error, dns.resolver.NoAnswer)):
            raise error
        raise dns.resolver.NXDOMAIN(qnames=(qname,))

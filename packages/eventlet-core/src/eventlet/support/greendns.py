"""Name resolution with dnspython on green sockets: upstream eventlet's ``greendns`` module.

Needs dnspython: ``pip install "eventlet-core[dns]"``.

What it offers.  Replacements for the resolver functions of ``socket`` (:func:`getaddrinfo`,
:func:`gethostbyname`, :func:`gethostbyname_ex`, :func:`getnameinfo`) that look names up in the hosts
file (:class:`HostsResolver`) and then with dnspython's resolver (:class:`ResolverProxy`, the module's
:data:`resolver`), plus :func:`resolve`, :func:`resolve_cname`, :func:`getaliases`, the address
helpers and green :func:`udp` / :func:`tcp` query functions.  A lookup never blocks the hub.

What it is not.  ``eventlet.green.socket`` (and so ``monkey_patch()``) does **not** resolve through
this module: it runs the C library's resolver in worker threads (:mod:`eventlet._resolver`), which
answers exactly as an unpatched program would (``nsswitch.conf``, mDNS, ``gai.conf``...).  Import this
module to use dnspython's resolver on purpose; ``EVENTLET_NO_GREENDNS`` has nothing to switch off.

The functions look up :data:`resolver`, :func:`resolve`, :func:`resolve_cname` and
:func:`getaliases` in this module when called, so assigning a different one here (as upstream's tests
and some programs do) changes what they use.
"""

from __future__ import annotations

import os
from typing import Any, NoReturn

try:
    import dns.exception
    import dns.flags
    import dns.inet
    import dns.message
    import dns.name
    import dns.query
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.CNAME
    import dns.rdtypes.ANY.PTR
    import dns.rdtypes.IN.A
    import dns.rdtypes.IN.AAAA
    import dns.resolver
    import dns.reversename
    import dns.rrset
except ImportError as _exc:  # pragma: no cover - the test environments install dnspython
    raise ImportError(
        'eventlet.support.greendns needs dnspython: pip install "eventlet-core[dns]" '
        "(eventlet.green.socket resolves names without it)"
    ) from _exc

from eventlet.green import socket
from eventlet.support._dns_hosts import HOSTS_TTL, HostsAnswer, HostsResolver, is_ipv4_addr, is_ipv6_addr
from eventlet.support._dns_proxy import GreenResolver, ResolverProxy
from eventlet.support._dns_query import DNS_QUERY_TIMEOUT, tcp, udp

__all__ = [
    "DNS_QUERY_TIMEOUT",
    "HOSTS_TTL",
    "GreenResolver",
    "HostsAnswer",
    "HostsResolver",
    "ResolverProxy",
    "getaddrinfo",
    "getaliases",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "is_ip_addr",
    "is_ipv4_addr",
    "is_ipv6_addr",
    "reset",
    "resolve",
    "resolve_cname",
    "resolver",
    "tcp",
    "udp",
]

# Templates of the errors raised (each raise makes a new instance: see _raise_new_error).
EAI_EAGAIN_ERROR = socket.gaierror(socket.EAI_AGAIN, "Lookup timed out")
EAI_NONAME_ERROR = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
#: RFC 3493 dropped EAI_NODATA for EAI_NONAME; EVENTLET_DEPRECATED_EAI_NODATA=yes brings it back.
EAI_NODATA_ERROR = EAI_NONAME_ERROR
if os.environ.get("EVENTLET_DEPRECATED_EAI_NODATA", "").lower() in ("1", "y", "yes") and hasattr(
    socket, "EAI_NODATA"
):  # pragma: no cover - an opt-in of old programs
    EAI_NODATA_ERROR = socket.gaierror(socket.EAI_NODATA, "No address associated with hostname")

_LOOKUP_ERRNOS = (socket.EAI_AGAIN, EAI_NONAME_ERROR.errno, EAI_NODATA_ERROR.errno)

#: The resolver the module's functions use: the hosts file, then the name servers of resolv.conf.
resolver: ResolverProxy = ResolverProxy(hosts_resolver=HostsResolver())


def _raise_new_error(template: BaseException) -> NoReturn:
    """Raise a fresh copy of ``template`` (raising the template itself would pin tracebacks)."""
    raise template.__class__(*template.args)


def _translate(exc: BaseException) -> NoReturn:
    """Raise the ``socket.gaierror`` matching a dnspython error."""
    _raise_new_error(EAI_EAGAIN_ERROR if isinstance(exc, dns.exception.Timeout) else EAI_NODATA_ERROR)


def is_ip_addr(host: object) -> bool:
    """True if ``host`` is a string holding an IPv4 or IPv6 address."""
    return is_ipv4_addr(host) or is_ipv6_addr(host)


def resolve(
    name: Any,
    family: int = socket.AF_INET,
    raises: bool = True,
    _proxy: Any = None,
    use_network: bool = True,
) -> Any:
    """Look ``name`` up for ``family`` (A or AAAA records) with :data:`resolver` (or ``_proxy``).

    Returns a ``dns.resolver.Answer``; with ``raises`` false, a name without records gives an
    answer whose ``rrset`` is empty instead of an exception.  With ``use_network`` false only the
    hosts file is consulted.  dnspython's errors become ``socket.gaierror``.
    """
    if family == socket.AF_INET:
        rdtype = dns.rdatatype.A
    elif family == socket.AF_INET6:
        rdtype = dns.rdatatype.AAAA
    else:
        raise socket.gaierror(socket.EAI_FAMILY, "Address family not supported")
    proxy = resolver if _proxy is None else _proxy
    try:
        try:
            return proxy.query(name, rdtype, raise_on_no_answer=raises, use_network=use_network)
        except dns.resolver.NXDOMAIN:
            if raises:
                raise
            qname = dns.name.from_text(name) if isinstance(name, (str, bytes)) else name
            return HostsAnswer(qname, rdtype, dns.rdataclass.IN, None, False)
    except dns.exception.DNSException as exc:
        _translate(exc)


def resolve_cname(host: Any) -> str:
    """The canonical name of ``host`` (``host`` itself if it has no CNAME record).

    (Upstream raised ``gaierror`` for a name without a CNAME record when the name servers said so,
    which made ``getaddrinfo(..., AI_CANONNAME)`` fail for most names.)
    """
    try:
        answer = resolver.query(host, dns.rdatatype.CNAME)
    except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
        return str(host)
    except dns.exception.DNSException as exc:
        _translate(exc)
    return str(answer[0].target)


def getaliases(host: Any) -> list[str]:
    """The other names of ``host`` (hosts-file aliases and CNAMEs); dnspython errors as gaierror."""
    try:
        aliases: list[str] = resolver.getaliases(host)
    except dns.exception.DNSException as exc:
        _translate(exc)
    return aliases


def _lookup(host: str, family: int, flags: int) -> tuple[str, list[str]]:
    """The addresses of ``host`` for getaddrinfo, and the name the answer was for."""
    if flags & socket.AI_NUMERICHOST:
        _raise_new_error(EAI_NONAME_ERROR)
    qname = host
    addresses: list[str] = []
    if family == socket.AF_UNSPEC:
        error: socket.gaierror | None = None
        for use_network in (False, True):  # the hosts file alone first, like the C library
            for qfamily in (socket.AF_INET6, socket.AF_INET):
                try:
                    answer = resolve(host, qfamily, False, use_network=use_network)
                except socket.gaierror as exc:
                    if exc.errno not in _LOOKUP_ERRNOS:
                        raise
                    error = exc
                    continue
                qname = str(answer.qname)
                if answer.rrset:
                    addresses.extend(record.address for record in answer.rrset)
            if addresses:
                break
        if error is not None and not addresses:
            raise error
    elif family == socket.AF_INET6 and flags & socket.AI_V4MAPPED:
        answer = resolve(host, socket.AF_INET6, False)
        qname = str(answer.qname)
        if answer.rrset:
            addresses = [record.address for record in answer.rrset]
        if not addresses or flags & socket.AI_ALL:
            answer = resolve(host, socket.AF_INET, False)
            if answer.rrset:
                addresses += ["::ffff:" + record.address for record in answer.rrset]
    else:
        answer = resolve(host, family, False)
        qname = str(answer.qname)
        if answer.rrset:
            addresses = [record.address for record in answer.rrset]
    return qname, addresses


def getaddrinfo(
    host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo`` answered by :func:`resolve` (hosts file, then DNS).

    The name is looked up here; the C library's ``getaddrinfo`` then only combines the numeric
    addresses with ``port``, ``family``, ``type``, ``proto`` and the other ``flags``
    (``AI_NUMERICHOST``), so it never touches the network itself.
    """
    if isinstance(host, str):
        host = host.encode("idna").decode("ascii")
    elif isinstance(host, bytes):
        host = host.decode("ascii")
    if host is not None and not is_ip_addr(host):
        qname, addresses = _lookup(host, family, flags)
    else:
        qname, addresses = host, [host]
    numeric_flags = (flags | socket.AI_NUMERICHOST) & ~socket.AI_CANONNAME
    results: list[tuple[Any, ...]] = []
    error: OSError | None = None
    for address in addresses:
        try:
            results.extend(socket.getaddrinfo(address, port, family, type, proto, numeric_flags))
        except OSError as exc:
            if not flags & socket.AI_ADDRCONFIG:
                raise
            error = exc  # an address family this host has no address of: skip it
    if not results:
        if error is not None:
            raise error
        raise socket.gaierror(socket.EAI_NONAME, "No address found")
    if flags & socket.AI_CANONNAME:
        if not is_ip_addr(qname):
            qname = resolve_cname(qname).encode("ascii").decode("idna")
        first = results[0]
        results[0] = (first[0], first[1], first[2], qname, first[4])
    return results


def gethostbyname(hostname: str) -> str:
    """``socket.gethostbyname``: the first IPv4 address of ``hostname``."""
    if is_ipv4_addr(hostname):
        return hostname
    address: str = resolve(hostname)[0].address
    return address


def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """``socket.gethostbyname_ex``: the name, its aliases and its IPv4 addresses."""
    if is_ipv4_addr(hostname):
        return hostname, [], [hostname]
    answer = resolve(hostname)
    aliases = getaliases(hostname)
    addresses = [record.address for record in answer.rrset]
    return str(answer.qname).rstrip("."), aliases, addresses


def getnameinfo(sockaddr: Any, flags: int) -> tuple[str, str]:
    """``socket.getnameinfo``: the host name (a PTR lookup) and the service of ``sockaddr``."""
    if not isinstance(sockaddr, tuple):
        del sockaddr  # the traceback would keep it alive (a stdlib test counts references)
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    if len(sockaddr) < 2:
        raise TypeError("getnameinfo(): illegal sockaddr argument")
    host, port = sockaddr[0], sockaddr[1]
    if flags & socket.NI_NAMEREQD and flags & socket.NI_NUMERICHOST:
        _raise_new_error(EAI_NONAME_ERROR)
    if is_ip_addr(host):
        if not flags & socket.NI_NUMERICHOST:
            host = _reverse(host, flags)
    else:
        try:
            answer = resolver.query(host)
        except dns.exception.DNSException as exc:
            _translate(exc)
        if len(answer) > 1:
            raise OSError("sockaddr resolved to multiple addresses")
        if flags & socket.NI_NUMERICHOST:
            host = answer[0].address
    if flags & socket.NI_NUMERICSERV:
        service = str(port)
    else:
        try:
            service = socket.getservbyport(port, "udp" if flags & socket.NI_DGRAM else "tcp")
        except OSError:
            service = str(port)
    return host, service


def _reverse(address: str, flags: int) -> str:
    """The name of ``address`` from its PTR record (the address itself if it has none)."""
    try:
        answer = resolver.query(dns.reversename.from_address(address.split("%", 1)[0]), dns.rdatatype.PTR)
    except dns.exception.DNSException as exc:
        if flags & socket.NI_NAMEREQD:
            _translate(exc)
        return address
    if len(answer) > 1:
        raise OSError("sockaddr resolved to multiple addresses")
    name: str = answer[0].target.to_text(omit_final_dot=True)
    return name


def reset() -> None:
    """Forget :data:`resolver`'s name-server configuration and cache (re-read ``resolv.conf``)."""
    resolver.clear()

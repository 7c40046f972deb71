"""The shape of eventlet-core: every public module of before the layering (hub operations,
``eventlet/_patching/``) still imports from its path, with the names it exported, and the patcher's
private modules live in ``eventlet._patching``."""

from __future__ import annotations

import json
import subprocess
import sys

from tests._layout import check_public_names, source_root

# Every public module of eventlet-core (no ``_`` in its dotted path) before the move.
PUBLIC_MODULES: tuple[str, ...] = (
    "eventlet",
    "eventlet.asyncio",
    "eventlet.backdoor",
    "eventlet.convenience",
    "eventlet.corolocal",
    "eventlet.coros",
    "eventlet.dagpool",
    "eventlet.db_pool",
    "eventlet.debug",
    "eventlet.event",
    "eventlet.green.BaseHTTPServer",
    "eventlet.green.CGIHTTPServer",
    "eventlet.green.Queue",
    "eventlet.green.SimpleHTTPServer",
    "eventlet.green.SocketServer",
    "eventlet.green",
    "eventlet.green.asynchat",
    "eventlet.green.asyncore",
    "eventlet.green.builtin",
    "eventlet.green.ftplib",
    "eventlet.green.http",
    "eventlet.green.http.client",
    "eventlet.green.http.cookiejar",
    "eventlet.green.http.cookies",
    "eventlet.green.http.server",
    "eventlet.green.httplib",
    "eventlet.green.os",
    "eventlet.green.profile",
    "eventlet.green.queue",
    "eventlet.green.select",
    "eventlet.green.selectors",
    "eventlet.green.socket",
    "eventlet.green.socketserver",
    "eventlet.green.thread",
    "eventlet.green.threading",
    "eventlet.green.time",
    "eventlet.green.urllib",
    "eventlet.green.urllib.error",
    "eventlet.green.urllib.parse",
    "eventlet.green.urllib.request",
    "eventlet.green.urllib.response",
    "eventlet.green.urllib2",
    "eventlet.greenio",
    "eventlet.greenio.base",
    "eventlet.greenio.pipe",
    "eventlet.greenio.py3",
    "eventlet.greenio.socket",
    "eventlet.greenpool",
    "eventlet.greenthread",
    "eventlet.hubs",
    "eventlet.hubs.asyncio",
    "eventlet.hubs.epolls",
    "eventlet.hubs.hub",
    "eventlet.hubs.kqueue",
    "eventlet.hubs.poll",
    "eventlet.hubs.selects",
    "eventlet.hubs.timer",
    "eventlet.lock",
    "eventlet.patcher",
    "eventlet.pools",
    "eventlet.queue",
    "eventlet.semaphore",
    "eventlet.support",
    "eventlet.support.greendns",
    "eventlet.support.greenlets",
    "eventlet.taskgroup",
    "eventlet.testing",
    "eventlet.testing.isolation",
    "eventlet.testing.plugin",
    "eventlet.testing.virtual_clock",
    "eventlet.timeout",
    "eventlet.tpool",
)

# ``__all__`` of each public module of eventlet's own (not a green copy of a standard module,
# whose names follow the running Python), as it was before the move: each stays importable.
PUBLIC_NAMES: dict[str, tuple[str, ...]] = {
    "eventlet": (
        "BoundedSemaphore",
        "CappedSemaphore",
        "Event",
        "GreenPile",
        "GreenPool",
        "GreenThread",
        "LightQueue",
        "Queue",
        "Semaphore",
        "StopServe",
        "TaskGroup",
        "Timeout",
        "connect",
        "getcurrent",
        "import_patched",
        "is_timeout",
        "kill",
        "listen",
        "monkey_patch",
        "serve",
        "sleep",
        "spawn",
        "spawn_after",
        "spawn_after_local",
        "spawn_n",
        "with_timeout",
        "wrap_is_timeout",
    ),
    "eventlet.asyncio": (
        "get_event_loop",
        "spawn_for_awaitable",
    ),
    "eventlet.backdoor": (
        "BackdoorConsole",
        "backdoor",
        "backdoor_server",
    ),
    "eventlet.convenience": (
        "Address",
        "ReusePortUnavailableWarning",
        "ReuseRandomPortWarning",
        "StopServe",
        "connect",
        "listen",
        "serve",
    ),
    "eventlet.corolocal": (
        "get_ident",
        "local",
    ),
    "eventlet.coros": ("metaphore",),
    "eventlet.dagpool": (
        "Collision",
        "DAGPool",
        "PropagateError",
    ),
    "eventlet.db_pool": (
        "BaseConnectionPool",
        "ConnectTimeout",
        "ConnectionPool",
        "DatabaseConnector",
        "GenericConnectionWrapper",
        "PooledConnectionWrapper",
        "RawConnectionPool",
        "TpooledConnectionPool",
        "cleanup_rollback",
    ),
    "eventlet.debug": (
        "Spew",
        "format_asyncio_info",
        "format_hub_listeners",
        "format_hub_timers",
        "format_threads_info",
        "hub_blocking_detection",
        "hub_exceptions",
        "hub_listener_stacks",
        "hub_prevent_multiple_readers",
        "hub_timer_stacks",
        "spew",
        "tpool_exceptions",
        "unspew",
    ),
    "eventlet.event": (
        "Event",
        "NOT_USED",
    ),
    "eventlet.greenio": (
        "GreenFileIO",
        "GreenPipe",
        "GreenSocket",
        "SOCKET_BLOCKING",
        "SOCKET_CLOSED",
        "set_nonblocking",
        "shutdown_safe",
    ),
    "eventlet.greenio.base": (
        "CONNECT_ERR",
        "CONNECT_SUCCESS",
        "GreenSocket",
        "SOCKET_BLOCKING",
        "SOCKET_CLOSED",
        "_GLOBAL_DEFAULT_TIMEOUT",
        "set_nonblocking",
        "shutdown_safe",
        "socket_timeout",
    ),
    "eventlet.greenio.pipe": (
        "GreenFileIO",
        "GreenPipe",
    ),
    "eventlet.greenio.py3": (
        "GreenFileIO",
        "GreenPipe",
        "_fileobject",
    ),
    "eventlet.greenio.socket": ("GreenSocket",),
    "eventlet.greenpool": (
        "GreenPile",
        "GreenPool",
    ),
    "eventlet.greenthread": (
        "GreenThread",
        "getcurrent",
        "kill",
        "sleep",
        "spawn",
        "spawn_after",
        "spawn_after_local",
        "spawn_n",
    ),
    "eventlet.hubs": (
        "BaseHub",
        "FdListener",
        "HubError",
        "IOClosed",
        "READ",
        "Timer",
        "WRITE",
        "get_default_hub",
        "get_hub",
        "notify_close",
        "notify_opened",
        "set_hub",
        "trampoline",
        "use_hub",
        "wait_fd",
    ),
    "eventlet.hubs.asyncio": (
        "Hub",
        "is_available",
    ),
    "eventlet.hubs.epolls": (
        "Hub",
        "is_available",
    ),
    "eventlet.hubs.hub": (
        "BaseHub",
        "COMPACT_THRESHOLD",
        "EV_ERROR",
        "EV_READ",
        "EV_WRITE",
        "FdListener",
        "READ",
        "ReadyEntry",
        "SLOTS_PER_SECOND",
        "SMALL_HEAP",
        "Timer",
        "WRITE",
        "_FdState",
        "new_serial",
        "report_exception",
    ),
    "eventlet.hubs.kqueue": (
        "Hub",
        "is_available",
    ),
    "eventlet.hubs.poll": (
        "Hub",
        "is_available",
    ),
    "eventlet.hubs.selects": (
        "Hub",
        "is_available",
    ),
    "eventlet.lock": ("Lock",),
    "eventlet.patcher": (
        "CORE_GREEN_MODULES",
        "MonkeyPatchWarning",
        "already_patched",
        "import_patched",
        "inject",
        "is_monkey_patched",
        "monkey_patch",
        "original",
        "original_attr",
    ),
    "eventlet.pools": (
        "Pool",
        "Token",
        "TokenPool",
    ),
    "eventlet.queue": (
        "Empty",
        "Full",
        "LifoQueue",
        "LightQueue",
        "PriorityQueue",
        "Queue",
    ),
    "eventlet.semaphore": (
        "BoundedSemaphore",
        "CappedSemaphore",
        "Semaphore",
    ),
    "eventlet.support": (
        "bytes_to_str",
        "get_errno",
        "greenlets",
    ),
    "eventlet.support.greendns": (
        "DNS_QUERY_TIMEOUT",
        "GreenResolver",
        "HOSTS_TTL",
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
    ),
    "eventlet.support.greenlets": (
        "GreenletExit",
        "getcurrent",
        "greenlet",
    ),
    "eventlet.taskgroup": ("TaskGroup",),
    "eventlet.testing": (
        "HubNotEmpty",
        "VirtualClockHub",
        "dispose_hub",
        "fresh_hub",
        "hub_turns",
        "leftovers",
        "make_virtual_clock_hub",
        "virtual_clock",
    ),
    "eventlet.testing.isolation": (
        "HubNotEmpty",
        "SwitchTracker",
        "dispose_hub",
        "fresh_hub",
        "green_threads_of",
        "leftovers",
    ),
    "eventlet.testing.plugin": ("GreenTestTimeout",),
    "eventlet.testing.virtual_clock": (
        "VirtualClockHub",
        "make_virtual_clock_hub",
        "virtual_clock",
    ),
    "eventlet.timeout": (
        "Timeout",
        "is_timeout",
        "with_timeout",
        "wrap_is_timeout",
    ),
    "eventlet.tpool": (
        "Proxy",
        "ThreadPool",
        "execute",
        "get_num_threads",
        "killall",
        "set_num_threads",
        "setup",
        "start_real_thread",
    ),
}

#: Green copies of standard modules that later Pythons no longer have.
#: Modules that import only where another is installed: asyncore/asynchat left the standard library
#: in 3.12; greendns needs dnspython (the ``eventlet-core[dns]`` extra).
_NEEDS = {
    "eventlet.green.asyncore": "asyncore",
    "eventlet.green.asynchat": "asynchat",
    "eventlet.support.greendns": "dns",
}

_CHILD = """
import importlib, importlib.util, json, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)  # asyncore/asynchat on 3.11
modules, names, needs = json.loads(sys.argv[1])
failures = []
for module in modules:
    needed = needs.get(module)
    if needed is not None and importlib.util.find_spec(needed) is None:
        continue
    try:
        imported = importlib.import_module(module)
    except Exception as exc:
        failures.append(f"{module}: {exc!r}")
        continue
    failures += [f"{module}.{name}" for name in names.get(module, ()) if not hasattr(imported, name)]
print(json.dumps(failures))
"""


def test_every_public_module_and_name_imports_from_its_old_path() -> None:
    # In a child: importing every module (the asyncio hub's, green copies) changes the process.
    argument = json.dumps([PUBLIC_MODULES, PUBLIC_NAMES, _NEEDS])
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, argument], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_eventlet_exports_its_names() -> None:
    # eventlet's own __all__ (wrap_ssl, from eventlet-ssl, aside: tests/ssl checks it).
    assert check_public_names("eventlet", PUBLIC_NAMES["eventlet"]) == []


def test_the_list_of_public_modules_is_complete() -> None:
    """A new public module is added to the list above (so that its path is kept from then on)."""
    root = source_root("eventlet-core")
    found = set()
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if not any(part.startswith("_") for part in parts):
            found.add(".".join(parts))
    assert sorted(found) == sorted(PUBLIC_MODULES)


def test_the_patchers_private_modules_live_in_eventlet_patching() -> None:
    package = source_root("eventlet-core") / "eventlet"
    assert sorted(path.name for path in package.glob("_patch_*.py")) == []
    private = {path.stem for path in (package / "_patching").glob("*.py")}
    assert {"green", "imports", "leftovers", "locks", "originals", "psycopg"} <= private


def test_green_modules_tpool_and_hubs_do_not_import_the_patcher() -> None:
    # They use eventlet._patching.state (original(), inject()); monkey patching stays above them.
    child = """
import sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)
import eventlet.green.threading, eventlet.green.queue, eventlet.green.socketserver
import eventlet.green.urllib.request, eventlet.green.ftplib, eventlet.green.http.server
import eventlet.tpool, eventlet.hubs.asyncio
names = [n for n in sys.modules if n == "eventlet.patcher" or n.startswith("eventlet._patching.")]
print(sorted(names))
"""
    proc = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    low = ["eventlet._patching.green", "eventlet._patching.imports", "eventlet._patching.originals"]
    assert proc.stdout.strip() == repr([*low, "eventlet._patching.state"])

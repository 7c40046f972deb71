"""Entry point of one measured child process: ``child.py WORKLOAD IMPL SIZE``.

Runs under the implementation's virtualenv interpreter (ours' for
``reference``).  It pins itself to the measured core, raises the open-files limit, runs
``workloads.<WORKLOAD>.main(IMPL, SIZE)`` and prints the result as one line
``BENCH-RESULT {json}`` on stdout; derived figures (``cpu_us_per_op``,
``ops_per_cpu_s``) and the library's version and location are added here.  Any
exception propagates: a traceback on stderr and a non-zero exit is how a cell fails.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from workloads._measure import pin_from_env, raise_nofile_limit  # noqa: E402

MARKER = "BENCH-RESULT "


def _library_info(impl: str) -> dict[str, str]:
    """Version and file of the green library this child measured."""
    if impl == "reference":
        return {"library": "CPython " + sys.version.split()[0]}
    name = "gevent" if impl == "gevent" else "eventlet"
    mod = sys.modules.get(name) or importlib.import_module(name)
    return {
        "library": f"{name} {getattr(mod, '__version__', '?')}",
        "library_file": str(getattr(mod, "__file__", "")),
    }


def run(workload: str, impl: str, size: int) -> dict[str, Any]:
    """Run one workload once and return its enriched result dict."""
    pinned = pin_from_env()
    nofile = raise_nofile_limit()
    module = importlib.import_module(f"workloads.{workload}")
    result: dict[str, Any] = dict(module.main(impl, size))
    ops, cpu = result.get("ops"), result.get("cpu_s")
    if isinstance(ops, (int, float)) and isinstance(cpu, (int, float)) and ops > 0:
        result.setdefault("cpu_us_per_op", cpu * 1e6 / ops)
        result.setdefault("ops_per_cpu_s", ops / cpu if cpu > 0 else float("inf"))
    result.update(_library_info(impl))
    result["pinned"] = pinned
    result["nofile"] = nofile
    result["size"] = size
    return result


def main(argv: list[str]) -> int:
    """Command-line entry: print the marker line; exit status 0 on success."""
    if len(argv) != 4:
        print("usage: child.py WORKLOAD IMPL SIZE", file=sys.stderr)
        return 2
    result = run(argv[1], argv[2], int(argv[3]))
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

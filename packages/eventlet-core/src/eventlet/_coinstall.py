"""Refuse to run when upstream eventlet's files are mixed into the ``eventlet`` package.

Upstream `eventlet <https://pypi.org/project/eventlet/>`_ ships the same Python package as our
distributions.  A package that depends on ``eventlet`` (``celery[eventlet]``,
``gunicorn[eventlet]``...) pulls it in, and pip then writes its files into the same folder:

* installed *after* ours, it replaces ``eventlet/__init__.py`` and every module both ship, and
  ``import eventlet`` runs upstream's code; our modules that upstream lacks (``eventlet.httpd``,
  ``eventlet.ssl``, ``eventlet.processes``, ``eventlet.testing``) remain and import this module,
  which fails;
* installed *before* ours, its other files stay next to ours, and our ``eventlet/__init__.py``
  finds them and fails;
* uninstalling either one deletes files the other had overwritten (a package without
  ``__init__.py``), which this module reports as well.

The check looks for files upstream has always shipped and we never do (:data:`UPSTREAM_MARKERS`):
``eventlet/__init__.py`` stats them in its own folder only (two ``stat`` calls, so ``import
eventlet`` stays fast) and imports this module only when one is there; our subpackages check every
folder of the package.  Only the failure path imports :mod:`importlib.metadata`, to print the
exact repair command.
"""

from __future__ import annotations

import os
import sys

#: Files (relative to the package folder) that every upstream release of the last years ships
#: and no distribution of ours ever may (a test in tests/core checks that): ``_version.py``
#: (upstream's version file since 0.34) and ``support/stacklesss.py`` (in every older release too).
UPSTREAM_MARKERS = ("_version.py", "support/stacklesss.py")

#: Our distributions, in the order the repair command lists them.
DISTRIBUTIONS = ("eventlet-core", "eventlet-httpd", "eventlet-processes", "eventlet-ssl")

DOCS = "docs/migrating/from-eventlet.rst, 'Living beside upstream eventlet'"


class MixedInstallError(RuntimeError):
    """Upstream eventlet and our distributions are installed into the same ``eventlet`` package.

    A :class:`RuntimeError`, not an :class:`ImportError`: programs that fall back when
    ``import eventlet`` raises ``ImportError`` must not silently run without it.
    """


def upstream_files(directories: list[str]) -> list[str]:
    """The marker files of upstream eventlet present in the given package folders."""
    return [
        os.path.join(directory, *marker.split("/"))
        for directory in directories
        for marker in UPSTREAM_MARKERS
        if os.path.exists(os.path.join(directory, *marker.split("/")))
    ]


def repair_commands() -> list[str]:
    """The pip commands that restore our distributions (those installed here) without upstream's."""
    from importlib import metadata

    ours = []
    for name in DISTRIBUTIONS:
        try:
            ours.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return [
        "pip uninstall -y eventlet",
        "pip install --force-reinstall --no-deps " + " ".join(ours or ["eventlet-core"]),
    ]


def message(problem: str) -> str:
    """The error text: what is wrong, how to repair it, how to avoid it."""
    commands = "\n".join(f"    {line}" for line in repair_commands())
    return (
        f"{problem}\n"
        "Upstream eventlet (the PyPI distribution 'eventlet') and Eventlet's distributions "
        "(eventlet-core, ...) both ship the Python package 'eventlet', so installing one "
        "overwrites files of the other; a dependency such as celery[eventlet] or gunicorn[eventlet] "
        "pulls upstream in.  Repair this environment with:\n"
        f"{commands}\n"
        "and install such packages without their 'eventlet' extra (or see "
        f"{DOCS}, for a shim that stands in for upstream)."
    )


def check_package() -> None:
    """Raise :class:`MixedInstallError` if the imported ``eventlet`` package is not ours alone."""
    package = sys.modules.get("eventlet")
    if package is None or getattr(package, "__file__", None) is None:
        raise MixedInstallError(
            message("The 'eventlet' package has no __init__.py: a distribution was uninstalled over another.")
        )
    found = upstream_files(list(package.__path__))
    if found:
        raise MixedInstallError(message(f"Upstream eventlet's files are installed here: {found[0]}."))


check_package()

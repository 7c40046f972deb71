#!/usr/bin/env python3
"""Check the import contracts of ``[tool.importlinter]`` (pyproject.toml) over the four distributions.

Run ``python .ci/import_contracts.py`` (the ``lint`` tox environment does), not ``lint-imports``:

* ``eventlet`` is one package in four source trees.  import-linter (grimp) finds a package's
  modules through its import spec, which lists only the tree holding ``eventlet/__init__.py``;
  that module adds the other trees to ``eventlet.__path__`` when it runs.  So this script puts the
  four ``packages/*/src`` first on ``sys.path`` and imports ``eventlet`` before the graph is
  built, then checks that the graph holds modules of every distribution.
* After the contracts, it checks a probe that must fail (``eventlet.httpd._server`` importing
  ``eventlet.greenio`` is forbidden): a tool that saw only part of the tree would keep it.
* It defines three contract types the configuration uses (``contract_types``):
  :class:`DistributionsContract` (``distributions``), :class:`SelfContainedContract`
  (``self_contained``) and :class:`AcyclicContract` (``acyclic``: no import cycle anywhere,
  function-level imports included).

Exit status 0 when every contract is kept and both checks pass.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import sys
import tempfile
from pathlib import Path

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTIONS = ("eventlet-core", "eventlet-httpd", "eventlet-processes", "eventlet-ssl")
SOURCES = {dist: ROOT / "packages" / dist / "src" for dist in DISTRIBUTIONS}
PROBE = """
[importlinter]
root_package = eventlet

[importlinter:contract:probe]
name = probe: eventlet.httpd._server may not import eventlet.greenio (it does: must fail)
type = forbidden
source_modules = eventlet.httpd._server
forbidden_modules = eventlet.greenio
"""


@functools.cache
def distribution_of(module: str) -> str | None:
    """The distribution whose source tree holds ``module`` (None: not ours)."""
    parts = module.split(".")
    for dist, src in SOURCES.items():
        base = src.joinpath(*parts)
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return dist
    return None


def file_of(module: str) -> Path:
    """The source file of one of our modules."""
    dist = distribution_of(module)
    assert dist is not None, module
    base = SOURCES[dist].joinpath(*module.split("."))
    return base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"


@functools.cache
def lazy_import_lines(path: Path) -> frozenset[int]:
    """Line numbers of the import statements inside a function of ``path`` (run only when called)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    lines.add(inner.lineno)
    return frozenset(lines)


def declared_dependencies(dist: str) -> tuple[set[str], set[str]]:
    """Our distributions that ``dist`` requires, and those only an extra of it brings."""
    project = tomllib.loads((ROOT / "packages" / dist / "pyproject.toml").read_text())["project"]

    def ours(requirements: list[str]) -> set[str]:
        return {name for name in DISTRIBUTIONS for req in requirements if req.startswith(name + "==")}

    required = ours(project.get("dependencies", []))
    optional = ours([req for reqs in project.get("optional-dependencies", {}).values() for req in reqs])
    return required, optional - required


class DistributionsContract(Contract):
    """A distribution imports another only as its ``pyproject.toml`` declares.

    A module may import the modules of its own distribution and of those the distribution
    requires; a distribution that only an extra brings (``eventlet-httpd[ssl]``) may be imported
    only inside a function, so that the module imports without it.  ``eventlet-core`` declares
    none: it never imports a component.
    """

    type_name = "distributions"

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        declared = {dist: declared_dependencies(dist) for dist in DISTRIBUTIONS}
        violations = []
        for importer in sorted(graph.modules):
            source = distribution_of(importer)
            if source is None:
                continue  # an external module
            required, optional = declared[source]
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                target = distribution_of(imported)
                if target is None or target == source or target in required:
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                lines = [d["line_number"] for d in details]
                lazy = lazy_import_lines(file_of(importer))
                if target in optional and all(line in lazy for line in lines):
                    continue
                why = (
                    "only an extra brings it: import it in a function" if target in optional else "undeclared"
                )
                violations.append((importer, imported, lines, source, target, why))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines, source, target, why in check.metadata["violations"]:
            output.print_error(f"{importer} ({source}) imports {imported} ({target}), lines {lines}: {why}")
            output.new_line()


class SelfContainedContract(Contract):
    """``source_modules`` import nothing of the root package but one another, and no ``forbidden_modules``.

    For the sans-IO cores: nothing of the rest of eventlet (no hub, no green socket), and none of
    the standard or third-party modules that do I/O or switch threads.
    """

    type_name = "self_contained"

    source_modules = fields.SetField(subfield=fields.StringField())
    forbidden_modules = fields.SetField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        sources: set[str] = set()
        for name in self.source_modules:  # type: ignore[attr-defined]
            if name not in graph.modules:
                raise ValueError(f"{name} is not in the graph")
            sources |= {name} | graph.find_descendants(name)
        forbidden: set[str] = self.forbidden_modules  # type: ignore[attr-defined]
        violations = []
        for importer in sorted(sources):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                ours = distribution_of(imported) is not None
                if (ours and imported not in sources) or imported.split(".")[0] in forbidden:
                    details = graph.get_import_details(importer=importer, imported=imported)
                    violations.append((importer, imported, [d["line_number"] for d in details]))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["violations"]:
            output.print_error(f"{importer} imports {imported} (lines {lines})")
            output.new_line()


class AcyclicContract(Contract):
    """No import cycle between any modules of the four distributions, lazy imports included.

    The graph holds every import statement of a module, those inside functions too (they run
    later, but a cycle through them is still two modules that need each other).  A cycle is a
    strongly connected set of modules; ``allowed_cycles`` lists the ones tolerated for now, each as
    the comma-separated names of exactly its modules.  An allowed cycle that grows, and one that
    is no longer a cycle (remove it from the list then), break the contract.
    """

    type_name = "acyclic"

    allowed_cycles = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        ours = sorted(module for module in graph.modules if distribution_of(module) is not None)
        edges = {
            module: sorted(d for d in graph.find_modules_directly_imported_by(module) if distribution_of(d))
            for module in ours
        }
        allowed = {
            frozenset(name.strip() for name in entry.split(","))
            for entry in (self.allowed_cycles or ())  # type: ignore[attr-defined]
        }
        cycles = [
            frozenset(component) for component in _strongly_connected(ours, edges) if len(component) > 1
        ]
        violations = []
        for cycle in sorted(cycles, key=sorted):
            if cycle in allowed:
                continue
            lines = []
            for importer in sorted(cycle):
                for imported in edges[importer]:
                    if imported in cycle:
                        details = graph.get_import_details(importer=importer, imported=imported)
                        numbers = [d["line_number"] for d in details]
                        lines.append(f"{importer} -> {imported} (lines {numbers})")
            violations.append(("cycle", sorted(cycle), lines))
        violations += [("stale", sorted(entry), []) for entry in sorted(allowed - set(cycles), key=sorted)]
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for kind, modules, lines in check.metadata["violations"]:
            if kind == "stale":
                output.print_error(f"allowed cycle {', '.join(modules)} is no longer a cycle: remove it")
            else:
                output.print_error(f"import cycle between {', '.join(modules)}:")
                for line in lines:
                    output.print_error(f"  {line}")
            output.new_line()


def _strongly_connected(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of the graph, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _import_eventlet() -> None:
    """Import eventlet from this checkout, its ``__path__`` exactly the four source trees."""
    sys.path[:0] = [str(src) for src in SOURCES.values()]
    import eventlet

    portions = {Path(p).resolve() for p in eventlet.__path__}
    missing = [dist for dist, src in SOURCES.items() if (src / "eventlet").resolve() not in portions]
    if missing:
        raise SystemExit(f"eventlet.__path__ lacks the source trees of {missing}: {eventlet.__path__}")
    # Other copies on sys.path (an installed checkout elsewhere) are not this tree: leave them out.
    # The spec's search locations are this very list, which is what the analysis walks.
    eventlet.__path__[:] = [str(src / "eventlet") for src in SOURCES.values()]


def _check_graph_sees_every_distribution() -> None:
    import grimp

    graph = grimp.build_graph("eventlet", cache_dir=None)
    seen = {distribution_of(module) for module in graph.modules}
    missing = sorted(set(DISTRIBUTIONS) - seen)
    if missing:
        raise SystemExit(f"the import graph has no module of {missing}: the analysis misses them")


def main() -> int:
    from importlinter.cli import lint_imports

    _import_eventlet()
    _check_graph_sees_every_distribution()
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.ini"
        probe.write_text(PROBE)
        report = io.StringIO()
        with contextlib.redirect_stdout(report):
            kept = lint_imports(config_filename=str(probe), no_cache=True, no_logo=True) == 0
    if kept:
        print(report.getvalue(), "The probe contract was kept: the analysis misses modules.", file=sys.stderr)
        return 1
    print("A probe contract that must break broke: the analysis sees the imports of eventlet-httpd.")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())

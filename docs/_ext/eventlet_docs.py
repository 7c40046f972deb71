"""Sphinx helpers for Eventlet's documentation (a local extension, loaded by ``conf.py``).

``.. apimodule:: eventlet.queue``
    The API reference of one module, generated from its docstrings: the module docstring, then
    every public name the module exports (``__all__``, ``__patched__`` and what it defines) that
    is *defined in Eventlet*, each documented once, on the page of the shortest documented module
    that exports it (so ``eventlet.greenio.socket.GreenSocket`` is documented as
    ``eventlet.greenio.GreenSocket``).  Names documented on another page, and names that come
    from the standard library or greenlet, are listed with a link or their origin instead.
    The documented modules are those named by an ``apimodule`` directive in ``docs/api/``.

``.. optional-include:: _snapshots/benchmarks.md``
    Include a committed snapshot file (Markdown through MyST, or reST) if it exists; otherwise
    render the directive's content (a sentence saying how to generate the file).

``.. optional-image:: _static/benchmarks.png``
    An image if the file exists; nothing at all (and no warning) otherwise.  Options as ``image``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

DOCS = Path(__file__).resolve().parent.parent
_DISTRIBUTION = re.compile(r"[/\\](eventlet-(?:core|httpd|processes|ssl))[/\\]src[/\\]")
_APIMODULE = re.compile(r"^\.\. apimodule::\s+(\S+)\s*$", re.MULTILINE)


def documented_modules() -> list[str]:
    """Every module named by an ``apimodule`` directive under ``docs/api/``."""
    found: list[str] = []
    for page in sorted((DOCS / "api").glob("*.rst")):
        found.extend(_APIMODULE.findall(page.read_text(encoding="utf-8")))
    return found


def _exported_names(module: types.ModuleType) -> list[str]:
    """Public names of ``module``: ``__all__``, then ``__patched__``, then what it defines."""
    names: list[str] = []
    for group in (getattr(module, "__all__", None), getattr(module, "__patched__", None)):
        names.extend(group or ())
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) == module.__name__ and not isinstance(value, types.ModuleType):
            names.append(name)
    return [n for n in dict.fromkeys(names) if not n.startswith("_") and hasattr(module, n)]


def _origin(value: Any) -> str | None:
    if isinstance(value, types.ModuleType):
        return value.__name__
    origin = getattr(value, "__module__", None)
    return origin if isinstance(origin, str) else None


def _public(dotted: str) -> str:
    """``greenlet._greenlet`` -> ``greenlet``; ``_queue`` -> ``queue``: the name users import."""
    parts = dotted.split(".")
    kept = [parts[0].lstrip("_"), *parts[1:]]
    for index, part in enumerate(kept[1:], 1):
        if part.startswith("_"):
            kept = kept[:index]
            break
    return ".".join(kept)


def _summary(value: Any) -> str:
    """The first paragraph of ``value``'s docstring (reST) on one line, or an empty string."""
    doc = inspect.getdoc(value) if inspect.isclass(value) or inspect.isroutine(value) else None
    paragraph = (doc or "").strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def _assigned_in(module: types.ModuleType, name: str) -> bool:
    """True if ``module``'s own source assigns ``name`` at top level (data has no ``__module__``)."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return False
    return re.search(rf"^{re.escape(name)}\s*(:[^=\n]*)?=", source, re.MULTILINE) is not None


def _home(value: Any, name: str, here: str | None, documented: list[str]) -> str | None:
    """The documented module whose page describes ``value`` (exported as ``name``)."""
    origin = _origin(value)
    if origin is None or not origin.startswith("eventlet."):
        return here
    candidates = []
    for modname in documented:
        if modname == "eventlet" or not (origin == modname or origin.startswith(modname + ".")):
            continue
        module = importlib.import_module(modname)
        if getattr(module, name, None) is value:
            candidates.append(modname)
    if candidates:
        return min(candidates, key=len)
    return here


def _directive_for(value: Any) -> str:
    if inspect.isclass(value):
        return "autoexception" if issubclass(value, BaseException) else "autoclass"
    if inspect.isroutine(value) or callable(value):
        return "autofunction"
    return "autodata"


class ApiModule(SphinxDirective):
    """``.. apimodule:: NAME``: the reference of module NAME (see the module docstring)."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        modname = self.arguments[0]
        module = importlib.import_module(modname)
        documented = self.config.eventlet_api_modules
        green = modname.startswith("eventlet.green.")
        own: list[str] = []
        elsewhere: list[tuple[str, str, str]] = []
        foreign: list[str] = []
        for name in _exported_names(module):
            value = getattr(module, name)
            origin = _origin(value)
            if isinstance(value, types.ModuleType):
                if not green:
                    foreign.append(f"``{name}`` (module ``{value.__name__}``)")
                continue
            if origin is not None and not origin.startswith("eventlet"):
                if not green:
                    foreign.append(f"``{name}`` (from ``{_public(origin)}``)")
                continue
            if origin is None and not _assigned_in(module, name):
                if not green:
                    foreign.append(f"``{name}``")
                continue
            home = _home(value, name, modname, documented) or modname
            if home == modname:
                own.append(name)
            else:
                elsewhere.append((name, f"{home}.{name}", _summary(value)))
        lines = [f".. automodule:: {modname}", ""]
        dist = _DISTRIBUTION.search(getattr(module, "__file__", "") or "")
        if dist:
            lines = [f"*Distribution:* ``{dist.group(1)}`` (``pip install {dist.group(1)}``)", "", *lines]
        for name in own:
            kind = _directive_for(getattr(module, name))
            lines += [f".. {kind}:: {modname}.{name}"]
            if kind in ("autoclass", "autoexception"):
                lines += ["   :members:", "   :show-inheritance:"]
            lines += [""]
        if elsewhere or foreign:
            lines += [".. rubric:: Other names exported here", ""]
            if elsewhere:
                lines += [
                    "Documented where they are defined:",
                    "",
                    ".. list-table::",
                    "   :header-rows: 1",
                    "   :widths: 20 35 45",
                    "",
                    "   * - name",
                    "     - documented as",
                    "     - summary",
                ]
                for name, target, summary in elsewhere:
                    lines += [f"   * - ``{name}``", f"     - :py:obj:`{target}`", f"     - {summary}"]
                lines += [""]
            if foreign:
                lines += ["Re-exported unchanged: " + ", ".join(foreign) + ".", ""]
        if green:
            lines += [
                ".. rubric:: Everything else",
                "",
                f"The other names of ``{modname}`` are those of the standard module it replaces, unchanged.",
                "",
            ]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source=f"<apimodule {modname}>"), 0, node)
        return list(node.children)


class OptionalInclude(SphinxDirective):
    """``.. optional-include:: PATH``: include PATH if it exists, else render the content."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        if Path(path).is_file():
            lines = [f".. include:: {self.arguments[0]}"]
            if path.endswith(".md"):
                lines.append("   :parser: myst_parser.sphinx_")
        else:
            lines = list(self.content)
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, node)
        return list(node.children)


class OptionalImage(SphinxDirective):
    """``.. optional-image:: PATH``: an image if PATH exists, nothing otherwise."""

    required_arguments = 1
    option_spec = {"alt": directives.unchanged, "width": directives.unchanged, "class": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        _rel, path = self.env.relfn2path(self.arguments[0])
        if not Path(path).is_file():
            return []
        lines = [f".. image:: {self.arguments[0]}"]
        lines += [f"   :{key}: {value}" for key, value in self.options.items()]
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), 0, node)
        return list(node.children)


def _canonical_target(target: str, context: str | None, documented: list[str]) -> str | None:
    """Where ``target`` (say ``eventlet.spawn``, or ``Semaphore`` seen from module ``context``)
    is documented (``eventlet.greenthread.spawn``), or None."""
    for full in ([f"{context}.{target}"] if context else []) + [target]:
        parts = full.split(".")
        module = None
        for index in range(len(parts) - 1, 0, -1):
            try:
                module = importlib.import_module(".".join(parts[:index]))
            except (ImportError, ValueError):
                continue
            break
        if module is None or not full.startswith("eventlet"):
            continue
        rest = parts[index:]
        try:
            value = getattr(module, rest[0])
        except (AttributeError, ImportError):  # eventlet's lazy names raise ImportError if not installed
            continue
        home = _home(value, rest[0], None, documented)
        if home is not None:
            canonical = ".".join([home, *rest])
            if canonical != full:
                return canonical
    return None


def _resolve_reexport(app: Sphinx, env: Any, node: Any, contnode: nodes.Element) -> nodes.Element | None:
    """``missing-reference``: send ``eventlet.spawn`` to ``eventlet.greenthread.spawn``."""
    if node.get("refdomain") != "py":
        return None
    target = _canonical_target(node["reftarget"], node.get("py:module"), env.config.eventlet_api_modules)
    if target is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], target, node, contnode)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("eventlet_api_modules", documented_modules(), "env")
    app.add_directive("apimodule", ApiModule)
    app.add_directive("optional-include", OptionalInclude)
    app.add_directive("optional-image", OptionalImage)
    app.connect("missing-reference", _resolve_reexport)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

"""The dependency rules of DESIGN.md "Architecture", checked on every run over the package's import graph.

Every import counts: at the top of a module, inside a function (the lazy ones cli.py uses to start fast), under
`if TYPE_CHECKING:`, and importlib.import_module with a literal name. A rule that fails because work on it is still
under way elsewhere is marked xfail(strict=True): the day it holds, the test fails until the mark goes, so the rule
is enforced from then on.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "newsletter"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file, wherever it stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            yield node.lineno, base
            for alias in node.names:  # `from newsletter.web import app` imports the module newsletter.web.app
                if f"{base}.{alias.name}" in modules():
                    yield node.lineno, f"{base}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


@cache
def imports() -> tuple[tuple[str, int, str], ...]:
    """(importing module, line, imported module) over the whole package."""
    return tuple((name, line, target) for name, path in modules().items() for line, target in imported_names(path))


def within(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def unit(module: str) -> str:
    """The unit the layering is about: a subpackage (newsletter.render), or a top-level module (newsletter.config)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def where(module: str, line: int) -> str:
    return f"{modules()[module].relative_to(ROOT)}:{line}"


def breaking(importer: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{where(name, line)} imports {target}"
        for name, line, target in imports()
        if within(name, *importer) and within(target, *forbidden)
    ]


def test_the_graph_sees_lazy_type_checking_and_dynamic_imports() -> None:
    found = {(name, target) for name, _, target in imports()}
    assert ("newsletter.cli", "click") in found  # at the top
    assert ("newsletter.cli", "newsletter.desk.preview") in found  # inside a command
    assert ("newsletter.providers", "newsletter.providers.base") in found  # under TYPE_CHECKING
    assert ("newsletter.inbox.intent_patterns", "re._parser") in found  # importlib.import_module
    assert len(modules()) > 80


def test_nothing_imports_the_cli() -> None:
    # `python -m newsletter` is the command line itself.
    assert [
        f"{where(name, line)} imports {target}"
        for name, line, target in imports()
        if target == "newsletter.cli" and name not in ("newsletter.cli", "newsletter.__main__")
    ] == []


def test_click_only_in_the_cli() -> None:
    assert [
        f"{where(name, line)} imports {target}"
        for name, line, target in imports()
        if within(target, "click") and name != "newsletter.cli"
    ] == []


def test_providers_know_messages_recipients_and_settings_only() -> None:
    assert (
        breaking(
            ("newsletter.providers",),
            ("newsletter.issue", "newsletter.render", "newsletter.subscribers", "newsletter.inbox"),
        )
        == []
    )


def test_the_message_builder_imports_nothing_from_rendering() -> None:
    assert breaking(("newsletter.message",), ("newsletter.render",)) == []


def test_rendering_never_imports_providers_subscribers_sending_or_the_inbox() -> None:
    assert (
        breaking(
            ("newsletter.render",),
            ("newsletter.providers", "newsletter.subscribers", "newsletter.sending", "newsletter.inbox"),
        )
        == []
    )


def test_the_web_app_never_imports_the_cli() -> None:
    assert breaking(("newsletter.web",), ("newsletter.cli",)) == []


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {unit(name): set() for name in modules()}
    for name, _, target in imports():
        edge = (unit(name), unit(target))
        if within(target, "newsletter") and edge[0] != edge[1]:
            graph[edge[0]].add(edge[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_packages() -> None:
    assert cycles(unit_graph()) == []

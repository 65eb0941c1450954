"""The shape of the code: packages installed as declared, no import circles, connectors apart, modules small."""

from __future__ import annotations

import ast
import functools
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: where each installed package's source lives (pyproject's package-dir)
SOURCES = {"offboard": ROOT / "offboard", "offboard.connectors": ROOT / "connectors",
           "offboard.playbooks": ROOT / "playbooks"}
#: modules allowed past 300 lines, each with the reason
LONG_MODULES: dict[str, str] = {}


def modules() -> Iterator[tuple[str, Path]]:
    """Every Python module of offboard/ and connectors/, with its installed dotted name."""
    for package, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if package == "offboard" and parts and parts[0] in ("connectors", "playbooks"):
                continue
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join([package, *parts]), path


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports at run time (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    found = dict(modules())
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_connector_imports_another():
    def connector_of(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if parts[:2] == ["offboard", "connectors"] and len(parts) > 2 else None

    crossing = [(source, target) for source, targets in graph().items() for target in targets
                if connector_of(source) and connector_of(target) and connector_of(source) != connector_of(target)]
    assert crossing == []


def test_the_core_never_imports_a_connector():
    """Connectors are found through entry points, as third-party ones are."""
    core = [(source, target) for source, targets in graph().items() for target in targets
            if not source.startswith("offboard.connectors") and target.startswith("offboard.connectors")]
    assert core == []


def test_nothing_imports_connectors_as_a_top_level_package():
    offenders = []
    for folder in (ROOT / "offboard", ROOT / "connectors", ROOT / "tests", ROOT / "benchmarks"):
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ("connectors", "playbooks")]
    assert offenders == []


def test_pyproject_lists_every_package_folder():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = sorted({name for name, path in modules() if path.name == "__init__.py"})
    assert sorted(setuptools["packages"]) == on_disk
    assert {k: str(ROOT / v) for k, v in setuptools["package-dir"].items()} == \
        {"offboard": str(ROOT / "offboard"), "offboard.connectors": str(SOURCES["offboard.connectors"]),
         "offboard.playbooks": str(SOURCES["offboard.playbooks"])}


def test_modules_are_small():
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
             for _, path in modules() if path.is_relative_to(ROOT / "offboard")}
    long = {path: n for path, n in sizes.items() if n > 300 and path not in LONG_MODULES}
    assert long == {}

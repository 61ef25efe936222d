"""The design document names every module, and the package has no import cycle.

Imports are read with the standard library's own tools: ``ast`` finds every import a module
runs (at module level or inside a function; those under ``if TYPE_CHECKING:`` only name types
and never run), and ``graphlib.TopologicalSorter`` refuses a graph with a cycle.
"""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "composek8s"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            nodes.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return nodes


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports when it runs."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_only(tree)
        imported: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                imported |= {t for t in [target, *(f"{target}.{a.name}" for a in node.names)] if t in modules}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names if a.name in modules}
        graph[name] = imported - {name}
    return graph


def test_the_package_has_no_import_cycle():
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_the_cycle_check_sees_a_cycle():
    """The check above can fail: a graph with a cycle is refused."""
    graph = import_graph()
    graph["composek8s.diagnostics"] = graph["composek8s.diagnostics"] | {"composek8s.cli"}
    graph["composek8s.cli"] = graph["composek8s.cli"] | {"composek8s.diagnostics"}
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(graph).prepare()


def test_no_stage_imports_a_later_one():
    """load never imports plan; plan never imports synth, helm, check or the CLI."""
    later = {"compose": ("plan", "synth", "helm", "check", "cli", "pipeline"),
             "plan": ("synth", "helm", "check", "cli", "pipeline")}
    for module, imported in import_graph().items():
        stage = module.split(".")[1] if module.count(".") else ""
        for target in imported:
            assert target.split(".")[1] not in later.get(stage, ()), f"{module} imports {target}"


def test_architecture_names_every_module():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [path.relative_to(PACKAGE).as_posix() for path in _modules().values()
               if f"`{path.relative_to(PACKAGE).as_posix()}`" not in text]
    assert not missing, f"docs/architecture.md does not name {missing}"


def test_architecture_lists_the_plan_passes_in_order():
    from composek8s.plan import PASSES

    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = [p.__name__ for p in PASSES if p.__name__ != "stop_on_errors"]
    positions = [text.find(f"| `{name}` |") for name in named]
    assert all(p >= 0 for p in positions), [n for n, p in zip(named, positions) if p < 0]
    assert positions == sorted(positions), "docs/architecture.md lists the passes in another order"


def test_the_readme_links_the_architecture():
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")

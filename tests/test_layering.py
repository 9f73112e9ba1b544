"""Every import points down: no cycle, and each layer imports only the layers below it.

The graph is read from the source (every ``import`` statement, in functions
too), so a lazy import that hides a cycle counts.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import skae

PACKAGE = Path(skae.__file__).parent


def _module_name(file):
    parts = file.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph():
    """``{module: {skae modules it imports}}`` for every module of skae."""
    files = {_module_name(file): file for file in PACKAGE.rglob("*.py")}
    graph = {}
    for name, file in files.items():
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        imported = set()
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    imported.add(full if full in files else base)
        graph[name] = {module for module in imported if module in files and module != name}
    return graph, files


GRAPH, FILES = _import_graph()


def _cycles(graph):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_every_module():
    assert {"skae._base", "skae._checkpoint", "skae._persistence._container"} <= set(GRAPH)
    assert "skae._persistence._container" in GRAPH["skae._checkpoint"]


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_a_cycle_would_be_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


ESTIMATORS = [
    "skae._base",
    "skae._base_transformer",
    "skae._transformer",
    "skae._variational",
    "skae._classifier",
    "skae._pretrained",
    "skae._augmenter",
]


@pytest.mark.parametrize(
    "module, allowed",
    [
        ("skae._persistence._errors", set()),
        ("skae._persistence._container", {"skae._persistence._errors"}),
        (
            "skae._checkpoint",
            {
                "skae._fitted",
                "skae._persistence._codec",
                "skae._persistence._container",
                "skae._persistence._errors",
                "skae._persistence._tensors",
                "skae._persistence",
                "skae.nn._training",
            },
        ),
    ],
)
def test_a_lower_layer_imports_only_what_is_below_it(module, allowed):
    assert GRAPH[module] <= allowed, sorted(GRAPH[module] - allowed)


@pytest.mark.parametrize("module", ESTIMATORS)
def test_estimators_never_import_the_layers_above_them(module):
    """engine <- estimators <- persistence, ONNX, the Displays, compare and the command line."""
    above = {
        "skae._persistence._archive", "skae._persistence._estimators", "skae._onnx", "skae.cli",
        "skae.__main__",
    }  # fmt: skip
    imported = GRAPH[module]
    assert not imported & above
    assert not any(m.startswith(("skae.inspection", "skae.compare")) for m in imported)


@pytest.mark.parametrize(
    "module",
    [
        "skae._persistence._codec",
        "skae._persistence._tensors",
        "skae._checkpoint",
        "skae._training",
        "skae._fitted",
    ],
)
def test_records_and_formats_never_import_estimators(module):
    reachable, frontier = set(), [module]
    while frontier:
        for other in GRAPH[frontier.pop()] - reachable:
            reachable.add(other)
            frontier.append(other)
    assert not reachable & set(ESTIMATORS)


def test_importing_the_engine_imports_no_scikit_learn():
    """``import skae.nn`` runs skae/__init__.py first: its public names are imported lazily."""
    code = "import sys, skae.nn; print(sorted(m for m in sys.modules if m.startswith('sklearn')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("skae.nn")))
def test_the_engine_imports_only_the_engine(module):
    assert all(other.startswith("skae.nn") for other in GRAPH[module])
    source = FILES[module].read_text()
    assert "import sklearn" not in source and "from sklearn" not in source

"""The package's layout is its architecture: imports follow the data flow, and no module or class grows
into a second idea. Drawn from the source with ``ast``, every import counted (inside functions and under
``TYPE_CHECKING`` too)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "src" / "flair_hpo"
#: The only modules that may touch a private name of another library: one per library whose private parts the
#: package uses, and the tests' fault injection (which reaches into psutil as a clock step would).
INTERNALS = {SOURCE / "optuna_internals.py", SOURCE / "flair_internals.py", REPO / "tests" / "faults.py"}

#: Lower layers first. A module may import its own layer and the layers before it, never a later one.
LAYERS = [
    {
        "flair_hpo.errors",
        "flair_hpo.checks",
        "flair_hpo.files",
        "flair_hpo.signals",
        "flair_hpo.optuna_internals",
        "flair_hpo.flair_internals",
        "flair_hpo.version",
    },
    {"flair_hpo.space"},
    {"flair_hpo.records"},
    # The storage layer, below all that trains and searches.
    {"flair_hpo.study"},
    {"flair_hpo.training"},
    {"flair_hpo.policies"},
    {"flair_hpo.strategies"},
    # The driver, the one search loop, the budget, the run settings, warm starts.
    {"flair_hpo.search"},
    {"flair_hpo.results"},
    {"flair_hpo.tracking"},
    {"flair_hpo.orchestration"},
    {"flair_hpo.cli"},
    # The tutorial's names (re-exports), which nothing inside the package imports.
    {
        "flair_hpo",
        "flair_hpo.__main__",
        "flair_hpo.parameters",
        "flair_hpo.search_spaces",
        "flair_hpo.search_strategies",
        "flair_hpo.orchestrator",
    },
]
MAX_MODULE_LINES = 300
MAX_CLASS_LINES = 200


def modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def layer(module: str) -> int:
    for index, members in enumerate(LAYERS):
        if module in members or any(module.startswith(f"{m}.") for m in members if m != "flair_hpo"):
            return index
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def imports(path: Path, module: str) -> set[str]:
    """Every flair_hpo module ``path`` imports."""
    found = set()
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("flair_hpo")}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: write imports absolute (from flair_hpo...)"
            if node.module.startswith("flair_hpo"):
                for alias in node.names:  # `from flair_hpo.space import parameters` imports a module
                    name = f"{node.module}.{alias.name}"
                    found.add(name if name in known else node.module)
    return found


def graph() -> dict[str, set[str]]:
    return {name: imports(path, name) for name, path in modules().items()}


def test_every_module_is_in_a_layer():
    for name in modules():
        layer(name)


def test_imports_only_go_down_the_layers():
    upward = [
        f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, targets in graph().items()
        for target in targets
        if layer(target) > layer(module)
    ]
    assert upward == []


def test_the_tutorial_modules_are_imported_by_nothing_inside():
    facades = LAYERS[-1]
    inside = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        if module not in facades
        for target in targets
        if target in facades
    ]
    assert inside == []


def test_there_is_no_import_circle():
    edges = {module: {t for t in targets if t != module} for module, targets in graph().items()}
    # A package's __init__ re-exports its modules: an edge into the package is an edge into what it re-exports.
    circles = []

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in path:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif len(path) < 12:
                visit(target, [*path, target])

    for start in edges:
        visit(start, [start])
    # A module importing its own package's __init__ (which imports the module back) is the one allowed loop.
    real = [c for c in circles if not _package_reexport(c)]
    assert real == []


def _package_reexport(circle: str) -> bool:
    nodes = circle.split(" -> ")
    packages = [n for n in nodes if (SOURCE.parent / n.replace(".", "/") / "__init__.py").exists()]
    return bool(packages) and all(n.startswith(packages[0]) for n in nodes)


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_and_classes_stay_small(name):
    path = modules()[name]
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} has {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = node.end_lineno - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{name}.{node.name} has {size} lines"


def test_importing_the_package_configures_no_logging():
    import subprocess
    import sys

    code = (
        "import logging, flair_hpo, flair_hpo.orchestrator, flair_hpo.search_spaces\n"
        "log = logging.getLogger('flair_hpo')\n"
        "print(len(log.handlers), log.propagate)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "True"]


def names_defined(tree: ast.AST) -> set[str]:
    """The functions, classes, attributes and variables a module defines or sets."""
    own = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                own |= {t.attr for t in ast.walk(target) if isinstance(t, ast.Attribute)}
                own |= {t.id for t in ast.walk(target) if isinstance(t, ast.Name)}
    return own


@functools.cache
def PROJECT_NAMES() -> frozenset[str]:
    """Every name flair-hpo's own modules define: a private attribute inherited from one of them is its own."""
    return frozenset().union(*(names_defined(ast.parse(p.read_text(encoding="utf-8"))) for p in SOURCE.rglob("*.py")))


def private_accesses(path: Path) -> list[str]:
    """Where ``path`` reaches for a private name of another object or module: ``thing._name`` with ``thing``
    not ``self``, ``cls`` or ``super()``; ``self._name`` that neither the file nor flair-hpo sets or defines
    (inherited from another library's class); ``from library import _name``; or a module path with a private part
    (``optuna.storages.journal._file``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = names_defined(tree) | PROJECT_NAMES()
    found = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            owner = node.value
            mine = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
            mine |= isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super"
            if mine and node.attr in own:
                continue
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith("flair_hpo"):
            names = [alias.name for alias in node.names if private(alias.name)]
            names += [node.module] if any(private(part) for part in node.module.split(".")) else []
            found += [f"{path.relative_to(REPO)}:{node.lineno}: from {node.module} import {name}" for name in names]
        elif isinstance(node, ast.Import):
            found += [
                f"{path.relative_to(REPO)}:{node.lineno}: import {alias.name}"
                for alias in node.names
                if not alias.name.startswith("flair_hpo") and any(private(part) for part in alias.name.split("."))
            ]
    return found


def test_the_private_parts_check_sees_module_paths_and_inherited_attributes(tmp_path):
    code = tmp_path / "code.py"
    code.write_text(
        "from optuna.storages.journal._file import get_lock_file\n"
        "import torch._dynamo\n"
        "class Backend(Base):\n"
        "    def __init__(self):\n"
        "        self._mine = 1\n"
        "    def _helper(self):\n"
        "        return self._mine, self._helper, self._file_path\n"
    )
    hits = [hit.split(": ", 1)[1] for hit in private_accesses_at(code)]
    assert hits == [
        "from optuna.storages.journal._file import optuna.storages.journal._file",
        "import torch._dynamo",
        "self._file_path",
    ], hits


def private_accesses_at(path: Path) -> list[str]:
    """:func:`private_accesses` of a file outside the repository (named by its path)."""
    global REPO
    saved, REPO = REPO, path.parent
    try:
        return private_accesses(path)
    finally:
        REPO = saved


def test_private_parts_of_other_libraries_are_reached_only_from_the_internals_modules():
    files = [p for folder in ("src", "tests", "benchmarks") for p in (REPO / folder).rglob("*.py")]
    assert [hit for path in files if path not in INTERNALS for hit in private_accesses(path)] == []


#: Tracked files allowed past 1 MB: the benchmark's data (its tables and replayed searches).
LARGE_FILES = {"benchmarks/results/quality.json", "benchmarks/tables/trec.json"}
MAX_FILE_BYTES = 1_000_000


def test_no_tracked_file_is_large_unless_listed():
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    names = [name for name in tracked.decode().split("\0") if name and (REPO / name).is_file()]
    assert names, "git ls-files found nothing: run the tests from a clone"
    large = {n: (REPO / n).stat().st_size for n in names if (REPO / n).stat().st_size > MAX_FILE_BYTES}
    assert {n: size for n, size in large.items() if n not in LARGE_FILES} == {}

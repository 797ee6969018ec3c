"""The architecture as rules the tree must keep: package layering without cycles, no private names used
across modules, small files and functions, one command line, one atomic writer."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

PACKAGES = ("third_party", "adapters", "data", "harness")
# Bottom to top: a unit may import only units on its own level or below (see docs/ARCHITECTURE.md).
LAYERS: list[set[str]] = [
    {"third_party"},
    {"adapters"},
    {"data"},
    {"harness.paths", "harness.heads", "harness.store"},
    {"harness.engine"},
    {"harness.methods"},
    {"harness.config"},
    {"harness.analysis"},
    {"harness.pipeline"},
    {"harness.checks"},
    {"harness.cli", "harness.__main__"},
]
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
# Pure word-list data: exempt from the file-size limit (and only from it).
VOCABULARY_FILES = {"data/synthetic/vocabulary.py"}


def source_files() -> list[Path]:
    """Every Python file of the project's packages (tests excluded)."""
    return sorted(p for pkg in PACKAGES for p in (REPO_ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def unit_of(module: str) -> str:
    """The layering unit of a module: ``harness.<subpackage>`` (or top-level module), else its package."""
    parts = module.split(".")
    if parts[0] == "harness" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def imports_of(path: Path) -> set[str]:
    """Project modules imported anywhere in a file (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in source_files():
        src = unit_of(module_name(path))
        for mod in imports_of(path):
            dst = unit_of(mod)
            if dst != src and dst != "harness":
                graph[src].add(dst)
    return graph


def test_no_import_cycle_between_packages():
    graph = unit_graph()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack + [node, nxt]))
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_imports_follow_the_layers():
    level = {unit: i for i, units in enumerate(LAYERS) for unit in units}
    bad = []
    for src, dsts in unit_graph().items():
        assert src in level, f"{src} is in no layer of this test (add it to LAYERS and docs/ARCHITECTURE.md)"
        bad += [f"{src} imports {dst}" for dst in dsts if level.get(dst, -1) > level[src]]
    assert not bad, bad


def test_adapters_and_third_party_do_not_import_torch():
    for pkg in ("adapters", "third_party/wu24"):
        for path in (REPO_ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text())
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            assert "torch" not in names, path


def private_uses(path: Path, own: str) -> list[str]:
    """``from m import _x`` and ``m._x`` where ``m`` is another project module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            for a in node.names:
                if a.name.startswith("_") and not a.name.startswith("__") and node.module != own:
                    out.append(f"{path.name}:{node.lineno} imports {node.module}.{a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in PACKAGES:
                    aliases[a.asname or a.name.split(".")[0]] = a.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in aliases):
            out.append(f"{path.name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return out


def test_no_private_name_is_used_outside_its_module():
    bad = []
    for path in source_files():
        bad += private_uses(path, module_name(path))
    assert not bad, bad


def test_files_and_functions_are_small():
    long_files, long_funcs = [], []
    for path in source_files():
        rel = path.relative_to(REPO_ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel not in VOCABULARY_FILES and len(text.splitlines()) > MAX_FILE_LINES:
            long_files.append(f"{rel}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long_funcs.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    assert not long_files and not long_funcs, long_files + long_funcs


def test_one_command_line_and_one_atomic_writer():
    argparse_users = [p for p in source_files() if "import argparse" in p.read_text()]
    assert [p.relative_to(REPO_ROOT).as_posix() for p in argparse_users] == ["harness/cli.py"]
    writers = [p.relative_to(REPO_ROOT).as_posix() for p in source_files() if "os.replace(" in p.read_text()]
    assert writers == ["harness/store/atomic.py"]


@pytest.mark.parametrize("pkg", PACKAGES)
def test_no_code_comment_cites_a_file_outside_the_repository(pkg):
    for path in (REPO_ROOT / pkg).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "DESIGN.md" not in text and "shared/golden/README" not in text, path

"""The one-way layers: each package imports only from those before it (checked with ``ast``).

survey_schemas → collector → sync → server; domain code (the server's domain packages, the
collector's storage and store) imports neither Flask, Werkzeug nor requests, so it stays usable
(and testable) without HTTP; and no module imports another in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("survey_schemas", "collector", "sync", "server")
# Domain code: no HTTP, so the CLI, the tests and any edge can call it as it is.
DOMAIN = (
    "server/accounts/**/*.py",
    "server/catalogue/**/*.py",
    "server/contacts/**/*.py",
    "server/crime/**/*.py",
    "server/exports/**/*.py",
    "server/intake/**/*.py",
    "server/issues/**/*.py",
    "server/meetings/**/*.py",
    "server/reach/**/*.py",
    "server/feed.py",
    "server/period.py",
    "collector/storage/**/*.py",
    "collector/store/**/*.py",
)
HTTP_LIBS = ("flask", "werkzeug", "requests")


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Return the ids of import nodes under ``if TYPE_CHECKING:`` (never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip |= {id(n) for n in ast.walk(node)}
    return skip


def imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """Yield ``(line, module, names)`` for every import that runs, nested ones too."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, tuple(a.name for a in node.names)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line, absolute module name)`` for every import in a file, nested ones too."""
    for line, module, _names in imports(path):
        yield line, module


def layer_violations(root: Path) -> list[str]:
    """Return one line per import that breaks the layer or HTTP-free rules under ``root``."""
    problems: list[str] = []
    for rank, package in enumerate(LAYERS):
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            for line, module in imported_modules(path):
                top = module.split(".")[0]
                if top in LAYERS and LAYERS.index(top) > rank:
                    problems.append(f"{rel}:{line}: {package} must not import {top} (later layer)")
    for pattern in DOMAIN:
        for path in sorted(root.glob(pattern)):
            rel = path.relative_to(root).as_posix()
            for line, module in imported_modules(path):
                top = module.split(".")[0]
                if top in HTTP_LIBS or top.startswith("flask_"):
                    problems.append(f"{rel}:{line}: domain code must not import {top}")
    return problems


def module_graph(root: Path) -> dict[str, set[str]]:
    """Return each project module and the project modules it imports (not its parents)."""
    paths = {}
    for package in LAYERS:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(root).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        for _line, module, names in imports(path):
            for target in [f"{module}.{n}" for n in names] or [module]:
                if target in paths:
                    graph[name].add(target)
                elif module in paths:
                    graph[name].add(module)
        graph[name].discard(name)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return every group of modules that import each other in a circle (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_tree_keeps_its_layers() -> None:
    assert layer_violations(ROOT) == []


def test_no_module_imports_another_in_a_circle() -> None:
    assert import_cycles(module_graph(ROOT)) == []


def test_the_cycle_check_finds_a_circle_through_a_nested_import(tmp_path: Path) -> None:
    tree = _tree(
        tmp_path,
        {
            "server/__init__.py": "",
            "server/a.py": "from server.b import f\nif TYPE_CHECKING:\n    import server.d\n",
            "server/b.py": "def f():\n    from server import c\n",
            "server/c.py": "import server.a\n",
            "server/d.py": "import server.a\n",  # a imports d only for type checking
        },
    )
    assert import_cycles(module_graph(tree)) == [["server.a", "server.b", "server.c"]]


def test_every_table_module_is_imported_by_the_models_package() -> None:
    modules = {p.stem for p in (ROOT / "server" / "models").glob("*.py")} - {"__init__"}
    imported = {
        m.split(".")[2] if len(m.split(".")) > 2 else n
        for _line, m, names in imports(ROOT / "server" / "models" / "__init__.py")
        for n in names or ("",)
        if m.startswith("server.models")
    }
    assert modules <= imported, modules - imported


def test_the_checker_reads_every_package() -> None:
    for package in LAYERS:
        assert list((ROOT / package).rglob("*.py")), package


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return tmp_path


CLEAN = {
    "survey_schemas/__init__.py": "import json\nfrom .model import Survey\n",
    "collector/store/x.py": "from tinydb import TinyDB\nfrom survey_schemas import Survey\n",
    "sync/client.py": "import requests\nfrom collector import store\n",
    "server/issues/merge.py": "import sqlalchemy\nfrom sync.wire import x\n",
    "server/api.py": "import flask\nfrom survey_schemas import Survey\n",
}


def test_checker_accepts_a_clean_synthetic_tree(tmp_path: Path) -> None:
    assert layer_violations(_tree(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(
    "name,text,expected",
    [
        (
            "survey_schemas/x.py",
            "from collector.store import Store\n",
            "survey_schemas must not import collector",
        ),
        ("collector/x.py", "import sync.client\n", "collector must not import sync"),
        (
            "collector/web/y.py",
            "def f():\n    from server import app\n",
            "collector/web/y.py:2: collector must not import server",
        ),
        ("sync/x.py", "import server.db as db\n", "sync must not import server"),
        (
            "collector/store/x.py",
            "import requests\n",
            "collector/store/x.py:1: domain code must not import requests",
        ),
        (
            "collector/storage/io.py",
            "from flask import g\n",
            "domain code must not import flask",
        ),
        ("server/issues/rank.py", "import flask_sqlalchemy\n", "must not import flask_sqlalchemy"),
        (
            "server/intake/ingest.py",
            "from werkzeug.security import gen_salt\n",
            "server/intake/ingest.py:1: domain code must not import werkzeug",
        ),
        ("server/period.py", "def f():\n    import flask\n", "server/period.py:2: domain"),
    ],
)
def test_checker_catches_a_violation(tmp_path: Path, name: str, text: str, expected: str) -> None:
    problems = layer_violations(_tree(tmp_path, {**CLEAN, name: text}))
    assert len(problems) == 1 and expected in problems[0], problems

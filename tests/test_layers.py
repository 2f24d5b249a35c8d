"""The one-way layers: each package imports only from those before it (checked with ``ast``).

survey_schemas → collector → sync → server; storage and merge code import neither Flask nor
requests, so they stay usable (and testable) without HTTP.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("survey_schemas", "collector", "sync", "server")
HTTP_FREE = (
    "collector/storage*.py",
    "collector/journal.py",
    "collector/store*.py",
    "collector/visits.py",
    "collector/pulled.py",
    "collector/drafts.py",
    "collector/enrollment.py",
    "server/merge*.py",
    "server/ingest.py",
)
HTTP_LIBS = ("flask", "requests")


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line, absolute module name)`` for every import in a file, nested ones too."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


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
    for pattern in HTTP_FREE:
        for path in sorted(root.glob(pattern)):
            rel = path.relative_to(root).as_posix()
            for line, module in imported_modules(path):
                top = module.split(".")[0]
                if top in HTTP_LIBS or top.startswith("flask_"):
                    problems.append(f"{rel}:{line}: storage/merge code must not import {top}")
    return problems


def test_the_tree_keeps_its_layers() -> None:
    assert layer_violations(ROOT) == []


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
    "collector/store.py": "from tinydb import TinyDB\nfrom survey_schemas import Survey\n",
    "sync/client.py": "import requests\nfrom collector import store\n",
    "server/merge.py": "import sqlalchemy\nfrom sync.wire import x\n",
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
            "collector/store.py",
            "import requests\n",
            "collector/store.py:1: storage/merge code must not import requests",
        ),
        (
            "collector/storage_io.py",
            "from flask import g\n",
            "storage/merge code must not import flask",
        ),
        ("server/merge_rank.py", "import flask_sqlalchemy\n", "must not import flask_sqlalchemy"),
        (
            "server/ingest.py",
            "from requests.adapters import HTTPAdapter\n",
            "server/ingest.py:1: storage/merge",
        ),
    ],
)
def test_checker_catches_a_violation(tmp_path: Path, name: str, text: str, expected: str) -> None:
    problems = layer_violations(_tree(tmp_path, {**CLEAN, name: text}))
    assert len(problems) == 1 and expected in problems[0], problems

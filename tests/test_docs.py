"""The architecture page stays true: it names every package and root module, and what it calls."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
# `server.intake.ingest.ingest_batch`: a dotted name the page says the code has
DOTTED = re.compile(r"`((?:server|collector|sync|survey_schemas)(?:\.[A-Za-z_]\w*)+)`")


def parts_of(app: str, root: Path = ROOT) -> list[str]:
    """Return ``app``'s packages (``server/issues/``) and root modules (``server/period.py``)."""
    base = root / app
    packages = [f"{app}/{p.parent.name}/" for p in sorted(base.glob("*/__init__.py"))]
    modules = [f"{app}/{p.name}" for p in sorted(base.glob("*.py")) if p.name != "__init__.py"]
    folders = [f"{app}/{p.name}/" for p in sorted(base.iterdir()) if p.is_dir()]
    return sorted(set(packages + modules + folders) - {f"{app}/__pycache__/"})


@pytest.mark.parametrize("app", ["server", "collector"])
def test_every_package_and_root_module_is_on_the_architecture_page(app: str) -> None:
    assert not_on_page(parts_of(app), ARCHITECTURE) == []


def not_on_page(parts: list[str], page: str) -> list[str]:
    """Return the parts the page does not name in code quotes."""
    return [part for part in parts if f"`{part}" not in page]


def resolves(name: str) -> bool:
    """Say whether a dotted name is a module, or an attribute path under one."""
    pieces = name.split(".")
    for cut in range(len(pieces), 0, -1):
        try:
            target = importlib.import_module(".".join(pieces[:cut]))
        except ImportError:
            continue
        for attr in pieces[cut:]:
            if not hasattr(target, attr):
                return False
            target = getattr(target, attr)
        return True
    return False


def test_every_dotted_name_on_the_page_exists() -> None:
    names = sorted(set(DOTTED.findall(ARCHITECTURE)))
    assert len(names) >= 10
    assert [name for name in names if not resolves(name)] == []


def test_the_checks_notice_what_is_missing_or_wrong(tmp_path: Path) -> None:
    (tmp_path / "server" / "newroom").mkdir(parents=True)
    (tmp_path / "server" / "newroom" / "__init__.py").write_text("")
    (tmp_path / "server" / "loose.py").write_text("")
    parts = parts_of("server", tmp_path)
    assert parts == ["server/loose.py", "server/newroom/"]
    assert not_on_page(parts, "`server/newroom/` holds it") == ["server/loose.py"]
    assert resolves("server.intake.ingest.ingest_batch")
    assert not resolves("server.intake.ingest.no_such_function")
    assert not resolves("server.no_such_room.f")

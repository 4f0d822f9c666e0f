"""The package's tree shows the pipeline, and imports point one way along it (curation,
linked, release, web; the command line uses them all): no stage reaches a later one."""

from __future__ import annotations

import ast
from pathlib import Path

import omskg

PACKAGE = Path(omskg.__file__).parent
STAGES = ("curation", "release", "linked", "web")
# What each part may import of the stages (shared top-level modules are open to all).
ALLOWED = {
    "curation": {"curation"},
    "linked": {"curation", "linked"},
    "release": {"curation", "linked", "release"},  # a release carries the linked reports
    "web": set(STAGES),
    "shared": set(),  # top-level modules other than cli and __init__
}


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    if len(relative.parts) > 1:
        return relative.parts[0]
    return "entry" if relative.stem in {"cli", "__init__"} else "shared"


def _stages_imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            parts = name.split(".")
            if parts[0] == "omskg" and len(parts) > 1 and parts[1] in STAGES:
                found.add(parts[1])
    return found


def test_the_stages_are_subpackages() -> None:
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)


def test_imports_point_one_way() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 35
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {sorted(stages - ALLOWED[part])}"
        for path in modules
        if (part := _part(path)) != "entry" and (stages := _stages_imported(path)) - ALLOWED[part]
    ]
    assert wrong == []

"""The package's layers import one way: builder → presentation → models → data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import regenpolicy

PACKAGE = Path(regenpolicy.__file__).parent
LAYERS = ["data", "models", "presentation", "builder"]  # each may import only itself and the layers before it


def imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "regenpolicy" and len(parts) > 1 and parts[1] in LAYERS:
                layers.add(parts[1])
    return layers


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path):
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) == 1:  # regenpolicy/__init__.py, __main__.py: the entry points
        return
    layer = rel.parts[0]
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    assert imported_layers(path) <= allowed, f"{rel} imports {imported_layers(path) - allowed}"


def test_the_build_talks_to_kernels_through_their_context_not_the_environment():
    # The environment is read only for: CHROMIUM= (pdf.py), CI (execute.py: no live status line),
    # in kernels.py, one-thread BLAS for the fork server, and in kernel_client.py, Jupyter's own JPY_ variables; in
    # server.py, whether the command line uses a build server and what names one.
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text:
            assert path.name in ("pdf.py", "execute.py", "kernels.py", "kernel_client.py", "server.py"), path
        assert "REGEN_" not in text, path


# Folders that GitHub's standard Python .gitignore (and tools that treat them as output) drop.
IGNORED_BY_STANDARD_GITIGNORE = {"build", "dist", "develop-eggs", "downloads", "eggs", ".eggs", "lib", "lib64",
                                 "parts", "sdist", "var", "wheels", "env", "venv", "ENV", "htmlcov", "site"}


def test_no_source_folder_is_one_the_standard_python_gitignore_drops() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = [str(p.relative_to(root)) for top in ("regenpolicy", "tests", "notebooks", "data", "book")
                 for p in (root / top).rglob("*") if p.is_dir() and p.name in IGNORED_BY_STANDARD_GITIGNORE]
    assert offenders == []

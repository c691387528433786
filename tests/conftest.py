"""Shared helpers: the shipped data, scratch copies of the project, and running the command line."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from regenpolicy.data import Dataset, DataValidationError, load_dataset

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("data", "notebooks", "book", "submissions", "_config.yml", "_toc.yml", "requirements.txt")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_for(data_dir: Path) -> str:
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_dir)
    return str(info.value)


def copy_project(target: Path) -> Path:
    """A scratch copy of the project's inputs (the package itself is the installed one)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("_static/vega-bundle.js", "figures"))
        else:
            shutil.copy2(src, target / name)
    return target


def run_cli(project: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """``python -m regenpolicy --project <project> <args>``."""
    return subprocess.run([sys.executable, "-m", "regenpolicy", "--project", str(project), *args],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, "CI": "1"})


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def shipped() -> Dataset:
    """The shipped data, validated."""
    return load_dataset(ROOT / "data")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data directory."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target

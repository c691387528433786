"""Shared fixtures: a scratch copy of data/, and one real build of the default report."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from regenpolicy.data import DataValidationError, load_dataset

ROOT = Path(__file__).resolve().parent.parent


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_for(data_dir: Path) -> str:
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_dir)
    return str(info.value)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped data directory."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def run_build(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "regenpolicy", "build", "--out", str(out), *args],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default report built once, for real, into a scratch folder."""
    out = tmp_path_factory.mktemp("build")
    started = time.monotonic()
    proc = run_build(out)
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr}"
    print(f"\nreal build took {time.monotonic() - started:.1f} s")
    return out

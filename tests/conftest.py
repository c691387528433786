"""Shared helpers: the shipped data, scratch copies of the project, and running the command line."""

from __future__ import annotations

import hashlib
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from regenpolicy.data import Dataset, DataValidationError, load_dataset

ROOT = Path(__file__).resolve().parent.parent
# No build server from the tests' own builds (cli.main in-process, run_cli): each test's build is its own.
# The tests of the server (tests/unit/builder/test_server.py, test_loop.py, test_rebuilds.py) turn it on
# for the builds they run through one, and stop it.
os.environ["REGENPOLICY_BUILD_SERVER"] = "0"
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


SMALL = ROOT / "tests" / "integration" / "small.yaml"  # a few figures: for the tests that need a build of their own
# A page's charts are drawn as they near the screen: this condition (for page.wait_for_function, its
# argument the theme every chart must be drawn in, or null) scrolls to the first chart not yet drawn
# and holds once every chart is drawn (back at the top of the page, where it opened).
EVERY_CHART_DRAWN = """theme => {
  const next = [...document.querySelectorAll('.regen-chart')].find(e => !e.hasAttribute('data-regen-drawn')
    || (theme && e.getAttribute('data-regen-theme') !== theme));
  if (next) { next.scrollIntoView({block: 'center'}); return false; }
  window.scrollTo(0, 0);
  return true;
}"""
SESSION_CACHE: list[Path] = []  # the test session's one notebook cache (set by tests/integration/conftest.py)


def cli_args(project: Path, *args: str, cache: Path | None = None) -> list[str]:
    """``python -m regenpolicy --project <project> <args>``; a build or a site uses ``cache`` or the
    session's shared cache, so that every build test but the first starts warm."""
    argv = [sys.executable, "-m", "regenpolicy", "--project", str(project), *args]
    cache = cache or (SESSION_CACHE[0] if SESSION_CACHE else None)
    if args and args[0] in ("build", "site", "preview") and cache is not None:
        argv += ["--cache-dir", str(cache)]
    return argv


def run_cli(project: Path, *args: str, timeout: int = 900, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m regenpolicy --project <project> <args>`` (see ``cli_args``)."""
    return subprocess.run(cli_args(project, *args, cache=cache), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "CI": "1"})


def wait_for_exit(pids: Iterable[int], seconds: float) -> None:
    """Wait until each process has ended, for at most ``seconds`` in all (a pidfd reads ready when its
    process ends); one already gone is skipped."""
    deadline = time.monotonic() + seconds
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)


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

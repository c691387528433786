"""One build at a time, and atomic publication.

- ``BuildLock``: an exclusive lock on ``<out>/.lock``. A second build in the same folder says which
  build holds it and waits; it never touches the first build's files.
- ``publish``: the new outputs are a complete release folder ``<out>/releases/<name>/`` with a
  ``manifest.json`` (the build's key and every file's SHA-256). One atomic rename of the symbolic
  link ``<out>/current`` switches html, pdf and figures together; ``<out>/html``, ``<out>/pdf`` and
  ``<out>/figures`` are fixed links through ``current``. A build that fails, or is stopped, before
  that rename leaves the previous release published.
- ``is_current``: the up-to-date check reads the published manifest and verifies every file.
- ``remove_stale``: what a build stopped by ``kill -9`` (or a power cut) left in the folder —
  ``.staging-<pid>``, ``.site-staging-<pid>``, ``.<name>.<pid>.link`` — removed when the next build
  takes the lock, if that process is gone.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from regenpolicy.data.files import link_whole

OUTPUTS = ("html", "pdf", "figures", "meta")
KEEP_PREVIOUS = 1  # releases kept besides the published one (a reader may still be on their pages)


class BuildLock:
    """Exclusive use of an output folder for the duration of a build."""

    def __init__(self, out: Path, log: Callable[[str], None] = print):
        self.path = out / ".lock"
        self.log = log
        self._file: IO[str] | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another build"
            self.log(f"{self.path.parent} is in use by {holder}; waiting for it to finish…")
            started = time.monotonic()
            fcntl.flock(self._file, fcntl.LOCK_EX)
            self.log(f"the other build finished after {time.monotonic() - started:.0f} s; continuing")
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"build pid {os.getpid()} (started {dt.datetime.now():%H:%M:%S})\n")
        self._file.flush()
        removed = remove_stale(self.path.parent)
        if removed:
            self.log(f"removed what {len(removed)} stopped build step(s) left behind: {', '.join(removed)}")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._file is not None
        self._file.truncate(0)
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


LEFT_BEHIND = re.compile(r"\.(?:site-)?staging-(\d+)|\..+\.(\d+)\.link")


def process_alive(pid: int) -> bool:
    """A process with this id exists (ours, or another user's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path) -> list[str]:
    """Remove the staging folders and temporary links of builds whose process is gone; return their names.

    Called with the folder's ``BuildLock`` held, so no build of this folder is using any of them; a
    name whose process still runs (ours, or a process that reused the id) is left alone all the same.
    """
    removed: list[str] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = LEFT_BEHIND.fullmatch(entry.name)
        if not match:
            continue
        pid = int(match.group(1) or match.group(2))
        if pid == os.getpid() or process_alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)  # a link is removed, never followed
        removed.append(entry.name)
    return removed


def file_digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def published(out: Path) -> Path | None:
    """The published release folder, if any."""
    link = out / "current"
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def published_key(out: Path) -> str | None:
    release = published(out)
    if release is None or not (release / "manifest.json").exists():
        return None
    return str(json.loads((release / "manifest.json").read_text(encoding="utf-8"))["key"])


def is_current(out: Path, key: str) -> bool:
    """The published release was built from ``key`` and every file it lists is there, unchanged."""
    release = published(out)
    if release is None or published_key(out) != key:
        return False
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    if any(not (out / name).exists() for name in OUTPUTS):
        return False
    return bool(manifest["files"]) and file_digests(release) == manifest["files"]


def _link(path: Path, target: str) -> None:
    """Make ``path`` a symbolic link to ``target`` in one atomic step (replacing what was there)."""
    if path.exists() and not path.is_symlink():
        # an output folder of the layout before releases: move it out of the way first
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    link_whole(path, target)


def publish(out: Path, staged: Path, key: str, extra: dict[str, str] | None = None, prune: bool = True) -> Path:
    """Publish the complete outputs in ``staged`` as the new release; return its folder. With ``prune``,
    the releases before the last ``KEEP_PREVIOUS`` are removed."""
    manifest = {"key": key, **(extra or {}), "files": file_digests(staged)}
    (staged / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    releases = out / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    release = releases / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{key[:12]}-{time.time_ns() % 10**9:09d}"
    staged.replace(release)
    _link(out / "current", f"releases/{release.name}")  # the one step that publishes
    for name in OUTPUTS:
        if not (out / name).is_symlink() or str((out / name).readlink()) != f"current/{name}":
            _link(out / name, f"current/{name}")
    if not prune:
        return release
    previous = sorted(p.name for p in releases.iterdir() if p.name != release.name)
    keep = {release.name, *previous[len(previous) - KEEP_PREVIOUS:]}
    for old in releases.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return release

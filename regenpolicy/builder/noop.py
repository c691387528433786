"""A build with nothing to do, answered before anything heavy is imported.

``python -m regenpolicy build`` first computes a fingerprint of everything a build reads — the
project's data, notebooks, book, profiles and code, the code of the package that runs (also when it
is installed outside the project), the pinned requirements, the installed packages, the Python
version and the command's options — and compares it with the one recorded beside the published
release by the last build that finished (``<out>/.regen-inputs.json``). When
they match and every file of the published release still has the size and modification time it had
when that build finished, nothing can differ from what a full build would publish: the command says
so and stops, without importing pandas, Sphinx or the models (about a tenth of a second).

Anything else — a changed byte of input, an output file touched, a record missing or unreadable, a
build that did not finish — takes the full path, which checks the release's SHA-256 digests.
The fingerprint is computed before a build starts and recorded only after it succeeds, so a file
saved while a build runs is never recorded as built. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import regenpolicy
from regenpolicy.builder.publish import OUTPUTS, published
from regenpolicy.data.files import write_whole

RECORD = ".regen-inputs.json"
INPUT_DIRS = ("data", "notebooks", "book", "submissions", "regenpolicy")
INPUT_FILES = ("_config.yml", "_toc.yml", "requirements.txt", "pyproject.toml")
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", "_build"}
MAX_RECORD = 16 * 1024 * 1024  # bytes of the record read at most (it lists the release's files)


def walk(top: Path) -> list[Path]:
    """The files under ``top``, in a fixed order, without byte-code, editor files, hidden folders and
    ``SKIP_DIRS``: what counts of a folder of inputs or of the package."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found += [Path(folder) / n for n in sorted(names) if not n.endswith((".pyc", ".swp", "~"))]
    return found


def _files(root: Path) -> list[Path]:
    found = [root / name for name in INPUT_FILES if (root / name).is_file()]
    for top in INPUT_DIRS:
        found += walk(root / top)
    return found


def running_package() -> Path:
    """The folder of the ``regenpolicy`` package this process runs: the project's own, or one installed elsewhere."""
    return Path(regenpolicy.__file__).resolve().parent


def _packages() -> list[str]:
    """The installed distributions with their versions (the names of the ``*.dist-info`` folders)."""
    site = Path(sysconfig.get_paths()["purelib"])
    return sorted(p.name for p in site.iterdir() if p.name.endswith((".dist-info", ".egg-link", ".pth"))) if site.is_dir() else []


def fingerprint(root: Path, request: Mapping[str, Any], package: Path | None = None) -> str:
    """SHA-256 of every input file's path and bytes, the environment and the request (options).
    ``package``: the code that builds (by default ``running_package()``), read where it is when that is not
    the project's own ``regenpolicy/`` (an edit there changes the build as much as one in the project)."""
    h = hashlib.sha256()
    h.update(json.dumps({"request": dict(request), "python": sys.version, "packages": _packages()},
                        sort_keys=True, default=str).encode())
    submission = request.get("submission")
    extra = [Path(submission)] if isinstance(submission, str) and Path(submission).is_file() else []
    for path in [*_files(root), *extra]:
        h.update(b"\0" + str(path.relative_to(root) if path.is_relative_to(root) else path.resolve()).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    package = (package or running_package()).resolve()
    if package != (root / "regenpolicy").resolve():  # (the project's own is read above)
        hash_package(h, package)
    return h.hexdigest()


def hash_package(h: Any, package: Path) -> None:
    """Each file of the package folder ``package`` (byte-code and editor files left out) into ``h``: its path
    in the package and the SHA-256 of its bytes."""
    for path in walk(package):
        h.update(b"\0<package>/" + str(path.relative_to(package)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())


def _release_stats(out: Path) -> dict[str, list[int]] | None:
    release = published(out)
    if release is None or any(not (out / name).exists() for name in OUTPUTS):
        return None
    stats: dict[str, list[int]] = {}
    for folder, dirs, names in os.walk(release):
        dirs.sort()
        for n in sorted(names):
            p = Path(folder) / n
            st = p.stat()
            stats[str(p.relative_to(out))] = [st.st_size, st.st_mtime_ns]
    return stats


def remember(out: Path, inputs: str) -> None:
    """After a build that finished: the inputs it was built from, and the published files as they are."""
    stats = _release_stats(out)
    if stats is None:
        return
    record = json.dumps({"inputs": inputs, "release": stats})
    write_whole(out / RECORD, lambda tmp: tmp.write_text(record, encoding="utf-8"))


def up_to_date(out: Path, inputs: str) -> bool:
    """The last finished build had these inputs and its published files are untouched since."""
    record = out / RECORD
    try:
        if record.stat().st_size > MAX_RECORD:
            return False
        known = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(known, dict) and known.get("inputs") == inputs and known.get("release") == _release_stats(out)


"""Files, cache entries and links replaced whole: how the package writes what another process may read.

A build's files are read while they are written: by a second build sharing the cache, by the preview's
server, by a reader's browser on the published folder. So every file is made under a temporary name beside
its place (named for the process and the thread, as builds sharing the cache may make the same file at
once) and moved into place by one rename: a reader finds the old file or the new one, never a part. A write
that fails leaves neither a part nor its temporary file.

This module is the package's lowest layer's (``data``): every layer above may use it. (``pdfjoin`` keeps its
own, as it imports nothing of the package; Chromium writes its PDFs to a path it is given, renamed after.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path


def write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """``path`` written whole by one rename: ``write`` fills a temporary file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def store_entry(entry: Path, fill: Callable[[Path], object]) -> None:
    """Make ``entry`` (a cache's folder) whole or not at all: ``fill`` fills a scratch folder beside it, marked
    ``done`` and moved in by one rename. An entry another build stored meanwhile is kept, never removed, even
    for a moment: its files may be being read (a notebook run, a drawing linked or read back, a font subset
    that drawing workers reopen for every glyph). Only an entry left without its ``done`` mark is replaced."""
    tmp = entry.with_name(f".{entry.name}.{os.getpid()}.{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
        (tmp / "done").touch()
        if not (entry / "done").exists():
            shutil.rmtree(entry, ignore_errors=True)
        with contextlib.suppress(OSError):  # another build stored the same entry meanwhile: keep theirs
            tmp.replace(entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def link_whole(path: Path, target: str) -> None:
    """``path`` made a symbolic link to ``target`` by one rename, replacing the file or link that was there
    (a reader follows the old link or the new one). A folder in its place must be moved away first.

    The new link is made as ``.<name>.<pid>.link``: the next build removes one that a killed build left
    (``publish.LEFT_BEHIND``), so its name holds the process id alone. (Links are switched by a build's
    main thread only.)"""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    try:
        tmp.symlink_to(target)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)

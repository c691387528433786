"""Files and links replaced whole: the one way the package writes a file another process may read.

A build's files are read while they are written: by a second build sharing the cache, by the preview's
server, by a reader's browser on the published folder. So every file is made under a temporary name beside
its place (named for the process and the thread, as builds sharing the cache may make the same file at
once) and moved into place by one rename: a reader finds the old file or the new one, never a part. A write
that fails leaves neither a part nor its temporary file.

This module is the package's lowest layer's (``data``): every layer above may use it. (``pdfjoin`` keeps its
own, as it imports nothing of the package; Chromium writes its PDFs to a path it is given, renamed after.)
"""

from __future__ import annotations

import os
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

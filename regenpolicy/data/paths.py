"""The one rule for every path the project reads: it stays inside its folder.

A path is declared relative to a folder (a table's ``file`` below ``data/``, a profile below
``submissions/``, a page below ``book/``). It is resolved, following every symbolic link on every
component, and refused if the result is not inside the folder, itself resolved. A link whose
target stays inside the folder is followed; one that leaves it, whether the link is the file
itself, a folder on the way (``data/ext -> /elsewhere`` with ``ext/secret.csv`` declared) or the
last link of a chain, is refused. Archives and git can carry such links, so the rule holds for
whatever is on disk, not only for what the declaration spells.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


class OutsideError(ValueError):
    """A path that leads out of its folder (by ``..``, an absolute path or a symbolic link)."""

    def __init__(self, relative: str, root: Path, why: str):
        self.relative, self.root, self.why = relative, root, why
        super().__init__(f"{relative}: {why}; expected a path inside {root.name}/")


def inside(root: Path, relative: str | os.PathLike[str]) -> Path:
    """The real path of ``root / relative``, which must lie inside ``root`` (both resolved).

    The path need not exist (a missing file is reported by whoever opens it), but every link that
    does exist on the way is followed before the check. Raises :class:`OutsideError`.
    """
    text = os.fspath(relative)
    pure = PurePosixPath(text)
    if not text or "\x00" in text or "\\" in text or pure.is_absolute() or ".." in pure.parts:
        raise OutsideError(text, root, "must be a relative path without '..' or '\\'")
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(real_root / pure))
    if real != real_root and real_root not in real.parents:
        links = [p for p in _prefixes(Path(root), pure) if p.is_symlink()]
        shown = links[0].relative_to(root) if links else pure
        raise OutsideError(text, root, f"leads outside {Path(root).name}/ through the symbolic link {shown}")
    return real


def _prefixes(root: Path, pure: PurePosixPath) -> list[Path]:
    out, path = [], root
    for part in pure.parts:
        path = path / part
        out.append(path)
    return out


__all__ = ["OutsideError", "inside"]

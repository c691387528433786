"""A project on disk: where its data, notebooks, book pages and submission profiles are.

The build never derives these from the package's own location: ``python -m regenpolicy build
--project DIR`` builds any copy of the project (the tests build scratch copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def book_dir(self) -> Path:
        return self.root / "book"

    @property
    def submissions_dir(self) -> Path:
        return self.root / "submissions"

    def config(self) -> dict[str, Any]:
        return dict(yaml.load((self.root / "_config.yml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))

    def toc(self) -> dict[str, Any]:
        return dict(yaml.load((self.root / "_toc.yml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))

    def toc_notebooks(self) -> list[str]:
        """Names of the notebooks (``notebooks/<name>``) listed in ``_toc.yml``, in reading order."""
        return [f.split("/", 1)[1] for f in toc_files(self.toc()) if f.startswith("notebooks/")]


def toc_files(toc: dict[str, Any]) -> list[str]:
    """Every page of a table of contents, root first, in reading order."""
    files = [toc["root"]]

    def walk(entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if isinstance(entry.get("file"), str):
                files.append(entry["file"])
            walk(entry.get("chapters", []) + entry.get("sections", []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return files

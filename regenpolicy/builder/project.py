"""A project on disk: where its data, notebooks, book pages and submission profiles are.

The build never derives these from the package's own location: ``python -m regenpolicy build
--project DIR`` builds any copy of the project (the tests build scratch copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEXT_SUFFIXES = frozenset({".csv", ".yaml", ".yml", ".md", ".py", ".j2", ".json", ".txt"})
TEXT_MAX_BYTES = 16 * 1024 * 1024  # (bigger files are refused by the data checks anyway)


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

    def site_url(self) -> str:
        """``site_url`` of ``_config.yml``: the address where ``make site`` is published (https://…/),
        or "". Each edition is then at ``<site_url><edition id>/`` (``editions.edition_url``)."""
        from regenpolicy.builder.profile import ProfileError
        from regenpolicy.data import Problem, is_web_url

        value = self.config().get("site_url") or ""
        if value and (not isinstance(value, str) or len(value) > 500 or not is_web_url(value)):
            text = (self.root / "_config.yml").read_text(encoding="utf-8").splitlines()
            line = next((i for i, t in enumerate(text, 1) if t.startswith("site_url:")), None)
            raise ProfileError([Problem("_config.yml", f"site_url: must be the address where the site is published, "
                                                        f"an absolute http(s) URL (https://…/); got {str(value)[:80]!r}",
                                         line, "site_url")], heading="The project's configuration cannot be used:\n")
        return value.rstrip("/") + "/" if value else ""

    def chart_text(self) -> str:
        """The characters a build's charts are made of, as far as they are known before it runs: those of the
        project's data, notebooks, profiles and book pages and of the package's own text (labels, formats,
        templates). The drawing workers' font is cut down to these (``draw.Drawer``); a chart holding any
        other character (one a notebook computes) is drawn with the full font."""
        import regenpolicy

        chars: set[str] = set()
        folders = (self.data_dir, self.notebooks_dir, self.submissions_dir, self.book_dir,
                   Path(regenpolicy.__file__).parent)
        for folder in folders:
            for path in sorted(folder.rglob("*")):
                if path.suffix in TEXT_SUFFIXES and path.is_file() and path.stat().st_size <= TEXT_MAX_BYTES:
                    chars.update(path.read_text(encoding="utf-8", errors="replace"))
        return "".join(sorted(chars))

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

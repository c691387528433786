"""What a reader reads around each figure is words, not the data's internals: no note, caption or
figure heading shows a column or key name of the data (``points_status``, ``origin_basis``)."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_./#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_./-])")


def test_no_note_or_caption_shows_a_column_name_of_the_data(built: Path):
    shown: dict[str, list[str]] = {}
    for page in sorted((built / "html" / "notebooks").glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for element in soup.select("p.regen-note, figcaption, caption"):
            names = IDENTIFIER.findall(element.get_text(" "))
            if names:
                shown.setdefault(page.name, []).extend(names)
    assert shown == {}

"""Every table of the print edition reaches the PDF whole: every cell's text, and no number split.

The tables are read from the same documents Chromium prints (the built site's articles), less what
print hides (the screen's data tables behind a chart, the chart itself); the PDF's text is read in
drawing order (`pdftotext -raw`), where a cell's wrapped lines follow each other.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

from regenpolicy.builder.pdf import print_documents
from tests.conftest import ROOT

HIDDEN_IN_PRINT = "details.regen-data, .regen-alt, .regen-panel, .regen-chart, .cell_input, .regen-live"
NUMERIC_CELL = re.compile(r"[-−+]?\d[\d,]*(?:\.\d+)?(?:/\d[\d,]*)?(?:%|点|円|万円|億円|人|件|品目|年|日)?")


def printed_cells(built: Path) -> list[tuple[str, str]]:
    _, documents = print_documents(built / "html", ROOT / "_toc.yml", {"title": ""}, "")
    cells = []
    for doc in documents:
        soup = BeautifulSoup(doc.body, "html.parser")
        hidden = {id(t) for box in soup.select(HIDDEN_IN_PRINT) for t in box.find_all("table")}
        for table in soup.find_all("table"):
            if id(table) in hidden:
                continue
            caption = table.find("caption")
            name = caption.get_text(" ", strip=True) if caption else doc.name
            cells += [(name, cell.get_text(" ", strip=True)) for cell in table.find_all(["td", "th"])]
    return [(name, text) for name, text in cells if text]


def pdf_lines(built: Path) -> list[str]:
    raw = subprocess.run(["pdftotext", "-raw", str(built / "pdf" / "report.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", line) for line in raw.splitlines()]


def test_every_cell_of_every_table_is_in_the_pdf_whole(built):
    cells = printed_cells(built)
    assert len(cells) > 1000  # every table of the report, not an empty selection
    text = "".join(pdf_lines(built))
    missing = [(name, cell) for name, cell in cells if re.sub(r"\s+", "", cell) not in text]
    assert missing == [], f"{len(missing)} cells cut from the PDF, e.g. {missing[:5]}"


def test_no_number_in_a_table_breaks_across_lines(built):
    """A cell that holds a number (66, 1,000, 75/100, 17,440点) prints on one line: each such cell
    is matched by a whole occurrence on a PDF line (as many occurrences as cells)."""
    cells = Counter(re.sub(r"\s+", "", cell) for _, cell in printed_cells(built))
    numeric = {cell: n for cell, n in cells.items() if NUMERIC_CELL.fullmatch(cell)}
    assert len(numeric) > 50
    lines = pdf_lines(built)
    split = [cell for cell, n in numeric.items() if sum(line.count(cell) for line in lines) < n]
    assert split == [], f"numbers broken across lines in the PDF: {split[:10]}"

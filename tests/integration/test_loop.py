"""The author's loop, its faster paths kept right: the preview's Sphinx worker keeps the search index
of its first build while the edited pages are rewritten, and ``make report`` makes the deck beside
the website and the PDF, reprinting only the deck's documents whose slides changed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pikepdf
import pytest

from regenpolicy.builder.book import SphinxWorker
from regenpolicy.builder.pipeline import Options, Session, build
from regenpolicy.builder.profile import load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from tests.conftest import SESSION_CACHE, copy_project, edit, run_cli

MARKER = "zqxloopmarker"
FEE = "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850"


def _small(project: Path) -> None:
    shutil.copy2(Path(__file__).with_name("small.yaml"), project / "submissions" / "small.yaml")


def test_preview_rebuilds_rewrite_the_page_and_keep_the_first_search_index(tmp_path):
    project = copy_project(tmp_path / "project")
    _small(project)
    proj = Project(project)
    out = tmp_path / "out"
    session = Session(book=out / ".book", sphinx=SphinxWorker())
    options = Options(pdf=False, workers=2, downloads=False, deck=False)
    try:
        def again() -> None:
            registry = load_registry(proj)
            build(proj, load_profile("small", proj, registry), out, options, cache=SESSION_CACHE[0], session=session)

        again()
        html = out / "current" / "html"
        index = (html / "searchindex.js").read_bytes()
        assert b"m1_market" in index  # the first build indexed every page
        edit(project / "notebooks" / "m1_market.md", "\n# ", f"\n{MARKER}\n\n# ")  # a word before the title
        again()
        page = (out / "current" / "html" / "notebooks" / "m1_market.html").read_text(encoding="utf-8")
        assert MARKER in page  # the page is right
        assert (out / "current" / "html" / "searchindex.js").read_bytes() == index  # the index as first written
    finally:
        session.sphinx.close()  # type: ignore[union-attr]
    # make report indexes as ever: the word is found in its search index
    report = tmp_path / "report"
    proc = run_cli(project, "build", "--submission", "small", "--out", str(report), "--no-pdf")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert MARKER in (report / "html" / "searchindex.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The small edition built with its PDF and deck, then again after one table edit."""
    project = copy_project(tmp_path_factory.mktemp("loop") / "project")
    _small(project)
    out = project / "_build"
    first = run_cli(project, "build", "--submission", "small", "--out", str(out))
    assert first.returncode == 0, first.stdout[-3000:]
    edit(project / "data" / "fee_schedule.csv", FEE, FEE.replace("30850", "31234"))
    second = run_cli(project, "build", "--submission", "small", "--out", str(out))
    assert second.returncode == 0, second.stdout[-3000:]
    return out, first.stdout, second.stdout


def test_the_deck_is_made_beside_the_website_and_pdf_and_is_right_after_an_edit(edited):
    out, first, second = edited
    for log in (first, second):
        deck = re.search(r"deck: (\d+) slides, (\d+) of (\d+) print documents printed afresh", log)
        assert deck, log[-2000:]
        slides, documents = int(deck.group(1)), int(deck.group(3))
        with pikepdf.open(out / "html" / "small-deck.pdf") as pdf:
            assert len(pdf.pages) == slides
            with pdf.open_outline() as outline:
                assert len(outline.root) == slides  # a bookmark a slide, several slides a document
        assert documents < slides
    assert "31,234点" in (out / "html" / "notebooks" / "k1_fee_gap.html").read_text(encoding="utf-8")
    # the site links the deck beside the PDF; the page and the deck were published together
    assert (out / "html" / "small-deck.pptx").is_file() and (out / "html" / "report.pdf").is_file()

"""The author's loop, its faster paths kept right: the preview's warm Sphinx rewrites only the changed page
in the application it keeps, and keeps the search index of its first build while the edited pages are
rewritten; ``make report`` makes the deck beside the website and the PDF, reprinting only the deck's
documents whose slides changed; and a build run by the project's build server (the one ``make report``
leaves for the next build) publishes the same bytes a build in its own process publishes."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest

from regenpolicy.builder import book, server
from regenpolicy.builder.book import SphinxWorker
from regenpolicy.builder.pipeline import Options, Session, build
from regenpolicy.builder.profile import load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from tests.conftest import SESSION_CACHE, cli_args, copy_project, edit, run_cli, tree_digest

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


def seed_notebooks(cache: Path) -> None:
    """The notebook runs already in the session's cache, linked into ``cache`` (hard links: an entry is
    never written again once whole, only replaced by a rename). Only whole entries (with their ``done``
    mark): another process may be storing one meanwhile."""
    for entry in sorted(SESSION_CACHE[0].glob("notebooks/*/*")) if SESSION_CACHE else ():
        if not entry.name.startswith(".") and (entry / "done").exists():
            shutil.copytree(entry, cache / "notebooks" / entry.parent.name / entry.name, copy_function=os.link)


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The small edition built with its PDF and deck, then again after one table edit: the first build in
    its own process, which leaves a build server for the project, the second run by that server. The
    cache is the project's own (the one the server's drawing workers draw into and ``make clean`` removes),
    seeded with the session's notebook runs: what the first build draws and prints it does afresh, and its
    seven notebooks it reuses from the default build (the same code, parameters and data)."""
    project = copy_project(tmp_path_factory.mktemp("loop") / "project")
    _small(project)
    out = project / "_build"
    seed_notebooks(out / ".cache")

    def make_report() -> subprocess.CompletedProcess[str]:
        return subprocess.run(cli_args(project, "build", "--submission", "small", "--out", str(out),
                                       cache=out / ".cache"),
                              capture_output=True, text=True, timeout=900, env={**os.environ, server.ENV: "1"})

    try:
        first = make_report()
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        assert "started a build server" in first.stdout
        assert server.ask(project, "ping") is not None  # answered once its helpers have started
        edit(project / "data" / "fee_schedule.csv", FEE, FEE.replace("30850", "31234"))
        second = make_report()
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        yield project, out, first.stdout, second.stdout
    finally:
        running = server.pid(project)
        try:  # (a descriptor of the process: readable once it has ended)
            ended = os.pidfd_open(running) if running is not None else None
        except ProcessLookupError:
            ended = None
        server.ask(project, "stop")
        if ended is not None:
            try:
                assert select.select([ended], [], [], 30)[0], "the build server did not stop"
            finally:
                os.close(ended)


def test_the_deck_is_made_beside_the_website_and_pdf_and_is_right_after_an_edit(edited):
    _, out, first, second = edited
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


def test_a_build_in_the_build_server_publishes_what_a_build_in_its_own_process_publishes(edited, tmp_path):
    project, out, _, second = edited
    assert "run by this project's build server" in second
    assert len(re.findall(r": executed in", second)) == 3  # K1, K1-MC and the data appendix read the table
    # the same inputs built afresh, in a process of its own and a new output folder (the notebooks from the cache)
    own = run_cli(project, "build", "--submission", "small", "--out", str(tmp_path / "own"), cache=out / ".cache")
    assert own.returncode == 0 and "build server" not in own.stdout, own.stdout[-3000:]
    built = tree_digest(tmp_path / "own" / "current")
    served = tree_digest(out / "current")
    assert served == built, sorted(k for k in served.keys() | built.keys() if served.get(k) != built.get(k))
    assert "html/report.pdf" in served and "html/small-deck.pdf" in served
    # make clean under the server (its cache, its font subset and Sphinx's folders gone), then make report
    shutil.rmtree(out)
    again = subprocess.run(cli_args(project, "build", "--submission", "small", "--out", str(out), cache=out / ".cache"),
                           capture_output=True, text=True, timeout=900, env={**os.environ, server.ENV: "1"})
    assert again.returncode == 0 and "run by this project's build server" in again.stdout, again.stdout[-3000:]
    served = tree_digest(out / "current")
    assert served == built, sorted(k for k in served.keys() | built.keys() if served.get(k) != built.get(k))


def _tiny_book(src: Path, words: str) -> None:
    src.mkdir(parents=True, exist_ok=True)
    (src / "_config.yml").write_text("title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: \"off\"\n",
                                     encoding="utf-8")
    (src / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n- file: a\n- file: b\n", encoding="utf-8")
    (src / "index.md").write_text("# Tiny\n\nThe root.\n", encoding="utf-8")
    (src / "a.md").write_text(f"# A\n\n{words}\n", encoding="utf-8")
    (src / "b.md").write_text("# B\n\nUnchanged.\n", encoding="utf-8")


def test_the_warm_sphinx_rebuilds_only_the_changed_page_in_the_same_application(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    _tiny_book(src, "alpha")
    sphinx = book.WarmSphinx()
    try:
        assert sphinx.build(src, out) == 0
        html = out / "_build" / "html"
        app, b_written = sphinx.app, (html / "b.html").stat().st_mtime_ns
        assert "alpha" in (html / "a.html").read_text(encoding="utf-8")
        (src / "a.md").write_text("# A\n\nbeta\n", encoding="utf-8")
        os.utime(src / "a.md", ns=(time.time_ns() + 10**9,) * 2)  # newer than what Sphinx read, whatever the clock's grain
        assert sphinx.build(src, out) == 0
        assert sphinx.app is app  # no new application
        assert "beta" in (html / "a.html").read_text(encoding="utf-8")  # the page is right
        assert (html / "b.html").stat().st_mtime_ns == b_written  # the other page was not rewritten
        # a warning fails the build (warnings are errors) and drops the application: the next starts afresh
        (src / "a.md").write_text("# A\n\n{doc}`missing`\n", encoding="utf-8")
        os.utime(src / "a.md", ns=(time.time_ns() + 2 * 10**9,) * 2)
        assert sphinx.build(src, out) == 1
        assert sphinx.app is None
        (src / "a.md").write_text("# A\n\ngamma\n", encoding="utf-8")
        os.utime(src / "a.md", ns=(time.time_ns() + 3 * 10**9,) * 2)
        assert sphinx.build(src, out) == 0
        assert "gamma" in (html / "a.html").read_text(encoding="utf-8")
        # a changed configuration is a new application
        app = sphinx.app
        (src / "_config.yml").write_text((src / "_config.yml").read_text(encoding="utf-8").replace("tiny", "small"),
                                         encoding="utf-8")
        assert sphinx.build(src, out) == 0
        assert sphinx.app is not app
        assert "small" in (html / "a.html").read_text(encoding="utf-8")
    finally:
        sphinx.close()

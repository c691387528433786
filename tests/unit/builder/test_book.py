"""The preview's warm Sphinx process builds as a fresh process would."""

from __future__ import annotations

import re
from pathlib import Path

from regenpolicy.builder import book
from regenpolicy.builder.project import Project
from tests.conftest import ROOT


def test_the_themes_appends_to_sphinxs_shared_templates_path_are_undone_before_a_build():
    # pydata-sphinx-theme appends its components to the default list in place: in a process that
    # builds again and again, the configuration's hash changed every build and every page was rewritten
    from sphinx.config import Config

    Config().templates_path.append("/site-packages/pydata_sphinx_theme/theme/components")
    assert Config().templates_path != []
    book._fresh_sphinx_defaults()
    assert Config().templates_path == []


def test_the_introduction_lists_only_the_figures_the_edition_published():
    # the 2026-11 edition keeps d1_drug_loss for D2 but leaves out the market chapter and A1–A3
    declared = {"d1_drug_loss": ["D1", "D2"], "p1_value_price": ["P1", "P1-TOR"], "t4_access_issues": ["T4"]}
    c = book.edition_contents(Project(ROOT), declared, {"D2", "P1", "P1-TOR", "T4"}, {"D2", "P1", "P1-TOR"})
    assert c["parts"] == [
        {"caption": "ドラッグ・ロスと承認", "chapter": "book/ch2_access", "figures": [{"id": "D2", "kind": "図"}]},
        {"caption": "診療報酬と薬剤費", "chapter": "book/ch5_reimbursement", "figures": [{"id": "T4", "kind": "表"}]},
        {"caption": "価格制度の提案", "chapter": "book/ch6_proposals",
         "figures": [{"id": "P1", "kind": "図"}, {"id": "P1-TOR", "kind": "図"}]},
    ]


def test_no_page_of_the_book_names_a_figure_in_its_own_text():
    # the introduction and the chapters list their figures through regen-contents (the edition's own)
    for page in sorted((ROOT / "book").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"[図表] [A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*", text), page.name
        if page.name.startswith("ch"):
            assert f":chapter: book/{page.stem}" in text, page.name


def test_a_first_pass_leaves_a_print_svg_not_drawn_yet_out_and_keeps_no_page(tmp_path):
    """The preview's first pass (the page on screen) neither draws a chart's print SVG nor keeps the page
    without it: the pass that follows draws it and fills the page."""
    import json

    from regenpolicy.builder.execute import Result
    from regenpolicy.presentation import draw

    run = tmp_path / "run"
    (run / "figures").mkdir(parents=True)
    cell = {"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"text/html": draw.print_place("K9")}}]}
    (run / "k9.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (run / "figures" / f"K9{draw.FRAME_SUFFIX}").write_text(json.dumps({"id": "K9", "print": {"mark": "bar"}}))
    cache = tmp_path / "cache"
    page = book.filled_notebook(Result("k9", run / "k9.ipynb", run / "figures", {}, True), cache, drawn_only=True)
    assert b'<div class=\\"regen-print\\"></div>' in page and b"data-regen-print" not in page
    assert not any(cache.rglob("*.svg")) and not any(cache.rglob("*.ipynb"))  # nothing drawn, no page kept


def test_the_code_hash_is_the_code_not_pythons_compiled_files(tmp_path):
    """A module first imported late in a build (the deck's, in its thread) writes its compiled file into
    ``__pycache__`` then, unless PYTHONDONTWRITEBYTECODE is set: the next build must not see other code
    (the website's configuration carries this hash, and a change rewrites every page)."""
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    before = book.tree_hash(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x00compiled")
    assert book.tree_hash(tmp_path) == before
    (tmp_path / "a.py").write_text("x = 2\n", encoding="utf-8")
    assert book.tree_hash(tmp_path) != before


def test_a_sphinx_worker_never_asked_to_build_is_stopped_without_waiting_for_its_imports():
    """A build starts Sphinx's process early; when the edition turns out up to date, closing it must not
    wait for the imports it is busy with (it has built nothing): it is killed, not asked to finish."""
    import signal

    worker = book.SphinxWorker(preview=False)
    worker.close()
    assert worker._worker.process.returncode == -signal.SIGKILL


def test_ctrl_c_stops_a_builds_sphinx_at_once_and_is_left_to_the_preview_in_the_previews(monkeypatch):
    """``make report``'s Sphinx process ends on Ctrl-C with the build (the terminal sends it to both), as
    ``jupyter-book build`` did; the preview's ignores it (the preview closes its input when it stops)."""
    import io
    import signal
    import sys

    monkeypatch.setattr(book, "_warm_imports", lambda: None)
    left: list[int] = []
    monkeypatch.setattr(book, "leave", lambda code=0: left.append(code))  # the worker's process would end here
    before = signal.getsignal(signal.SIGINT)
    try:
        for preview, handler in ((False, signal.SIG_DFL), (True, signal.SIG_IGN)):
            monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no request: the worker sets up and ends
            book._worker(preview=preview)
            assert signal.getsignal(signal.SIGINT) == handler
        assert left == [0, 0]  # its input closed: it left at once, both kinds
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_cache_gets_the_vega_bundle_make_setup_made_and_bundles_only_without_one(tmp_path, monkeypatch):
    """The bundle is a function of the installed packages: make setup makes it once for the environment
    (install_vega_bundle), and a build's cold cache copies it rather than bundling (2.3 CPU-s) again."""
    from regenpolicy.presentation import draw

    bundled: list[Path] = []

    def bundle(path: Path) -> None:  # (the real one takes seconds: what it writes is not this test's subject)
        bundled.append(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"bundled {len(bundled)}", encoding="utf-8")

    monkeypatch.setattr(draw, "write_vega_bundle", bundle)
    monkeypatch.setattr(book.sys, "prefix", str(tmp_path / "venv"))
    installed = book.install_vega_bundle()
    assert installed.parent == tmp_path / "venv" / "share" / "regenpolicy" and bundled == [installed]
    (installed.parent / "vega-bundle-0.1-0.1-old.js").write_text("an older version's", encoding="utf-8")
    assert book.install_vega_bundle() == installed and bundled == [installed]  # made once
    assert [p.name for p in installed.parent.iterdir()] == [installed.name]  # other versions' removed
    cache = tmp_path / "cache"
    assert book.vega_bundle(cache).read_text(encoding="utf-8") == "bundled 1" and len(bundled) == 1  # copied
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]
    installed.unlink()  # an environment make setup did not set up: the build bundles
    assert book.vega_bundle(tmp_path / "other").read_text(encoding="utf-8") == "bundled 2"

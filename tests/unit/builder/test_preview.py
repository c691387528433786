"""What the preview does for a save: restart, rebuild or nothing; and which open pages it swaps."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from regenpolicy.builder.pipeline import Session, Superseded
from regenpolicy.builder.preview import (
    Preview,
    changed_pages,
    kind_of_change,
    notebook_of,
    page_hashes,
    until_signalled,
)
from regenpolicy.builder.project import Project

ROOT = Path("/p")
PACKAGE = Path("/p/regenpolicy")


@pytest.mark.parametrize(("saved", "kind"), [
    (["data/fee_schedule.csv"], "content"),
    (["notebooks/m1_market.md"], "content"),
    (["book/ch1_market.md", "book/_static/report.css"], "content"),
    (["submissions/default.yaml"], "content"),
    (["_config.yml"], "content"),
    (["_toc.yml"], "content"),
    (["regenpolicy/models/market.py"], "code"),  # warm kernels and Sphinx hold the old code
    (["data/fee_schedule.csv", "regenpolicy/presentation/figures.py"], "code"),
    (["data/.fee_schedule.csv.swp", "data/~$fee_schedule.xlsx", "notebooks/m1_market.md~"], None),  # editors' files
    (["regenpolicy/__pycache__/x.cpython-311.pyc"], None),
    (["README.md", "tests/unit/test_models.py"], None),  # not an input of the report
    (["book/_build/html/index.html"], None),
])
def test_a_save_asks_for_a_restart_a_rebuild_or_nothing(saved, kind):
    assert kind_of_change({ROOT / f for f in saved}, ROOT, PACKAGE) == kind


def test_only_the_pages_a_rebuild_changed_are_swapped(tmp_path):
    html = tmp_path / "html"
    (html / "notebooks").mkdir(parents=True)
    for name, text in {"index.html": "a", "notebooks/k1_fee_gap.html": "30,850点", "notebooks/m1_market.html": "m",
                       "_print-front.html": "x"}.items():
        (html / name).write_text(text, encoding="utf-8")
    before = page_hashes(html)
    assert set(before) == {"/index.html", "/notebooks/k1_fee_gap.html", "/notebooks/m1_market.html"}
    (html / "notebooks" / "k1_fee_gap.html").write_text("31,000点", encoding="utf-8")
    (html / "notebooks" / "new.html").write_text("n", encoding="utf-8")
    assert changed_pages(before, page_hashes(html)) == ["/notebooks/k1_fee_gap.html", "/notebooks/new.html"]
    assert changed_pages(before, before) == []
    assert page_hashes(tmp_path / "missing") == {}


@pytest.mark.parametrize(("page", "notebook"), [
    ("/notebooks/k1_fee_gap.html", "k1_fee_gap"),
    ("/notebooks/m1_market.html", "m1_market"),
    ("/index.html", None),
    ("/book/ch1_market.html", None),
    ("/notebooks/../index.html", None),
    ("/notebooks/k1_fee_gap.html?x=1", None),
    ("", None),
    (None, None),
])
def test_the_open_page_names_its_notebook(page, notebook):
    assert notebook_of(page) == notebook


def test_a_rebuild_makes_first_the_notebook_of_the_page_opened_last_that_is_still_open(tmp_path):
    preview = Preview(Project(tmp_path), "default", 0, tmp_path / "out")
    assert preview.open_notebook() is None
    k1 = preview.page_opened("/notebooks/k1_fee_gap.html")
    assert preview.open_notebook() == "k1_fee_gap"
    m1 = preview.page_opened("/notebooks/m1_market.html")
    preview.page_opened("/index.html")  # a page without a notebook makes none first
    assert preview.open_notebook() == "m1_market"
    preview.page_closed(m1)
    assert preview.open_notebook() == "k1_fee_gap"
    preview.page_closed(k1)
    assert preview.open_notebook() is None


def test_a_build_stops_between_steps_once_its_author_saved_again(tmp_path):
    preview = Preview(Project(tmp_path), "default", 0, tmp_path / "out")
    preview.dirty = False  # the builder took the last save
    preview.session.check()  # nothing saved since
    preview.dirty = True
    with pytest.raises(Superseded):
        preview.session.check()
    Session().check()  # a build outside the preview is never stopped


def test_the_preview_builds_with_the_cache_it_is_given(tmp_path):
    assert Preview(Project(tmp_path), "default", 0, tmp_path / "out", cache=tmp_path / "c").cache == tmp_path / "c"
    assert Preview(Project(tmp_path), "default", 0, tmp_path / "out").cache == tmp_path / "_build" / ".cache"


class Rescued(Exception):
    pass


def test_ctrl_c_stops_the_preview_whichever_of_its_threads_the_signal_reaches():
    """A signal sent to the process can reach any thread; here another thread takes it (SIGUSR1, for Ctrl-C).
    The main thread, waiting for it, must still see it: were it stuck, a second signal sent to it after
    5 s ends the wait with an error instead of hanging the suite."""
    main = threading.get_ident()

    def rescue(_signum, _frame):
        raise Rescued

    before = {s: signal.getsignal(s) for s in (signal.SIGUSR1, signal.SIGUSR2)}
    signal.signal(signal.SIGUSR2, rescue)
    taker = threading.Thread(target=lambda: signal.pthread_kill(threading.get_ident(), signal.SIGUSR1))
    watchdog = threading.Timer(5, signal.pthread_kill, (main, signal.SIGUSR2))
    try:
        threading.Timer(0.1, taker.start).start()
        watchdog.start()
        assert until_signalled((signal.SIGUSR1,), tick=0.05) == signal.SIGUSR1
    except Rescued:
        pytest.fail("the signal reached another thread and the main thread never saw it")
    finally:
        watchdog.cancel()
        for s, handler in before.items():
            signal.signal(s, handler)

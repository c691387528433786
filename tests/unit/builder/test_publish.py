"""One build at a time; publication is one atomic step; the up-to-date check verifies the files."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from regenpolicy.builder.pdf import allowed_request
from regenpolicy.builder.publish import BuildLock, is_current, publish, published


def staged(tmp_path: Path, text: str) -> Path:
    root = tmp_path / f"staged-{text}"
    for name in ("html", "pdf", "figures", "meta"):
        (root / name).mkdir(parents=True)
    (root / "html" / "index.html").write_text(text)
    (root / "pdf" / "report.pdf").write_text(f"pdf {text}")
    (root / "figures" / "M1.csv").write_text(text)
    return root


def test_html_pdf_and_figures_switch_together(tmp_path):
    out = tmp_path / "out"
    publish(out, staged(tmp_path, "one"), "k1")
    assert (out / "html" / "index.html").read_text() == "one"
    first = published(out)
    publish(out, staged(tmp_path, "two"), "k2")
    assert [(out / n).read_text() for n in ("html/index.html", "pdf/report.pdf", "figures/M1.csv")] == \
        ["two", "pdf two", "two"]
    assert (out / "current").is_symlink() and published(out) != first
    assert all((out / n).is_symlink() for n in ("html", "pdf", "figures"))


def test_older_releases_are_pruned_but_the_previous_one_is_kept(tmp_path):
    out = tmp_path / "out"
    for i in range(4):
        publish(out, staged(tmp_path, str(i)), f"k{i}")
    assert len(list((out / "releases").iterdir())) == 2


def test_a_release_published_without_pruning_leaves_the_older_ones_for_the_next(tmp_path):
    out = tmp_path / "out"
    for i in range(3):
        publish(out, staged(tmp_path, str(i)), f"k{i}")
    publish(out, staged(tmp_path, "first pass"), "k3", prune=False)  # the preview's first pass
    assert len(list((out / "releases").iterdir())) == 3 and (out / "html" / "index.html").read_text() == "first pass"
    publish(out, staged(tmp_path, "4"), "k4")
    assert len(list((out / "releases").iterdir())) == 2


def test_up_to_date_only_when_every_published_file_is_there_and_unchanged(tmp_path):
    out = tmp_path / "out"
    publish(out, staged(tmp_path, "one"), "k1")
    assert is_current(out, "k1") and not is_current(out, "k2")
    (out / "pdf" / "report.pdf").unlink()  # someone deleted the PDF
    assert not is_current(out, "k1")
    publish(out, staged(tmp_path, "again"), "k1")
    (out / "html" / "index.html").write_text("edited by hand")
    assert not is_current(out, "k1")


def test_a_folder_of_the_old_layout_is_replaced(tmp_path):
    out = tmp_path / "out"
    (out / "html").mkdir(parents=True)
    (out / "html" / "stale.html").write_text("old")
    publish(out, staged(tmp_path, "one"), "k1")
    assert (out / "html").is_symlink() and not (out / "html" / "stale.html").exists()


HOLD = """
import sys
from pathlib import Path
from regenpolicy.builder.publish import BuildLock
with BuildLock(Path(sys.argv[1]), print):
    print("holding", flush=True)
    sys.stdin.readline()  # until the test lets go
"""


def test_a_second_build_waits_for_the_first_and_says_so(tmp_path):
    first = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert first.stdin is not None and first.stdout is not None and first.stdout.readline().strip() == "holding"
    messages: list[str] = []
    released = threading.Event()

    def log(message: str) -> None:  # told to wait: only then does the first let go
        messages.append(message)
        if "waiting for it to finish" in message and first.stdin is not None:
            released.set()
            first.stdin.write("go\n")
            first.stdin.flush()

    with BuildLock(tmp_path, log):
        assert released.is_set()  # the second went on only after the first was told to let go
    first.wait(timeout=60)
    first.stdin.close()
    first.stdout.close()
    assert "is in use by build pid" in messages[0] and "waiting for it to finish" in messages[0]


def test_the_printer_may_read_only_the_editions_own_files(tmp_path):
    site = tmp_path / "html"
    (site / "notebooks").mkdir(parents=True)
    (tmp_path / "secret").write_text("x")
    (site / "link").symlink_to(tmp_path / "secret")
    assert allowed_request((site / "notebooks" / "k1.html").as_uri(), site)
    assert allowed_request("data:image/png;base64,AAAA", site)
    for url in ("file:///etc/passwd", (tmp_path / "secret").as_uri(), f"{site.as_uri()}/../secret",
                (site / "link").as_uri(), "https://example.com/x.css", "http://127.0.0.1:8000/",
                "file://otherhost/etc/passwd", "ftp://x/y"):
        assert not allowed_request(url, site), url


def test_the_site_copies_only_what_the_current_book_has(tmp_path):
    """Sphinx never deletes: a page of a renamed notebook, a print page or a figure no longer made must
    not be published from its output folder."""
    from regenpolicy.builder.book import copy_site

    src, html, dest = tmp_path / "src", tmp_path / "html", tmp_path / "site"
    for f in ("notebooks/m1_market.md", "book/index.md", "book/_static/figures/M1.csv"):
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        (src / f).write_text("x", encoding="utf-8")
    for f in ("notebooks/m1_market.html", "notebooks/c2_repricing.html", "book/index.html", "genindex.html",
              "search.html", "_print.html", "_static/basic.css", "_static/figures/M1.csv",
              "_static/figures/C2-RP.csv", ".doctrees/x.pickle", "_sources/x.txt", "searchindex.js"):
        (html / f).parent.mkdir(parents=True, exist_ok=True)
        (html / f).write_text("x", encoding="utf-8")
    copy_site(html, dest, src)
    published = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert published == ["_static/basic.css", "_static/figures/M1.csv", "book/index.html", "genindex.html",
                         "notebooks/m1_market.html", "search.html", "searchindex.js"]


def dead_pid() -> int:
    """The id of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_what_killed_builds_left_behind_is_removed_when_the_next_build_takes_the_lock(tmp_path):
    import os

    out = tmp_path / "out"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours")
    gone = dead_pid()
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        left = [f".staging-{gone}", f".site-staging-{gone}"]
        for name in left:
            (out / name / "result" / "html").mkdir(parents=True)
            (out / name / "result" / "html" / "big.bin").write_bytes(b"\0" * 100_000)
        (out / f".current.{gone}.link").symlink_to("releases/x")
        (out / f".staging-{gone + 1_000_000}").symlink_to(outside)  # a link in a staging name: unlinked, never followed
        kept = [f".staging-{os.getpid()}", f".staging-{running.pid}", f".site-staging-{running.pid}", ".staging-abc",
                f"staging-{gone}", f".staging-{gone}x", "releases", f".html.{running.pid}.link"]
        for name in kept:
            (out / name).mkdir(parents=True)
        logged: list[str] = []
        with BuildLock(out, logged.append):
            remaining = sorted(p.name for p in out.iterdir())
        assert remaining == sorted([*kept, ".lock"])
        assert (outside / "keep.txt").read_text() == "not ours"
        assert len(logged) == 1 and f".staging-{gone}" in logged[0] and f".current.{gone}.link" in logged[0]
        with BuildLock(out, logged.append):  # nothing more to remove: nothing more said
            pass
        assert len(logged) == 1
    finally:
        running.communicate(b"")


def test_a_build_in_progress_keeps_its_staging_folder_while_another_waits_for_the_lock(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys, pathlib\n"
         "from regenpolicy.builder.publish import BuildLock\n"
         f"out = pathlib.Path({str(out)!r})\n"
         "with BuildLock(out, lambda m: None):\n"
         "    (out / f'.staging-{os.getpid()}').mkdir()\n"
         "    print('holding', flush=True)\n"
         "    sys.stdin.readline()\n"
         "    assert (out / f'.staging-{os.getpid()}').is_dir()\n"
         "    print('intact', flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "holding"
    assert (out / f".staging-{holder.pid}").is_dir()
    holder.stdin.write("go\n")
    holder.stdin.flush()
    with BuildLock(out, lambda m: None):  # waits for the holder, which finds its folder intact
        pass
    assert holder.stdout.readline().strip() == "intact"
    assert holder.wait(10) == 0
    holder.stdin.close()
    holder.stdout.close()

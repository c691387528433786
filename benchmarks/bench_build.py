"""Build benchmark: the author's loop against its targets, and the peers an author would use instead.

    .venv/bin/python benchmarks/bench_build.py [--runs N] [--no-pdf] [--no-peers]

Works on scratch copies of the project (the working tree is never touched), offline, and reports
for each step the median of ``--runs`` runs (default 5; run it on a quiet machine):

- our build (HTML and PDF): cold (no cache), no-op, after editing one table, after editing one
  notebook's text; how many notebooks re-ran;
- the naive baseline: a full rebuild without cache — papermill every notebook one after the other,
  draw its figures, then ``jupyter-book build --all`` (HTML only);
- ``make preview``: from the file write to the open page's DOM showing the new value in headless
  Chromium, for a one-table and a one-notebook edit;
- ``make site`` with 3 and with 6 editions (three more submissions of the same figures), cold;
- the peers, from the project's own notebooks in a scratch copy: Jupyter Book 1 with its own cache
  (``execute_notebooks: cache``, jupyter-cache) — cold, a one-notebook edit, a one-table edit (it
  re-runs nothing, since its key is the notebook's code, and serves the old number: detected in its
  page) and the full rebuild it needs to be right — and ``sphinx-autobuild`` on the same book as the
  live-reload peer of ``make preview``, for the same edits;
- peak memory of each step: the largest resident set of any process of the step (the build, a
  kernel, Sphinx, Chromium), from the kernel's own accounting (``wait4``'s ``ru_maxrss``), so that
  no sampler runs beside the timings.

Each target is printed as met / NOT met.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
FEE_ROW = r"(K922-2,2022,CAR発現生T細胞投与（一連につき）,)\d+"  # the default edition's CAR-T fee (K1's page)
STALE_AFTER = 60.0  # seconds a peer's page is watched for the new value before it is called stale


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak memory in MiB of its largest process, output).

    The peak is ``ru_maxrss`` from ``wait4`` on the child, which covers every process it waited
    for: measured by the kernel, nothing samples beside the timing."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "CI": "1", **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        out = log.read()
    if check and proc.returncode != 0:
        sys.exit(f"command failed ({' '.join(cmd)}):\n{out[-3000:]}")
    return seconds, usage.ru_maxrss // 1024, out


def copy_project(target: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, target / rel)
    return target


def edit_fee(project: Path, points: int) -> None:
    fees = project / "data" / "fee_schedule.csv"
    text, n = re.subn(FEE_ROW, rf"\g<1>{points}", fees.read_text(encoding="utf-8"))
    assert n == 1, "the K922-2 row of data/fee_schedule.csv moved"
    fees.write_text(text, encoding="utf-8")


def edit_notebook(project: Path, marker: str) -> None:
    note = project / "notebooks" / "m1_market.md"
    note.write_text(note.read_text(encoding="utf-8") + f"\n{marker}\n", encoding="utf-8")


class Row:
    def __init__(self, name: str, times: list[float], mem: int | None, note: str = ""):
        self.name, self.times, self.mem, self.note = name, times, mem, note

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    def line(self, baseline: float | None = None) -> str:
        ratio = f"{baseline / self.median:.1f}" if baseline and self.times else ""
        runs = ", ".join(f"{t:.1f}" for t in self.times) if len(self.times) > 1 else ""
        mem = "" if self.mem is None else str(self.mem)
        return (f"{self.name:<58}{self.median:>9.1f}{ratio:>11}{mem:>10}  {self.note}"
                + (f" [runs: {runs}]" if runs else ""))


def header() -> str:
    return f"{'step':<58}{'seconds':>9}{'× naive':>11}{'peak MiB':>10}  notes"


def show(row: Row, baseline: float | None = None) -> Row:
    print(row.line(baseline), flush=True)
    return row


# --- our build ------------------------------------------------------------------------------------
def ours(project: Path, runs: int, pdf: list[str]) -> dict[str, Row]:
    build = [PY, "-m", "regenpolicy", "--project", str(project), "build", "--out", str(project / "_build"), *pdf]
    rows: dict[str, Row] = {}

    def executed(log: str) -> int:
        return len(re.findall(r": executed in", log))

    times, mems = [], []
    for _ in range(runs):
        shutil.rmtree(project / "_build", ignore_errors=True)
        t, mem, log = run(build, project)
        times.append(t)
        mems.append(mem)
    rows["cold"] = show(Row("our build: cold (no cache)", times, max(mems), f"{executed(log)} notebooks executed"))
    times, mems = [], []
    for _ in range(runs):
        t, mem, log = run(build, project)
        times.append(t)
        mems.append(mem)
    rows["noop"] = show(Row("our build: no-op", times, max(mems), f"{executed(log)} executed"))
    times, mems = [], []
    for i in range(runs):
        edit_fee(project, 30851 + i)
        t, mem, log = run(build, project)
        times.append(t)
        mems.append(mem)
    rows["table"] = Row("our build: one-table edit (fee_schedule.csv)", times, max(mems), f"{executed(log)} notebooks re-ran")
    times, mems = [], []
    for i in range(runs):
        edit_notebook(project, f"本文を一文追加した（{i}）。")
        t, mem, log = run(build, project)
        times.append(t)
        mems.append(mem)
    rows["notebook"] = Row("our build: one-notebook edit (m1_market.md)", times, max(mems),
                           f"{executed(log)} notebooks re-ran")
    return rows


BASELINE = """
import json, shutil, subprocess, sys, jupytext, nbformat, papermill
from pathlib import Path
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.builder.profile import load_profile, resolve_parameters
from regenpolicy.data import load_dataset, write_snapshot
from regenpolicy.presentation.draw import draw_all

project = Project(Path.cwd())
registry = load_registry(project)
profile = load_profile('default', project, registry)
ds = load_dataset(project.data_dir)
resolved = resolve_parameters(profile, registry, ds)
snapshot = write_snapshot(ds, Path('_baseline_store'))
src = Path('_baseline')
figures = src / 'book' / '_static' / 'figures'
for name, step in registry.steps.items():
    run = Path('_baseline_runs') / name
    (run / 'out' / 'figures').mkdir(parents=True, exist_ok=True)
    context = run / 'context.json'
    context.write_text(json.dumps({'notebook': str(step.path.resolve()), 'snapshot': str(snapshot.resolve()),
                                   'out': str((run / 'out').resolve()),
                                   'parameters': resolved.parameters[name].values(),
                                   'settings': resolved.settings.values()}))
    nbformat.write(jupytext.read(step.path), run / 'in.ipynb')
    papermill.execute_notebook(str(run / 'in.ipynb'), str(src / 'notebooks' / f'{name}.ipynb'),
                               parameters={'context': str(context.resolve())}, kernel_name='regenpolicy',
                               progress_bar=False)
    for f in (run / 'out' / 'figures').iterdir():
        shutil.copy2(f, figures / f.name)
    draw_all(run / 'out' / 'figures', figures, Path('_baseline_draw_cache'))
subprocess.run([str(Path(sys.executable).with_name('jupyter-book')), 'build', str(src), '--all',
                '--builder', 'html'], check=True, capture_output=True)
"""


def baseline(project: Path, runs: int) -> Row:
    """The naive rebuild: papermill every notebook in turn, draw its figures, then jupyter-book build --all."""
    from regenpolicy.builder.book import vega_bundle

    times, mems = [], []
    for _ in range(runs):
        for scratch in ("_baseline", "_baseline_runs", "_baseline_store", "_baseline_draw_cache"):
            shutil.rmtree(project / scratch, ignore_errors=True)
        src = project / "_baseline"
        (src / "notebooks").mkdir(parents=True)
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy2(project / name, src / name)
        shutil.copytree(project / "book", src / "book")
        (src / "book" / "_static" / "figures").mkdir(parents=True, exist_ok=True)
        shutil.copy2(vega_bundle(project / "_baseline_cache"), src / "book" / "_static" / "vega-bundle.js")
        t, mem, _ = run([PY, "-c", BASELINE], project)
        times.append(t)
        mems.append(mem)
    return Row("naive: papermill all, draw, jupyter-book --all (HTML)", times, max(mems), "a full rebuild without cache")


# --- the browser ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def browser_page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    from regenpolicy.builder.pdf import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def open_when_served(page: object, url: str, text: str, output: list[str], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            page.goto(url, wait_until="load")  # type: ignore[attr-defined]
            if page.locator(f"text={text}").count():  # type: ignore[attr-defined]
                return
        except Exception:  # not served yet
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{url} never showed {text}:\n" + "".join(output[-50:]))
        time.sleep(1)


def shows(page: object, text: str, timeout: float) -> float | None:
    """Seconds until the page's DOM shows ``text`` (measured from the call), or None after ``timeout``."""
    saved = time.monotonic()
    try:
        page.wait_for_function("t => !!document.body && document.body.innerText.includes(t)",  # type: ignore[attr-defined]
                               arg=text, timeout=timeout * 1000, polling=50)
    except Exception:  # playwright's TimeoutError
        return None
    return time.monotonic() - saved


def live_edits(server_cmd: list[str], project: Path, port: int, runs: int,
               ) -> tuple[list[float | None], list[float | None]]:
    """Seconds from the file write to the open page showing the new value: one-table and one-notebook edits."""
    server = subprocess.Popen(server_cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "CI": "1"}, start_new_session=True)
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(server.stdout or []), daemon=True).start()
    tables: list[float | None] = []
    pages: list[float | None] = []
    try:
        with browser_page() as page:
            open_when_served(page, f"http://127.0.0.1:{port}/notebooks/k1_fee_gap.html", "30,850点", output)
            time.sleep(3)  # let warm pools fill
            for i in range(runs):
                points = 31000 + i
                edit_fee(project, points)
                tables.append(shows(page, f"{points:,}点", STALE_AFTER))
                time.sleep(2)
            page.goto(f"http://127.0.0.1:{port}/notebooks/m1_market.html", wait_until="load")  # type: ignore[attr-defined]
            for i in range(runs):
                marker = f"編集の確認 {i}"
                edit_notebook(project, marker)
                pages.append(shows(page, marker, 120))
                time.sleep(2)
    finally:
        os.killpg(server.pid, 2)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
    return tables, pages


def latency_row(name: str, times: list[float | None], note: str = "") -> Row:
    shown = [t for t in times if t is not None]
    stale = len(times) - len(shown)
    if stale:
        note = (note + "; " if note else "") + f"STALE: the new value never appeared within {STALE_AFTER:.0f} s in {stale} of {len(times)}"
    return Row(name, shown if not stale else [], None, note)


def preview(project: Path, runs: int) -> tuple[Row, Row]:
    port = free_port()
    tables, pages = live_edits([PY, "-m", "regenpolicy", "--project", str(project), "preview", "--port", str(port)],
                                  project, port, runs)
    return (show(latency_row("make preview: save one table → page shows it", tables)),
            show(latency_row("make preview: save one notebook → page shows it", pages)))


# --- make site ------------------------------------------------------------------------------------
def site(project: Path, editions: int, runs: int) -> Row:
    """``make site`` from a cold cache with ``editions`` editions: the three of the first submissions
    (firm-2023-07, jri-2025, default), then the other shipped ones, then copies of them."""
    first = ("firm-2023-07.yaml", "jri-2025.yaml", "default.yaml")
    others = sorted(p for p in (project / "submissions").glob("*.yaml") if p.name not in first)
    for profile in others[max(0, editions - len(first)):]:
        profile.unlink()
    shipped = sorted((project / "submissions").glob("*.yaml"))
    for i, profile in enumerate(shipped * 2):
        if len(list((project / "submissions").glob("*.yaml"))) >= editions:
            break
        text = profile.read_text(encoding="utf-8")
        copy = re.sub(r"^id: .*$", f"id: extra-{i}", text, count=1, flags=re.M)
        copy = re.sub(r"^date: .*$", f"date: 2027-0{i + 1}-01", copy, count=1, flags=re.M)
        (project / "submissions" / f"extra-{i}.yaml").write_text(copy, encoding="utf-8")
    times, mems = [], []
    for _ in range(runs):
        shutil.rmtree(project / "_build", ignore_errors=True)
        t, mem, _ = run([PY, "-m", "regenpolicy", "--project", str(project), "site"], project)
        times.append(t)
        mems.append(mem)
    return show(Row(f"make site, {editions} editions (cold)", times, max(mems)))


# --- the peers ------------------------------------------------------------------------------------
def peer_book(project: Path) -> Path:
    """The project's own book for Jupyter Book 1 to execute itself, with its cache (jupyter-cache):
    the notebooks as they are (MyST text; run without a context they read ``data/`` and use the
    defaults: the default edition's numbers), the site's scripts, ``execute_notebooks: cache``."""
    from regenpolicy.builder.book import vega_bundle

    config = project / "_config.yml"
    text = config.read_text(encoding="utf-8")
    text, n = re.subn(r'execute_notebooks: "off"', "execute_notebooks: cache\n  timeout: 600", text)
    assert n == 1, "_config.yml's execute_notebooks moved"
    config.write_text(text, encoding="utf-8")
    shutil.copy2(vega_bundle(project / "_peer_cache"), project / "book" / "_static" / "vega-bundle.js")
    shutil.rmtree(project / "_peer_cache")
    return project


def jupyter_book_peer(project: Path, runs: int) -> list[Row]:
    jb = [str(BIN / "jupyter-book"), "build", str(project), "--builder", "html"]
    page = project / "_build" / "html" / "notebooks" / "k1_fee_gap.html"
    rows = []
    times, mems = [], []
    for _ in range(runs):
        shutil.rmtree(project / "_build", ignore_errors=True)
        t, mem, _ = run(jb, project)
        times.append(t)
        mems.append(mem)
    rows.append(show(Row("Jupyter Book 1 cache: cold", times, max(mems), "jupyter-cache, execute_notebooks: cache")))
    times, mems, right = [], [], 0
    for i in range(runs):
        marker = f"本文を一文追加した（{i}）。"
        edit_notebook(project, marker)
        t, mem, _ = run(jb, project)
        times.append(t)
        mems.append(mem)
        right += marker in (project / "_build" / "html" / "notebooks" / "m1_market.html").read_text(encoding="utf-8")
    rows.append(show(Row("Jupyter Book 1 cache: one-notebook edit", times, max(mems),
                         f"page right in {right} of {runs}")))
    times, mems, stale, full, full_mems, fixed = [], [], 0, [], [], 0
    for i in range(runs):
        points = 31100 + i
        edit_fee(project, points)
        t, mem, _ = run(jb, project)
        times.append(t)
        mems.append(mem)
        stale += f"{points:,}点" not in page.read_text(encoding="utf-8")
        # what it takes to be right: forget the cache, execute and build everything again
        t, mem, _ = run([str(BIN / "jupyter-book"), "clean", "--all", str(project)], project)
        t2, mem2, _ = run([*jb, "--all"], project)
        full.append(t + t2)
        full_mems.append(max(mem, mem2))
        fixed += f"{points:,}点" in page.read_text(encoding="utf-8")
    rows.append(show(Row("Jupyter Book 1 cache: one-table edit", times, max(mems),
                         f"STALE: re-ran nothing, K1's page still shows the old fee in {stale} of {runs}"
                         if stale else f"page right in {runs} of {runs}")))
    rows.append(show(Row("Jupyter Book 1: full rebuild to be right (clean --all)", full, max(full_mems),
                         f"new fee shown in {fixed} of {runs}")))
    return rows


def autobuild_peer(project: Path, runs: int) -> list[Row]:
    """sphinx-autobuild on the same book (Jupyter Book's Sphinx configuration, jupyter-cache)."""
    run([str(BIN / "jupyter-book"), "config", "sphinx", str(project)], project)
    port = free_port()
    cmd = [str(BIN / "sphinx-autobuild"), str(project), str(project / "_build" / "html"), "--port", str(port),
           "--host", "127.0.0.1", "--re-ignore", r"(_build|\.jupyter_cache|jupyter_execute|\.ipynb_checkpoints)",
           "-q"]
    tables, pages = live_edits(cmd, project, port, runs)
    return [show(latency_row("sphinx-autobuild: save one table → page shows it", tables)),
            show(latency_row("sphinx-autobuild: save one notebook → page shows it", pages))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each step (the median is reported)")
    parser.add_argument("--no-pdf", action="store_true", help="our build without the PDF")
    parser.add_argument("--no-peers", action="store_true", help="leave out Jupyter Book's cache and sphinx-autobuild")
    args = parser.parse_args()
    pdf = ["--no-pdf"] if args.no_pdf else []
    from regenpolicy.builder.project import Project

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"{len(Project(ROOT).toc_notebooks())} notebooks; median of {args.runs} run(s); "
          f"our build with {'HTML only' if pdf else 'HTML and PDF'}", flush=True)
    print(header(), flush=True)
    with tempfile.TemporaryDirectory(prefix="regen-bench-") as tmp:
        rows = ours(copy_project(Path(tmp) / "project"), args.runs, pdf)
        base = show(baseline(copy_project(Path(tmp) / "baseline"), args.runs))
        for key in ("table", "notebook"):
            show(rows[key], base.median)
        table_preview, page_preview = preview(copy_project(Path(tmp) / "preview"), args.runs)
        site3 = site(copy_project(Path(tmp) / "site3"), 3, args.runs)
        site6 = site(copy_project(Path(tmp) / "site6"), 6, args.runs)
        print(f"{'':<58}{'':>9}{'':>11}{'':>10}  6 editions: {site6.median / site3.median:.2f}× 3 editions", flush=True)
        if not args.no_peers:
            for peer, name in ((jupyter_book_peer, "peer-jb"), (autobuild_peer, "peer-autobuild")):
                try:
                    peer(peer_book(copy_project(Path(tmp) / name)), args.runs)
                except (SystemExit, Exception) as exc:  # a peer that cannot run is reported, ours still are
                    print(f"{name}: could not be measured: {str(exc)[-2000:]}", flush=True)
    with_pdf = " with HTML and PDF" if not pdf else " (HTML only)"
    previews = [table_preview, page_preview]
    targets = [
        ("preview save → page shows the new value ≤ 2 s (one table, one notebook)",
         all(r.times for r in previews) and max(r.median for r in previews) <= 2.0),
        (f"cold make report{with_pdf} ≤ 30 s", rows["cold"].median <= 30.0),
        (f"one-table edit{with_pdf} ≥ 8× the naive baseline", base.median / rows["table"].median >= 8.0),
        ("no-op ≤ 0.5 s", rows["noop"].median <= 0.5),
        ("make site with 6 editions ≤ 1.5× 3 editions", site6.median <= 1.5 * site3.median),
    ]
    for target, met in targets:
        print(f"target {target}: {'met' if met else 'NOT met'}", flush=True)


if __name__ == "__main__":
    main()

"""Build benchmark: the author's loop against its targets, and the peers an author would use instead.

    .venv/bin/python benchmarks/bench_build.py [--runs N] [--slow-runs N] [--steps ...] [--no-pdf] [--no-peers]

Works on scratch copies of the project (the working tree is never touched), offline, and reports
for each step the median of ``--runs`` runs (default 5; run it on a quiet machine):

- our build (HTML and PDF): cold (no cache), no-op, after editing one table, after editing one
  notebook's text; how many notebooks re-ran; the edits as ``make report`` runs them, in the project's
  build server (``regenpolicy.builder.server``), and again with each build starting its own helpers;
- the naive baseline: a full rebuild without cache — papermill every notebook one after the other,
  draw its figures, then ``jupyter-book build --all`` (HTML only);
- ``make preview``: from the file write to the open page's DOM showing the new value in headless
  Chromium, for a one-table and a one-notebook edit;
- ``make site`` with 3 and with 6 editions (three more submissions of the same figures), cold, run
  alternately (3, 6, 3, 6, ...): the target is the median of each pair's ratio;
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
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class Sample:
    """One run of a step: its seconds (None: the page never showed the new value), its peak memory
    (MiB of the largest process, when known) and its log."""

    seconds: float | None
    mem: int | None = None
    out: str = ""


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    seconds, mem, out = run(cmd, cwd, env)
    return Sample(seconds, mem, out)


@dataclass
class Row:
    name: str
    samples: list[Sample]
    note: str = ""
    mem: int | None = None  # the step's peak memory, when no single run knows it (a server's, at its end)

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples if s.seconds is not None]

    @property
    def stale(self) -> int:
        return len(self.samples) - len(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times and not self.stale else float("nan")

    @property
    def peak(self) -> int | None:
        mems = [s.mem for s in self.samples if s.mem is not None]
        return max(mems) if mems else self.mem

    def line(self, baseline: float | None = None) -> str:
        ratio = f"{baseline / self.median:.1f}" if baseline and self.times and not self.stale else ""
        low, high = (f"{min(self.times):.1f}", f"{max(self.times):.1f}") if self.times else ("", "")
        note = self.note
        if self.stale:
            note = (note + "; " if note else "") + (f"STALE: the new value never appeared within {STALE_AFTER:.0f} s "
                                                    f"in {self.stale} of {len(self.samples)}")
        return (f"{self.name:<58}{self.median:>8.1f}{low:>7}{high:>7}{ratio:>9}{self.peak or '':>10}  {note}")


def header() -> str:
    return f"{'step':<58}{'median':>8}{'min':>7}{'max':>7}{'× naive':>9}{'peak MiB':>10}  notes"


def repeat(name: str, runs: int, step: Callable[[int], Sample],
           note: str | Callable[[list[Sample]], str] = "", shown: bool = True) -> Row:
    """Run ``step(i)`` for i in 0..runs-1 (each run does its own edit, then times one thing); the row
    gives the median, minimum and maximum seconds and the peak memory of all runs."""
    samples = [step(i) for i in range(runs)]
    row = Row(name, samples, note(samples) if callable(note) else note)
    if shown:
        print(row.line(), flush=True)
    return row


def show(row: Row, baseline: float | None = None) -> Row:
    print(row.line(baseline), flush=True)
    return row


def executed(sample: Sample) -> int:
    """How many notebooks a build of ours ran (the rest came from its cache)."""
    return len(re.findall(r": executed in", sample.out))


# --- our build ------------------------------------------------------------------------------------
SERVER = {"REGENPOLICY_BUILD_SERVER": "1"}  # run() sets CI=1, which turns the build server off unless asked


def ours(project: Path, runs: int, pdf: list[str]) -> dict[str, Row]:
    """Our build's rows. The edits are measured as ``make report`` runs them, by the project's build server
    (the one the build before leaves running; started here, and waited for until it is warm, as an author's
    next build finds it a few seconds later), and again with no server (``CI``, or
    ``REGENPOLICY_BUILD_SERVER=0``: each build starts its own helpers). Cold builds and no-ops use none: a
    cold build is the first on its machine, and a no-op is answered before a server would be asked."""
    from regenpolicy.builder import server

    build = [PY, "-m", "regenpolicy", "--project", str(project), "build", "--out", str(project / "_build"), *pdf]

    def cold(_: int) -> Sample:
        shutil.rmtree(project / "_build", ignore_errors=True)
        return timed(build, project)

    def table(env: dict[str, str] | None) -> Callable[[int], Sample]:
        def step(i: int) -> Sample:
            edit_fee(project, 30851 + i + (0 if env else 100))
            return timed(build, project, env)
        return step

    def notebook(env: dict[str, str] | None) -> Callable[[int], Sample]:
        def step(i: int) -> Sample:
            edit_notebook(project, f"本文を一文追加した（{i}{'' if env else '、サーバーなし'}）。")
            return timed(build, project, env)
        return step

    def reran(samples: list[Sample]) -> str:
        return f"{executed(samples[-1])} notebooks re-ran"

    rows = {
        "cold": repeat("our build: cold (no cache)", runs, cold, lambda s: f"{executed(s[-1])} notebooks executed"),
        "noop": repeat("our build: no-op", runs, lambda _: timed(build, project), lambda s: f"{executed(s[-1])} executed"),
    }
    with _server_env():
        if not server.start(project) or server.ask(project, "ping") is None:
            sys.exit("the build server did not start: see its log in " + str(server.folder()))
    try:
        rows["table"] = repeat("our build: one-table edit (fee_schedule.csv)", runs, table(SERVER), reran, shown=False)
        rows["notebook"] = repeat("our build: one-notebook edit (m1_market.md)", runs, notebook(SERVER), reran,
                                  shown=False)
        served = [s for r in (rows["table"], rows["notebook"]) for s in r.samples]
        missed = sum("run by this project's build server" not in s.out for s in served)
        peak = _tree_peak(server.pid(project))
    finally:
        server.ask(project, "stop")
    for key in ("table", "notebook"):
        for sample in rows[key].samples:  # (the caller's own is a few MiB; the server's processes did the work)
            sample.mem = max(sample.mem or 0, peak or 0) or None
        rows[key].note += (", in the build server" + (f" ({missed} of {len(served)} runs not)" if missed else "")
                           + "; peak: its largest live process")
    rows["table-own"] = repeat("  the same edit, no build server", runs, table(None), reran, shown=False)
    rows["notebook-own"] = repeat("  the same edit, no build server", runs, notebook(None), reran, shown=False)
    return rows


@contextlib.contextmanager
def _server_env() -> Iterator[None]:
    """The environment the builds run in (run()'s, with the server on), for starting the server they use."""
    saved = dict(os.environ)
    os.environ.update({"CI": "1", **SERVER})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _tree_peak(root_pid: int | None) -> int | None:
    """The largest peak resident set (VmHWM, MiB) of ``root_pid`` and its live descendants."""
    if root_pid is None:
        return None
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, grew = {root_pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    peaks = []
    for pid in tree:
        with contextlib.suppress(OSError, ValueError, StopIteration):
            line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
            peaks.append(int(line.split()[1]) // 1024)
    return max(peaks) if peaks else None


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
# the list of figures the chapters read (regen-contents), as the build writes it from what was published
from regenpolicy.builder.book import edition_contents
from regenpolicy.presentation.draw import FRAME_SUFFIX
frames = [json.loads(f.read_text(encoding='utf-8')) for f in figures.glob('*' + FRAME_SUFFIX)]
contents = edition_contents(project, {n: list(s.figures) for n, s in registry.steps.items()},
                            {str(x['id']) for x in frames}, {str(x['id']) for x in frames if x.get('image') is not None})
(src / 'book' / '_generated').mkdir(parents=True, exist_ok=True)
(src / 'book' / '_generated' / 'contents.json').write_text(json.dumps(contents, ensure_ascii=False), encoding='utf-8')
# the front page's findings (regen-findings) quote the glued headline numbers, which only our build gathers:
# the naive build shows the front page without them (a few lines of one page)
(src / 'book' / '_generated' / 'findings.json').write_text(json.dumps({'findings': []}), encoding='utf-8')
book = subprocess.run([str(Path(sys.executable).with_name('jupyter-book')), 'build', str(src), '--all',
                       '--builder', 'html'], capture_output=True, text=True)
if book.returncode:
    sys.exit('jupyter-book build failed:' + chr(10) + (book.stdout + book.stderr)[-3000:])
"""


def baseline(project: Path, runs: int) -> Row:
    """The naive rebuild: papermill every notebook in turn, draw its figures, then jupyter-book build --all."""
    from regenpolicy.builder.book import vega_bundle

    def step(_: int) -> Sample:
        for scratch in ("_baseline", "_baseline_runs", "_baseline_store", "_baseline_draw_cache"):
            shutil.rmtree(project / scratch, ignore_errors=True)
        src = project / "_baseline"
        (src / "notebooks").mkdir(parents=True)
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy2(project / name, src / name)
        shutil.copytree(project / "book", src / "book")
        (src / "book" / "_static" / "figures").mkdir(parents=True, exist_ok=True)
        shutil.copy2(vega_bundle(project / "_baseline_cache"), src / "book" / "_static" / "vega-bundle.js")
        return timed([PY, "-c", BASELINE], project)

    return repeat("naive: papermill all, draw, jupyter-book --all (HTML)", runs, step, "a full rebuild without cache")


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


# The preview's log lines that end a build: for each save, the open page's first pass, then the ordinary build.
BUILD_END = re.compile(r"^\[build\] (done in|up to date|first pass \()|^\[build\] preview: the build failed")
SETTLE_AFTER = 120.0  # seconds a server is given to finish the builds of the last save


def preview_settled(lines: list[str]) -> bool:
    """The preview's builds of a save have ended (its log since the save): the open page's first pass and
    the ordinary build after it (every save of the bench is made with a page of a notebook open)."""
    return sum(1 for line in lines if BUILD_END.match(line)) >= 2


def live_edits(name: str, server_cmd: list[str], project: Path, port: int, runs: int,
               settled: Callable[[list[str]], bool] | None = None) -> tuple[Row, Row]:
    """Seconds from the file write to the open page showing the new value: one-table and one-notebook
    edits; the peak memory is the server's (and its children's, kernels and Sphinx), known when it stops.

    Each edit is made on a settled server: ``settled`` (given the server's log since the last edit) says when
    the builds of the last edit have ended; then two more seconds for its warm pools to refill. (Without
    it, a server that rebuilds more after the page showed, on a slow machine, met the next edit still building
    the last one.) The row's note says in how many runs the last edit's builds were still running two
    seconds after its page showed."""
    server = subprocess.Popen(server_cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "CI": "1"}, start_new_session=True)
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(server.stdout or []), daemon=True).start()
    last: dict[str, Any] = {"line": None, "shown": 0.0, "late": 0}

    def settle() -> None:
        if settled is not None and last["line"] is not None:
            deadline = time.monotonic() + SETTLE_AFTER
            while not settled(output[last["line"]:]):
                if time.monotonic() > deadline:
                    sys.exit(f"{name}: the builds of the last edit never ended:\n" + "".join(output[-50:]))
                time.sleep(0.05)
            last["late"] += time.monotonic() - last["shown"] > 2
            last["line"] = None  # (counted once)
        time.sleep(2)  # the warm pools refilled

    def edited(text: str) -> Sample:
        seconds = shows(page, text, STALE_AFTER)
        last["shown"] = time.monotonic()
        return Sample(seconds)

    def table(i: int) -> Sample:
        settle()
        points = 31000 + i
        last["line"] = len(output)
        edit_fee(project, points)
        return edited(f"{points:,}点")

    def notebook(i: int) -> Sample:
        settle()
        marker = f"編集の確認 {i}"
        last["line"] = len(output)
        edit_notebook(project, marker)
        return edited(marker)

    def note(samples: list[Sample]) -> str:
        late, last["late"] = last["late"], 0
        return f"the last edit still building 2 s after its page showed in {late} of {len(samples)}" if settled else ""

    try:
        with browser_page() as page:
            open_when_served(page, f"http://127.0.0.1:{port}/notebooks/k1_fee_gap.html", "30,850点", output)
            time.sleep(1)
            tables = repeat(f"{name}: save one table → page shows it", runs, table, shown=False)
            settle()  # (the note counts the last table edit's builds too)
            tables.note = note(tables.samples)
            page.goto(f"http://127.0.0.1:{port}/notebooks/m1_market.html", wait_until="load")  # type: ignore[attr-defined]
            pages = repeat(f"{name}: save one notebook → page shows it", runs, notebook, shown=False)
            settle()
            pages.note = note(pages.samples)
    finally:
        peak = stop(server)
    tables.mem = pages.mem = peak
    return show(tables), show(pages)


def stop(server: subprocess.Popen[str], timeout: float = 60) -> int:
    """Stop a server started in its own session (Ctrl-C to its group, a kill after ``timeout``);
    return its peak memory (MiB of its largest process, children waited for included)."""
    os.killpg(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(server.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.killpg(server.pid, signal.SIGKILL)
            _, status, usage = os.wait4(server.pid, 0)
            break
        time.sleep(0.1)
    server.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss // 1024


def preview(project: Path, runs: int) -> tuple[Row, Row]:
    port = free_port()
    return live_edits("make preview", [PY, "-m", "regenpolicy", "--project", str(project), "preview", "--port", str(port)],
                      project, port, runs, settled=preview_settled)


# --- make site ------------------------------------------------------------------------------------
def site_step(project: Path, editions: int) -> Callable[[int], Sample]:
    """One cold ``make site`` of ``project`` with ``editions`` editions: the three of the first submissions
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

    def step(_: int) -> Sample:
        shutil.rmtree(project / "_build", ignore_errors=True)
        return timed([PY, "-m", "regenpolicy", "--project", str(project), "site"], project)

    return step


def sites(tmp: Path, runs: int) -> list[float]:
    """``make site`` with 3 and with 6 editions, cold, ``runs`` times each, one after the other (3, 6, 3, 6,
    ...): the machine's speed drifts over minutes (the same site has taken 47 s and 76 s within the hour), so
    each 6-edition run is compared with the 3-edition run just before it. Prints both rows; returns those ratios."""
    steps = {n: site_step(copy_project(tmp / f"site{n}"), n) for n in (3, 6)}
    samples: dict[int, list[Sample]] = {3: [], 6: []}
    for i in range(runs):
        for n in (3, 6):
            samples[n].append(steps[n](i))
    for n in (3, 6):
        show(Row(f"make site, {n} editions (cold)", samples[n]))
    return [six.seconds / three.seconds for three, six in zip(samples[3], samples[6], strict=True)
            if three.seconds and six.seconds]


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
    write_peer_generated(project)
    return project


def write_peer_generated(project: Path) -> None:
    """The two files our build writes into the book before Sphinx reads it, which the chapters and the
    front page read (``regen-contents``, ``regen-findings``): Jupyter Book reads the chapters in the same
    pass in which it executes the notebooks, so they are written beforehand, as the naive baseline does —
    every figure the notebooks declare (the default edition publishes them all), a chart (図) unless its
    notebook publishes it as a table (``ctx.publish_table``), and no findings (the glued headline numbers
    are gathered by our build only: the peer's front page lacks those few lines)."""
    from regenpolicy.builder.book import edition_contents
    from regenpolicy.builder.project import Project
    from regenpolicy.builder.registry import load_registry

    registry = load_registry(Project(project))
    declared = {n: list(s.figures) for n, s in registry.steps.items()}
    tables = {m for n in declared for m in re.findall(r'ctx\.publish_table\(\s*"([^"]+)"',
                                                        (project / "notebooks" / f"{n}.md").read_text(encoding="utf-8"))}
    every = {f for ids in declared.values() for f in ids}
    contents = edition_contents(Project(project), declared, every, every - tables)
    generated = project / "book" / "_generated"
    generated.mkdir(parents=True, exist_ok=True)
    (generated / "contents.json").write_text(json.dumps(contents, ensure_ascii=False), encoding="utf-8")
    (generated / "findings.json").write_text(json.dumps({"findings": []}), encoding="utf-8")


def jupyter_book_peer(project: Path, runs: int) -> list[Row]:
    jb = [str(BIN / "jupyter-book"), "build", str(project), "--builder", "html"]
    k1 = project / "_build" / "html" / "notebooks" / "k1_fee_gap.html"
    m1 = project / "_build" / "html" / "notebooks" / "m1_market.html"
    shown: list[bool] = []  # per run of the current row: the page shows the edit

    def cold(_: int) -> Sample:
        shutil.rmtree(project / "_build", ignore_errors=True)
        return timed(jb, project)

    def notebook(i: int) -> Sample:
        marker = f"本文を一文追加した（{i}）。"
        edit_notebook(project, marker)
        sample = timed(jb, project)
        shown.append(marker in m1.read_text(encoding="utf-8"))
        return sample

    def table(i: int) -> Sample:
        points = 31100 + i
        edit_fee(project, points)
        sample = timed(jb, project)
        shown.append(f"{points:,}点" in k1.read_text(encoding="utf-8"))
        return sample

    def full(i: int) -> Sample:
        """What it takes to be right after a table edit: forget the cache, execute and build everything again."""
        points = 31200 + i
        edit_fee(project, points)
        clean = timed([str(BIN / "jupyter-book"), "clean", "--all", str(project)], project)
        again = timed([*jb, "--all"], project)
        shown.append(f"{points:,}点" in k1.read_text(encoding="utf-8"))
        return Sample((clean.seconds or 0) + (again.seconds or 0), max(clean.mem or 0, again.mem or 0), again.out)

    def right(_: list[Sample]) -> str:
        note = f"page right in {sum(shown)} of {len(shown)}"
        shown.clear()
        return note

    def stale(samples: list[Sample]) -> str:
        old = len(shown) - sum(shown)
        shown.clear()
        return (f"STALE: re-ran nothing, K1's page still shows the old fee in {old} of {len(samples)}"
                if old else f"page right in {len(samples)} of {len(samples)}")

    return [repeat("Jupyter Book 1 cache: cold", runs, cold, "jupyter-cache, execute_notebooks: cache"),
            repeat("Jupyter Book 1 cache: one-notebook edit", runs, notebook, right),
            repeat("Jupyter Book 1 cache: one-table edit", runs, table, stale),
            repeat("Jupyter Book 1: full rebuild to be right (clean --all)", runs, full, right)]


def autobuild_peer(project: Path, runs: int) -> list[Row]:
    """sphinx-autobuild on the same book (Jupyter Book's Sphinx configuration, jupyter-cache)."""
    run([str(BIN / "jupyter-book"), "config", "sphinx", str(project)], project)
    port = free_port()
    cmd = [str(BIN / "sphinx-autobuild"), str(project), str(project / "_build" / "html"), "--port", str(port),
           "--host", "127.0.0.1", "--re-ignore", r"(_build|\.jupyter_cache|jupyter_execute|\.ipynb_checkpoints)",
           "-q"]
    return list(live_edits("sphinx-autobuild", cmd, project, port, runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each step (the median is reported)")
    parser.add_argument("--slow-runs", type=int, default=None,
                        help="runs of the steps that take minutes each: the naive baseline, make site and the "
                             "peers (default: --runs)")
    parser.add_argument("--no-pdf", action="store_true", help="our build without the PDF")
    parser.add_argument("--no-peers", action="store_true", help="leave out Jupyter Book's cache and sphinx-autobuild")
    parser.add_argument("--steps", default="ours,baseline,preview,site,peers",
                        help="which steps to measure, comma-separated (default: all; a target whose step was "
                             "left out is printed as not measured)")
    args = parser.parse_args()
    pdf = ["--no-pdf"] if args.no_pdf else []
    slow = args.slow_runs or args.runs
    from regenpolicy.builder.project import Project

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"{len(Project(ROOT).toc_notebooks())} notebooks; median, min and max of {args.runs} run(s)"
          f"{f' ({slow} of the naive baseline, make site and the peers)' if slow != args.runs else ''}; "
          f"our build with {'HTML only' if pdf else 'HTML and PDF'}", flush=True)
    print(header(), flush=True)
    steps = set(args.steps.split(","))
    nothing = Row("", [])
    rows: dict[str, Row] = dict.fromkeys(("cold", "noop", "table", "notebook", "table-own", "notebook-own"), nothing)
    base = table_preview = page_preview = nothing
    site_ratio = float("nan")  # 6 editions over 3: the median of the pairs' ratios (NaN: not measured, not met)
    with tempfile.TemporaryDirectory(prefix="regen-bench-") as tmp:
        if "ours" in steps:
            rows = ours(copy_project(Path(tmp) / "project"), args.runs, pdf)
        if "baseline" in steps:
            try:
                base = baseline(copy_project(Path(tmp) / "baseline"), slow)
            except SystemExit as exc:  # reported; our rows are still shown
                print(f"naive baseline: could not be measured: {str(exc)[-2000:]}", flush=True)
        for key in ("table", "table-own", "notebook", "notebook-own"):
            if "ours" in steps:
                show(rows[key], base.median if base.times else None)
        if "preview" in steps:
            table_preview, page_preview = preview(copy_project(Path(tmp) / "preview"), args.runs)
        if "site" in steps:
            ratios = sites(Path(tmp), slow)
            site_ratio = statistics.median(ratios) if ratios else float("nan")
            print(f"{'':<58}{'':>31}  6 editions: {site_ratio:.2f}× "
                  f"3 editions (median of "
                  f"{len(ratios)} pair(s) run one after the other: {', '.join(f'{r:.2f}' for r in ratios)})",
                  flush=True)
        if "peers" in steps and not args.no_peers:
            for peer, name in ((jupyter_book_peer, "peer-jb"), (autobuild_peer, "peer-autobuild")):
                try:
                    peer(peer_book(copy_project(Path(tmp) / name)), slow)
                except (SystemExit, Exception) as exc:  # a peer that cannot run is reported, ours still are
                    print(f"{name}: could not be measured: {str(exc)[-2000:]}", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}", flush=True)
    with_pdf = " with HTML and PDF" if not pdf else " (HTML only)"
    previews = [table_preview, page_preview]
    targets = [
        ("preview save → page shows the new value ≤ 2 s (one table, one notebook)",
         all(r.times and not r.stale for r in previews) and max(r.median for r in previews) <= 2.0),
        (f"cold make report{with_pdf} ≤ 30 s", rows["cold"].median <= 30.0),
        (f"one-table edit{with_pdf} ≥ 8× the naive baseline", base.median / rows["table"].median >= 8.0),
        ("no-op ≤ 0.5 s", rows["noop"].median <= 0.5),
        ("make site with 6 editions ≤ 1.5× 3 editions", site_ratio <= 1.5),
    ]
    measured = [("preview" in steps), ("ours" in steps), ({"ours", "baseline"} <= steps and bool(base.times)),
                ("ours" in steps), ("site" in steps)]
    for (target, met), known in zip(targets, measured, strict=True):
        print(f"target {target}: {('met' if met else 'NOT met') if known else 'not measured'}", flush=True)


if __name__ == "__main__":
    main()

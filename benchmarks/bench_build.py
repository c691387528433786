"""Build benchmark: prints the figures and targets of issues #6 and #13 in one run.

    .venv/bin/python benchmarks/bench_build.py [--no-pdf] [--repeat N]

Works on scratch copies of the project (the working tree is never touched) and measures, with
the shipped book and data:

- our build: cold full build, no-op rebuild, rebuild after editing one table (HTML and PDF, and
  how many notebooks re-ran), rebuild after editing one notebook;
- the naive baseline: papermill every notebook one after the other, then
  ``jupyter-book build --all`` (what a rebuild costs without our cache);
- ``make preview``: from saving a file to the open page showing the new value in headless
  Chromium, for a one-table edit and a one-notebook edit (the median of several edits);
- ``make site`` with the 3 shipped editions and with 6 (three more submissions of the same figures);
- peak memory of each build: the largest sum of proportional set size (PSS) over the build's
  whole process tree (build, kernels, Sphinx, Chromium), sampled every 100 ms.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def tree_pss_kb(pid: int) -> int:
    """Proportional set size (shared pages split between their users) of ``pid`` and all its
    descendants, in KiB, from /proc: what the build really holds in memory at that moment."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack += children.get(p, [])
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak memory of its process tree in MiB, stdout)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "CI": "1", **(env or {})})
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_pss_kb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    stop.set()
    sampler.join()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"command failed ({' '.join(cmd)}):\n{out[-3000:]}")
    return seconds, peak // 1024, out


def copy_project(target: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, target / rel)
    return target


def notebooks(project: Path) -> list[str]:
    from regenpolicy.builder.project import Project

    return Project(project).toc_notebooks()


BASELINE = """
import json, shutil, subprocess, sys, jupytext, nbformat, papermill
from pathlib import Path
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.builder.profile import load_profile, resolve_parameters
from regenpolicy.data import load_dataset, write_snapshot

project = Project(Path.cwd())
registry = load_registry(project)
profile = load_profile('default', project, registry)
ds = load_dataset(project.data_dir)
resolved = resolve_parameters(profile, registry, ds)
snapshot = write_snapshot(ds, Path('_baseline_store'))
src = Path('_baseline')
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
        shutil.copy2(f, src / 'book' / '_static' / 'figures' / f.name)
subprocess.run([str(Path(sys.executable).with_name('jupyter-book')), 'build', str(src), '--all',
                '--builder', 'html'], check=True, capture_output=True)
"""


def baseline(project: Path) -> tuple[float, int]:
    """The naive rebuild: papermill every notebook in turn, then jupyter-book build --all."""
    src = project / "_baseline"
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(project / name, src / name)
    shutil.copytree(project / "book", src / "book")
    (src / "book" / "_static" / "figures").mkdir(parents=True, exist_ok=True)
    from regenpolicy.builder.book import vega_bundle

    shutil.copy2(vega_bundle(project / "_baseline_cache"), src / "book" / "_static" / "vega-bundle.js")
    seconds, peak, _ = run([PY, "-c", BASELINE], project)
    return seconds, peak


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def preview_latency(project: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds from a save to the open page showing the new value: one-table and one-notebook edits."""
    from playwright.sync_api import sync_playwright

    from regenpolicy.builder.pdf import CHROMIUM_ARGS, chromium_path

    port = free_port()
    server = subprocess.Popen([PY, "-m", "regenpolicy", "--project", str(project), "preview", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "CI": "1"})
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(server.stdout or []), daemon=True).start()
    fees = project / "data" / "fee_schedule.csv"
    note = project / "notebooks" / "m1_market.md"
    tables, pages = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            deadline = time.monotonic() + 600
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/notebooks/k1_fee_gap.html", wait_until="load")
                    if page.locator("text=30,850点").count():
                        break
                except Exception:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("preview never served its first build:\n" + "".join(output[-50:]))
                time.sleep(1)
            time.sleep(3)  # let the warm pool fill
            for i in range(repeat):
                points = 31000 + i
                text = fees.read_text(encoding="utf-8")
                fees.write_text(re.sub(r"(K922-2,2022,CAR発現生T細胞投与（一連につき）,)\d+", rf"\g<1>{points}", text),
                                encoding="utf-8")
                saved = time.monotonic()
                page.wait_for_function("t => !!document.body && document.body.innerText.includes(t)", arg=f"{points:,}点", timeout=120000)
                tables.append(time.monotonic() - saved)
                time.sleep(2)
            page.goto(f"http://127.0.0.1:{port}/notebooks/m1_market.html", wait_until="load")
            for i in range(repeat):
                marker = f"編集の確認 {i}"
                note.write_text(note.read_text(encoding="utf-8") + f"\n{marker}\n", encoding="utf-8")
                saved = time.monotonic()
                page.wait_for_function("t => !!document.body && document.body.innerText.includes(t)", arg=marker, timeout=120000)
                pages.append(time.monotonic() - saved)
                time.sleep(2)
            browser.close()
    finally:
        server.send_signal(2)
        server.wait(timeout=60)
    return tables, pages


def site(project: Path, editions: int) -> tuple[float, int]:
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
    seconds, peak, _ = run([PY, "-m", "regenpolicy", "--project", str(project), "site"], project)
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pdf", action="store_true", help="measure the website only")
    parser.add_argument("--repeat", type=int, default=5, help="preview edits to time (the median is reported)")
    args = parser.parse_args()
    pdf = [] if not args.no_pdf else ["--no-pdf"]
    with tempfile.TemporaryDirectory(prefix="regen-bench-") as tmp:
        project = copy_project(Path(tmp) / "project")
        out = project / "_build"
        build = [PY, "-m", "regenpolicy", "--project", str(project), "build", "--out", str(out), *pdf]
        n = len(notebooks(project))
        rows = []

        t, mem, _ = run(build, project)
        rows.append(("cold full build", t, mem, f"{n} notebooks executed"))
        t, mem, log = run(build, project)
        rows.append(("no-op rebuild", t, mem, f"{len(re.findall(': executed', log))} executed"))

        fees = project / "data" / "fee_schedule.csv"
        fees.write_text(fees.read_text(encoding="utf-8").replace(",30850,", ",30851,", 1), encoding="utf-8")
        t, mem, log = run(build, project)
        rows.append(("rebuild after editing one table", t, mem,
                     f"{len(re.findall(': executed', log))} of {n} notebooks re-ran"))

        nb = project / "notebooks" / "m1_market.md"
        nb.write_text(nb.read_text(encoding="utf-8") + "\n本文を一文追加した。\n", encoding="utf-8")
        t, mem, log = run(build, project)
        rows.append(("rebuild after editing one notebook", t, mem,
                     f"{len(re.findall(': executed', log))} of {n} notebooks re-ran"))

        base_t, base_mem = baseline(project)
        tables, pages = preview_latency(copy_project(Path(tmp) / "preview"), args.repeat)
        site3, site3_mem = site(copy_project(Path(tmp) / "site3"), 3)
        site6, site6_mem = site(copy_project(Path(tmp) / "site6"), 6)

    print(f"machine: {os.cpu_count()} cores; book: {n} notebooks; PDF {'off' if pdf else 'on'} for our build")
    print(f"baseline (papermill every notebook, then jupyter-book build --all, HTML only): "
          f"{base_t:.1f} s, peak {base_mem} MiB")
    print(f"{'step':<38}{'seconds':>9}{'× faster than baseline':>25}{'peak MiB':>10}  notes")
    for name, t, mem, note in rows:
        print(f"{name:<38}{t:>9.1f}{base_t / t:>25.1f}{mem:>10}  {note}")
    table_median, page_median = statistics.median(tables), statistics.median(pages)
    print(f"{'preview: save one table → page shows it':<38}{table_median:>9.1f}{'':>25}{'':>10}  "
          f"median of {len(tables)}: {', '.join(f'{x:.1f}' for x in tables)}")
    print(f"{'preview: save one notebook → page':<38}{page_median:>9.1f}{'':>25}{'':>10}  "
          f"median of {len(pages)}: {', '.join(f'{x:.1f}' for x in pages)}")
    print(f"{'make site, 3 editions (cold)':<38}{site3:>9.1f}{'':>25}{site3_mem:>10}")
    print(f"{'make site, 6 editions (cold)':<38}{site6:>9.1f}{'':>25}{site6_mem:>10}  {site6 / site3:.2f}× the 3 editions")
    with_pdf = "" if pdf else " with HTML and PDF"
    targets = [
        ("preview edit-to-reload ≤ 3 s (one table, one notebook)", max(table_median, page_median) <= 3.0),
        (f"one-table edit{with_pdf} ≥ 8× faster than the baseline", base_t / rows[2][1] >= 8.0),
        (f"cold build ≤ 30 s{with_pdf}", rows[0][1] <= 30.0),
        ("no-op ≤ 1 s", rows[1][1] <= 1.0),
        ("6 editions cost less than twice 3 editions", site6 < 2 * site3),
    ]
    for target, met in targets:
        print(f"target {target}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

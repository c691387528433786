"""The build command: data → validation → papermill → Jupyter Book (HTML) → PDF.

    python -m regenpolicy build [--submission default] [--out _build]

Everything is built in ``<out>/.staging`` and moved into place only when every step has
succeeded, so a failed build leaves the last good ``html/``, ``pdf/`` and ``figures/`` as they
were. Exit codes: 0 built, 2 bad input (data or profile), 1 a step failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml

from regenpolicy import ROOT, data
from regenpolicy.figures import vega_bundle
from regenpolicy.profile import Profile, ProfileError, load_profile

KERNEL = "regenpolicy"
OUTPUTS = ("html", "pdf", "figures")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class BuildError(Exception):
    """A build step failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """Names of the notebooks (``notebooks/<name>``) listed in ``_toc.yml``, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [f.split("/", 1)[1] for f in files if f.startswith("notebooks/")]


def execute_notebook(name: str, parameters: dict, out_dir: Path, workdir: Path) -> Path:
    """Convert ``notebooks/<name>.md`` and run it with papermill; return the executed ``.ipynb``."""
    source = ROOT / "notebooks" / f"{name}.md"
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (regenpolicy)", "language": "python"}
    unexecuted = workdir / f"{name}.unexecuted.ipynb"
    nbformat.write(nb, unexecuted)
    executed = out_dir / f"{name}.ipynb"
    try:
        papermill.execute_notebook(
            str(unexecuted), str(executed), parameters=parameters, kernel_name=KERNEL,
            cwd=str(ROOT), progress_bar=False, log_output=False, report_mode=False,
        )
    except papermill.PapermillExecutionError as exc:
        sources = [c.source for c in nb.cells if c.cell_type == "code"]
        number = sources.index(exc.source) + 1 if exc.source in sources else "?"
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
        raise BuildError(
            f"notebook notebooks/{name}.md failed in code cell {number} "
            f"(the cell starting '{first_line.strip()}'): {exc.ename}: {exc.evalue}"
        ) from None
    except Exception as exc:  # kernel missing, kernel died, …
        raise BuildError(f"notebook notebooks/{name}.md could not be executed: {exc}") from None
    result = nbformat.read(executed, as_version=4)
    # Hide the injected parameters, and drop what differs from run to run (timings, random cell
    # ids) so that the same inputs give the same pages.
    result.metadata.pop("papermill", None)
    for i, cell in enumerate(result.cells):
        cell.id = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(result, executed)
    return executed


def jupyter_book(src: Path, builder: str, out: Path) -> Path:
    """Run ``jupyter-book build`` with warnings as errors; return the builder's output folder."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(src), "--builder", builder, "--path-output", str(out),
           "--warningiserror", "--keep-going", "--all"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise BuildError(f"jupyter-book {builder} build failed:\n{tail}")
    return out / "_build" / builder


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise BuildError("Debian's chromium is needed to print the PDF; install it with "
                         "'sudo apt-get install chromium' (make report does this when it can)")
    return path


def print_pdf(html_file: Path, pdf_file: Path, title: str) -> None:
    """Print the single-page HTML edition to an A4 PDF in headless Chromium, offline."""
    from playwright.sync_api import sync_playwright

    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    footer = ('<div style="font-size:8px;width:100%;text-align:center;font-family:\'BIZ UDPGothic\'">'
              '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    header = (f'<div style="font-size:7px;width:100%;text-align:right;margin-right:15mm;color:#777;'
              f'font-family:\'BIZ UDPGothic\'">{title}</div>')
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                       else route.abort())
            page.goto(html_file.as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready")
            page.emulate_media(media="print")
            page.pdf(path=str(pdf_file), format="A4", print_background=True, display_header_footer=True,
                     header_template=header, footer_template=footer, outline=True, tagged=True,
                     margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"})
        finally:
            browser.close()


def _replace_outputs(new: Path, out: Path) -> None:
    """Move the new outputs into place, one folder at a time, keeping the old until the new is in."""
    for name in OUTPUTS:
        target, fresh, old = out / name, new / name, out / f".old-{name}"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)


def build(profile: Profile, out: Path, *, pdf: bool = True) -> None:
    started = time.monotonic()
    log(f"submission '{profile.id}': {profile.title}")
    dataset = data.load_dataset()
    log(f"data: {len(dataset.tables)} tables valid")

    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _build_in(staging, dataset, profile, out, pdf)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"done in {time.monotonic() - started:.1f} s: {out / 'html' / 'index.html'}, "
        f"{out / 'pdf' / 'report.pdf'}, {out / 'figures'}/")


def _build_in(staging: Path, dataset: data.Dataset, profile: Profile, out: Path, pdf: bool) -> None:
    src, work, result = staging / "src", staging / "work", staging / "result"
    for folder in (src / "notebooks", work, result):
        folder.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "book", src / "book")
    static = src / "book" / "_static"
    static.mkdir(exist_ok=True)
    (static / "vega-bundle.js").write_text(vega_bundle(), encoding="utf-8")
    figures = static / "figures"
    figures.mkdir()

    os.environ["REGEN_FIGURES_DIR"] = str(figures)
    os.environ["REGEN_DATA_DIR"] = str(dataset.data_dir)
    names = toc_notebooks()
    for i, name in enumerate(names, 1):
        t0 = time.monotonic()
        execute_notebook(name, profile.parameters.get(name, {}), src / "notebooks", work)
        log(f"notebook {i}/{len(names)} {name} executed ({time.monotonic() - t0:.1f} s)")

    t0 = time.monotonic()
    html = jupyter_book(src, "html", staging / "jb")
    shutil.copytree(html, result / "html")
    log(f"website built ({time.monotonic() - t0:.1f} s)")
    shutil.copytree(figures, result / "figures")
    (result / "pdf").mkdir()
    if pdf:
        t0 = time.monotonic()
        single = jupyter_book(src, "singlehtml", staging / "jb")
        # The single page is written as book/index.html but links its assets from the output root.
        page = single / "report.html"
        (single / "book" / "index.html").rename(page)
        print_pdf(page, result / "pdf" / "report.pdf", profile.title)
        log(f"PDF printed ({time.monotonic() - t0:.1f} s)")

    _replace_outputs(result, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regenpolicy", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the website, the PDF and the figure files")
    b.add_argument("--submission", default="default", help="profile id in submissions/ or a path to a YAML file")
    b.add_argument("--out", default=str(ROOT / "_build"), help="output folder (default: _build)")
    b.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    sub.add_parser("validate", help="check data/ against data/metadata.yaml and stop")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            dataset = data.load_dataset()
            log(f"data: {len(dataset.tables)} tables valid")
            return 0
        profile = load_profile(args.submission)
        build(profile, Path(args.out).resolve(), pdf=not args.no_pdf)
        return 0
    except (data.DataValidationError, ProfileError) as exc:
        print(f"error: {exc}\nNothing was built; the previous output is unchanged.", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"error: {exc}\nThe build stopped; the previous output is unchanged.", file=sys.stderr)
        return 1

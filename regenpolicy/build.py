"""The build command: data → validation → papermill → Jupyter Book (HTML) → PDF.

    python -m regenpolicy build [--submission default] [--out _build] [--jobs N]

Notebooks run in parallel and are reused from ``<out>/.cache`` when nothing they depend on
changed (see ``regenpolicy.execute``); the Jupyter Book and PDF steps are skipped when their
inputs did not change, and Sphinx rebuilds only changed pages otherwise. New outputs are
assembled in ``<out>/.staging`` and moved into place only when every step has succeeded, so a
failed build leaves the last good ``html/``, ``pdf/`` and ``figures/`` as they were.
Exit codes: 0 built, 2 bad input (data or profile), 1 a step failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from regenpolicy import ROOT, data
from regenpolicy.execute import ExecutionError, run_notebooks
from regenpolicy.profile import Profile, ProfileError, load_profile

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


def tree_hash(paths: list[Path]) -> str:
    """Content hash of files and folders (names and bytes), in a stable order."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f.name).encode())
            digest.update(b"\0" + f.read_bytes())
    return digest.hexdigest()


def sync_file(src: Path | bytes, dest: Path) -> bool:
    """Write ``dest`` only when its content changes (Sphinx rebuilds pages by mtime)."""
    content = src if isinstance(src, bytes) else src.read_bytes()
    if dest.exists() and dest.read_bytes() == content:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(content)
    return True


def sync_tree(src: Path, dest: Path) -> None:
    """Make ``dest`` hold exactly the files of ``src``, touching only those that differ."""
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    if dest.exists():
        for p in sorted(dest.rglob("*"), reverse=True):
            if p.is_file() and p.relative_to(dest) not in wanted:
                p.unlink()
    for rel in wanted:
        sync_file(src / rel, dest / rel)


def jupyter_book(src: Path, builder: str, out: Path) -> subprocess.Popen:
    """Start ``jupyter-book build`` (warnings are errors); Sphinx reuses what it built in ``out``."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(src), "--builder", builder, "--path-output", str(out),
           "--warningiserror", "--keep-going"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_book(proc: subprocess.Popen, builder: str, out: Path) -> Path:
    output, _ = proc.communicate()
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-30:])
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
            # Print needs no script: charts are inline SVG for print, so vega never has to run.
            page = browser.new_context(java_script_enabled=False).new_page()
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


def cached_vega_bundle(cache: Path) -> Path:
    """The site's vega scripts, generated once per vl-convert/Altair version (it takes a second)."""
    from importlib.metadata import version

    path = cache / f"vega-bundle-{version('vl-convert-python')}-{version('altair')}.js"
    if not path.exists():
        from regenpolicy.figures import vega_bundle

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(vega_bundle(), encoding="utf-8")
    return path


def stage_book(src: Path, notebooks: dict, figures: Path, cache: Path) -> None:
    """Lay out the book's sources in ``src``, rewriting only files whose content changed."""
    for name in ("_config.yml", "_toc.yml"):
        sync_file(ROOT / name, src / name)
    sync_tree(ROOT / "book", src / "book")
    sync_file(cached_vega_bundle(cache), src / "book" / "_static" / "vega-bundle.js")
    sync_tree(figures, src / "book" / "_static" / "figures")
    for name, result in notebooks.items():
        sync_file(result.notebook, src / "notebooks" / f"{name}.ipynb")
    wanted = {f"{n}.ipynb" for n in notebooks}
    for stale in (src / "notebooks").glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()


def build(profile: Profile, out: Path, *, pdf: bool = True, jobs: int | None = None) -> None:
    started = time.monotonic()
    log(f"submission '{profile.id}': {profile.title}")
    dataset = data.load_dataset()
    log(f"data: {len(dataset.tables)} tables valid")
    cache = out / ".cache"
    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        built = _build_in(staging, cache, dataset, profile, out, pdf, jobs)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if built:
        log(f"done in {time.monotonic() - started:.1f} s: {out / 'html' / 'index.html'}, "
            f"{out / 'pdf' / 'report.pdf'}, {out / 'figures'}/")
    else:
        log(f"up to date ({time.monotonic() - started:.1f} s): nothing that the site or the PDF "
            "depends on changed")


def _build_in(staging: Path, cache: Path, dataset: data.Dataset, profile: Profile, out: Path,
              pdf: bool, jobs: int | None) -> bool:
    names = toc_notebooks()
    try:
        results = run_notebooks(names, profile.parameters, dataset, cache, staging / "work", jobs)
    except ExecutionError as exc:
        raise BuildError(str(exc)) from None
    figures = staging / "result" / "figures"
    figures.mkdir(parents=True)
    for result in results.values():
        for f in sorted(result.figures.iterdir()):
            shutil.copy2(f, figures / f.name)

    book = cache / "book"
    src = book / "src"
    stage_book(src, results, figures, cache)
    machinery = tree_hash(sorted((ROOT / "regenpolicy").glob("*.py")) + [ROOT / "requirements.txt"])
    key = hashlib.sha256(f"{tree_hash([src])} {machinery} pdf={pdf}".encode()).hexdigest()
    published = cache / "published.json"
    if (published.exists() and json.loads(published.read_text())["key"] == key
            and all((out / name).exists() for name in OUTPUTS)):
        return False

    t0 = time.monotonic()
    try:
        html_proc = jupyter_book(src, "html", book / "html")
        single_proc = jupyter_book(src, "singlehtml", book / "single") if pdf else None
        html = wait_book(html_proc, "html", book / "html")
        single = wait_book(single_proc, "singlehtml", book / "single") if single_proc else None
    except BuildError:
        shutil.rmtree(book, ignore_errors=True)  # the next build starts Sphinx afresh
        raise
    shutil.copytree(html, staging / "result" / "html",
                    ignore=shutil.ignore_patterns(".doctrees", ".buildinfo", "_sources"))
    log(f"website built ({time.monotonic() - t0:.1f} s)")
    (staging / "result" / "pdf").mkdir()
    if single is not None:
        t0 = time.monotonic()
        # The single page is written as book/index.html but links its assets from the output root.
        page = single / "report.html"
        shutil.copy2(single / "book" / "index.html", page)
        print_pdf(page, staging / "result" / "pdf" / "report.pdf", profile.title)
        log(f"PDF printed ({time.monotonic() - t0:.1f} s)")

    published.unlink(missing_ok=True)
    _replace_outputs(staging / "result", out)
    published.write_text(json.dumps({"key": key, "submission": profile.id}), encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regenpolicy", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the website, the PDF and the figure files")
    b.add_argument("--submission", default="default", help="profile id in submissions/ or a path to a YAML file")
    b.add_argument("--out", default=str(ROOT / "_build"), help="output folder (default: _build)")
    b.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    b.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: the number of cores)")
    sub.add_parser("validate", help="check data/ against data/metadata.yaml and stop")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            dataset = data.load_dataset()
            log(f"data: {len(dataset.tables)} tables valid")
            return 0
        profile = load_profile(args.submission)
        build(profile, Path(args.out).resolve(), pdf=not args.no_pdf, jobs=args.jobs)
        return 0
    except (data.DataValidationError, ProfileError) as exc:
        print(f"error: {exc}\nNothing was built; the previous output is unchanged.", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"error: {exc}\nThe build stopped; the previous output is unchanged.", file=sys.stderr)
        return 1

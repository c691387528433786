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
import html as htmlmod
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from regenpolicy import ROOT, data, editions
from regenpolicy.execute import ExecutionError, run_notebooks
from regenpolicy.profile import Profile, ProfileError, all_profiles, figure_registry, load_profile

OUTPUTS = ("html", "pdf", "figures", "meta")
GENERATED = "book/_generated"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class BuildError(Exception):
    """A build step failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def toc_files(toc: dict) -> list[str]:
    """Every page of a table of contents, root first, in reading order."""
    files = [toc["root"]]

    def walk(entries: list) -> None:
        for entry in entries:
            if isinstance(entry.get("file"), str):
                files.append(entry["file"])
            walk(entry.get("chapters", []) + entry.get("sections", []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return files


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """Names of the notebooks (``notebooks/<name>``) listed in ``_toc.yml``, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [f.split("/", 1)[1] for f in toc_files(toc) if f.startswith("notebooks/")]


def edition_toc(notebooks: list[str], generated: list[str], root: Path = ROOT) -> dict:
    """``_toc.yml`` without the notebooks this edition leaves out (and chapters left empty),
    with the generated pages (what changed, stamp) as a last part."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    keep = {f"notebooks/{n}" for n in notebooks}

    def kept(entry: dict) -> dict | None:
        file = entry.get("file", "")
        sections = [k for k in (kept(e) for e in entry.get("sections", [])) if k]
        if file.startswith("notebooks/"):
            return entry if file in keep else None
        if entry.get("sections") and not sections:
            return None
        return {**entry, **({"sections": sections} if "sections" in entry else {})}

    parts = []
    for part in toc.get("parts", []):
        chapters = [k for k in (kept(c) for c in part.get("chapters", [])) if k]
        if chapters:
            parts.append({**part, "chapters": chapters})
    if generated:
        parts.append({"caption": "版の情報", "chapters": [{"file": f"{GENERATED}/{g}"} for g in generated]})
    return {**toc, "parts": parts}


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


def jupyter_book(src: Path, out: Path) -> Path:
    """``jupyter-book build`` of the website (warnings are errors); Sphinx reuses what it built in ``out``."""
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", str(src), "--builder", "html", "--path-output", str(out),
                           "--warningiserror", "--keep-going"], capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise BuildError(f"jupyter-book html build failed:\n{tail}")
    return out / "_build" / "html"


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise BuildError("Debian's chromium is needed to print the PDF; install it with "
                         "'sudo apt-get install chromium' (make report does this when it can)")
    return path


ARTICLE = re.compile(r'<article class="bd-article"[^>]*>(.*?)</article>', re.S)
HEAD = re.compile(r"<head>(.*?)</head>", re.S)


def print_edition(html: Path, toc_file: Path, profile: Profile) -> str:
    """One HTML page holding every page of the site in the order of the table of contents.

    The pages' articles are taken from the built website (so the PDF shows exactly what the site
    shows) and their relative links made relative to the site's root, where the page is written.
    Chapter pages start a new printed page.
    """
    files = toc_files(yaml.safe_load(toc_file.read_text(encoding="utf-8")))
    first = (html / f"{files[0]}.html").read_text(encoding="utf-8")
    head = HEAD.search(first).group(1).replace('"../', '"')
    sections = []
    for file in files:
        page = (html / f"{file}.html").read_text(encoding="utf-8")
        article = ARTICLE.search(page).group(1).replace('href="../', 'href="').replace('src="../', 'src="')
        kind = "regen-print-chapter" if file.startswith("book/") else "regen-print-section"
        sections.append(f'<section class="{kind}">{article}</section>')
    cover = (f'<header class="regen-cover"><p class="regen-cover-title">{htmlmod.escape(profile.title)}</p>'
             f'<p>{htmlmod.escape(profile.date)}　{htmlmod.escape(profile.audience)}</p></header>')
    return (f'<!DOCTYPE html>\n<html lang="ja"><head>{head}</head>\n<body class="regen-print-edition">'
            f'<div class="bd-article">{cover}{"".join(sections)}</div></body></html>\n')


def print_pdf(html_file: Path, pdf_file: Path, title: str) -> None:
    """Print the print edition (every page in one) to an A4 PDF in headless Chromium, offline."""
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


def stage_book(src: Path, notebooks: dict, figures: Path, cache: Path, pages: dict[str, str], title: str) -> None:
    """Lay out the book's sources in ``src``, rewriting only files whose content changed.

    ``pages`` are generated MyST pages (name → text) placed in ``book/_generated/``; ``title``
    is the edition's title, shown in the site's header.
    """
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = title
    sync_file(yaml.safe_dump(config, allow_unicode=True, sort_keys=False).encode("utf-8"), src / "_config.yml")
    toc = edition_toc(list(notebooks), list(pages))
    sync_file(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False).encode("utf-8"), src / "_toc.yml")
    generated = src.parent / "book-with-generated"
    shutil.rmtree(generated, ignore_errors=True)
    shutil.copytree(ROOT / "book", generated)
    for name, text in pages.items():
        (generated / "_generated").mkdir(exist_ok=True)
        (generated / "_generated" / f"{name}.md").write_text(text, encoding="utf-8")
    sync_tree(generated, src / "book")
    shutil.rmtree(generated)
    sync_file(cached_vega_bundle(cache), src / "book" / "_static" / "vega-bundle.js")
    sync_tree(figures, src / "book" / "_static" / "figures")
    for name, result in notebooks.items():
        sync_file(result.notebook, src / "notebooks" / f"{name}.ipynb")
    wanted = {f"{n}.ipynb" for n in notebooks}
    for stale in (src / "notebooks").glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()


@dataclass
class Previous:
    """The edition before this one, for the "what changed" page."""

    profile: Profile
    dataset: data.Dataset
    headlines: dict


def build(profile: Profile, out: Path, *, pdf: bool = True, jobs: int | None = None, cache: Path | None = None,
          previous: Previous | None = None) -> tuple[dict, data.Dataset]:
    """Build one edition into ``out``; return its record (stamp and headline numbers) and data."""
    started = time.monotonic()
    log(f"submission '{profile.id}': {profile.title}")
    dataset = data.load_dataset(versions=profile.data_vintage)
    log(f"data: {len(dataset.tables)} tables valid"
        + (f" (versions: {', '.join(f'{k}={v}' for k, v in profile.data_vintage.items())})"
           if profile.data_vintage else ""))
    cache = cache or out / ".cache"
    staging = out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        built, record = _build_in(staging, cache, dataset, profile, out, pdf, jobs, previous)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if built:
        log(f"done in {time.monotonic() - started:.1f} s: {out / 'html' / 'index.html'}, "
            f"{out / 'pdf' / 'report.pdf'}, {out / 'figures'}/")
    else:
        log(f"up to date ({time.monotonic() - started:.1f} s): nothing that the site or the PDF "
            "depends on changed")
    return record, dataset


def _build_in(staging: Path, cache: Path, dataset: data.Dataset, profile: Profile, out: Path,
              pdf: bool, jobs: int | None, previous: Previous | None) -> tuple[bool, dict]:
    registry = figure_registry()
    names = profile.notebooks(toc_notebooks(), registry)
    try:
        results = run_notebooks(names, profile.parameters, dataset, cache, staging / "work", jobs,
                                versions=profile.data_vintage)
    except ExecutionError as exc:
        raise BuildError(str(exc)) from None
    figures = staging / "result" / "figures"
    figures.mkdir(parents=True)
    for result in results.values():
        for f in sorted(result.figures.iterdir()):
            shutil.copy2(f, figures / f.name)
    record = {"edition": editions.edition_record(profile), "stamp": editions.stamp(profile, dataset),
              "headlines": editions.headlines({n: r.notebook for n, r in results.items()})}
    pages = {}
    if previous is not None:
        pages["changes"] = editions.changes_markdown(previous.profile, previous.dataset, previous.headlines,
                                                     profile, dataset, record["headlines"], registry)
    pages["stamp"] = editions.stamp_markdown(record["stamp"])
    meta = staging / "result" / "meta"
    meta.mkdir()
    editions.write_json(meta / "edition.json", record)

    book = cache / "book" / profile.id
    src = book / "src"
    stage_book(src, results, figures, cache, pages, profile.title)
    machinery = tree_hash(sorted((ROOT / "regenpolicy").glob("*.py")) + [ROOT / "requirements.txt"])
    key = hashlib.sha256(f"{tree_hash([src])} {machinery} pdf={pdf}".encode()).hexdigest()
    published = out / ".published.json"
    if (published.exists() and json.loads(published.read_text())["key"] == key
            and all((out / name).exists() for name in OUTPUTS)):
        return False, record

    t0 = time.monotonic()
    try:
        html = jupyter_book(src, book / "html")
    except BuildError:
        shutil.rmtree(book, ignore_errors=True)  # the next build starts Sphinx afresh
        raise
    shutil.copytree(html, staging / "result" / "html",
                    ignore=shutil.ignore_patterns(".doctrees", ".buildinfo", "_sources"))
    log(f"website built ({time.monotonic() - t0:.1f} s)")
    (staging / "result" / "pdf").mkdir()
    if pdf:
        t0 = time.monotonic()
        page = html / "_print.html"
        page.write_text(print_edition(html, src / "_toc.yml", profile), encoding="utf-8")
        print_pdf(page, staging / "result" / "pdf" / "report.pdf", profile.title)
        log(f"PDF printed ({time.monotonic() - t0:.1f} s)")

    published.unlink(missing_ok=True)
    _replace_outputs(staging / "result", out)
    published.write_text(json.dumps({"key": key, "submission": profile.id}), encoding="utf-8")
    return True, record


def build_site(out: Path, *, pdf: bool = True, jobs: int | None = None) -> None:
    """Every edition in ``submissions/``, oldest first, into one static site at ``out``.

    Editions share one notebook cache; each is built into ``<out>/../editions/<id>`` and the site
    is assembled from them and swapped in only when all succeeded.
    """
    profiles = all_profiles()
    work = out.parent / "editions"
    cache = out.parent / ".cache"
    previous: Previous | None = None
    records = []
    for profile in profiles:
        record, dataset = build(profile, work / profile.id, pdf=pdf, jobs=jobs, cache=cache, previous=previous)
        records.append(record)
        previous = Previous(profile, dataset, record["headlines"])
    staging = out.parent / ".site-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for profile in profiles:
        edition = work / profile.id
        shutil.copytree(edition / "html", staging / profile.id)
        if (edition / "pdf" / "report.pdf").exists():
            shutil.copy2(edition / "pdf" / "report.pdf", staging / profile.id / "report.pdf")
        shutil.copytree(edition / "figures", staging / profile.id / "figures")
        (staging / profile.id / "figures" / "index.html").write_text(
            editions.figures_index(profile, sorted(p.name for p in (edition / "figures").iterdir())), encoding="utf-8")
        shutil.copy2(edition / "meta" / "edition.json", staging / profile.id / "edition.json")
    (staging / "index.html").write_text(editions.site_index([r["edition"] for r in records]), encoding="utf-8")
    old = out.parent / ".site-old"
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    log(f"site: {len(profiles)} editions at {out / 'index.html'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regenpolicy", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the website, the PDF and the figure files")
    b.add_argument("--submission", default="default", help="profile id in submissions/ or a path to a YAML file")
    b.add_argument("--out", default=str(ROOT / "_build"), help="output folder (default: _build)")
    b.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    b.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: the number of cores + 1)")
    site = sub.add_parser("site", help="build every edition in submissions/ into one static site")
    site.add_argument("--out", default=str(ROOT / "_build" / "site"), help="site folder (default: _build/site)")
    site.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    site.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: the number of cores + 1)")
    sub.add_parser("validate", help="check data/ (every table version) and every submission profile")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            tables = data.load_metadata()
            versions = sorted({v for t in tables.values() for v in t.versions})
            for version in ["current", *versions]:
                data.load_dataset(versions={n: version for n, t in tables.items() if version in t.versions})
            profiles = all_profiles()
            for p in profiles:
                data.load_dataset(versions=p.data_vintage)
            log(f"data: {len(tables)} tables valid in every version; {len(profiles)} profiles valid")
            return 0
        if args.command == "site":
            build_site(Path(args.out).resolve(), pdf=not args.no_pdf, jobs=args.jobs)
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

"""Untrusted data cannot run code, read files or damage the published report.

A corpus of hostile strings (tests/hostile.py) fills every free-text column of every table, the
tables' titles and the profiles' texts; two editions are built into a site, so that the strings
also reach the page of what changed. The built pages and PDFs must show the strings as text, and
nothing may run, be read or be written.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError

from regenpolicy.data import load_metadata
from tests.conftest import copy_project, run_cli
from tests.hostile import CANARY, CANARY_TEXT, CORPUS, JINJA_RESULT, WRITE_CANARY, payload
from tests.integration.pages import visit


def poison(project: Path) -> int:
    """Fill every free-text cell and every table title with the corpus; return how many columns."""
    data = project / "data"
    tables = load_metadata(data)
    columns = 0
    for table in tables.values():
        path = data / table.file
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        header = rows[0]
        for col in table.columns:
            if not col.free_text or col.name not in header:
                continue
            columns += 1
            i = header.index(col.name)
            for n, row in enumerate(rows[1:]):
                if row[i] == "" and not col.required:
                    continue
                unique = f" #{n}" if col.name in table.primary_key else ""
                row[i] = payload(col.type == "text") + unique
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    meta = yaml.safe_load((data / "metadata.yaml").read_text(encoding="utf-8"))
    for name, spec in meta["tables"].items():
        spec["title"] = payload(False) + f" {name}"
        spec["description"] = payload(False)
    (data / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return columns


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str], int]:
    Path(CANARY).write_text(CANARY_TEXT, encoding="utf-8")
    Path(WRITE_CANARY).unlink(missing_ok=True)
    root = tmp_path_factory.mktemp("hostile")
    project = copy_project(root / "project")
    # The earlier edition keeps the shipped fee schedule (a vintage); the later one reads the poisoned
    # file, so every revised cell reaches its page of what changed. (K1 needs the ward and ICU rows,
    # which the 2022 vintage predates, so the earlier edition shows M1 instead.)
    columns = poison(project)
    title = json.dumps(payload(False), ensure_ascii=False)  # a YAML double-quoted scalar
    for old in (project / "submissions").glob("*.yaml"):
        old.unlink()
    (project / "submissions" / "a.yaml").write_text(
        f"id: a\ntitle: {title}\ndate: 2025-01-01\naudience: {title}\nfigures: [T1, M1]\n"
        "data_vintage: {fee_schedule: '2022'}\n", encoding="utf-8")
    (project / "submissions" / "b.yaml").write_text(
        f"id: b\ntitle: {title}\ndate: 2026-01-01\naudience: {title}\ndescription: {title}\n", encoding="utf-8")
    proc = run_cli(project, "site", "--out", str(project / "_build" / "site"), timeout=1800)
    return project / "_build" / "site", proc, columns


def page_texts(site: Path) -> dict[Path, str]:
    from bs4 import BeautifulSoup

    return {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").get_text(" ")
            for p in site.rglob("*.html")}


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_the_hostile_build_succeeds_and_nothing_is_read_or_written(hostile_site):
    site, proc, columns = hostile_site
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert columns >= 50
    assert not Path(WRITE_CANARY).exists()
    for path in site.rglob("*"):
        if path.is_file():
            body = pdf_text(path) if path.suffix == ".pdf" else path.read_bytes().decode("utf-8", "replace")
            assert CANARY_TEXT not in body, path
    for path, text in page_texts(site).items():
        assert JINJA_RESULT not in text, path  # {{ 7*1111111 }} was never evaluated


def test_the_strings_are_shown_literally_on_the_pages(hostile_site):
    site, _, _ = hostile_site
    texts = page_texts(site)
    joined = "\n".join(texts.values())
    for s in CORPUS:
        for line in (line.strip() for line in s.splitlines()):
            if line:
                assert line in joined, line
    changes = texts[site / "b" / "book" / "_generated" / "changes.html"]
    # a revised row's names shown as text; a revised note is named (注記を改めた), not quoted
    assert "{{ 7*1111111 }}" in changes and "注記を改めた" in changes
    appendix = texts[site / "b" / "notebooks" / "z1_data_appendix.html"]
    assert '<img src=x onerror="window.__pwned=1">' in appendix


def test_the_pdf_shows_the_strings_as_text(hostile_site):
    site, _, _ = hostile_site
    compact = re.sub(r"\s+", "", pdf_text(site / "b" / "report.pdf"))
    for s in ("{{7*1111111}}", '<imgsrc=xonerror="window.__pwned=1">', "<script>window.__pwned=1</script>"):
        assert s in compact, s


def test_nothing_runs_in_the_readers_browser(hostile_site, browser):
    site, _, _ = hostile_site
    pages = sorted(p for p in (site / "b").rglob("*.html") if "_static" not in p.parts)
    assert len(pages) > 20
    context = browser.new_context()
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(site.resolve().as_uri()) or r.request.url.startswith("data:"):
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    dialogs: list[str] = []

    def listen(page) -> None:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def untouched(page, url: str) -> bool:  # (measured after the load event: every image's onerror has fired)
        for _ in range(3):  # an edition's index.html forwards to its first page
            try:
                return page.evaluate("() => window.__pwned === undefined")
            except PlaywrightError:
                page.wait_for_load_state("load")
        return False

    found = visit(context, [p.resolve().as_uri() for p in pages], untouched, prepare=listen)  # a few pages at once
    assert len(found) == len(pages) and all(found.values()), [u for u, ok in found.items() if not ok]
    context.close()
    assert dialogs == []
    assert not [u for u in outside if CANARY in u or u.startswith("javascript:")]


def test_downloads_cannot_become_spreadsheet_formulas(hostile_site):
    from openpyxl import load_workbook

    site, _, _ = hostile_site
    figures = site / "b" / "_static" / "figures"  # each edition's figure files (figures/ lists them)
    csvs = list(figures.glob("*.csv"))
    assert len(csvs) > 40  # the readers' CSV and the machine-readable one of every figure
    for path in csvs:
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            for cell in row:
                assert not cell.startswith(("=", "+", "@")), (path.name, cell[:40])
    books = list(figures.glob("*.xlsx")) + list((site / "_shared").glob("*/*.xlsx"))  # (shared by editions: once)
    assert books
    hostile_cells = 0
    for path in books:
        for sheet in load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, cell.coordinate)
                    if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                        hostile_cells += 1
    assert hostile_cells > 0  # the hostile strings are there, as text


def test_the_data_zip_and_citations_hold_the_strings_as_data(hostile_site):
    import zipfile

    site, _, _ = hostile_site
    with zipfile.ZipFile(site / "b" / "b-data.zip") as z:
        names = z.namelist()
        assert "data/metadata.yaml" in names and "data/sources.csv" in names
        package = json.loads(z.read("datapackage.json"))  # the tables described for any Frictionless tool
        assert {r["path"] for r in package["resources"]} <= set(names)
        assert all(not n.startswith(("/", "..")) and ".." not in n.split("/") for n in names)
    page = (site / "b" / "notebooks" / "k1_fee_gap.html").read_text(encoding="utf-8")
    cite = page.split('class="regen-bibtex"', 1)[1].split("</pre>", 1)[0]
    assert "<script" not in cite and "<img" not in cite

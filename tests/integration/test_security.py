"""Untrusted data cannot run code, read files or damage the published report.

A corpus of hostile strings (tests/hostile.py) fills every free-text column of every table, the
tables' titles and the profiles' texts; two editions are built into a site, so that the strings
also reach the page of what changed. The built pages, PDFs and deck must show the strings as text, and
nothing may run, be read or be written.

Each column's cells (and each table's title) start with a mark of its own, so that the test knows where
every column lands: edition b publishes the fewest figures that still carry every mark to every kind of
output (pages, PDF, deck, downloads, data zip, page of what changed) that a build of every figure does
(REACH, HOSTILE_FIGURES), and the test fails, naming the column, when one no longer does.

A column's first filled cell (or the row FULL_ROW names) holds the whole corpus, after a second mark of its
own (``full_marker``); its other cells hold a short hostile text (the markup and the template that would run
if not escaped, and one more string of the corpus in turn). A cell's text is escaped by the code that writes
its column to each output, the same for every row, so the whole corpus is tried everywhere a column lands as
long as its full cell lands there too: the reach test asserts that, for every column and kind of output.
(Every cell with the whole corpus made edition b's PDF 584 pages and its deck 127 slides: the longest build
of the build tests, 168 s of make test.)
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError

from regenpolicy.data import load_metadata
from tests.conftest import copy_project, run_cli
from tests.hostile import CANARY, CANARY_TEXT, CORPUS, JINJA_RESULT, WRITE_CANARY, payload, short_payload
from tests.integration.pages import visit


def marker(n: int) -> str:
    """The mark of the ``n``-th poisoned column, written first in each of its cells: ASCII letters and digits,
    so that no escaping, font, line break or label limit (which cuts a label's end) changes it; neither the
    corpus nor the shipped data holds one."""
    return f"QX{n:03d}XQ"


def full_marker(mark: str) -> str:
    """The second mark of the cell of a column that holds the whole corpus (after the column's mark)."""
    return mark.replace("QX", "QF").replace("XQ", "FQ")


def poison(project: Path) -> dict[str, str]:
    """Fill every free-text cell and every table title with hostile text, each column's cells (and each
    table's title) led by a mark of its own: a column's first filled cell and each title with the whole corpus
    after a second mark (``full_marker``), the column's other cells with a short hostile text; return
    ``{"table.column": mark}`` (a title as ``table[title]``)."""
    data = project / "data"
    tables = load_metadata(data)
    marks: dict[str, str] = {}
    for table in tables.values():
        path = data / table.file
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        header = rows[0]
        for col in table.columns:
            if not col.free_text or col.name not in header:
                continue
            mark = marks[f"{table.name}.{col.name}"] = marker(len(marks))
            i = header.index(col.name)
            filled = [n for n, row in enumerate(rows[1:]) if row[i] != "" or col.required]
            full = FULL_ROW.get(f"{table.name}.{col.name}", filled[0] if filled else -1)
            for n in filled:
                row = rows[n + 1]
                unique = f" #{n}" if col.name in table.primary_key else ""
                text = (f"{full_marker(mark)} {payload(col.type == 'text')}" if n == full
                        else f"r{n} {short_payload(n, col.type == 'text')}")
                row[i] = f"{mark} {text}{unique}"
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    meta = yaml.safe_load((data / "metadata.yaml").read_text(encoding="utf-8"))
    for name, spec in meta["tables"].items():
        mark = marks[f"{name}[title]"] = marker(len(marks))
        spec["title"] = f"{mark} {full_marker(mark)} {payload(False)} {name}"
        spec["description"] = payload(False)
    (data / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return marks


# The row (0: the first under the header) whose cell holds the whole corpus, where it is not the column's first
# filled cell: edition b shows only some rows of these columns (the page of what changed the sources of the
# revised fee rows, C2-TOR the autologous product's parameters, M2's labels the first product of a modality,
# C2-RP's pages and slides some parameters). Chosen from a build: the other cells' "r<n>" tags (after the
# column's mark) show which rows reach each kind of output.
FULL_ROW = {"sources.title": 2, "sources.publisher": 2, "unit_cost_parameters.label": 6, "approved_products.name_ja": 2,
            "model_parameters.basis": 18}


# Edition b's figures, chosen column by column: the fewest whose notebooks and deck slides still carry every
# poisoned column's mark to every kind of output that the build of every figure carried it to (REACH; the
# notebooks these name run whole, and z1/z2, which publish no figure, always run). A figure left out adds
# no mark to any kind: C1, C1-TOR, E1, K1-MC, K1-TOR, P1, P1-TOR, P2, Q1 read only tables that others show
# (model_parameters.basis reaches a page, the PDF and the deck through c2rp_repricing); A1, D2, C2-RP and F4
# are on pages that run anyway, and their slides repeat marks of A2, D1, C2-RP-1 and F3.
EVERY_FIGURE = os.environ.get("HOSTILE_EVERY_FIGURE") == "1"  # b with every figure: to measure REACH again
HOSTILE_FIGURES = ["M1", "M2", "M3", "O1", "D1", "A2", "A3", "S1", "T1", "C2", "C2-RP-1", "C2-TOR", "K1", "T4", "T5",
                   "F1", "F2", "F3", "F5", "T2", "T3"]


# Where each poisoned column's mark lands (the kinds of surfaces() of edition b) when b is built with every
# figure: the page of what changed is "changes", the other pages "page", the report's PDF "pdf", the deck's
# PowerPoint "deck" and its PDF "deck-pdf", the figures' downloads "csv", "xlsx" and "svg", the data zip "zip".
# (A column that reaches only the zip, or the CSV and the zip, is shown on no page by any figure: the notes, a
# table's units, the drug prices' names.) Measured with a build of every figure; HOSTILE_FIGURES keeps all of it.
REACH = {
    "page changes pdf deck deck-pdf xlsx svg zip": [
        "sources.publisher",
    ],
    "page pdf deck deck-pdf csv xlsx svg zip": [
        "approved_products.name_ja",
    ],
    "page changes pdf deck xlsx svg zip": [
        "sources.title",
    ],
    "page pdf deck deck-pdf csv xlsx zip": [
        "cost_structure_comparison.item", "hta_comparison.economic_hta_ja", "france_incentives.aim_ja",
        "access_issues.category", "repricing_rules.note", "value_features.example_ja", "value_examples.modality",
        "seed_positions.document_ja", "ecosystem_improvements.success_ja", "cart_access_issues.text",
    ],
    "page pdf deck-pdf csv xlsx svg zip": [
        "care_pathway_steps.step_ja", "unit_cost_parameters.label", "market_modality_comparison.example_product",
    ],
    "page deck deck-pdf csv xlsx zip": [
        "approved_products.indication_ja", "cost_structure_comparison.regenerative_ja",
        "cost_structure_comparison.conventional_ja", "hta_comparison.clinical_hta_ja",
        "hta_comparison.consequence_ja", "france_incentives.condition_ja", "france_incentives.benefit_ja",
        "access_issues.issue_ja", "access_issues.activity_ja", "value_features.firm_response_ja",
        "value_features.where_ja", "value_examples.condition_ja", "value_examples.printed_ja",
        "value_examples.evidence_ja", "value_examples.where_ja", "seed_positions.text_ja", "seed_positions.where_ja",
        "ecosystem_improvements.improvement_ja",
    ],
    "page pdf csv xlsx zip": [
        "market_global_modality.note", "supporting_industry.note", "drug_loss.note", "launch_forecast.note",
        "survival_outcomes.study_ja",
    ],
    "page pdf deck deck-pdf zip": [
        "model_parameters.basis",
    ],
    "page changes pdf zip": [
        "fee_schedule[title]",
    ],
    "page csv xlsx zip": [
        "care_pathway_steps.duration_ja", "originator_mix.note", "survival_outcomes.metric_ja",
        "survival_outcomes.note",
    ],
    "changes pdf zip": [
        "fee_schedule.item_ja",
    ],
    "page pdf zip": [
        "car_t_products.name_ja", "unit_cost_parameters.unit", "cdmo_parameters.basis", "seed_statements.figure_ja",
        "seed_statements.quote", "seed_statements.where_ja", "seed_statements.note", "sources[title]",
        "market_global_total[title]", "market_global_modality[title]", "printed_headlines[title]",
        "care_pathway_steps[title]", "car_t_products[title]", "drug_prices[title]", "unit_cost_parameters[title]",
        "market_modality_comparison[title]", "supporting_industry[title]", "cdmo_parameters[title]",
        "originator_mix[title]", "drug_loss[title]", "approved_products[title]", "launch_forecast[title]",
        "survival_outcomes[title]", "health_budget_inputs[title]", "drug_expenditure[title]",
        "nominal_gdp_growth[title]", "cost_structure_comparison[title]", "hta_comparison[title]",
        "france_incentives[title]", "access_issues[title]", "model_parameters[title]", "repricing_rules[title]",
        "seed_statements[title]", "value_features[title]", "value_examples[title]", "seed_positions[title]",
        "ecosystem_improvements[title]", "cart_access_issues[title]",
    ],
    "csv zip": [
        "approved_products.origin_basis", "approved_products.note", "cost_structure_comparison.note",
        "hta_comparison.note", "france_incentives.note", "access_issues.note", "value_features.note",
        "value_examples.note", "seed_positions.note", "ecosystem_improvements.note", "cart_access_issues.note",
    ],
    "page zip": [
        "care_pathway_steps.cost_basis", "unit_cost_parameters.basis",
    ],
    "zip": [
        "sources.note", "printed_headlines.unit", "printed_headlines.note", "fee_schedule.note",
        "car_t_products.generic_ja", "car_t_products.note", "drug_prices.item_ja", "drug_prices.note",
        "market_modality_comparison.growth_period", "market_modality_comparison.note", "cdmo_parameters.unit",
        "health_budget_inputs.unit", "health_budget_inputs.note", "drug_expenditure.note", "nominal_gdp_growth.note",
    ],
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str], dict[str, str]]:
    Path(CANARY).write_text(CANARY_TEXT, encoding="utf-8")
    Path(WRITE_CANARY).unlink(missing_ok=True)
    root = tmp_path_factory.mktemp("hostile")
    project = copy_project(root / "project")
    # The earlier edition keeps the shipped fee schedule (a vintage); the later one reads the poisoned
    # file, so every revised cell reaches its page of what changed. (K1 needs the ward and ICU rows,
    # which the 2022 vintage predates, so the earlier edition shows M1 instead.)
    marks = poison(project)
    title = json.dumps(payload(False), ensure_ascii=False)  # a YAML double-quoted scalar
    for old in (project / "submissions").glob("*.yaml"):
        old.unlink()
    (project / "submissions" / "a.yaml").write_text(
        f"id: a\ntitle: {title}\ndate: 2025-01-01\naudience: {title}\nfigures: [T1, M1]\n"
        "data_vintage: {fee_schedule: '2022'}\n", encoding="utf-8")
    (project / "submissions" / "b.yaml").write_text(
        f"id: b\ntitle: {title}\ndate: 2026-01-01\naudience: {title}\ndescription: {title}\n"
        + ("" if EVERY_FIGURE else f"figures: [{', '.join(HOSTILE_FIGURES)}]\n"), encoding="utf-8")
    proc = run_cli(project, "site", "--out", str(project / "_build" / "site"), timeout=1800)
    return project / "_build" / "site", proc, marks


SURFACES = ("page", "changes", "pdf", "deck", "deck-pdf", "csv", "xlsx", "svg", "zip")
MARK = re.compile(r"QX\d{3}XQ|QF\d{3}FQ")  # a column's mark, or the second mark of its cell with the whole corpus


def marks_in(text: str) -> set[str]:
    """The marks a text holds (its spaces and line breaks dropped: a PDF may break a mark across lines)."""
    return set(MARK.findall(re.sub(r"\s+", "", text)))


def xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    return "\n".join(str(cell.value) for sheet in load_workbook(path).worksheets
                     for row in sheet.iter_rows() for cell in row if cell.value is not None)


def surfaces(site: Path, edition: str) -> dict[str, set[str]]:
    """The marks each kind of an edition's output holds, read as its reader reads it: the pages' text
    (but the page of what changed, its own kind), the PDF's and the deck's PDF's text, the PowerPoint's
    XML, the figures' CSV and xlsx cells (the site's shared copies included), the data zip's files."""
    import zipfile

    found: dict[str, set[str]] = {k: set() for k in SURFACES}
    for path in sorted((site / edition).rglob("*")) + sorted((site / "_shared").rglob("*")):
        kind = {".csv": "csv", ".xlsx": "xlsx", ".svg": "svg", ".pptx": "deck", ".zip": "zip"}.get(path.suffix)
        if path.suffix == ".html":
            kind = "changes" if path.name == "changes.html" else "page"
            text = page_text(path)
        elif path.suffix == ".pdf":
            kind, text = ("deck-pdf" if path.name.endswith("-deck.pdf") else "pdf"), pdf_text(path)
        elif kind in ("csv", "svg"):
            text = path.read_text(encoding="utf-8-sig")
        elif kind == "xlsx":
            text = xlsx_text(path)
        elif kind in ("deck", "zip"):
            with zipfile.ZipFile(path) as z:
                text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                 if kind == "zip" or n.endswith(".xml"))
        else:
            continue
        found[kind] |= marks_in(text)
    return found


def file_text(path: Path) -> str:
    """A published file as text: a PDF's text, the members of a zip (the data zip, xlsx, PowerPoint) and
    the content of a compressed copy (.gz, .br) unpacked, not their compressed bytes."""
    import gzip
    import zipfile

    import brotli

    if path.suffix == ".pdf":
        return pdf_text(path)
    if path.suffix in (".zip", ".xlsx", ".pptx"):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    body = path.read_bytes()
    if path.suffix == ".gz":
        body = gzip.decompress(body)
    elif path.suffix == ".br":
        body = brotli.decompress(body)
    return body.decode("utf-8", "replace")


@functools.cache  # (the site is not written after its build: each page parsed once for all the tests)
def page_text(path: Path) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")


def page_texts(site: Path) -> dict[Path, str]:
    return {p: page_text(p) for p in site.rglob("*.html")}


@functools.cache
def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_the_hostile_build_succeeds_and_nothing_is_read_or_written(hostile_site):
    site, proc, marks = hostile_site
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert len([name for name in marks if "[" not in name]) >= 50
    assert not Path(WRITE_CANARY).exists()
    for path in site.rglob("*"):
        if path.is_file():
            assert CANARY_TEXT not in file_text(path), path
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


def measured_reach(found: dict[str, set[str]], marks: dict[str, str]) -> str:
    """REACH as a build shows it, written as the source above spells it (to paste after a re-measure)."""
    groups: dict[str, list[str]] = {}
    for name, mark in marks.items():
        groups.setdefault(" ".join(k for k in SURFACES if mark in found[k]), []).append(name)
    return "REACH = {\n" + "".join(f'    "{kinds}": {names!r},\n'.replace("'", '"') for kinds, names in
                                   sorted(groups.items(), key=lambda g: (-len(g[0].split()), g[0]))) + "}"


def test_every_poisoned_column_reaches_every_kind_of_output_it_reached(hostile_site):
    """Each column's mark is in every kind of output of edition b that the build of every figure carried it
    to (REACH): a figure left out of HOSTILE_FIGURES, or a figure or page that stops showing a column, fails
    here naming the column and the kind; a new free-text column fails until its row is written. To measure
    REACH again, run this module with HOSTILE_EVERY_FIGURE=1: b then has every figure, and this test asserts
    that REACH is exactly what that build shows, printing the measured table when it is not."""
    site, _, marks = hostile_site
    reach = {name: kinds for kinds, names in REACH.items() for name in names}
    found = surfaces(site, "b")
    if EVERY_FIGURE:
        measured = {name: " ".join(k for k in SURFACES if mark in found[k]) for name, mark in marks.items()}
        assert measured == reach, measured_reach(found, marks)
    unknown, gone = sorted(set(marks) - set(reach)), sorted(set(reach) - set(marks))
    assert not unknown, f"poisoned but not in REACH (run with HOSTILE_EVERY_FIGURE=1 to see where they land): {unknown}"
    assert not gone, f"in REACH but no longer poisoned: {gone}"
    missing = [f"{name} → {kind}" for name, mark in marks.items() for kind in reach[name].split() if mark not in found[kind]]
    assert not missing, "a poisoned column no longer reaches (column → kind): " + ", ".join(missing)
    # and its cell with the whole corpus reaches each of those kinds too: every string is tried wherever it lands
    partly = [f"{name} → {kind}" for name, mark in marks.items() for kind in reach[name].split()
              if full_marker(mark) not in found[kind]]
    assert not partly, ("a column reaches a kind of output without its cell that holds the whole corpus (choose a row "
                        "that does in FULL_ROW: each other cell's r<n> tag names its row): " + ", ".join(partly))


def test_the_deck_shows_the_strings_as_text(hostile_site):
    """The deck (PowerPoint and its PDF) holds the strings as text: XML that parses, the strings in its runs
    of text (escaped by the XML writer, not markup), no link or relationship to a script or a local file."""
    import zipfile
    from xml.etree import ElementTree

    site, _, _ = hostile_site
    texts: list[str] = []
    with zipfile.ZipFile(site / "b" / "b-deck.pptx") as z:
        for name in z.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            body = z.read(name).decode("utf-8")
            assert CANARY_TEXT not in body and JINJA_RESULT not in body, name
            root = ElementTree.fromstring(body)
            texts += [e.text or "" for e in root.iter() if e.tag.endswith("}t")]
            for rel in root.iter("{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"):
                assert not rel.get("Target", "").lower().startswith(("javascript:", "file:")), (name, rel.attrib)
    joined = "\n".join(texts)
    for s in ('<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=1</script>", "{{ 7*1111111 }}",
              '=HYPERLINK("http://evil.example","x")'):
        assert s in joined, s
    compact = re.sub(r"\s+", "", pdf_text(site / "b" / "b-deck.pdf"))
    for s in ("{{7*1111111}}", '<imgsrc=xonerror="window.__pwned=1">', "<script>window.__pwned=1</script>"):
        assert s in compact, s
    assert JINJA_RESULT not in compact and CANARY_TEXT not in compact

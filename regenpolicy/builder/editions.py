"""Editions: the reproducibility stamp, "what changed" since the previous edition, and the site index.

Each edition (one submission profile) is built from its own profile and data vintage. What a
committee member asks first — what changed since the last submission — is computed by comparing
two editions: the settings and parameters each figure actually ran with, the figures included,
the data vintage, the tables and their rows (added, removed, revised: old → new with the source),
and the headline numbers glued into the prose. The result is data (JSON); the report's Sphinx
extension turns it into the page, so no value is ever written into MyST source.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import re
import string
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from regenpolicy.builder.profile import Profile, Resolved
from regenpolicy.builder.registry import Registry
from regenpolicy.data import Dataset
from regenpolicy.data.datapackage import datapackage_json
from regenpolicy.models.parameters import Parameters
from regenpolicy.presentation.templating import render

BUILDER = "regenpolicy.builder"  # the package whose templates/ hold the build's pages

PACKAGES = ("jupyter-book", "sphinx", "myst-nb", "papermill", "altair", "vl-convert-python", "pandas",
            "numpy", "playwright", "latex2mathml")


# --- reproducibility stamp -----------------------------------------------------------------------
def git_commit(root: Path) -> str:
    """The project's commit, with ``-dirty`` when tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("-dirty" if dirty else "")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def profile_file(profile: Profile) -> str:
    """Where the data zip ships the profile (and the stamp names it): ``submissions/<file>``."""
    return f"submissions/{profile.path.name}"


def stamp(profile: Profile, dataset: Dataset, root: Path) -> dict[str, Any]:
    """What an edition was built from: commit, profile, data files, packages.

    The files are hashed as they were read at the start of the build and validated — the bytes the
    data zip ships — so ``sha256sum data/*.csv`` (in the project at that commit, or in the unpacked
    zip) prints the same hashes, and a file saved during the build changes neither."""
    return {
        "edition": profile.id,
        "commit": git_commit(root),
        "profile": {"file": profile_file(profile), "sha256": sha256(profile.shipped())},
        "data": {name: sha256(content) for name, content in dataset.files().items()},
        "python": sys.version.split()[0],
        "packages": {name: version(name) for name in PACKAGES},
    }


# --- what changed ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EditionInputs:
    """What an edition was built from, as the changes page compares it."""

    profile: Profile
    dataset: Dataset
    resolved: Resolved
    notebooks: list[str]
    numbers: dict[str, dict[str, float]]  # notebook → glued name → value
    headings: dict[str, str] = field(default_factory=dict)  # figure id → its heading (「図 K1 …」), once run


def show(value: Any) -> str:
    """A value as the change list shows it: 17,440 / 2024 / 0.069 / — for nothing."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(show, value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v)}" for k, v in value.items()) or "—"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return f"{value:,.4g}" if not value.is_integer() else show(int(value))
    return str(value)


GLUE = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)(?::([^`]*))?`")


def glued_in_prose(source: str) -> dict[str, tuple[str, str]]:
    """Glued name → (the words around it on the page, with 〔 〕 in its place; its format).

    A headline number is named on the changes page as the reader met it: 「2020 年の 〔 〕 億円から」."""
    out: dict[str, tuple[str, str]] = {}
    prose = "\n".join(line for line in source.splitlines() if not line.startswith(("```", ":", "#")))
    for sentence in re.split(r"(?<=。)|\n", prose):
        for match in GLUE.finditer(sentence):
            name, fmt = match.group(1), match.group(2) or ""
            if name in out:
                continue
            before = GLUE.sub("…", sentence[:match.start()]).replace("`", "").strip()
            after = GLUE.sub("…", sentence[match.end():]).replace("`", "")
            before = ("…" + before[-28:]) if len(before) > 28 else before
            after = re.split(r"[、。，（）]", after, maxsplit=1)[0][:12]
            out[name] = (f"{before}〔 〕{after}".strip(), fmt)
    return out


def as_written(value: Any, fmt: str) -> str:
    """A number formatted as the page writes it (the glue's format), or as ``show`` does."""
    if fmt:
        try:
            return format(value, fmt)
        except (ValueError, TypeError):
            pass
    return show(value)


def _parameter_rows(old: Parameters, new: Parameters, where: str) -> list[list[str]]:
    rows = []
    for name, (spec, _) in type(new).specs().items():
        a, b = old.values()[name], new.values()[name]
        if a != b:
            label = spec.label + (f"（{spec.unit}）" if spec.unit else "")
            rows.append([where, label, show(a), show(b)])
    return rows


def _changed_names(old: Parameters, new: Parameters) -> list[str]:
    return [name for name in type(new).specs() if old.values()[name] != new.values()[name]]


def row_changes(old: Dataset, new: Dataset, table: str) -> dict[str, list[Any]]:
    """Rows added, removed and revised between two versions of a table, by primary key."""
    key = list(new.tables[table].primary_key)
    b = new[table].set_index(key)
    a = old[table].set_index(key)
    added = [k for k in b.index if k not in a.index]
    removed = [k for k in a.index if k not in b.index]
    revised = []
    for k in b.index.intersection(a.index):
        ra, rb = a.loc[k], b.loc[k]
        for col in b.columns:
            va, vb = ra.get(col), rb.get(col)
            if not (pd.isna(va) and pd.isna(vb)) and (pd.isna(va) or pd.isna(vb) or va != vb):
                revised.append((k, col, None if pd.isna(va) else va, None if pd.isna(vb) else vb,
                                rb.get("source_id")))
    return {"added": added, "removed": removed, "revised": revised}


def _key(value: Any) -> str:
    return " / ".join(map(show, value)) if isinstance(value, tuple) else show(value)


class _Words:
    """How one table's rows and values are named for readers, from its declaration (``metadata.yaml``):
    a row by its ``label`` columns (「K921 2ロ 造血幹細胞採取 …」, 「アクーゴ脳内移植用注」), a column by its
    ``label``, a value with its unit (17,440点), a foreign key by the label of the row it names (a source's
    publisher and title)."""

    def __init__(self, ds: Dataset, table: str) -> None:
        self.ds, self.spec = ds, ds.tables[table]
        self.frame = ds[table]
        self.key = list(self.spec.primary_key)

    def row(self, key: Any) -> str:
        values = dict(zip(self.key, key if isinstance(key, tuple) else (key,), strict=True))
        if not self.spec.label:
            return _key(key)
        found = self.frame
        for k, v in values.items():
            found = found[found[k] == v]
        if found.empty:
            return _key(key)
        r = found.iloc[0]
        return " ".join(show(r[c]) for c in self.spec.label if not pd.isna(r[c])) or _key(key)

    def column(self, name: str) -> str:
        col = self.spec.column(name) if name in {c.name for c in self.spec.columns} else None
        return (col.label or name) if col is not None else name

    def value(self, name: str, value: Any) -> str:
        if value is None:
            return "—"
        col = self.spec.column(name)
        if col.foreign_key is not None:
            table, column = col.foreign_key.split(".")
            if table in self.ds.tables and self.ds.tables[table].label:
                target = self.ds[table]
                found = target[target[column] == value]
                if not found.empty:
                    return "「" + " ".join(str(found.iloc[0][c]) for c in self.ds.tables[table].label) + "」"
        if col.name == self.spec.revision:
            return f"{show(value)}年度" if (col.unit or "").endswith("年度") else f"{self.column(name)} {show(value)}"
        if col.type in ("integer", "number") and col.unit:
            return (f"{int(value):,}" if float(value).is_integer() else show(value)) + col.unit
        return show(value)


def _revision_items(old: Dataset, new: Dataset, table: str, added: list[Any], removed: list[Any]) -> list[str]:
    """A table whose rows are superseded by later ones (``revision``): each new row as the values before → after
    (「K921 2ロ 造血幹細胞採取 …：点数 17,440点（2022）→ 17,440点（2024）」)."""
    spec = new.tables[table]
    rev = spec.revision
    assert rev is not None
    key = list(spec.primary_key)
    at = key.index(rev)
    measured = [c.name for c in spec.columns if c.type in ("integer", "number") and c.name not in key]
    words_new, words_old = _Words(new, table), _Words(old, table)
    before_all = old[table]
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for k in added:
        groups.setdefault(tuple(k[:at]) + tuple(k[at + 1:]), []).append(k)
    items = []
    for rest, keys in groups.items():
        keys = sorted(keys, key=lambda k: k[at])
        match = before_all
        for name, v in zip([c for c in key if c != rev], rest, strict=True):
            match = match[match[name] == v]
        match = match[match[rev] < keys[0][at]]  # the row in force before the first new one
        base = match.sort_values(rev).iloc[-1] if not match.empty else None
        after = new[table].set_index(key)
        parts = []
        for col in measured:
            chain = ([(words_old.value(col, base[col]), words_old.value(rev, base[rev]))] if base is not None else []) + [
                (words_new.value(col, after.loc[k][col]), words_new.value(rev, k[at])) for k in keys]
            if len({v for v, _ in chain}) == 1 and len(chain) > 1:
                parts.append(f"{words_new.column(col)} {chain[0][0]}（{chain[0][1]}から変わらず）")
            else:
                parts.append(f"{words_new.column(col)} " + " → ".join(f"{v}（{r}）" for v, r in chain))
        name = words_new.row(keys[-1])
        if base is not None and (was := words_old.row(tuple(base[c] for c in key))) != name:
            name += f"（{words_old.value(rev, base[rev])}は {was}）"
        items.append(("" if base is not None else "追加：") + f"{name}：" + "、".join(parts))
    for k in removed:
        items.append(f"削除：{words_old.row(k)}（{words_old.value(rev, k[at])}）")
    return items


def _revised_items(old: Dataset, new: Dataset, table: str, revised: list[Any]) -> list[str]:
    """Values revised in rows both editions have, one sentence per row: 「ハートシート：承認整理日 — → 2024-07-25」.
    Free text (notes) is not quoted: that it changed is said."""
    words_old, words_new = _Words(old, table), _Words(new, table)
    by_row: dict[Any, list[tuple[str, Any, Any]]] = {}
    for k, col, a, b, _src in revised:
        by_row.setdefault(k, []).append((col, a, b))
    items = []
    for k, cols in by_row.items():
        said = []
        for col, a, b in cols:
            if new.tables[table].column(col).type == "text":
                said.append(f"{words_new.column(col)}を改めた")
            else:
                said.append(f"{words_new.column(col)} {words_old.value(col, a)} → {words_new.value(col, b)}")
        items.append(f"{words_new.row(k)}：" + "、".join(said))
    return items


def table_changes(old: Dataset, new: Dataset, table: str) -> dict[str, Any] | None:
    """One table's changes in words (None: none): rows added and removed by their names, values before → after."""
    if table not in old.tables:
        return {"title": new.tables[table].title, "file": new.tables[table].file, "table": "added", "items": []}
    if table not in new.tables:
        return {"title": old.tables[table].title, "file": old.tables[table].file, "table": "removed", "items": []}
    if old.hashes[table] == new.hashes[table]:
        return None
    c = row_changes(old, new, table)
    if not (c["added"] or c["removed"] or c["revised"]):
        return None
    if new.tables[table].revision is not None:
        items = _revision_items(old, new, table, c["added"], c["removed"])
    else:
        items = ([f"追加：{_Words(new, table).row(k)}" for k in c["added"]]
                 + [f"削除：{_Words(old, table).row(k)}" for k in c["removed"]])
    items += _revised_items(old, new, table, c["revised"])
    return {"title": new.tables[table].title, "file": new.tables[table].file, "table": "changed", "items": items}


def setting_changes(old: EditionInputs, new: EditionInputs, registry: Registry) -> list[list[str]]:
    """The edition settings that differ and that a figure of the new edition uses."""
    used = {s for n in new.notebooks for s in registry.steps[n].settings}
    rows = _parameter_rows(old.resolved.settings, new.resolved.settings, "この版の設定")
    return [r for r, name in zip(rows, _changed_names(old.resolved.settings, new.resolved.settings), strict=True)
            if name in used]


def parameter_changes(old: EditionInputs, new: EditionInputs, registry: Registry) -> list[list[str]]:
    """The parameters that differ, of the notebooks both editions run, named by their figures."""
    rows: list[list[str]] = []
    for name in new.notebooks:
        if name in old.notebooks:
            where = "、".join(registry.steps[name].figures) or name
            rows += _parameter_rows(old.resolved.parameters[name], new.resolved.parameters[name], where)
    return rows


def figure_changes(old: EditionInputs, new: EditionInputs, registry: Registry) -> dict[str, list[dict[str, str]]]:
    """The figures the new edition adds and leaves out, each with its heading (「図 K1 …」) as its edition shows it:
    those each edition published (a notebook publishes all its figures: D1 beside D2), else those it declares."""
    published = bool(old.headings and new.headings)
    old_figs = set(old.headings) if published else set(old.profile.figures or registry.figures)
    new_figs = set(new.headings) if published else set(new.profile.figures or registry.figures)

    def named(ids: set[str], inputs: EditionInputs) -> list[dict[str, str]]:
        order = list(registry.figures)
        return [{"id": f, "heading": inputs.headings.get(f, f)} for f in sorted(ids, key=order.index)]

    return {"added": named(new_figs - old_figs, new), "removed": named(old_figs - new_figs, old)}


def figure_name(figure: str, headings: dict[str, str]) -> str:
    """「図 K1」 or 「表 T2」 as the heading says (the pages link it), or the id."""
    kind = headings.get(figure, "").split(" ", 1)[0]
    return f"{kind} {figure}" if kind in ("図", "表") else figure


CURRENT = "固定しない（作り直す時点のデータ）"


def vintage_changes(old: EditionInputs, new: EditionInputs) -> list[list[str]]:
    """The tables whose pinned version differs: [title, the previous edition's, this edition's]."""
    rows = []
    for table in sorted(set(old.profile.data_vintage) | set(new.profile.data_vintage)):
        a = old.profile.data_vintage.get(table, "current")
        b = new.profile.data_vintage.get(table, "current")
        if a != b:
            title = new.dataset.tables[table].title if table in new.dataset.tables else table
            rows.append([title, a if a != "current" else CURRENT, b if b != "current" else CURRENT])
    return rows


def headline_changes(old: EditionInputs, new: EditionInputs, registry: Registry) -> list[list[str]]:
    """The numbers written in the text that moved, as the text writes them: [figure, its sentence, before, after]."""
    moved = []
    for nb in new.notebooks:
        if nb not in old.numbers or nb not in new.numbers:
            continue
        said = glued_in_prose(registry.steps[nb].path.read_text(encoding="utf-8"))
        figures = "、".join(figure_name(f, new.headings) for f in registry.steps[nb].figures) or nb
        for name in sorted(set(old.numbers[nb]) & set(new.numbers[nb])):
            if name not in said:
                continue  # glued for a table or a check, not written in the text: not a headline
            where, fmt = said[name]
            shown = as_written(old.numbers[nb][name], fmt), as_written(new.numbers[nb][name], fmt)
            if shown[0] != shown[1]:  # a move below the page's precision is not a move the reader sees
                moved.append([figures, where, *shown])
    return moved


def changes(old: EditionInputs, new: EditionInputs, registry: Registry) -> dict[str, Any]:
    """Everything that differs between two editions, as data for the changes page (its words: plain text,
    escaped where the page is written)."""
    figures = figure_changes(old, new, registry)
    data = [t for table in sorted(set(old.dataset.tables) | set(new.dataset.tables))
            if (t := table_changes(old.dataset, new.dataset, table)) is not None]
    return {
        "previous": {"id": old.profile.id, "title": old.profile.title, "date": old.profile.date},
        "settings": setting_changes(old, new, registry), "parameters": parameter_changes(old, new, registry),
        "vintage": vintage_changes(old, new),
        "figures_added": figures["added"], "figures_removed": figures["removed"],
        "data": data, "headlines": headline_changes(old, new, registry),
    }


# --- the front page's findings ----------------------------------------------------------------------
def key_findings(profile: Profile, registry: Registry, order: Sequence[str], numbers: dict[str, dict[str, Any]],
                 headings: dict[str, str]) -> list[dict[str, Any]]:
    """The edition's headline numbers for its front page: each figure's ``headline`` (its declaration, the
    sentence the deck's slide says) with the numbers its notebook glued, formatted as the site formats them.

    The figures are the edition's own (``order``: those it published, in reading order), in the order of its
    deck's figure slides when the profile declares a deck. A part is ``{"text"}`` or, for a number,
    ``{"text", "glue"}`` (the glue key): the page writes them as text, never as MyST."""
    owners = registry.figures
    wanted = [str(f) for f in (getattr(s, "figure", None) for s in profile.deck.slides) if f in order] \
        if profile.deck is not None else list(order)
    out = []
    for fig in dict.fromkeys(wanted):
        notebook = owners.get(fig)
        template = registry.steps[notebook].figures[fig].headline if notebook else None
        if notebook is None or template is None or fig not in headings:
            continue
        glued = numbers.get(notebook, {})
        parts: list[dict[str, str]] = []
        for text, name, spec, _ in string.Formatter().parse(template):
            if text:
                parts.append({"text": text})
            if name is not None:
                if name not in glued:
                    raise KeyError(f"{fig}: the headline's glue key '{name}' has no value (did {notebook} glue it?)")
                parts.append({"text": format(glued[name], spec or ""), "glue": name})
        out.append({"id": fig, "name": figure_name(fig, headings), "heading": headings[fig], "parts": parts})
    return out


# --- site index -------------------------------------------------------------------------------------
def site_index(editions: list[dict[str, str]]) -> str:
    """The site's front page: every edition, newest first (``templates/site_index.html.j2``)."""
    newest_first = sorted(editions, key=lambda e: (e["date"], e["id"]), reverse=True)
    return str(render("site_index.html.j2", BUILDER, editions=newest_first))


FILE_KINDS = (  # what a figure's file is, by how its name ends (the first that matches)
    (".data.csv", "CSV・計算したままの値（プログラム向け）"),
    (".csv", "CSV・日本語の列名と単位（Excel 向け）"),
    (".xlsx", "Excel ブック"),
    (".svg", "図（SVG、拡大しても粗くならない）"),
    (".png", "図（PNG、2倍の解像度）"),
)


def file_label(name: str) -> str:
    return next((label for end, label in FILE_KINDS if name.endswith(end)), "ファイル")


def file_size(size: int) -> str:
    """17 KB, 1.2 MB: as a reader judges a download."""
    if size < 1000:
        return f"{size} バイト"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def figure_groups(files: dict[str, int], figures: Sequence[dict[str, str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An edition's figure files, grouped by figure in reading order (``figures``: id, heading, page), each file
    with its label and size; and the files of no listed figure (none, when the build is whole)."""
    order = [kind for kind, _ in FILE_KINDS]

    def entry(name: str) -> dict[str, Any]:
        return {"name": name, "label": file_label(name), "size": file_size(files[name])}

    def rank(name: str) -> int:
        return next((i for i, end in enumerate(order) if name.endswith(end)), len(order))

    left = set(files)
    groups = []
    for f in figures:
        mine = sorted((n for n in left if n.split(".", 1)[0] == f["id"]), key=lambda n: (rank(n), n))
        left -= set(mine)
        groups.append({**f, "files": [entry(n) for n in mine]})
    return groups, [entry(n) for n in sorted(left)]


STYLESHEET = re.compile(r'<link\b[^>]*\brel="(?:stylesheet|icon)"[^>]*>')


def stylesheets(page: Path) -> list[str]:
    """The stylesheet links of one of the edition's built pages (``book/index.html``, as deep in the site as the
    figure-data index): that page links the same files, the site's own (theme and ``report.css``)."""
    return STYLESHEET.findall(page.read_text(encoding="utf-8")) if page.is_file() else []


def figures_index(profile: Profile, files: dict[str, int], figures: Sequence[dict[str, str]] = (),
                  links: Sequence[str] = ()) -> str:
    """A page listing an edition's figure files (a static host shows no folder listings): each figure by its
    number and title, linked to its place in the edition, then its files with what each is and its size."""
    from markupsafe import Markup

    groups, others = figure_groups(files, figures)
    return str(render("figures_index.html.j2", BUILDER, title=profile.title, date=profile.date, groups=groups,
                      others=others, stylesheets=[Markup(link) for link in links]))


def edition_info(profile: Profile, config: dict[str, Any], *, data_zip: str,
                 figure_ids: Sequence[str] = (), site_url: str = "") -> dict[str, Any]:
    """What every page of the edition says about it (``regen_edition`` of the Sphinx extension).

    The pages link the edition's PDF whether or not this build printed it (``--no-pdf`` is a
    shortcut while writing), so that the website is the same either way. ``figure_ids`` are every
    figure of the report (the registry's), so that prose naming one this edition leaves out says so."""
    return {"id": profile.id, "title": profile.title, "date": profile.date,
            "author": profile.author or str(config.get("author", "")), "description": profile.description,
            "version": version("regenpolicy"), "site_url": profile.site_url or edition_url(site_url, profile.id),
            "data_zip": data_zip, "figure_ids": sorted(figure_ids)}


def edition_url(site_url: str, edition_id: str) -> str:
    """Where ``make site`` publishes the edition: ``<site_url><id>/`` (``site_url`` of ``_config.yml``,
    ``Project.site_url``), or "" when the project does not say where its site is published (then
    citations carry no address and the PDF's data lines are not links)."""
    return f"{site_url}{edition_id}/" if site_url else ""


STAMP = "stamp.json"
SUMS = "SHA256SUMS"


PARAMETER_SHEET = "model_parameters_labelled.csv"


def parameter_sheet(frame: pd.DataFrame) -> bytes:
    """``data/model_parameters.csv`` as a reader opens it in Excel: each parameter with the Japanese
    label, unit and accepted range its model's class declares (``K1Data`` …), its status in words,
    numbers as a spreadsheet shows them, formulas neutralised. The data file stays byte for byte."""
    from regenpolicy.models.parameters import declared, table
    from regenpolicy.presentation.downloads import clean_number, reader_csv
    from regenpolicy.presentation.labels import STATUS_WORDS

    columns = {"model": "図表", "parameter": "パラメータ（プログラム名）", "label": "名称", "value": "値",
               "unit": "単位", "low": "幅の下限", "high": "幅の上限", "status": "値の種類", "basis": "根拠",
               "source_id": "出所ID", "min": "モデルが受け付ける最小", "max": "モデルが受け付ける最大"}
    classes = declared()
    parts = [table(frame, classes[m]) for m in dict.fromkeys(frame["model"]) if m in classes]
    if not parts:
        return reader_csv(pd.DataFrame(columns=list(columns.values())))
    rows = pd.concat(parts, ignore_index=True)[list(columns)]
    rows["status"] = rows["status"].map(lambda v: STATUS_WORDS.get(v, v))
    out = pd.DataFrame({columns[c]: pd.Series([None if pd.isna(v) else clean_number(v) if isinstance(v, (int, float))
                                               else v for v in rows[c].astype(object)], dtype=object)
                        for c in columns})
    return reader_csv(out)


def write_data_zip(path: Path, dataset: Dataset, figures: Path, profile: Profile, stamp_record: dict[str, Any]) -> None:
    """The edition's data in one download: every table it read and ``metadata.yaml``, byte for byte
    as validated (never rewritten: ``70`` stays ``70``), its profile, each figure's data (CSV, Excel),
    a note of what is where, and the stamp with every file's SHA-256 (``files``), also as
    ``SHA256SUMS`` for ``sha256sum -c``. ``python -m regenpolicy verify`` checks it."""
    from regenpolicy.presentation.downloads import write_zip

    files: dict[str, bytes] = dict(dataset.files())
    files[profile_file(profile)] = profile.shipped()
    for f in sorted(figures.iterdir()):
        if f.suffix in (".csv", ".xlsx"):
            files[f"figures/{f.name}"] = f.read_bytes()
    if "model_parameters" in dataset.frames:
        files[PARAMETER_SHEET] = parameter_sheet(dataset.frames["model_parameters"])
    files["datapackage.json"] = datapackage_json(dataset.tables, dataset.frames.get("sources"), title=profile.title)
    files["README.txt"] = (
        f"{profile.title}（{profile.date}、{profile.id}）のデータ\r\n\r\n"
        "data/        この版が読んだ表（CSV、UTF-8）と、その列・型・単位・出所を宣言した metadata.yaml。"
        "検証したときのバイト列のまま\r\n"
        "submissions/ この版のプロファイル\r\n"
        "figures/     図表ごとのデータ：<ID>.csv（Excel 向け、日本語の列名と単位）、<ID>.xlsx、"
        "<ID>.data.csv（計算したままの値、プログラム向け）\r\n"
        f"{PARAMETER_SHEET}  data/model_parameters.csv に、各パラメータの日本語の名称・単位・モデルが"
        "受け付ける範囲（モデルのコードで宣言したもの）と値の種類を添えた表（Excel 向け）\r\n"
        "datapackage.json  data/ の表の Frictionless Data Package（型・単位・制約・主キー・外部キー）\r\n"
        "stamp.json   再現性スタンプ（コミット、プロファイル、データの SHA-256、パッケージ）と、"
        "この zip の全ファイルの SHA-256（files）\r\n"
        "SHA256SUMS   同じハッシュを sha256sum -c で確かめられる形で\r\n"
        "確かめ方：python -m regenpolicy verify <この zip>、または展開して sha256sum -c SHA256SUMS\r\n"
    ).encode()
    files[STAMP] = (json.dumps({**stamp_record, "files": {n: sha256(c) for n, c in sorted(files.items())}},
                               ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    files[SUMS] = "".join(f"{sha256(c)}  {n}\n" for n, c in sorted(files.items())).encode()
    write_zip(files, path)


def verify_data_zip(path: Path) -> list[str]:
    """Every way the zip differs from the stamp inside it: a file changed, missing or added; a data
    hash of the stamp that is not the shipped file's; ``SHA256SUMS`` out of step. Empty: all match."""
    import zipfile

    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable zip file ({exc})"]
    with archive:
        names = archive.namelist()
        problems += [f"{n}: appears {names.count(n)} times in the zip" for n in sorted(set(names)) if names.count(n) > 1]
        digests: dict[str, str] = {}
        for name in dict.fromkeys(names):
            digest = hashlib.sha256()
            try:
                with archive.open(name) as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
                problems.append(f"{name}: cannot be read ({exc})")
                continue
            digests[name] = digest.hexdigest()
        if STAMP not in digests:
            return [*problems, f"{STAMP}: missing; the zip carries no stamp to check against"]
        try:
            record = json.loads(archive.read(STAMP).decode("utf-8"))
            listed: dict[str, str] = dict(record["files"])
            data: dict[str, str] = dict(record["data"])
        except (ValueError, KeyError, TypeError) as exc:
            return [*problems, f"{STAMP}: not a stamp with 'files' and 'data' ({exc})"]
    shipped = {n: d for n, d in digests.items() if n not in (STAMP, SUMS)}
    for name in sorted(set(listed) | set(shipped)):
        if name not in shipped:
            problems.append(f"{name}: listed in the stamp, missing from the zip")
        elif name not in listed:
            problems.append(f"{name}: in the zip, not listed in the stamp")
        elif shipped[name] != listed[name]:
            problems.append(f"{name}: SHA-256 {shipped[name]}, the stamp says {listed[name]}")
    for name, stamped in sorted(data.items()):
        if listed.get(name) != stamped:
            problems.append(f"{name}: the stamp's data hash {stamped} is not the listed file's ({listed.get(name)})")
    if SUMS in digests:
        with zipfile.ZipFile(path) as archive:
            sums = archive.read(SUMS).decode("utf-8", "replace").splitlines()
        pairs = [line.split("  ", 1) for line in sums if line.strip()]
        summed = {p[1]: p[0] for p in pairs if len(p) == 2}
        expected = {**shipped, STAMP: digests[STAMP]}
        if summed != expected or len(pairs) != len(summed):
            wrong = sorted(n for n in set(summed) | set(expected) if summed.get(n) != expected.get(n))
            problems.append(f"{SUMS}: does not match the files for {', '.join(wrong) or 'some lines'}")
    else:
        problems.append(f"{SUMS}: missing from the zip")
    return problems


def edition_record(profile: Profile) -> dict[str, str]:
    return {"id": profile.id, "title": profile.title, "date": profile.date, "audience": profile.audience}


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")

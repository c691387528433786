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
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
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


def changes(old: EditionInputs, new: EditionInputs, registry: Registry) -> dict[str, Any]:
    """Everything that differs between two editions, as data for the changes page."""
    used = {s for n in new.notebooks for s in registry.steps[n].settings}
    settings_rows = [r for r, name in zip(_parameter_rows(old.resolved.settings, new.resolved.settings, "この版の設定"),
                                          _changed_names(old.resolved.settings, new.resolved.settings), strict=True)
                     if name in used]
    parameter_rows: list[list[str]] = []
    titles = {n: registry.steps[n].figures for n in registry.steps}
    for name in new.notebooks:
        if name in old.notebooks:
            where = "、".join(titles[name]) or name
            parameter_rows += _parameter_rows(old.resolved.parameters[name], new.resolved.parameters[name], where)
    old_figs = set(old.profile.figures or registry.figures)
    new_figs = set(new.profile.figures or registry.figures)
    vintage = []
    for table in sorted(set(old.profile.data_vintage) | set(new.profile.data_vintage)):
        a = old.profile.data_vintage.get(table, "current")
        b = new.profile.data_vintage.get(table, "current")
        if a != b:
            title = new.dataset.tables[table].title if table in new.dataset.tables else table
            vintage.append([title, a if a != "current" else "最新", b if b != "current" else "最新"])
    data_changes: list[dict[str, Any]] = []
    for table in sorted(set(old.dataset.tables) | set(new.dataset.tables)):
        if table not in old.dataset.tables:
            data_changes.append({"title": new.dataset.tables[table].title, "file": new.dataset.tables[table].file,
                                 "table": "added", "added": [], "removed": [], "revised": []})
            continue
        if table not in new.dataset.tables:
            data_changes.append({"title": old.dataset.tables[table].title, "file": old.dataset.tables[table].file,
                                 "table": "removed", "added": [], "removed": [], "revised": []})
            continue
        if old.dataset.hashes[table] == new.dataset.hashes[table]:
            continue
        c = row_changes(old.dataset, new.dataset, table)
        if not (c["added"] or c["removed"] or c["revised"]):
            continue
        data_changes.append({
            "title": new.dataset.tables[table].title, "file": new.dataset.tables[table].file, "table": "changed",
            "added": [_key(k) for k in c["added"]], "removed": [_key(k) for k in c["removed"]],
            "revised": [[_key(k), col, show(va), show(vb), show(src)] for k, col, va, vb, src in c["revised"]],
        })
    moved = []
    for nb in new.notebooks:
        if nb not in old.numbers or nb not in new.numbers:
            continue
        said = glued_in_prose(registry.steps[nb].path.read_text(encoding="utf-8"))
        for name in sorted(set(old.numbers[nb]) & set(new.numbers[nb])):
            before, after = old.numbers[nb][name], new.numbers[nb][name]
            if name not in said:
                continue  # glued for a table or a check, not written in the text: not a headline
            where, fmt = said[name]
            shown = as_written(before, fmt), as_written(after, fmt)
            if shown[0] != shown[1]:  # a move below the page's precision is not a move the reader sees
                moved.append(["、".join(titles[nb]) or nb, where, *shown])
    return {
        "previous": {"id": old.profile.id, "title": old.profile.title, "date": old.profile.date},
        "settings": settings_rows, "parameters": parameter_rows, "vintage": vintage,
        "figures_added": sorted(new_figs - old_figs), "figures_removed": sorted(old_figs - new_figs),
        "data": data_changes, "headlines": moved,
    }


# --- site index -------------------------------------------------------------------------------------
def site_index(editions: list[dict[str, str]]) -> str:
    """The site's front page: every edition, newest first (``templates/site_index.html.j2``)."""
    newest_first = sorted(editions, key=lambda e: (e["date"], e["id"]), reverse=True)
    return str(render("site_index.html.j2", BUILDER, editions=newest_first))


def figures_index(profile: Profile, files: list[str]) -> str:
    """A page listing an edition's figure files (a static host shows no folder listings)."""
    return str(render("figures_index.html.j2", BUILDER, title=profile.title, date=profile.date, files=files))


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

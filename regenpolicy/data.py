"""Loading and validating the tables in ``data/`` against ``data/metadata.yaml``.

Every problem is reported with the file, the line, the column and what was expected, and all
problems of all tables are collected before the build stops, so one run shows the whole list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from regenpolicy import DATA_DIR

TYPES = ("string", "integer", "number", "boolean")
STATUSES = ("printed", "derived", "assumption")


@dataclass(frozen=True)
class Problem:
    """One validation failure, located as precisely as the input allows."""

    file: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataValidationError(Exception):
    """Raised with every problem found in the data directory."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the input data:\n{lines}")


@dataclass
class Column:
    name: str
    type: str
    required: bool = True
    unit: str | None = None
    description: str | None = None
    enum: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    foreign_key: str | None = None


@dataclass
class Table:
    name: str
    file: str
    title: str
    description: str
    primary_key: list[str]
    columns: list[Column]
    sources: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # version id → file (data vintages)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def load_metadata(data_dir: Path = DATA_DIR) -> dict[str, Table]:
    """Read ``metadata.yaml``; a malformed declaration is itself a validation error."""
    path = data_dir / "metadata.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataValidationError([Problem(_rel(path), f"cannot read the metadata: {exc}")]) from exc
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for name, spec in (raw or {}).get("tables", {}).items():
        try:
            columns = [Column(**c) for c in spec["columns"]]
            table = Table(
                name=name,
                file=spec["file"],
                title=spec["title"],
                description=" ".join(str(spec.get("description", "")).split()),
                primary_key=list(spec["primary_key"]),
                columns=columns,
                sources=list(spec.get("sources", [])),
                versions={str(k): str(v) for k, v in (spec.get("versions") or {}).items()},
            )
        except (KeyError, TypeError) as exc:
            problems.append(Problem(_rel(path), f"table '{name}' is declared incompletely: {exc}"))
            continue
        for col in columns:
            if col.type not in TYPES:
                problems.append(
                    Problem(_rel(path), f"table '{name}', column '{col.name}': unknown type "
                            f"'{col.type}', expected one of {', '.join(TYPES)}")
                )
        tables[name] = table
    if problems:
        raise DataValidationError(problems)
    return tables


def _rel(path: Path) -> str:
    """Paths in messages are relative to the project when possible, as a user types them."""
    try:
        return str(path.resolve().relative_to(DATA_DIR.parent.resolve()))
    except ValueError:
        return str(path)


def _decode(path: Path, raw: bytes) -> tuple[str | None, Problem | None]:
    """UTF-8 (with or without BOM) only; name Shift_JIS/CP932 when that is what Excel wrote."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = None
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            lines = text.splitlines()
            header = next(csv.reader([lines[0]])) if lines else []
            prefix = raw[: exc.start].split(b"\n")[-1].decode("cp932", errors="replace")
            index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
            column = header[index] if 0 <= index < len(header) else None
            message = (
                "the file is encoded in Shift_JIS/CP932 (as Excel saves CSV); expected UTF-8. "
                "Save it again as 'CSV UTF-8' or convert it with: "
                f"iconv -f CP932 -t UTF-8 {path.name}"
            )
        else:
            message = f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); expected UTF-8 text"
        return None, Problem(_rel(path), message, line, column)


def _convert(value: str, col: Column) -> Any:
    """Convert one cell to its declared type; ValueError carries a hint (may be empty)."""
    if col.type == "string":
        return value
    if col.type == "boolean":
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("")
    separators = " (write numbers without thousands separators)" if re.fullmatch(r"[\d,.]+", value) else ""
    if col.type == "integer":
        if re.fullmatch(r"[+-]?\d+", value):
            return int(value)
        raise ValueError(separators)
    try:
        number = float(value)
    except ValueError:
        raise ValueError(separators) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("")
    return number


def _expectation(col: Column) -> str:
    parts = []
    kind = {"integer": "an integer", "number": "a number", "string": "text", "boolean": "true/false"}[col.type]
    if col.minimum is not None and col.maximum is not None:
        parts.append(f"{kind} between {col.minimum:g} and {col.maximum:g}")
    elif col.minimum is not None:
        parts.append(f"{kind} ≥ {col.minimum:g}" if col.minimum != 0 else f"a non-negative {kind.split(' ', 1)[1]}")
    elif col.maximum is not None:
        parts.append(f"{kind} ≤ {col.maximum:g}")
    else:
        parts.append(kind)
    if col.unit:
        parts.append(f"in {col.unit}")
    return " ".join(parts)


def read_table(table: Table, data_dir: Path = DATA_DIR) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV, check it against its declaration, and return it typed."""
    path = data_dir / table.file
    rel = _rel(path)
    if not path.exists():
        return None, [Problem(rel, f"file not found; table '{table.name}' is declared in data/metadata.yaml")]
    text, problem = _decode(path, path.read_bytes())
    if problem:
        return None, [problem]
    assert text is not None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return None, [Problem(rel, "the file is empty; expected a header line", 1)]
    header = [h.strip() for h in rows[0]]
    declared = [c.name for c in table.columns]
    problems = [
        Problem(rel, f"missing column '{name}' ({_expectation(table.column(name))}); the header has: "
                f"{', '.join(header)}", 1, name)
        for name in declared if name not in header
    ]
    problems += [
        Problem(rel, f"unexpected column '{name}'; declared columns are: {', '.join(declared)}", 1, name)
        for name in header if name not in declared
    ]
    if problems:
        return None, problems

    records: list[dict[str, Any]] = []
    seen_keys: dict[tuple, int] = {}
    for offset, row in enumerate(rows[1:]):
        line = offset + 2
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(rel, f"expected {len(header)} fields, found {len(row)} "
                                         "(a comma inside a value needs double quotes)", line))
            continue
        record: dict[str, Any] = {}
        for name, cell in zip(header, row):
            col = table.column(name)
            cell = cell.strip()
            if cell == "":
                if col.required:
                    problems.append(Problem(rel, f"empty value; expected {_expectation(col)}", line, name))
                record[name] = None
                continue
            try:
                value = _convert(cell, col)
            except ValueError as hint:
                problems.append(Problem(rel, f"'{cell}' is not valid; expected {_expectation(col)}{hint}",
                                        line, name))
                record[name] = None
                continue
            if col.minimum is not None and value < col.minimum or col.maximum is not None and value > col.maximum:
                problems.append(Problem(rel, f"{cell} is out of range; expected {_expectation(col)}", line, name))
            if col.enum is not None and value not in col.enum:
                problems.append(Problem(rel, f"'{cell}' is not allowed; expected one of: "
                                             f"{', '.join(map(str, col.enum))}", line, name))
            if col.pattern is not None and not re.fullmatch(col.pattern, str(value)):
                problems.append(Problem(rel, f"'{cell}' does not match the expected form {col.pattern}", line, name))
            record[name] = value
        key = tuple(record.get(k) for k in table.primary_key)
        if None not in key:
            if key in seen_keys:
                problems.append(Problem(
                    rel, f"duplicate key {', '.join(f'{k}={v}' for k, v in zip(table.primary_key, key))}; "
                         f"it first appears on line {seen_keys[key]}; expected one row per "
                         f"{' + '.join(table.primary_key)}", line, table.primary_key[-1]))
            else:
                seen_keys[key] = line
        record["_line"] = line
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=declared + ["_line"])
    return frame, problems


@dataclass
class Dataset:
    """All validated tables, typed, with their declarations."""

    tables: dict[str, Table]
    frames: dict[str, pd.DataFrame]
    data_dir: Path

    def __getitem__(self, name: str) -> pd.DataFrame:
        record_read(name)
        return self.frames[name].drop(columns="_line")

    def sources_for(self, *names: str, frame_sources: bool = True) -> pd.DataFrame:
        """The rows of ``sources`` cited by the given tables (declared, and per row unless not wanted)."""
        ids: list[str] = []
        for name in names:
            record_read(name)
            ids += self.tables[name].sources
            if frame_sources and "source_id" in self.frames[name]:
                ids += list(self.frames[name]["source_id"].dropna())
        return self.sources_by_id(ids)

    def sources_by_id(self, ids) -> pd.DataFrame:
        """The rows of ``sources`` for the given ids, each once, in the order first given."""
        record_read("sources")
        sources = self.frames["sources"].drop(columns="_line").set_index("source_id")
        ordered = [i for i in dict.fromkeys(ids) if isinstance(i, str) and i in sources.index]
        return sources.loc[ordered].reset_index()

    def table_hash(self, name: str) -> str:
        """Content hash of a table: its file's bytes and its declaration in metadata.yaml."""
        table = self.tables[name]
        digest = hashlib.sha256((self.data_dir / table.file).read_bytes())
        digest.update(repr(table).encode("utf-8"))
        return digest.hexdigest()


def record_read(name: str) -> None:
    """Note that the running notebook read table ``name``.

    The build sets ``REGEN_DEPS_FILE`` while it executes a notebook; the tables listed there are
    what the notebook's cached result depends on.
    """
    path = os.environ.get("REGEN_DEPS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(name + "\n")


def versions_from_env() -> dict[str, str]:
    """Table versions chosen by the build for the running notebook (``REGEN_DATA_VERSIONS``)."""
    raw = os.environ.get("REGEN_DATA_VERSIONS")
    return json.loads(raw) if raw else {}


def select_versions(tables: dict[str, Table], versions: dict[str, str], origin: str) -> dict[str, Table]:
    """The tables with the chosen version's file in place of the current one.

    A table's versions are declared in metadata.yaml (``versions: {id: file}``); ``current``
    always names the table's own file.
    """
    problems = []
    chosen = dict(tables)
    for name, version in versions.items():
        if name not in tables:
            problems.append(Problem(origin, f"data_vintage names unknown table '{name}'; tables: "
                                            f"{', '.join(sorted(tables))}"))
        elif version != "current" and version not in tables[name].versions:
            known = ", ".join(["current", *tables[name].versions])
            problems.append(Problem(origin, f"data_vintage: table '{name}' has no version '{version}'; "
                                            f"declared versions: {known}"))
        elif version != "current":
            chosen[name] = replace(tables[name], file=tables[name].versions[version])
    if problems:
        raise DataValidationError(problems)
    return chosen


def load_dataset(data_dir: Path = DATA_DIR, versions: dict[str, str] | None = None) -> Dataset:
    """Validate every declared table (in the chosen versions) and its foreign keys.

    Raises with all problems found. Without ``versions``, the versions the build chose for the
    running notebook are used, else the current files.
    """
    data_dir = Path(data_dir)
    tables = load_metadata(data_dir)
    versions = versions_from_env() if versions is None else versions
    tables = select_versions(tables, versions, _rel(data_dir / "metadata.yaml"))
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table in tables.values():
        frame, found = read_table(table, data_dir)
        problems += found
        if frame is not None:
            frames[table.name] = frame
    for table in tables.values():
        if table.name not in frames:
            continue
        for col in table.columns:
            if not col.foreign_key:
                continue
            target_table, target_col = col.foreign_key.split(".")
            if target_table not in frames:
                continue
            allowed = set(frames[target_table][target_col].dropna())
            target_file = _rel(data_dir / tables[target_table].file)
            for line, value in zip(frames[table.name]["_line"], frames[table.name][col.name]):
                if not pd.isna(value) and value not in allowed:
                    what = "fee code" if target_table == "fee_schedule" else f"{target_col}"
                    problems.append(Problem(
                        _rel(data_dir / table.file),
                        f"unknown {what} '{value}'; expected one of the {target_col} values in "
                        f"{target_file}: {', '.join(sorted(map(str, allowed)))}", line, col.name))
    if problems:
        raise DataValidationError(problems)
    return Dataset(tables=tables, frames=frames, data_dir=data_dir)

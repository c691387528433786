"""Loading and validating the tables in ``data/`` against ``data/metadata.yaml``.

Every problem is reported with the file, the line, the column and what was expected, and all
problems of all tables are collected before the build stops, so one run shows the whole list.

Each file is read once, as bytes: the bytes that were validated are the bytes that are hashed,
so a table's hash always describes the frame built from it (see ``regenpolicy.data.snapshot``).
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import yaml

from regenpolicy.data.text import formula_like, is_web_url, printable

# string: one line of text; text: text that may hold line breaks (shown as line breaks);
# date: YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date; url: an http(s) address.
TYPES = ("string", "text", "integer", "number", "boolean", "date", "url")
MAX_FILE_BYTES = 20 * 1024 * 1024  # a table is hand-edited: anything larger is a mistake
ALL_TABLES = "*"  # what a reader of the whole catalogue (the data appendix) declares it reads


@dataclass(frozen=True)
class Problem:
    """One validation failure, located as precisely as the input allows."""

    file: str
    message: str
    line: int | None = None
    column: str | int | None = None  # a table's column name, or a character position (YAML)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if isinstance(self.column, int):
            where += f", column {self.column}"
        elif self.column is not None:
            where += f", column '{self.column}'"
        return printable(f"{where}: {self.message}")  # one line, whatever the file name and message quote


class DataValidationError(Exception):
    """Raised with every problem found in the data directory."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the input data:\n{lines}")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    unit: str | None = None
    description: str | None = None
    enum: tuple[Any, ...] | None = None
    complete: bool = False  # every value of ``enum`` must occur (the models need each one)
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    foreign_key: str | None = None

    @property
    def free_text(self) -> bool:
        """Text whose content nothing constrains: what a hostile or careless edit can fill."""
        return (self.type in ("string", "text") and self.enum is None and self.pattern is None
                and self.foreign_key is None)


@dataclass(frozen=True)
class Table:
    name: str
    file: str
    title: str
    description: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    sources: tuple[str, ...] = ()
    versions: tuple[tuple[str, str], ...] = ()  # (version id, file): data vintages
    min_rows: int = 1  # a figure that reads the table needs at least this many rows

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def version_files(self) -> dict[str, str]:
        return dict(self.versions)


def project_relative(path: Path, data_dir: Path) -> str:
    """Paths in messages are relative to the project (the data folder's parent), as a user types them."""
    try:  # absolute, not resolved: a symbolic link is named as the user sees it
        return str(Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(data_dir)).parent))  # noqa: PTH100
    except ValueError:
        return str(path)


def read_input(path: Path, data_dir: Path) -> tuple[bytes | None, Problem | None]:
    """The bytes of an input file, refusing what is not a regular file of a sane size.

    A symbolic link could make the build read any file of the machine into the report, and a
    folder or a device is a mistake: each is reported with its path instead of a traceback.
    """
    rel = project_relative(path, data_dir)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, Problem(rel, "file not found")
    except OSError as exc:
        return None, Problem(rel, f"cannot be read: {exc.strerror}")
    if stat.S_ISLNK(info.st_mode):
        return None, Problem(rel, "is a symbolic link; expected a regular file inside data/ (copy the file instead)")
    if stat.S_ISDIR(info.st_mode):
        return None, Problem(rel, "is a folder; expected a CSV file")
    if not stat.S_ISREG(info.st_mode):
        return None, Problem(rel, "is not a regular file; expected a CSV file")
    if info.st_size > MAX_FILE_BYTES:
        return None, Problem(rel, f"is {info.st_size:,} bytes; expected a table under {MAX_FILE_BYTES:,} bytes")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        return None, Problem(rel, f"cannot be read: {exc.strerror}")
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_FILE_BYTES + 1), None


def yaml_problem(origin: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error located at its line and column."""
    mark = getattr(exc, "problem_mark", None)
    what = " ".join(str(getattr(exc, "problem", "") or exc).split())
    context = getattr(exc, "context", None)
    if mark is None:
        return Problem(origin, f"not valid YAML: {what}")
    return Problem(origin, f"not valid YAML: {what}" + (f" ({context})" if context else ""),
                   mark.line + 1, mark.column + 1)


def _safe_file(name: Any) -> str | None:
    """A table's file as declared: a relative path below data/, never outside it."""
    if not isinstance(name, str) or not name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or path.suffix != ".csv":
        return None
    return str(path)


COLUMN_KEYS = {f.name for f in fields(Column)}
TABLE_KEYS = {"file", "title", "description", "primary_key", "columns", "sources", "versions", "min_rows"}


def _column(raw: Any, where: str, problems: list[Problem], origin: str) -> Column | None:
    if not isinstance(raw, dict) or "name" not in raw or "type" not in raw:
        problems.append(Problem(origin, f"{where}: a column needs at least 'name' and 'type'"))
        return None
    unknown = set(raw) - COLUMN_KEYS
    if unknown:
        problems.append(Problem(origin, f"{where}, column '{raw['name']}': unknown key(s) {', '.join(sorted(unknown))}; "
                                        f"expected: {', '.join(sorted(COLUMN_KEYS))}"))
        return None
    if raw["type"] not in TYPES:
        problems.append(Problem(origin, f"{where}, column '{raw['name']}': unknown type '{raw['type']}', "
                                        f"expected one of {', '.join(TYPES)}"))
        return None
    if raw.get("pattern") is not None:
        try:
            re.compile(raw["pattern"])
        except re.error as exc:
            problems.append(Problem(origin, f"{where}, column '{raw['name']}': pattern is not a regular expression: {exc}"))
            return None
    values = dict(raw)
    if values.get("enum") is not None:
        values["enum"] = tuple(values["enum"])
    return Column(**values)


def load_metadata(data_dir: Path, raw_bytes: bytes | None = None) -> dict[str, Table]:
    """Read ``metadata.yaml`` (or check ``raw_bytes``, its content as already read); a malformed
    declaration is itself a validation error."""
    path = data_dir / "metadata.yaml"
    origin = project_relative(path, data_dir)
    if raw_bytes is None:
        raw_bytes = read_metadata(data_dir)
    try:
        raw = yaml.safe_load((raw_bytes or b"").decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataValidationError([Problem(origin, f"not UTF-8 text: {exc}")]) from exc
    except yaml.YAMLError as exc:
        raise DataValidationError([yaml_problem(origin, exc)]) from exc
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    specs = (raw or {}).get("tables") if isinstance(raw, dict) else None
    if not isinstance(specs, dict):
        raise DataValidationError([Problem(origin, "expected a mapping 'tables:' of table declarations")])
    for name, spec in specs.items():
        where = f"table '{name}'"
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append(Problem(origin, f"{where}: table names are lowercase letters, digits and '_'"))
            continue
        if not isinstance(spec, dict):
            problems.append(Problem(origin, f"{where}: expected a mapping"))
            continue
        missing = [k for k in ("file", "title", "primary_key", "columns") if k not in spec]
        unknown = set(spec) - TABLE_KEYS
        if missing or unknown:
            problems.append(Problem(origin, f"{where} is declared incompletely: "
                                    + (f"missing {', '.join(missing)}" if missing else "")
                                    + ("; " if missing and unknown else "")
                                    + (f"unknown key(s) {', '.join(sorted(unknown))}" if unknown else "")))
            continue
        columns = [_column(c, where, problems, origin) for c in spec["columns"] or []]
        if None in columns or not columns:
            if not columns:
                problems.append(Problem(origin, f"{where}: no columns declared"))
            continue
        versions = spec.get("versions") or {}
        files = [spec["file"], *versions.values()]
        bad = [f for f in files if _safe_file(f) is None]
        if bad:
            problems.append(Problem(origin, f"{where}: file {bad[0]!r} must be a relative path to a .csv file "
                                            "inside data/ (no '..', no absolute path)"))
            continue
        names = [c.name for c in columns if c is not None]
        key = list(spec["primary_key"] or [])
        if not key or any(k not in names for k in key):
            problems.append(Problem(origin, f"{where}: primary_key {key} must name declared columns"))
            continue
        min_rows = spec.get("min_rows", 1)
        if not isinstance(min_rows, int) or isinstance(min_rows, bool) or min_rows < 0:
            problems.append(Problem(origin, f"{where}: min_rows must be a non-negative integer"))
            continue
        tables[name] = Table(
            name=name, file=str(spec["file"]), title=str(spec["title"]),
            description=" ".join(str(spec.get("description", "")).split()),
            primary_key=tuple(key), columns=tuple(c for c in columns if c is not None),
            sources=tuple(spec.get("sources") or ()),
            versions=tuple((str(k), str(v)) for k, v in versions.items()), min_rows=min_rows,
        )
    for table in tables.values():
        for col in table.columns:
            if col.foreign_key:
                target, _, target_col = col.foreign_key.partition(".")
                if target not in tables or target_col not in [c.name for c in tables[target].columns]:
                    problems.append(Problem(origin, f"table '{table.name}', column '{col.name}': foreign_key "
                                                    f"'{col.foreign_key}' names no declared table.column"))
    if problems:
        raise DataValidationError(problems)
    return tables


def read_metadata(data_dir: Path) -> bytes:
    """The bytes of ``metadata.yaml``, read once: what is validated is what is shipped."""
    raw_bytes, problem = read_input(data_dir / "metadata.yaml", data_dir)
    if problem:
        raise DataValidationError([problem])
    return raw_bytes or b""


def _decode(rel: str, name: str, raw: bytes) -> tuple[str | None, Problem | None]:
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
                f"iconv -f CP932 -t UTF-8 {name}"
            )
        else:
            message = f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); expected UTF-8 text"
        return None, Problem(rel, message, line, column)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


FORMULA_HINT = (" (it begins like a spreadsheet formula: =, +, -, @ or |, also full-width or after spaces or "
                "invisible characters; a spreadsheet opening the published data would run it. Reword the "
                "beginning, e.g. 「マイナス」 for a leading minus)")


def is_calendar_date(value: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD that names a real year, month or day (no 2023-02-30)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not m:
        return False
    year, month, day = (int(g) if g else None for g in m.groups())
    if month is not None and not 1 <= month <= 12:
        return False
    return day is None or month is None or 1 <= day <= calendar.monthrange(year or 1, month)[1]


def _convert(value: str, col: Column) -> Any:
    """Convert one cell to its declared type; ValueError carries a hint (may be empty)."""
    if col.type in ("string", "text"):
        if CONTROL.search(value if col.type == "text" else value.replace("\t", " ")):
            raise ValueError(" (the cell holds a control character)")
        if col.type == "string" and ("\n" in value or "\r" in value):
            raise ValueError(" (a line break in a one-line text column; declare the column as type text "
                             "if the value needs line breaks)")
        if formula_like(value):
            raise ValueError(FORMULA_HINT)
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if col.type == "date":
        if is_calendar_date(value):
            return value
        raise ValueError(" (YYYY, YYYY-MM or YYYY-MM-DD, a date that exists)")
    if col.type == "url":
        if is_web_url(value):
            return value
        raise ValueError(" (an address starting with http:// or https://)")
    if col.type == "boolean":
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("")
    separators = " (write numbers without thousands separators)" if re.fullmatch(r"[\d,.]+", value) else ""
    if col.type == "integer":
        if re.fullmatch(r"[+-]?\d{1,15}", value):
            return int(value)
        raise ValueError(separators)
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value):
        raise ValueError(separators)
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(" (a finite number)")
    return number


def _expectation(col: Column) -> str:
    kind = {"integer": "an integer", "number": "a number", "string": "one line of text", "text": "text",
            "boolean": "true/false", "date": "a date", "url": "a web address"}[col.type]
    if col.minimum is not None and col.maximum is not None:
        text = f"{kind} between {col.minimum:g} and {col.maximum:g}"
    elif col.minimum is not None:
        text = f"{kind} ≥ {col.minimum:g}" if col.minimum != 0 else f"a non-negative {kind.split(' ', 1)[1]}"
    elif col.maximum is not None:
        text = f"{kind} ≤ {col.maximum:g}"
    else:
        text = kind
    return f"{text} in {col.unit}" if col.unit else text


def parse_table(table: Table, raw: bytes, rel: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check one CSV's bytes against its declaration and return it typed (with a ``_line`` column)."""
    text, problem = _decode(rel, PurePosixPath(table.file).name, raw)
    if problem:
        return None, [problem]
    assert text is not None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return None, [Problem(rel, f"not a readable CSV file: {exc}")]
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
    problems += [
        Problem(rel, f"column name {name!r} begins like a spreadsheet formula; expected a plain name", 1, name)
        for name in header if formula_like(name)
    ]
    if len(set(header)) != len(header):
        problems.append(Problem(rel, "a column name appears twice in the header", 1))
    if problems:
        return None, problems

    records: list[dict[str, Any]] = []
    seen_keys: dict[tuple[Any, ...], int] = {}
    next_line = 2
    for row in rows[1:]:
        line = next_line
        next_line += 1 + sum(cell.count("\n") for cell in row)  # a quoted line break moves later rows down
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(rel, f"expected {len(header)} fields, found {len(row)} "
                                         "(a comma inside a value needs double quotes)", line))
            continue
        record: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            col = table.column(name)
            cell = cell.strip()
            if cell == "":
                if col.required:
                    problems.append(Problem(rel, f"empty value; expected {_expectation(col)}", line, name))
                record[name] = None
                continue
            shown = cell if len(cell) <= 60 else cell[:57] + "…"
            try:
                value = _convert(cell, col)
            except ValueError as hint:
                problems.append(Problem(rel, f"{shown!r} is not valid; expected {_expectation(col)}{hint}",
                                        line, name))
                record[name] = None
                continue
            if (col.minimum is not None and value < col.minimum) or (col.maximum is not None and value > col.maximum):
                problems.append(Problem(rel, f"{cell} is out of range; expected {_expectation(col)}", line, name))
            if col.enum is not None and value not in col.enum:
                problems.append(Problem(rel, f"{shown!r} is not allowed; expected one of: "
                                             f"{', '.join(map(str, col.enum))}", line, name))
            if col.pattern is not None and not re.fullmatch(col.pattern, str(value)):
                problems.append(Problem(rel, f"{shown!r} does not match the expected form {col.pattern}", line, name))
            record[name] = value
        key = tuple(record.get(k) for k in table.primary_key)
        if None not in key:
            if key in seen_keys:
                problems.append(Problem(
                    rel, f"duplicate key {', '.join(f'{k}={v}' for k, v in zip(table.primary_key, key, strict=True))}; "
                         f"it first appears on line {seen_keys[key]}; expected one row per "
                         f"{' + '.join(table.primary_key)}", line, table.primary_key[-1]))
            else:
                seen_keys[key] = line
        record["_line"] = line
        records.append(record)
    if len(records) < table.min_rows:
        problems.append(Problem(rel, f"the table has {len(records)} data row(s); expected at least {table.min_rows} "
                                     "(the figures that read it need them)", 2 if len(rows) > 1 else 1))
    for col in table.columns:
        if col.complete and col.enum is not None:
            present = {r.get(col.name) for r in records}
            absent = [v for v in col.enum if v not in present]
            if absent:
                problems.append(Problem(rel, f"no row for {', '.join(map(str, absent))}; expected a row for each of: "
                                             f"{', '.join(map(str, col.enum))}", None, col.name))
    frame = pd.DataFrame.from_records(records, columns=[*declared, "_line"])
    return frame, problems


def table_hash(table: Table, raw: bytes) -> str:
    """Content hash of a table: the validated file's bytes and its declaration in metadata.yaml."""
    digest = hashlib.sha256(raw)
    digest.update(repr(table).encode("utf-8"))
    return digest.hexdigest()


class UndeclaredRead(KeyError):
    """A notebook read a table that its front matter does not declare."""


@dataclass
class Dataset:
    """Validated tables, typed, with their declarations and content hashes.

    ``on_read`` (set for a notebook's run) is told the name of every table read, and ``allowed``
    limits the tables it may read: what a notebook reads must be what it declares.
    """

    tables: dict[str, Table]
    frames: Mapping[str, pd.DataFrame]
    hashes: dict[str, str]
    data_dir: Path
    on_read: Callable[[str], None] | None = field(default=None, repr=False)
    allowed: frozenset[str] | None = None
    # The bytes that were validated, read once at the start of the build: what the data zip ships
    # and the stamp hashes (empty in a notebook's snapshot, which holds the typed frames only).
    raw: dict[str, bytes] = field(default_factory=dict, repr=False)
    metadata: bytes = field(default=b"", repr=False)

    def _read(self, name: str) -> None:
        if name not in self.tables:
            raise KeyError(f"no table '{name}' in data/metadata.yaml (tables: {', '.join(sorted(self.tables))})")
        if self.allowed is not None and name not in self.allowed:
            raise UndeclaredRead(f"table '{name}' is not among the tables this notebook declares "
                                 f"(regenpolicy.tables in its front matter: {', '.join(sorted(self.allowed))})")
        if self.on_read is not None:
            self.on_read(name)

    def __getitem__(self, name: str) -> pd.DataFrame:
        self._read(name)
        return self.frames[name].drop(columns="_line")

    def table(self, name: str) -> Table:
        """The declaration of one table (a read of that table)."""
        self._read(name)
        return self.tables[name]

    def catalog(self) -> dict[str, Table]:
        """Every table's declaration: a read of every table, including tables added later."""
        if self.allowed is not None and ALL_TABLES not in self.allowed:
            raise UndeclaredRead(f"reading the whole catalogue needs 'tables: \"{ALL_TABLES}\"' in the front matter")
        if self.on_read is not None:
            self.on_read(ALL_TABLES)
        return dict(self.tables)

    def sources_for(self, *names: str, frame_sources: bool = True) -> pd.DataFrame:
        """The rows of ``sources`` cited by the given tables (declared, and per row unless not wanted)."""
        ids: list[str] = []
        for name in names:
            self._read(name)
            ids += self.tables[name].sources
            frame = self.frames[name]
            if frame_sources and "source_id" in frame:
                ids += list(frame["source_id"].dropna())
        return self.sources_by_id(ids)

    def sources_by_id(self, ids: Iterable[Any]) -> pd.DataFrame:
        """The rows of ``sources`` for the given ids, each once, in the order first given."""
        sources = self["sources"].set_index("source_id")
        ordered = [i for i in dict.fromkeys(ids) if isinstance(i, str) and i in sources.index]
        return sources.loc[ordered].reset_index()

    def table_hash(self, name: str) -> str:
        return self.hashes[name]

    def files(self) -> dict[str, bytes]:
        """Every data file as validated, by its path in the project (``data/metadata.yaml``,
        ``data/<file>``): what the data zip ships and the stamp lists with its ``sha256sum``."""
        files = {"data/metadata.yaml": self.metadata}
        for name in sorted(self.raw, key=lambda n: self.tables[n].file):
            files[f"data/{self.tables[name].file}"] = self.raw[name]
        return files


def select_versions(tables: dict[str, Table], versions: Mapping[str, str], origin: str) -> dict[str, Table]:
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
        elif version != "current" and version not in tables[name].version_files:
            known = ", ".join(["current", *tables[name].version_files])
            problems.append(Problem(origin, f"data_vintage: table '{name}' has no version '{version}'; "
                                            f"declared versions: {known}"))
        elif version != "current":
            chosen[name] = replace(tables[name], file=tables[name].version_files[version])
    if problems:
        raise DataValidationError(problems)
    return chosen


def load_dataset(data_dir: Path, versions: Mapping[str, str] | None = None, origin: str | None = None) -> Dataset:
    """Validate every declared table (in the chosen versions) and its foreign keys.

    Raises with all problems found. ``origin`` names what chose the versions (a profile) in messages.
    """
    data_dir = Path(data_dir)
    metadata = read_metadata(data_dir)
    tables = load_metadata(data_dir, metadata)
    meta = project_relative(data_dir / "metadata.yaml", data_dir)
    tables = select_versions(tables, versions or {}, origin or meta)
    frames: dict[str, pd.DataFrame] = {}
    hashes: dict[str, str] = {}
    raws: dict[str, bytes] = {}
    problems: list[Problem] = []
    for table in tables.values():
        path = data_dir / table.file
        raw, problem = read_input(path, data_dir)
        if problem:
            problems.append(replace(problem, message=f"{problem.message}; table '{table.name}' is declared in "
                                                      f"data/metadata.yaml"))
            continue
        assert raw is not None
        frame, found = parse_table(table, raw, project_relative(path, data_dir))
        problems += found
        if frame is not None:
            frames[table.name] = frame
            hashes[table.name] = table_hash(table, raw)
            raws[table.name] = raw
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
            target_file = project_relative(data_dir / tables[target_table].file, data_dir)
            for line, value in zip(frames[table.name]["_line"], frames[table.name][col.name], strict=True):
                if not pd.isna(value) and value not in allowed:
                    what = "fee code" if target_table == "fee_schedule" else f"{target_col}"
                    problems.append(Problem(
                        project_relative(data_dir / table.file, data_dir),
                        f"unknown {what} '{value}'; expected one of the {target_col} values in "
                        f"{target_file}: {', '.join(sorted(map(str, allowed)))}", int(line), col.name))
    if problems:
        raise DataValidationError(problems)
    return Dataset(tables=tables, frames=frames, hashes=hashes, data_dir=data_dir, raw=raws, metadata=metadata)

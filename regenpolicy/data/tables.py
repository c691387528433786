"""Loading and validating the tables in ``data/`` against their declarations (``metadata.py``).

Every problem is reported with the file, the line, the column and what was expected, and all
problems of all tables are collected before the build stops, so one run shows the whole list
(the first ``MAX_PROBLEMS`` of it, and a count of the rest).

Each file is read once, as bytes: the bytes that were validated are the bytes that are hashed,
so a table's hash always describes the frame built from it (see ``regenpolicy.data.snapshot``).
What is checked here is what the declaration's schema cannot say: the CSV's bytes (UTF-8, or
the Shift_JIS that Excel writes, named as such), the line of each row, the cell conversions
whose messages users read, keys, foreign keys, and the size bounds of ``limits.py``.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import os
import re
import stat
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from regenpolicy.data.limits import MAX_CELL_CHARS, MAX_CELLS, MAX_FILE_BYTES, MAX_PROBLEMS, MAX_ROWS
from regenpolicy.data.metadata import Column, Table, parse_metadata, project_relative
from regenpolicy.data.paths import OutsideError, inside
from regenpolicy.data.problems import DataValidationError, Problem
from regenpolicy.data.text import formula_like, is_web_url

ALL_TABLES = "*"  # what a reader of the whole catalogue (the data appendix) declares it reads


def read_input(path: Path, data_dir: Path) -> tuple[bytes | None, Problem | None]:
    """The bytes of an input file inside ``data_dir``, refusing what is not a regular file of a sane size.

    The path is resolved through every symbolic link on the way: one that leads outside data/
    (on the file, on a folder above it, or at the end of a chain) could put any file of the
    machine into the report. A folder or a device is a mistake. Each is reported with its path.
    """
    rel = project_relative(path, data_dir)
    try:
        real = inside(data_dir, PurePosixPath(Path(path).relative_to(data_dir)).as_posix())
    except (OutsideError, ValueError) as exc:
        why = exc.why if isinstance(exc, OutsideError) else "is not inside data/"
        return None, Problem(rel, f"{why}; expected a regular file inside data/ (copy the file instead)")
    try:
        info = real.stat()
    except FileNotFoundError:
        return None, Problem(rel, "file not found")
    except OSError as exc:
        return None, Problem(rel, f"cannot be read: {exc.strerror}")
    if stat.S_ISDIR(info.st_mode):
        return None, Problem(rel, "is a folder; expected a CSV file")
    if not stat.S_ISREG(info.st_mode):
        return None, Problem(rel, "is not a regular file; expected a CSV file")
    too_big = Problem(rel, f"is over {MAX_FILE_BYTES:,} bytes; expected a table of at most {MAX_FILE_BYTES:,} bytes")
    if info.st_size > MAX_FILE_BYTES:
        return None, too_big
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        return None, Problem(rel, f"cannot be read: {exc.strerror}")
    with os.fdopen(fd, "rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    return (None, too_big) if len(raw) > MAX_FILE_BYTES else (raw, None)


def load_metadata(data_dir: Path, raw_bytes: bytes | None = None) -> dict[str, Table]:
    """Read ``metadata.yaml`` (or check ``raw_bytes``, its content as already read); a malformed
    declaration is itself a validation error."""
    path = Path(data_dir) / "metadata.yaml"
    if raw_bytes is None:
        raw_bytes = read_metadata(data_dir)
    return parse_metadata(raw_bytes, project_relative(path, data_dir), Path(data_dir))


def read_metadata(data_dir: Path) -> bytes:
    """The bytes of ``metadata.yaml``, read once: what is validated is what is shipped."""
    raw_bytes, problem = read_input(Path(data_dir) / "metadata.yaml", data_dir)
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


def _text(value: str, kind: str) -> str:
    if CONTROL.search(value if kind == "text" else value.replace("\t", " ")):
        raise ValueError(" (the cell holds a control character)")
    if kind == "string" and ("\n" in value or "\r" in value):
        raise ValueError(" (a line break in a one-line text column; declare the column as type text "
                         "if the value needs line breaks)")
    if formula_like(value):
        raise ValueError(FORMULA_HINT)
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _checked(test: Callable[[str], bool], hint: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if test(value):
            return value
        raise ValueError(hint)
    return convert


def _boolean(value: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("")


def _number(value: str, integer: bool) -> float | int:
    if integer and re.fullmatch(r"[+-]?\d{1,15}", value):
        return int(value)
    if not integer and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value):
        number = float(value)
        if number == number and number not in (float("inf"), float("-inf")):
            return number
        raise ValueError(" (a finite number)")
    raise ValueError(" (write numbers without thousands separators)" if re.fullmatch(r"[\d,.]+", value) else "")


CONVERT: dict[str, Callable[[str], Any]] = {
    "string": lambda v: _text(v, "string"),
    "text": lambda v: _text(v, "text"),
    "date": _checked(is_calendar_date, " (YYYY, YYYY-MM or YYYY-MM-DD, a date that exists)"),
    "url": _checked(is_web_url, " (an address starting with http:// or https://)"),
    "boolean": _boolean,
    "integer": lambda v: _number(v, integer=True),
    "number": lambda v: _number(v, integer=False),
}
KIND = {"integer": "an integer", "number": "a number", "string": "one line of text", "text": "text",
        "boolean": "true/false", "date": "a date", "url": "a web address"}


def _expectation(col: Column) -> str:
    kind = KIND[col.type]
    if col.minimum is not None and col.maximum is not None:
        text = f"{kind} between {col.minimum:g} and {col.maximum:g}"
    elif col.minimum is not None:
        text = f"{kind} ≥ {col.minimum:g}" if col.minimum != 0 else f"a non-negative {kind.split(' ', 1)[1]}"
    elif col.maximum is not None:
        text = f"{kind} ≤ {col.maximum:g}"
    else:
        text = kind
    return f"{text} in {col.unit}" if col.unit else text


def _rows(text: str, rel: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """The CSV's rows with the line each starts on, within the bounds of ``limits.py``."""
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    line, cells = 1, 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return rows, []
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                return rows, [Problem(rel, f"a cell is longer than {MAX_CELL_CHARS:,} characters; "
                                           f"expected at most {MAX_CELL_CHARS:,}", line)]
            return rows, [Problem(rel, f"not a readable CSV file: {exc}", line)]
        rows.append((line, row))
        cells += len(row)
        if len(rows) > MAX_ROWS + 1 or cells > MAX_CELLS:
            return rows, [Problem(rel, f"more than {MAX_ROWS:,} rows or {MAX_CELLS:,} cells; expected a table "
                                       f"of at most {MAX_ROWS:,} data rows and {MAX_CELLS:,} cells", line)]
        line += 1 + sum(cell.count("\n") for cell in row)  # a quoted line break moves later rows down


def _header_problems(table: Table, header: list[str], rel: str) -> list[Problem]:
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
    return problems


def _cell(col: Column, cell: str, line: int, rel: str) -> tuple[Any, list[Problem]]:
    """One cell's value of its declared type, and what is wrong with it."""
    def problem(message: str) -> list[Problem]:
        return [Problem(rel, message, line, col.name)]

    if cell == "":
        return None, problem(f"empty value; expected {_expectation(col)}") if col.required else []
    if len(cell) > MAX_CELL_CHARS:
        return None, problem(f"a cell of {len(cell):,} characters; expected at most {MAX_CELL_CHARS:,}")
    shown = cell if len(cell) <= 60 else cell[:57] + "…"
    try:
        value = CONVERT[col.type](cell)
    except ValueError as hint:
        return None, problem(f"{shown!r} is not valid; expected {_expectation(col)}{hint}")
    problems = []
    if (col.minimum is not None and value < col.minimum) or (col.maximum is not None and value > col.maximum):
        problems += problem(f"{cell} is out of range; expected {_expectation(col)}")
    if col.enum is not None and value not in col.enum:
        problems += problem(f"{shown!r} is not allowed; expected one of: {', '.join(map(str, col.enum))}")
    if not col.matches(str(value)):
        problems += problem(f"{shown!r} does not match the expected form {col.pattern}")
    return value, problems


def _coverage(table: Table, records: list[dict[str, Any]], rel: str, lines: int) -> list[Problem]:
    """Enough rows, and a row for every value of a ``complete`` enum."""
    problems = []
    if len(records) < table.min_rows:
        problems.append(Problem(rel, f"the table has {len(records)} data row(s); expected at least {table.min_rows} "
                                     "(the figures that read it need them)", 2 if lines > 1 else 1))
    for col in table.columns:
        if col.complete and col.enum is not None:
            present = {r.get(col.name) for r in records}
            absent = [v for v in col.enum if v not in present]
            if absent:
                problems.append(Problem(rel, f"no row for {', '.join(map(str, absent))}; expected a row for each of: "
                                             f"{', '.join(map(str, col.enum))}", None, col.name))
    return problems


def _record(table: Table, header: list[str], row: list[str], line: int, rel: str,
            seen: dict[tuple[Any, ...], int]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One row's values, typed, with what is wrong with them (a key seen before included)."""
    if len(row) != len(header):
        return None, [Problem(rel, f"expected {len(header)} fields, found {len(row)} "
                                   "(a comma inside a value needs double quotes)", line)]
    record: dict[str, Any] = {"_line": line}
    problems: list[Problem] = []
    for name, cell in zip(header, row, strict=True):
        record[name], found = _cell(table.column(name), cell.strip(), line, rel)
        problems += found
    key = tuple(record[k] for k in table.primary_key)
    if None not in key and seen.setdefault(key, line) != line:
        pairs = ", ".join(f"{k}={v}" for k, v in zip(table.primary_key, key, strict=True))
        problems.append(Problem(rel, f"duplicate key {pairs}; it first appears on line {seen[key]}; expected one row "
                                     f"per {' + '.join(table.primary_key)}", line, table.primary_key[-1]))
    return record, problems


# Tables already parsed in this process, by declaration, bytes and name: a long-lived process (preview, a
# site of several editions, the tests) reads the same unchanged files again and again. Bounded by entries
# and by bytes; each caller gets its own copy of the frame, so no caller sees another's changes.
_PARSED: OrderedDict[tuple[str, bytes, str], tuple[pd.DataFrame | None, tuple[Problem, ...], int]] = OrderedDict()
PARSED_MAX_ENTRIES = 256
PARSED_MAX_BYTES = 64 * 2**20


def parse_table(table: Table, raw: bytes, rel: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check one CSV's bytes against its declaration and return it typed (with a ``_line`` column).

    The same declaration, bytes and name give the same answer, so it is remembered (``_PARSED``)."""
    key = (table.model_dump_json(), hashlib.sha256(raw).digest(), rel)
    hit = _PARSED.get(key)
    if hit is None:
        parsed, found = _parse_table(table, raw, rel)
        hit = (parsed, tuple(found), len(raw))
        _PARSED[key] = hit
        while len(_PARSED) > PARSED_MAX_ENTRIES or sum(h[2] for h in _PARSED.values()) > PARSED_MAX_BYTES:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(key)
    frame, kept, _ = hit
    return (None if frame is None else frame.copy(deep=True)), list(kept)


def _parse_table(table: Table, raw: bytes, rel: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    text, problem = _decode(rel, PurePosixPath(table.file).name, raw)
    if problem:
        return None, [problem]
    rows, problems = _rows(text or "", rel)
    if not rows and not problems:
        problems = [Problem(rel, "the file is empty; expected a header line", 1)]
    header = [h.strip() for h in rows[0][1]] if rows else []
    problems = problems or _header_problems(table, header, rel)
    if problems:
        return None, problems
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}  # primary key → the line it first appears on
    for line, row in rows[1:]:
        if any(cell.strip() for cell in row):
            record, found = _record(table, header, row, line, rel, seen)
            problems += found
            records += [record] if record is not None else []
    problems += _coverage(table, records, rel, len(rows))
    return pd.DataFrame.from_records(records, columns=[*(c.name for c in table.columns), "_line"]), problems


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
            chosen[name] = tables[name].model_copy(update={"file": tables[name].version_files[version]})
    if problems:
        raise DataValidationError(problems)
    return chosen


def _foreign_keys(tables: dict[str, Table], frames: dict[str, pd.DataFrame], data_dir: Path) -> Iterable[Problem]:
    """Each value of a column declared ``foreign_key: table.column`` is one of that column's values."""
    for table in tables.values():
        for col in table.columns:
            target_table, _, target_col = (col.foreign_key or "").partition(".")
            if table.name not in frames or target_table not in frames:
                continue
            allowed = {v for v in frames[target_table][target_col].tolist() if not pd.isna(v)}
            target_file = project_relative(data_dir / tables[target_table].file, data_dir)
            what = "fee code" if target_table == "fee_schedule" else target_col
            frame = frames[table.name]
            for line, value in zip(frame["_line"].tolist(), frame[col.name].tolist(), strict=True):
                if value not in allowed and not pd.isna(value):
                    yield Problem(project_relative(data_dir / table.file, data_dir),
                                  f"unknown {what} '{value}'; expected one of the {target_col} values in "
                                  f"{target_file}: {', '.join(sorted(map(str, allowed)))}", int(line), col.name)


def load_dataset(data_dir: Path, versions: Mapping[str, str] | None = None, origin: str | None = None) -> Dataset:
    """Validate every declared table (in the chosen versions) and its foreign keys.

    Raises with all problems found (the first ``MAX_PROBLEMS`` of each table kept, the rest
    counted). ``origin`` names what chose the versions (a profile) in messages.
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
    omitted = 0
    for table in tables.values():
        raw, problem = read_input(data_dir / table.file, data_dir)
        if problem:
            problems.append(Problem(problem.file, f"{problem.message}; table '{table.name}' is declared in "
                                                  f"data/metadata.yaml"))
            continue
        frame, found = parse_table(table, raw or b"", project_relative(data_dir / table.file, data_dir))
        problems += found[:MAX_PROBLEMS]
        omitted += max(0, len(found) - MAX_PROBLEMS)
        if frame is not None:
            frames[table.name] = frame
            hashes[table.name] = table_hash(table, raw or b"")
            raws[table.name] = raw or b""
    for problem in _foreign_keys(tables, frames, data_dir):
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)
        else:
            omitted += 1
    if problems:
        raise DataValidationError(problems, omitted)
    return Dataset(tables=tables, frames=frames, hashes=hashes, data_dir=data_dir, raw=raws, metadata=metadata)

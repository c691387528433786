"""The declaration of every table (``data/metadata.yaml``) as pydantic models.

The models are the schema of the file: a key that is not a field, a value of the wrong type, a
pattern that the linear-time engine cannot run, a primary key or a foreign key that names no
declared column: each is reported at its line and column in ``metadata.yaml`` (pydantic's
``loc`` mapped through the positions that :func:`regenpolicy.data.yamlfile.load_yaml` keeps),
and all of them in one run. The same models are what the rest of the package reads (``Table``,
``Column``) and what the Frictionless Data Package is generated from.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import re2
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from regenpolicy.data.limits import MAX_ROWS
from regenpolicy.data.paths import OutsideError, inside
from regenpolicy.data.problems import DataValidationError, Problem, located, schema_problems, yaml_problem
from regenpolicy.data.yamlfile import YamlDocument, YamlError, load_yaml

# string: one line of text; text: text that may hold line breaks (shown as line breaks);
# date: YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date; url: an http(s) address.
ColumnType = Literal["string", "text", "integer", "number", "boolean", "date", "url"]
TYPES: tuple[str, ...] = ColumnType.__args__  # type: ignore[attr-defined]
NUMERIC = ("integer", "number")

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Words = Annotated[str, StringConstraints(max_length=10_000)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _scalar(value: Any) -> Any:
    if isinstance(value, str | int | float):  # bool is an int
        return value
    raise ValueError("expected a text, a number or true/false")


Scalar = Annotated[Any, AfterValidator(_scalar)]  # one error, not one per member of a union


def _csv_file(name: str) -> str:
    path = PurePosixPath(name)
    if (not name or path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name
            or path.suffix != ".csv"):
        raise ValueError("must be a relative path to a .csv file inside data/ (no '..', no absolute path)")
    return str(path)


CsvFile = Annotated[StrictStr, StringConstraints(max_length=200), AfterValidator(_csv_file)]
VersionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=40)]


_RE2 = re2.Options()
_RE2.log_errors = False  # a refused pattern is reported as a problem, not logged to the terminal


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> Any:
    """A declared pattern, compiled by RE2: matching runs in time linear in the cell's length."""
    return re2.compile(pattern, options=_RE2)


class Column(BaseModel):
    """One column of a table, as declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    type: ColumnType
    required: StrictBool = True  # a cell may be empty only when false
    label: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None  # its name for readers (承認整理日)
    unit: Annotated[str, StringConstraints(max_length=40)] | None = None
    description: Words | None = None
    enum: tuple[Scalar, ...] | None = Field(None, min_length=1, max_length=1_000)
    complete: StrictBool = False  # every value of ``enum`` must occur (the models need each one)
    minimum: Number | None = None
    maximum: Number | None = None
    pattern: Annotated[str, StringConstraints(max_length=500)] | None = None
    foreign_key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")] | None = None

    @field_validator("enum")
    @classmethod
    def _enum_of_the_type(cls, values: tuple[Any, ...] | None, info: ValidationInfo) -> tuple[Any, ...] | None:
        kind = info.data.get("type")
        wanted = {"integer": (int,), "number": (int, float), "boolean": (bool,)}.get(kind or "", (str,))
        wrong = [v for v in values or () if not isinstance(v, wanted) or (isinstance(v, bool) and kind != "boolean")]
        if kind and wrong:
            raise ValueError(f"the values of a {kind} column are {kind}s; {wrong[0]!r} is not")
        return values

    @field_validator("complete")
    @classmethod
    def _complete_needs_enum(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("enum") is None and "enum" in info.data:
            raise ValueError("'complete: true' needs an 'enum' of the values that must each have a row")
        return value

    @field_validator("minimum", "maximum")
    @classmethod
    def _bounds_on_numbers(cls, value: float | None, info: ValidationInfo) -> float | None:
        kind = info.data.get("type")
        if value is not None and kind is not None and kind not in NUMERIC:
            raise ValueError(f"'{info.field_name}' applies to integer and number columns, not {kind}")
        low = info.data.get("minimum")
        if info.field_name == "maximum" and value is not None and low is not None and value < low:
            raise ValueError(f"maximum {value:g} is below minimum {low:g}")
        return value

    @field_validator("pattern")
    @classmethod
    def _linear_time_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compiled(value)
            except re2.error as exc:
                why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
                raise ValueError(f"the pattern is not one that RE2 (the linear-time engine) can run: {why}; "
                                 "write it without back-references or look-around") from None
        return value

    @property
    def free_text(self) -> bool:
        """Text whose content nothing constrains: what a hostile or careless edit can fill."""
        return (self.type in ("string", "text") and self.enum is None and self.pattern is None
                and self.foreign_key is None)

    def matches(self, value: str) -> bool:
        """Whether the whole of ``value`` matches the declared pattern (RE2: linear time)."""
        return self.pattern is None or compiled(self.pattern).fullmatch(value) is not None


class TableSpec(BaseModel):
    """A table as ``metadata.yaml`` declares it (the key it is declared under is its name)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: CsvFile
    title: Annotated[StrictStr, StringConstraints(min_length=1, max_length=2_000)]
    description: Words = ""
    columns: tuple[Column, ...] = Field(min_length=1, max_length=200)
    primary_key: tuple[Name, ...] = Field(min_length=1, max_length=10)
    sources: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=64)], ...] = ()
    versions: dict[VersionId, CsvFile] = Field(default_factory=dict, max_length=50)  # data vintages
    min_rows: Annotated[StrictInt, Field(ge=0, le=MAX_ROWS)] = 1  # the figures that read it need these
    # how a reader names a row (the changes page): these columns' values, joined (``[code, item_ja]``:
    # 「K921 2ロ 造血幹細胞採取 …」); none declared: the primary key
    label: tuple[Name, ...] = Field((), max_length=5)
    # a key column whose later value supersedes the row with the same other key (fee_schedule: revision;
    # points stay in force until a later revision row): a new row of it is the value before → after
    revision: Name | None = None

    @field_validator("description")
    @classmethod
    def _one_paragraph(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("columns")
    @classmethod
    def _distinct_names(cls, columns: tuple[Column, ...]) -> tuple[Column, ...]:
        names = [c.name for c in columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"column(s) {', '.join(twice)} declared more than once")
        return columns

    @field_validator("primary_key")
    @classmethod
    def _key_of_declared_columns(cls, key: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        names = [c.name for c in info.data.get("columns") or ()]
        unknown = [k for k in key if k not in names]
        if names and unknown:
            raise ValueError(f"{', '.join(unknown)} is not a declared column; the key must name declared columns")
        return key

    @field_validator("label")
    @classmethod
    def _label_of_declared_columns(cls, label: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        names = [c.name for c in info.data.get("columns") or ()]
        unknown = [k for k in label if k not in names]
        if names and unknown:
            raise ValueError(f"{', '.join(unknown)} is not a declared column; a row's label names declared columns")
        return label

    @field_validator("revision")
    @classmethod
    def _revision_in_the_key(cls, revision: str | None, info: ValidationInfo) -> str | None:
        key = info.data.get("primary_key")
        if revision is not None and key is not None and (revision not in key or len(key) < 2):
            raise ValueError(f"'{revision}' must be a column of a primary key of two or more columns "
                             f"(the key is {', '.join(key)})")
        return revision

    @field_validator("versions")
    @classmethod
    def _current_is_the_file(cls, versions: dict[str, str]) -> dict[str, str]:
        if "current" in versions:
            raise ValueError("'current' is the table's own file; name the other versions")
        return versions


class Table(TableSpec):
    """A declared table with its name."""

    name: Name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def version_files(self) -> dict[str, str]:
        return dict(self.versions)


class MetadataFile(BaseModel):
    """The whole of ``data/metadata.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[str, StringConstraints(max_length=40)] | None = None
    tables: dict[Name, TableSpec] = Field(min_length=1, max_length=200)


def _label(doc: YamlDocument) -> Any:
    """``table 'x', column 'y', key`` for a pydantic loc into the file."""

    def label(loc: tuple[Any, ...]) -> str:
        parts: list[str] = []
        if len(loc) >= 2 and loc[0] == "tables":
            parts.append(f"table '{loc[1]}'")
            if len(loc) >= 4 and loc[2] == "columns" and isinstance(loc[3], int):
                try:
                    name = doc.value["tables"][loc[1]]["columns"][loc[3]]["name"]
                    parts.append(f"column '{name}'")
                except (KeyError, IndexError, TypeError):
                    parts.append(f"column #{loc[3] + 1}")
                rest = loc[4:]
            else:
                rest = loc[2:]
        else:
            rest = loc
        rest = tuple(p for p in rest if p != "[key]")
        if rest:
            parts.append(".".join(map(str, rest)))
        return ", ".join(parts)

    return label


def _references(tables: dict[str, TableSpec], data_dir: Path) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """What one table's declaration cannot check alone: foreign keys, and files that leave data/."""
    for name, table in tables.items():
        for i, col in enumerate(table.columns):
            if col.foreign_key:
                target, _, target_col = col.foreign_key.partition(".")
                if target not in tables or target_col not in [c.name for c in tables[target].columns]:
                    yield (("tables", name, "columns", i, "foreign_key"),
                           f"table '{name}', column '{col.name}': foreign_key '{col.foreign_key}' "
                           "names no declared table.column")
        for loc, file in [(("tables", name, "file"), table.file),
                          *((("tables", name, "versions", v), f) for v, f in table.versions.items())]:
            try:
                inside(data_dir, file)
            except OutsideError as exc:
                yield loc, f"table '{name}': file {file!r} {exc.why}; expected a file inside data/"


def project_relative(path: Path, data_dir: Path) -> str:
    """Paths in messages are relative to the project (the data folder's parent), as a user types them."""
    try:  # absolute, not resolved: a symbolic link is named as the user sees it
        return str(Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(data_dir)).parent))  # noqa: PTH100
    except ValueError:
        return str(path)


def parse_metadata(raw: bytes, origin: str, data_dir: Path) -> dict[str, Table]:
    """The tables ``raw`` (the bytes of metadata.yaml) declares; every problem at its line and column."""
    try:
        doc = load_yaml(raw)
    except YamlError as exc:
        raise DataValidationError([yaml_problem(origin, exc)]) from None
    try:
        meta = MetadataFile.model_validate(doc.value)
    except ValidationError as exc:
        raise DataValidationError(schema_problems(origin, doc, exc, _label(doc))) from None
    problems: list[Problem] = located(origin, doc, _references(meta.tables, data_dir))
    if problems:
        raise DataValidationError(problems)
    return {name: Table(name=name, **dict(spec)) for name, spec in meta.tables.items()}


__all__ = ["NUMERIC", "TYPES", "Column", "MetadataFile", "Table", "TableSpec", "compiled", "parse_metadata",
           "project_relative"]

"""metadata.yaml is checked by its schema (pydantic models): every malformed declaration is a
problem at its file, line and column, never a traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from regenpolicy.data import DataValidationError, load_dataset, load_metadata
from regenpolicy.data.metadata import Column, Table, parse_metadata
from tests.conftest import edit

ORIGIN = "data/metadata.yaml"

# A small declaration that uses every key of a table and of a column (line numbers below count on it).
BASE = """\
version: test
tables:
  sources:
    file: sources.csv
    title: 出所
    primary_key: [source_id]
    columns:
      - {name: source_id, type: string, pattern: '^[a-z0-9_]+$'}
      - {name: url, type: url, required: false}
  prices:
    file: prices.csv
    title: 価格
    description: Prices.
    primary_key: [year, kind]
    sources: [s1]
    versions:
      "2022": vintages/prices_2022.csv
    min_rows: 2
    columns:
      - {name: year, type: integer, minimum: 2000, maximum: 2100, unit: 年}
      - {name: kind, type: string, enum: [a, b], complete: true, description: Kind}
      - {name: price, type: number, minimum: 0}
      - {name: listed, type: boolean}
      - {name: day, type: date}
      - {name: note, type: text, required: false}
      - {name: source_id, type: string, foreign_key: sources.source_id}
"""


def parse(text: str, data_dir: Path | None = None) -> dict[str, Table]:
    return parse_metadata(text.encode("utf-8") if isinstance(text, str) else text, ORIGIN, data_dir or Path("data"))


def refused(text: str | bytes) -> list[Any]:
    with pytest.raises(DataValidationError) as info:
        parse_metadata(text.encode("utf-8") if isinstance(text, str) else text, ORIGIN, Path("data"))
    return info.value.problems


def test_the_base_declaration_is_read_as_models() -> None:
    tables = parse(BASE)
    prices = tables["prices"]
    assert prices.name == "prices" and prices.primary_key == ("year", "kind")
    assert prices.version_files == {"2022": "vintages/prices_2022.csv"}
    assert prices.column("kind") == Column(name="kind", type="string", enum=("a", "b"), complete=True,
                                           description="Kind")
    assert prices.column("year").minimum == 2000 and prices.column("year").unit == "年"


def test_a_row_s_label_and_its_revision_column_are_declared_columns() -> None:
    tables = parse(BASE.replace("    min_rows: 2\n", "    min_rows: 2\n    label: [kind]\n    revision: year\n")
                   .replace("{name: kind, type: string,", "{name: kind, type: string, label: 種類,"))
    assert tables["prices"].label == ("kind",) and tables["prices"].revision == "year"
    assert tables["prices"].column("kind").label == "種類"
    [problem] = refused(BASE.replace("    min_rows: 2\n", "    min_rows: 2\n    label: [name]\n"))
    assert "name is not a declared column; a row's label names declared columns" in str(problem)
    [problem] = refused(BASE.replace("    min_rows: 2\n", "    min_rows: 2\n    revision: price\n"))
    assert "'price' must be a column of a primary key" in str(problem)


# Each case: the line replaced (by its start), the new text, where the problem is, words of the message.
CASES = [
    ("    columns:\n      - {name: source_id", "    columns: 5\n    x_columns:\n      - {name: source_id",
     (7, 14), "columns: expected a list (found 5)"),
    ("{name: kind, type: string, enum: [a, b]", "{name: kind, type: string, enum: 5", (21, 42), "enum: expected a list"),
    ("{name: price, type: number, minimum: 0}", "{name: price, type: number, minimum: abc}", (22, 46),
     "minimum: expected a valid number (found 'abc')"),
    ('    versions:\n      "2022": vintages/prices_2022.csv', "    versions: [a]\n    min_rows: 2", (16, 15),
     "versions: expected a mapping (found ['a'])"),
    ("{name: listed, type: boolean}", "{name: listed, type: bool}", (23, 30), "type: expected 'string', 'text'"),
    ("{name: listed, type: boolean}", "{name: listed, type: boolean, unique: true}", (23, 47), "unknown key 'unique'"),
    ("    title: 価格\n", "    titel: 価格\n", (11, 5), "'title' is missing"),
    ("    min_rows: 2", "    min_rows: -1", (18, 15), "min_rows: expected greater than or equal to 0"),
    ("    min_rows: 2", "    min_rows: true", (18, 15), "min_rows: expected a valid integer"),
    ("    min_rows: 2", "    min_rows: 9999999", (18, 15), "min_rows: expected less than or equal to 5000"),
    ("{name: listed, type: boolean}", "{name: Listed, type: boolean}", (23, 16), "name: String should match pattern"),
    ("  prices:\n", "  Prices!:\n", (11, 5), "table 'Prices!'"),
    ("    primary_key: [year, kind]", "    primary_key: [year, kinds]", (14, 18), "kinds is not a declared column"),
    ("    primary_key: [year, kind]", "    primary_key: []", (14, 18), "primary_key: the list should have at least 1 item"),
    ("foreign_key: sources.source_id}", "foreign_key: sources.nope}", (26, 54),
     "foreign_key 'sources.nope' names no declared table.column"),
    ("foreign_key: sources.source_id}", "foreign_key: sources}", (26, 54), "foreign_key: String should match pattern"),
    ("pattern: '^[a-z0-9_]+$'}", "pattern: '^(a)\\1$'}", (8, 50), "RE2 (the linear-time engine)"),
    ("pattern: '^[a-z0-9_]+$'}", "pattern: '(?=a)b'}", (8, 50), "RE2 (the linear-time engine)"),
    ("{name: kind, type: string, enum: [a, b], complete: true", "{name: kind, type: string, complete: true", (21, 46),
     "'complete: true' needs an 'enum'"),
    ("{name: kind, type: string, enum: [a, b]", "{name: kind, type: string, enum: [1, b]", (21, 42),
     "the values of a string column are strings; 1 is not"),
    ("{name: year, type: integer, minimum: 2000, maximum: 2100", "{name: year, type: integer, minimum: 2000, maximum: 1999",
     (20, 61), "maximum 1999 is below minimum 2000"),
    ("{name: kind, type: string, enum: [a, b]", "{name: kind, type: string, minimum: 1, enum: [a, b]", (21, 45),
     "'minimum' applies to integer and number columns, not string"),
    ("{name: price, type: number, minimum: 0}", "{name: price, type: number, minimum: .inf}", (22, 46),
     "minimum: expected a finite number"),
    ("{name: url, type: url, required: false}", "{name: url, type: url, required: 'no'}", (9, 42),
     "required: expected true or false"),
    ("    file: prices.csv", "    file: /etc/passwd.csv", (11, 11), "must be a relative path to a .csv file inside data/"),
    ("    file: prices.csv", "    file: ../../x.csv", (11, 11), "must be a relative path to a .csv file inside data/"),
    ("    file: prices.csv", "    file: prices.txt", (11, 11), "must be a relative path to a .csv file"),
    ("    file: prices.csv", "    file: [prices.csv]", (11, 11), "file: expected text (found ['prices.csv'])"),
    ('      "2022": vintages', '      "current": vintages', (17, 7), "'current' is the table's own file"),
    ("      - {name: note, type: text, required: false}", "      - {name: day, type: text, required: false}", (20, 7),
     "column(s) day declared more than once"),
    ("    description: Prices.", "    description: [Prices]", (13, 18), "description: expected text"),
    ("tables:\n", "tables: 5\nx:\n", (2, 9), "tables: expected a mapping"),
    ("version: test", "version: [test]", (1, 10), "version: expected text"),
]


@pytest.mark.parametrize("old, new, position, words", CASES, ids=[c[3][:40] for c in CASES])
def test_a_malformed_declaration_is_a_located_problem(old: str, new: str, position: tuple[int, int], words: str) -> None:
    assert old in BASE
    problems = refused(BASE.replace(old, new, 1))
    match = [p for p in problems if words in p.message]
    assert match, [str(p) for p in problems]
    assert (match[0].file, match[0].line, match[0].column) == (ORIGIN, *position), str(match[0])


@pytest.mark.parametrize("text, position, words", [
    ("a0: &a0 [lol, lol]\n" + "\n".join(f"a{i}: &a{i} [*a{i-1}, *a{i-1}]" for i in range(1, 10)), (1, 5), "anchors"),
    ("tables:\n  x:\n    description: *a\n", (3, 18), "alias"),
    ("tables: " + "[" * 40 + "]" * 40, (1, 40), "nested more than 32 levels"),
    ("tables: " + "[" * 5000 + "]" * 5000, (1, 1008), "nesting depth"),  # libyaml's own bound comes first
    ("tables:\n  x:\n    title: 再生医療\n".encode("cp932"), (3, 12), "not UTF-8"),
    ("tables:\n  x: [\n", (3, 1), "not valid YAML"),
    ("\x00", (1, None), "NUL"),
])
def test_yaml_that_cannot_be_read_safely_is_refused_where_it_stands(text: str | bytes, position: tuple, words: str) -> None:
    problems = refused(text)
    assert len(problems) == 1 and words in problems[0].message
    assert (problems[0].file, problems[0].line, problems[0].column) == (ORIGIN, *position)


def _every_key(value: Any, path: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*path, k))
            out += _every_key(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((*path, i))
            out += _every_key(v, (*path, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return doc


WRONG = [5, -1.5, "abc", "", True, None, [1, [2]], {"k": {"x": 1}}, "^(a+)+$", "../x.csv"]


def test_any_value_of_any_key_is_accepted_or_a_located_problem() -> None:
    """The class, not the examples: every key of the declaration set to every kind of wrong value."""
    base = yaml.safe_load(BASE)
    tried = refusals = 0
    for path in _every_key(base):
        for wrong in WRONG:
            text = yaml.dump(_set(base, path, wrong), Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
            tried += 1
            try:
                parse(text)
            except DataValidationError as exc:
                refusals += 1
                assert exc.problems and all(p.file == ORIGIN and p.line is not None and isinstance(p.column, int)
                                            for p in exc.problems), (path, wrong, str(exc))
    assert tried > 600 and refusals > tried // 2


def test_the_shipped_metadata_through_its_loader(data_copy: Path) -> None:
    tables = load_metadata(data_copy)
    assert tables["fee_schedule"].version_files == {"2022": "vintages/fee_schedule_2022.csv",
                                                    "2024": "vintages/fee_schedule_2024.csv"}
    # how the changes page names a fee and reads its revisions
    assert tables["fee_schedule"].label == ("code", "item_ja") and tables["fee_schedule"].revision == "revision"
    edit(data_copy / "metadata.yaml", "      - {name: status, type: string, enum: [printed, derived, assumption]}",
         "      - {name: status, type: string, enum: 5}")
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_copy)
    (problem,) = info.value.problems
    assert str(problem) == ("data/metadata.yaml, line 35, column 44: table 'market_global_total', column 'status', "
                            "enum: expected a list (found 5)")

"""The tables described as a Frictionless Tabular Data Package (``datapackage.json``).

Generated from the table declarations (``metadata.py``), so that any Frictionless tool can check
the published data zip without this package: each table is a resource with its Table Schema —
the type of each column, its unit (a ``unit`` property beside the standard ones), whether it may
be empty, its allowed values, range and pattern — its primary key, its foreign keys and the
sources it cites. The same declarations give the same bytes.

How our types map: ``string``/``text`` are strings (``text`` may hold line breaks); ``url`` is a
string of format ``uri``; ``date`` is a string with the pattern YYYY, YYYY-MM or YYYY-MM-DD (a
Table Schema ``date`` must be a full day); ``integer``, ``number`` and ``boolean`` are the same.
Patterns are written without ``^``/``$``: a Table Schema pattern must match the whole value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from regenpolicy.data.metadata import Column, Table

PROFILE = "tabular-data-package"  # Data Package 1.0, what frictionless-py and the other tools read
DATE_PATTERN = r"\d{4}(-\d{2}(-\d{2})?)?"
TRUE, FALSE = ["true", "True", "TRUE"], ["false", "False", "FALSE"]


def _whole(pattern: str) -> str:
    """A declared pattern in Table Schema's form, which is implicitly anchored."""
    return pattern.removeprefix("^").removesuffix("$")


def _typed(value: float, col: Column) -> float | int:
    return int(value) if col.type == "integer" else value


def field(col: Column) -> dict[str, Any]:
    """One column as a Table Schema field."""
    out: dict[str, Any] = {"name": col.name}
    out["type"] = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(col.type, "string")
    if col.type == "url":
        out["format"] = "uri"
    if col.type == "boolean":
        out["trueValues"], out["falseValues"] = TRUE, FALSE
    if col.label:
        out["title"] = col.label
    if col.description:
        out["description"] = col.description
    if col.unit:
        out["unit"] = col.unit
    constraints: dict[str, Any] = {}
    if col.required:
        constraints["required"] = True
    if col.enum is not None:
        constraints["enum"] = list(col.enum)
    if col.minimum is not None:
        constraints["minimum"] = _typed(col.minimum, col)
    if col.maximum is not None:
        constraints["maximum"] = _typed(col.maximum, col)
    pattern = col.pattern and _whole(col.pattern)
    if pattern or col.type == "date":
        constraints["pattern"] = pattern or DATE_PATTERN
    if constraints:
        out["constraints"] = constraints
    return out


def _sources(table: Table, sources: pd.DataFrame | None) -> list[dict[str, str]]:
    if sources is None or not table.sources:
        return []
    rows = sources.set_index("source_id")
    out = []
    for sid in table.sources:
        if sid in rows.index:
            row = rows.loc[sid]
            entry = {"title": f"{row['title']}（{row['publisher']}, {row['date']}）"}
            if isinstance(row.get("url"), str) and row["url"]:
                entry["path"] = row["url"]
            out.append(entry)
    return out


def resource(table: Table, sources: pd.DataFrame | None = None, prefix: str = "data/") -> dict[str, Any]:
    """One table as a tabular data resource; ``prefix`` is where its file lies beside datapackage.json."""
    schema: dict[str, Any] = {
        "fields": [field(c) for c in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    foreign = [{"fields": [c.name], "reference": {"resource": target, "fields": [target_col]}}
               for c in table.columns if c.foreign_key
               for target, _, target_col in [c.foreign_key.partition(".")]]
    if foreign:
        schema["foreignKeys"] = foreign
    out: dict[str, Any] = {
        "name": table.name, "path": prefix + table.file, "profile": "tabular-data-resource",
        "title": table.title, "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
    }
    if table.description:
        out["description"] = table.description
    cited = _sources(table, sources)
    if cited:
        out["sources"] = cited
    out["schema"] = schema
    return out


def descriptor(tables: Mapping[str, Table], sources: pd.DataFrame | None = None, *,
               name: str = "regenpolicy-data", title: str = "", prefix: str = "data/") -> dict[str, Any]:
    """The package: every table, in the order of their names."""
    out: dict[str, Any] = {"profile": PROFILE, "name": name}
    if title:
        out["title"] = title
    out["resources"] = [resource(tables[n], sources, prefix) for n in sorted(tables)]
    return out


def datapackage_json(tables: Mapping[str, Table], sources: pd.DataFrame | None = None, *,
                     name: str = "regenpolicy-data", title: str = "", prefix: str = "data/") -> bytes:
    """``datapackage.json`` as bytes: UTF-8, keys in a fixed order, one trailing line break."""
    package = descriptor(tables, sources, name=name, title=title, prefix=prefix)
    return (json.dumps(package, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


__all__ = ["datapackage_json", "descriptor", "field", "resource"]

"""The data appendix: every table, its columns and units, and how many values are printed,
derived or assumed (read from the ``status`` columns), with the sources each table cites."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Column, Dataset
from regenpolicy.models.parameters import Parameters, param

KINDS = ("printed", "derived", "assumption")


class CatalogParameters(Parameters):
    list_sources: bool = param(True, "出所一覧（表 X-2）を載せる")


@dataclass(frozen=True)
class CatalogResult:
    summary: pd.DataFrame  # table, title, file, rows, columns, key, printed, derived, assumption, sources
    sources: pd.DataFrame  # the sources table
    numbers: dict[str, float]


def describe(col: Column) -> str:
    return f"{col.name}［{col.unit}］" if col.unit else col.name


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Values by kind: every cell of a column whose name ends with 'status'."""
    counts = dict.fromkeys(KINDS, 0)
    for col in [c for c in frame.columns if c.endswith("status")]:
        for kind, n in frame[col].value_counts().items():
            counts[str(kind)] += int(n)
    return counts


def catalog(ds: Dataset, p: CatalogParameters) -> CatalogResult:
    """One row per table of the catalogue (a read of every table, including tables added later)."""
    rows = []
    for name, table in ds.catalog().items():
        frame = ds[name]
        own = "source_id" in frame and name != "sources"  # the sources table lists ids, it does not cite them
        cited = list(dict.fromkeys([*table.sources, *(list(frame["source_id"].dropna()) if own else [])]))
        rows.append({"table": name, "title": table.title, "file": table.file, "rows": len(frame),
                     "columns": "、".join(describe(c) for c in table.columns), "key": " + ".join(table.primary_key),
                     **status_counts(frame), "sources": "、".join(cited)})
    summary = pd.DataFrame(rows)
    totals = summary[list(KINDS)].sum()
    sources = ds["sources"]
    numbers: dict[str, float] = {"x_tables": len(summary), "x_rows": int(summary["rows"].sum()), "x_printed": int(totals["printed"]),
               "x_derived": int(totals["derived"]), "x_assumption": int(totals["assumption"]),
               "x_sources": len(sources)}
    return CatalogResult(summary, sources, numbers)


# --- what the seeds print that the report does not draw -----------------------------------------
class CoverageParameters(Parameters):
    """The coverage table has no parameters: it lists every row of seed_statements."""


@dataclass(frozen=True)
class CoverageResult:
    rows: pd.DataFrame  # statement_id, source_id, figure_ja, quote, coverage, where_ja, status, note
    numbers: dict[str, float]


def seed_coverage(ds: Dataset, p: CoverageParameters) -> CoverageResult:
    """The seeds' statements and figures that are quoted, tabulated or not reproduced, and why."""
    rows = ds["seed_statements"].reset_index(drop=True)
    counts = rows["coverage"].value_counts()
    return CoverageResult(rows, {"s_items": len(rows), "s_not_reproduced": int(counts.get("再現せず", 0)),
                                 "s_quoted_only": int(counts.get("付録で引用のみ", 0))})

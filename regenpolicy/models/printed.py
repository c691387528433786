"""Numbers printed in the seeds (``data/printed_headlines.csv``), and data that contradict themselves.

A model reads a printed headline with ``printed_value``; a model that finds its input tables
inconsistent (segments that do not add up to the printed totals, cumulative counts that are not
the running sum of the yearly ones) raises ``Inconsistent`` naming the table, which the build's
printed-value checks report before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from regenpolicy.data import Dataset


class Inconsistent(ValueError):
    """A table whose printed values contradict each other."""

    def __init__(self, table: str, message: str, row: Mapping[str, Any] | None = None, column: str | None = None):
        self.table, self.column = table, column
        self.row = dict(row or {})  # the values that identify the row at fault, if one is
        super().__init__(message)


def printed_value(ds: Dataset, figure_id: str, key: str) -> float:
    """A headline number as printed beside a figure (``printed_headlines``)."""
    rows = ds["printed_headlines"].set_index(["figure_id", "key"])["value"]
    return float(rows.loc[(figure_id, key)])

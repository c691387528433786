"""Japanese names for the columns and coded values of the figures' data, as the pages say them.

A figure's machine-readable data (``<ID>.data.csv``) keeps the column names of the models; the
downloads a reader opens (``<ID>.csv`` with a BOM, ``<ID>.xlsx``) and the data table under each
chart use the Japanese names that the figure's declaration gives its columns (``columns:`` in
``notebooks/<name>.yml``), with the unit in the header: ``市場規模［億円］``. Coded values that
the pages show in words (``printed`` → 印字, ``True`` → はい, ``car_t`` → CAR-T細胞療法) are shown
in words there too. A notebook passes the labels it already uses for the chart (``values=``) for
codes that only it names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

STATUS_WORDS = {"printed": "印字", "derived": "導出", "assumption": "仮定"}
BOOLEAN_WORDS = {True: "はい", False: "いいえ"}


@functools.cache
def value_labels() -> dict[str, Mapping[Any, str]]:
    """The words for each coded column's values. The models' own names for their codes are imported here,
    when a table is first labelled (in a kernel): the drawing workers, which write the downloads of tables
    labelled already, import this module without the models, the data's schema and pydantic (0.2 s each)."""
    from regenpolicy.models.manufacturing import PRODUCT_TYPES
    from regenpolicy.models.pricing import P2_SCENARIOS
    from regenpolicy.models.reimbursement import PATHWAYS

    return {
        "status": STATUS_WORDS, "date_status": STATUS_WORDS, "origin_status": STATUS_WORDS,
        "example_status": STATUS_WORDS, "points_status": STATUS_WORDS, "market_from_status": STATUS_WORDS,
        "market_to_status": STATUS_WORDS, "growth_status": STATUS_WORDS,
        "product_type": PRODUCT_TYPES, "pathway": PATHWAYS, "scenario": P2_SCENARIOS,
        "bound": {"upper": "上限（より短い期間の値）", "point": "値"},
    }


def column_label(column: str, unit: str | None = None, names: Mapping[str, str] | None = None) -> str:
    """A column's Japanese name (``names``: the figure's declared columns), with its unit:
    ``市場規模［億円］``. A header already written in Japanese (a table's) is kept; a code name
    without a Japanese name is an error."""
    name = (names or {}).get(column)
    if name is None and column.isascii():  # a code name; a table's own Japanese header stays
        raise ValueError(f"the figure publishes column '{column}', which has no Japanese name: declare it under "
                         "the figure's columns: in its notebooks/<name>.yml")
    name = name or column
    return f"{name}［{unit}］" if unit else name


def value_label(column: str, value: Any, values: Mapping[str, Mapping[Any, str]] | None = None) -> Any:
    """A coded value as the page says it; anything else unchanged."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return BOOLEAN_WORDS[bool(value)]
    for table in ((values or {}).get(column), value_labels().get(column)):
        if table is not None:
            try:
                if value in table:
                    return table[value]
            except TypeError:  # an unhashable value
                return value
    return value

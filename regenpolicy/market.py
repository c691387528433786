"""Market-size arithmetic (figure M1)."""

from __future__ import annotations

import pandas as pd


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate, as a fraction: (end / start) ** (1 / years) − 1."""
    if years <= 0:
        raise ValueError(f"years must be positive, got {years}")
    if start_value <= 0 or end_value < 0:
        raise ValueError(f"values must be positive, got {start_value} → {end_value}")
    return (end_value / start_value) ** (1.0 / years) - 1.0


def totals_by_year(segments: pd.DataFrame, value: str = "value_oku_yen") -> pd.Series:
    """Sum of the segments of each year."""
    return segments.groupby("year")[value].sum().sort_index()


def check_totals(segments: pd.DataFrame, printed: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Compare segment sums with the printed totals; raise if any year differs.

    Returns one row per year with the printed total, the sum of segments and the difference.
    """
    sums = totals_by_year(segments).rename("segment_sum")
    table = printed.set_index("year")[["total_oku_yen"]].join(sums, how="outer")
    table["difference"] = table["segment_sum"] - table["total_oku_yen"]
    bad = table[table["difference"].isna() | (table["difference"].abs() > tolerance)]
    if not bad.empty:
        years = ", ".join(f"{y}: segments {r.segment_sum} vs printed {r.total_oku_yen}"
                          for y, r in bad.iterrows())
        raise ValueError(f"the modality segments do not add up to the printed totals ({years})")
    return table.reset_index()


def summary(totals: pd.DataFrame, start_year: int, end_year: int) -> dict[str, float]:
    """Headline numbers of the market chart: first/last totals, growth multiple and CAGR."""
    by_year = totals.set_index("year")["total_oku_yen"].sort_index()
    for year in (start_year, end_year):
        if year not in by_year.index:
            raise ValueError(f"no total for {year}; years in the data: {list(by_year.index)}")
    first, last = int(by_year.index[0]), int(by_year.index[-1])
    return {
        "first_year": first,
        "last_year": last,
        "total_first": float(by_year[first]),
        "total_last": float(by_year[last]),
        "total_end": float(by_year[end_year]),
        "multiple": float(by_year[last] / by_year[first]),
        "cagr": cagr(by_year[start_year], by_year[end_year], end_year - start_year),
    }

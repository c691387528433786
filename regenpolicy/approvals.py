"""Approved products, drug loss and launch forecasts (figures A1–A3, D1, D2, O1).

The cumulative count of approvals (A1) is derived from the product list (A2): a product counts
from its approval date on. A date known only to the month (``YYYY-MM``) counts from the last day
of that month, so a partial date is never counted early.

The launch forecast (A3) follows the method the seed names: the expected number of launches of a
year is the sum, over development phases, of the products in that phase times the probability
that a product of that phase reaches the market,

    expected_launches = Σ_phase  count(phase) × probability(phase)

and the cumulative count is the last actual count plus the running sum of yearly launches.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping

import pandas as pd


def approval_day(date: str) -> dt.date:
    """The day from which an approval counts: the date itself, or the last day of a ``YYYY-MM`` month."""
    parts = [int(p) for p in str(date).split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        year, month = parts
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    raise ValueError(f"expected YYYY-MM-DD or YYYY-MM, got {date!r}")


def approved_as_of(products: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Products approved on or before ``as_of`` (YYYY-MM-DD), in order of approval."""
    cutoff = dt.date.fromisoformat(as_of)
    days = products["approval_date"].map(approval_day)
    out = products[days <= cutoff].assign(approval_day=days[days <= cutoff])
    return out.sort_values(["approval_day", "product_id"]).reset_index(drop=True)


def withdrawn_as_of(products: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """Products whose approval was withdrawn (承認整理) on or before ``as_of``."""
    cutoff = dt.date.fromisoformat(as_of)
    dates = products["withdrawn_date"].dropna()
    return products.loc[dates[dates.map(approval_day) <= cutoff].index]


def count_since(products: pd.DataFrame, as_of: str, since_year: int) -> int:
    """Number of approvals from 1 January of ``since_year`` up to ``as_of``."""
    approved = approved_as_of(products, as_of)
    return int((approved["approval_day"] >= dt.date(since_year, 1, 1)).sum())


def cumulative_by_year(products: pd.DataFrame, as_of: str, by: str | None = "modality") -> pd.DataFrame:
    """Approvals per year and their running total, from the first approval's year to ``as_of``'s year.

    With ``by`` (a column such as ``modality``) there is one row per year and group, and
    ``cumulative`` is the running total of that group; years without approvals are kept (0).
    """
    approved = approved_as_of(products, as_of)
    if approved.empty:
        raise ValueError(f"no product is approved on or before {as_of}")
    years = range(int(approved["approval_year"].min()), dt.date.fromisoformat(as_of).year + 1)
    keys = ["approval_year"] + ([by] if by else [])
    counts = approved.groupby(keys).size().rename("approvals")
    groups = sorted(approved[by].unique()) if by else [None]
    index = (pd.MultiIndex.from_product([years, groups], names=keys) if by
             else pd.Index(years, name="approval_year"))
    table = counts.reindex(index, fill_value=0).reset_index().rename(columns={"approval_year": "year"})
    table["cumulative"] = table.groupby(by)["approvals"].cumsum() if by else table["approvals"].cumsum()
    return table


def expected_launches(counts: Mapping[str, float], probability: Mapping[str, float]) -> float:
    """Σ count(phase) × probability(phase): the expected launches of a pipeline."""
    missing = [phase for phase in counts if phase not in probability]
    if missing:
        raise ValueError(f"no launch probability for phase(s) {', '.join(missing)}")
    for phase, p in probability.items():
        if not 0 <= p <= 1:
            raise ValueError(f"launch probability of {phase} must be between 0 and 1, got {p}")
    return float(sum(n * probability[phase] for phase, n in counts.items()))


def cumulative_from(base: int, launches: list[int] | pd.Series) -> list[int]:
    """Running total of yearly launches added to the count before the first year."""
    total, out = base, []
    for n in launches:
        total += int(n)
        out.append(total)
    return out


def check_forecast(forecast: pd.DataFrame) -> None:
    """Raise if the printed cumulative counts are not the running sum of the printed yearly counts."""
    rows = forecast.sort_values("year")
    first = rows.iloc[0]
    expected = cumulative_from(int(first["cumulative"] - first["launches"]), rows["launches"])
    bad = [f"{y}: printed {c} vs {e}" for y, c, e in zip(rows["year"], rows["cumulative"], expected) if c != e]
    if bad:
        raise ValueError(f"cumulative launches do not add up ({'; '.join(bad)})")


def relative_change(before: float, after: float) -> float:
    """(after − before) / before, as a fraction: 56 → 19 gives −0.66."""
    if before <= 0:
        raise ValueError(f"the reference count must be positive, got {before}")
    return (after - before) / before


def share_sums(mix: pd.DataFrame) -> pd.Series:
    """Sum of the printed percentages of each modality (100 up to the rounding of each label)."""
    return mix.groupby("modality", sort=False)["share_pct"].sum()


def check_shares(mix: pd.DataFrame, tolerance: float = 1.0) -> pd.Series:
    """Raise unless every modality's shares sum to 100 ± ``tolerance`` (whole-percent labels)."""
    sums = share_sums(mix)
    bad = sums[(sums - 100).abs() > tolerance]
    if not bad.empty:
        raise ValueError("shares do not sum to 100%: " + ", ".join(f"{m} {s:g}%" for m, s in bad.items()))
    return sums

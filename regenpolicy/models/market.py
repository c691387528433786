"""Market size: the global market by modality (figure M1) and the modality comparison (M2)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.approvals import approval_day
from regenpolicy.models.parameters import Parameters, Problem, param
from regenpolicy.models.printed import Inconsistent, printed_value


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate, as a fraction: (end / start) ** (1 / years) − 1."""
    if years <= 0:
        raise ValueError(f"years must be positive, got {years}")
    if start_value <= 0 or end_value < 0:
        raise ValueError(f"values must be positive, got {start_value} → {end_value}")
    return float((end_value / start_value) ** (1.0 / years) - 1.0)


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
        years = ", ".join(f"{y}: segments {r.segment_sum:g} vs printed {r.total_oku_yen:g}"
                          for y, r in bad.iterrows())
        year = bad.index[0]
        message = (f"the modality segments (market_global_modality.csv) do not add up to the printed totals "
                   f"(market_global_total.csv) ({years})")
        if pd.isna(bad.iloc[0]["total_oku_yen"]):  # segments of a year without a printed total
            raise Inconsistent("market_global_modality", message, {"year": year}, "year")
        raise Inconsistent("market_global_total", message, {"year": year}, "total_oku_yen")
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


# --- figure M1 -----------------------------------------------------------------------------------
class M1Parameters(Parameters):
    start_year: int = param(2020, "年平均成長率（CAGR）の起点", unit="年", minimum=2000, maximum=2100)
    end_year: int = param(2030, "年平均成長率（CAGR）の終点", unit="年", minimum=2000, maximum=2100)

    def problems(self, ds: Dataset) -> list[Problem]:
        years = set(ds["market_global_total"]["year"])
        out = [Problem((name,), f"{getattr(self, name)} has no printed total; years: {sorted(years)}")
               for name in ("start_year", "end_year") if getattr(self, name) not in years]
        if self.start_year >= self.end_year:
            out.append(Problem(("end_year",), f"must be after start_year ({self.start_year})"))
        return out


@dataclass(frozen=True)
class M1Result:
    segments: pd.DataFrame  # year, modality, value_oku_yen, status, series_assumed, note
    totals: pd.DataFrame  # year, total_oku_yen (printed)
    assumed_labels: int  # printed labels whose series is inferred
    unassigned_labels: int  # printed labels kept without a series
    numbers: dict[str, float]
    texts: dict[str, str]  # the seed's words, quoted from seed_statements


UNASSIGNED = ("系列未特定（小さいラベル）", "系列未特定（残差）")


def global_market(ds: Dataset, p: M1Parameters) -> M1Result:
    """The global market by modality (M1), its headline numbers and the seed's printed headlines."""
    segments = ds["market_global_modality"]
    totals = ds["market_global_total"]
    check_totals(segments, totals)
    m = summary(totals, p.start_year, p.end_year)
    printed = printed_value(ds, "M1", "cagr_2020_2030")
    numbers = {f"m1_{k}": v for k, v in m.items()}
    numbers.update(m1_start_year=p.start_year, m1_end_year=p.end_year, m1_cagr_printed=printed,
                   m1_headline_2020=printed_value(ds, "M1", "headline_2020"),
                   m1_headline_2030_cho=printed_value(ds, "M1", "headline_2030") / 1e4,
                   m1_headline_2040_cho=printed_value(ds, "M1", "headline_2040") / 1e4)
    quotes = ds["seed_statements"].set_index("statement_id")["quote"]
    texts = {"m1_quote_10y": str(quotes["m1_growth_10y"]), "m1_quote_20y": str(quotes["m1_growth_20y"])}
    unassigned = int(((segments["modality"] == UNASSIGNED[0]) & (segments["status"] == "printed")).sum())
    return M1Result(segments, totals, int(segments["series_assumed"].sum()), unassigned, numbers, texts)


# --- figure M2 -----------------------------------------------------------------------------------
class M2Parameters(Parameters):
    start_year: int = param(2020, "比較の起点（市場規模の年）", unit="年", minimum=2000, maximum=2100)
    end_year: int = param(2030, "比較の終点", unit="年", minimum=2000, maximum=2100)

    def problems(self, ds: Dataset) -> list[Problem]:
        years = set(ds["market_global_total"]["year"])
        out = [Problem((name,), f"{getattr(self, name)} has no market total; years: {sorted(years)}")
               for name in ("start_year", "end_year") if getattr(self, name) not in years]
        if self.start_year >= self.end_year:
            out.append(Problem(("end_year",), f"must be after start_year ({self.start_year})"))
        return out


@dataclass(frozen=True)
class M2Result:
    table: pd.DataFrame  # one row per modality, largest market first
    numbers: dict[str, float]

    @property
    def data(self) -> pd.DataFrame:
        """M2's published data; a row's status is that of its end-year market."""
        return self.table[["modality", "market_from_oku_yen", "market_from_status", "market_to_oku_yen",
                           "market_to_status", "growth_printed_pct", "growth_status", "growth_derived_pct",
                           "example_product", "example_status", "series_assumed"]
                          ].assign(status=self.table["market_to_status"])


def modality_comparison(ds: Dataset, p: M2Parameters) -> M2Result:
    """One row per modality (M2), printed values as printed and computed ones marked derived.

    The seed's comparison table survives for one row (in vivoウイルス治療: market 2020 and 2030,
    growth, example product), shown as printed, with the growth its two markets imply (derived).
    The other rows are M1's labels (series assigned in legend order); their growth is not
    computed, because the seed prints no 2020 value for them. Series M1 cannot identify are left
    out. The example is the seed's where printed, else the first product of that modality
    approved in Japan (derived).
    """
    segments = ds["market_global_modality"]
    totals = ds["market_global_total"].set_index("year")["total_oku_yen"]
    printed = ds["market_modality_comparison"].set_index("modality")
    products = ds["approved_products"]
    first = (products.assign(day=products["approval_date"].map(approval_day))
             .sort_values("day").groupby("modality").first())
    rows = []
    known = segments[~segments["modality"].isin((*UNASSIGNED, "内訳非公表"))]
    for modality, seg in known.groupby("modality"):
        by_year = seg.set_index("year")
        if modality in printed.index:
            row = printed.loc[modality]
            start, end = float(row["market_2020_oku_yen"]), float(row["market_2030_oku_yen"])
            rows.append({
                "modality": modality, "market_from_oku_yen": start, "market_from_status": str(row["status"]),
                "market_to_oku_yen": end, "market_to_status": str(row["status"]),
                "growth_printed_pct": float(row["growth_pct"]), "growth_status": str(row["status"]),
                "growth_derived_pct": cagr(start, end, p.end_year - p.start_year) * 100,
                "example_product": str(row["example_product"]), "example_status": "printed", "series_assumed": False,
            })
            continue
        if p.end_year not in by_year.index:
            continue
        rows.append({
            "modality": modality, "market_from_oku_yen": None, "market_from_status": None,
            "market_to_oku_yen": float(by_year.loc[p.end_year, "value_oku_yen"]),
            "market_to_status": str(by_year.loc[p.end_year, "status"]), "growth_printed_pct": None,
            "growth_status": None, "growth_derived_pct": None,
            "example_product": str(first.loc[modality, "name_ja"]), "example_status": "derived",
            "series_assumed": bool(by_year.loc[p.end_year, "series_assumed"]),
        })
    table = pd.DataFrame(rows).sort_values("market_to_oku_yen", ascending=False).reset_index(drop=True)
    virus = table.set_index("modality").loc["in vivoウイルス治療"]
    top3 = table[table["modality"] != "in vivoウイルス治療"].head(3)["market_to_oku_yen"]
    numbers = {
        "m2_year_from": p.start_year, "m2_year_to": p.end_year,
        "m2_total_growth": cagr(totals[p.start_year], totals[p.end_year], p.end_year - p.start_year),
        "m2_top3_min": top3.min(), "m2_top3_max": top3.max(), "m2_top3_share": top3.sum() / totals[p.end_year],
        "m2_virus_from": virus["market_from_oku_yen"], "m2_virus_to": virus["market_to_oku_yen"],
        "m2_virus_growth_derived": virus["growth_derived_pct"] / 100,
        "m2_virus_growth_table": virus["growth_printed_pct"],
        "m2_virus_growth_printed": printed_value(ds, "M2", "growth_in_vivo_virus"),
    }
    return M2Result(table, numbers)

"""Approved products, drug loss, launch forecasts and pipeline originators (A1–A3, D1, D2, O1).

The cumulative count of approvals (A1) is derived from the product list (A2): a product counts
from its approval date on. A date known only to the month (``YYYY-MM``) counts from the last day
of that month, so a partial date is never counted early.

The launch forecast (A3) shows the yearly and cumulative counts as the seed prints them; the
report checks that the printed cumulative counts are the running sum of the printed yearly ones.
The seed names its method — the expected launches of a year are the sum, over development phases,
of the products in that phase times the probability that a product of that phase reaches the market,

    expected_launches = Σ_phase  count(phase) × probability(phase)

— but prints no phase-level counts or probabilities, so ``expected_launches`` is here for an
edition that has them; A3 itself is not recomputed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import CalendarDate, Parameters, Problem, param
from regenpolicy.models.printed import Inconsistent, printed_value


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
    wrong = [(y, c, e) for y, c, e in zip(rows["year"], rows["cumulative"], expected, strict=True) if c != e]
    if wrong:
        bad = [f"{y}: printed {c} vs {e}" for y, c, e in wrong]
        raise Inconsistent("launch_forecast", f"cumulative launches do not add up ({'; '.join(bad)})",
                           {"year": wrong[0][0]}, "cumulative")


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
        raise Inconsistent("originator_mix", "shares do not sum to 100%: " + ", ".join(f"{m} {s:g}%" for m, s in bad.items()),
                           {"modality": bad.index[0]}, "share_pct")
    return sums


# --- figure O1 -----------------------------------------------------------------------------------
MODALITIES = ("低分子医薬品", "抗体医薬品", "核酸医薬品", "遺伝子治療", "遺伝子細胞治療", "細胞治療")
REGENERATIVE = ("遺伝子治療", "遺伝子細胞治療", "細胞治療")
YOUNG = ("Biotechnology", "University", "Non-profit")  # originators outside established pharma


class O1Parameters(Parameters):
    focus: str = param("細胞治療", "本文で比べる再生医療等製品のモダリティ", choices=MODALITIES)
    reference: str = param("低分子医薬品", "比較対象のモダリティ", choices=MODALITIES)


@dataclass(frozen=True)
class O1Result:
    mix: pd.DataFrame  # modality, pipeline_count, originator, share_pct, status, note
    counts: pd.Series  # modality → pipeline count
    numbers: dict[str, float]


def originator_shares(ds: Dataset, p: O1Parameters) -> O1Result:
    """Originator types of each modality's pipeline (O1), and the young-originator shares the text compares."""
    mix = ds["originator_mix"]
    check_shares(mix)
    by = mix.set_index(["modality", "originator"])["share_pct"]
    counts = mix.groupby("modality", sort=False)["pipeline_count"].first()
    young = {m: float(by.loc[m].reindex(YOUNG, fill_value=0).sum()) for m in counts.index}
    numbers = {
        "o1_focus_count": counts[p.focus], "o1_focus_biotech": by[(p.focus, "Biotechnology")],
        "o1_focus_university": by[(p.focus, "University")], "o1_focus_young": young[p.focus],
        "o1_ref_count": counts[p.reference], "o1_ref_young": young[p.reference],
        "o1_ref_global": by[(p.reference, "Global")], "o1_focus_global": by[(p.focus, "Global")],
        "o1_regen_young_min": min(young[m] for m in REGENERATIVE if m in young),
        "o1_regen_count": int(counts.reindex(REGENERATIVE, fill_value=0).sum()),
        "o1_dash_count": int((mix["status"] == "derived").sum()),
    }
    return O1Result(mix, counts, numbers)


# --- figures D1 and D2 ---------------------------------------------------------------------------
class D1Parameters(Parameters):
    pass


D1_PANELS = {"approved": "日米欧で承認済みの製品（2023年2月）", "phase3": "欧米で第Ⅲ相試験中の製品（2023年3月）"}
D1_BARS = {"日米欧いずれかで上市済み": "日米欧で上市済み", "日本で上市済みもしくは開発中": "日本で上市・開発中",
           "欧米どちらかでP3開発中": "欧米でP3開発中", "日本での開発あり": "日本でも開発"}  # bar → its short label
D1_SEGMENTS = ("日米欧いずれかで上市済み", "上市済み", "開発中", "複数地域で開発", "単独地域で開発", "日本での開発あり")


@dataclass(frozen=True)
class D1Result:
    loss: pd.DataFrame  # panel, bar, segment, count, status, note
    drops: dict[str, float]  # panel → relative change (−0.66 …)
    d2: pd.DataFrame  # stage, japan, us_eu, share_pct, printed_below_pct, status, note
    not_developed: int
    designated: int
    numbers: dict[str, float]

    def plot(self, status_words: Mapping[str, str]) -> pd.DataFrame:
        """The segments as the chart stacks them: panel title (with the counts' dates), stack order,
        the status in ``status_words``, short bar label."""
        return self.loss.assign(panel_ja=self.loss["panel"].map(D1_PANELS),
                                stack=self.loss["segment"].map(D1_SEGMENTS.index),
                                status_ja=self.loss["status"].map(status_words),
                                bar_short=self.loss["bar"].map(D1_BARS))

    @property
    def totals(self) -> pd.DataFrame:
        """One row per bar: its total count (the label on top of the bar)."""
        return self.plot({}).groupby(["panel_ja", "bar", "bar_short"], as_index=False)["count"].sum()

    @property
    def drop_labels(self) -> pd.DataFrame:
        """The relative drop written above Japan's bar of each panel."""
        return pd.DataFrame({
            "panel_ja": list(D1_PANELS.values()), "bar": ["日本で上市済みもしくは開発中", "日本での開発あり"],
            "label": [f"{self.drops['approved']:.0%}", f"{self.drops['phase3']:.0%}"], "count": list(self.d2["japan"]),
        }).assign(bar_short=lambda f: f["bar"].map(D1_BARS))

    @property
    def d2_plot(self) -> pd.DataFrame:
        """D2 with the words of its chart: the share with its counts, and the seed's 'below' threshold."""
        return self.d2.assign(label=[f"{r.share_pct:.1f}%（{r.japan}/{r.us_eu}）" for r in self.d2.itertuples()],
                              threshold=self.d2["printed_below_pct"].map(lambda v: f"資料の表記：{v:.0f}%未満"))

    @property
    def axis_max(self) -> int:
        """The count axis: the tallest bar and room for its two labels, to the next 20 above."""
        return int(math.ceil(self.totals["count"].max() * 1.15 / 20) * 20)


def drug_loss(ds: Dataset, p: D1Parameters) -> D1Result:
    """Products approved or in phase 3 in the US/EU and how many reach Japan (D1), and Japan's shares (D2)."""
    loss = ds["drug_loss"]
    bars = loss.groupby(["panel", "bar"], sort=False)["count"].sum()
    seg = loss.set_index("segment")["count"]
    approved_all = int(bars[("approved", "日米欧いずれかで上市済み")])
    approved_jp = int(bars[("approved", "日本で上市済みもしくは開発中")])
    p3_all = int(bars[("phase3", "欧米どちらかでP3開発中")])
    p3_jp = int(bars[("phase3", "日本での開発あり")])
    not_developed = approved_all - approved_jp
    designated = int(printed_value(ds, "D1", "designated"))
    below = {k: printed_value(ds, "D2", k) for k in ("share_approved_below_pct", "share_phase3_below_pct")}
    share_approved, share_p3 = approved_jp / approved_all, p3_jp / p3_all
    drops = {"approved": relative_change(approved_all, approved_jp), "phase3": relative_change(p3_all, p3_jp)}
    d2 = pd.DataFrame({
        "stage": ["日米欧で承認済みの製品", "欧米で第Ⅲ相試験中の製品"],
        "japan": [approved_jp, p3_jp], "us_eu": [approved_all, p3_all],
        "share_pct": [share_approved * 100, share_p3 * 100],
        "printed_below_pct": [below["share_approved_below_pct"], below["share_phase3_below_pct"]],
        "status": ["derived", "derived"],
        "note": ["日本で上市済みもしくは開発中の品目数 ÷ 日米欧いずれかで上市済みの品目数（図 D1）",
                 "日本での開発ありの品目数 ÷ 欧米どちらかでP3開発中の品目数（図 D1）"],
    })
    numbers: dict[str, float] = {f"d1_{k}": v for k, v in {
        "approved_all": approved_all, "approved_jp": approved_jp, "launched": int(seg["上市済み"]),
        "developing": int(seg["開発中"]), "p3_all": p3_all, "p3_jp": p3_jp, "p3_multi": int(seg["複数地域で開発"]),
        "p3_single": int(seg["単独地域で開発"]), "not_developed": not_developed, "designated": designated}.items()}
    numbers.update(d1_drop_approved=drops["approved"], d1_drop_p3=drops["phase3"],
                   d1_designated_share=designated / not_developed if not_developed else 0.0,
                   d2_share_approved=share_approved, d2_share_p3=share_p3,
                   d2_below_approved=below["share_approved_below_pct"] / 100,
                   d2_below_p3=below["share_phase3_below_pct"] / 100)
    return D1Result(loss, drops, d2, not_developed, designated, numbers)


# --- figure A1 and table A2 ----------------------------------------------------------------------
APPROVAL_MODALITIES = ("組織移植", "細胞移植", "ex vivo遺伝子治療", "in vivo遺伝子治療", "in vivoウイルス治療")


class A1Parameters(Parameters):
    as_of: CalendarDate = param("2023-06-26", "この日までの承認を数える")
    since_year: int = param(2021, "「○年以降の承認品目数」の起点", unit="年", minimum=2000, maximum=2100)

    def problems(self, ds: Dataset) -> list[Problem]:
        products = ds["approved_products"]
        first = int(products["approval_year"].min())
        out = []
        if dt.date.fromisoformat(self.as_of) < approval_day(str(products["approval_date"].min())):
            out.append(Problem(("as_of",), f"{self.as_of} is before the first approval ({first})"))
        if self.since_year > dt.date.fromisoformat(self.as_of).year:
            out.append(Problem(("since_year",), f"{self.since_year} is after as_of ({self.as_of})"))
        return out


@dataclass(frozen=True)
class A1Result:
    approved: pd.DataFrame  # products approved by as_of, with approval_day
    cumulative: pd.DataFrame  # year, modality, approvals, cumulative
    yearly: pd.DataFrame  # year, approvals, cumulative (all modalities)
    withdrawn: pd.DataFrame
    numbers: dict[str, float]

    @property
    def plot(self) -> pd.DataFrame:
        """The running counts as the chart stacks them, with the products approved in each year and modality."""
        names = self.approved.groupby(["approval_year", "modality"])["name_ja"].apply("、".join)
        return self.cumulative.assign(
            stack=self.cumulative["modality"].map(APPROVAL_MODALITIES.index),
            names=[names.get((yr, mo), "") for yr, mo in zip(self.cumulative["year"], self.cumulative["modality"], strict=True)],
        )

    @property
    def data(self) -> pd.DataFrame:
        """A1's published data: each modality's running count beside the count of all modalities (derived)."""
        totals = self.yearly.rename(columns={"approvals": "total_approvals", "cumulative": "total_cumulative"})
        return self.cumulative.merge(totals, on="year").assign(status="derived")


def approvals_as_of(ds: Dataset, p: A1Parameters) -> A1Result:
    """The approved products (A2) and their running count by modality (A1), as of ``p.as_of``."""
    products = ds["approved_products"]
    approved = approved_as_of(products, p.as_of)
    y, m, d = (int(x) for x in p.as_of.split("-"))
    numbers: dict[str, float] = {
        "a1_total": len(approved), "a1_first_year": int(approved["approval_year"].min()),
        "a1_since_year": p.since_year, "a1_since": count_since(products, p.as_of, p.since_year),
        "a1_y": y, "a1_m": m, "a1_d": d, "a1_conditional": int(approved["conditional"].sum()),
        "a1_japan": int((approved["origin"] == "日本発").sum()),
        "a1_withdrawn": len(withdrawn_as_of(products, p.as_of)), "a1_modalities": approved["modality"].nunique(),
    }
    for i, modality in enumerate(APPROVAL_MODALITIES):
        numbers[f"a1_n_{i}"] = int((approved["modality"] == modality).sum())
    return A1Result(approved, cumulative_by_year(products, p.as_of), cumulative_by_year(products, p.as_of, by=None),
                    withdrawn_as_of(products, p.as_of), numbers)


# --- figure A3 -----------------------------------------------------------------------------------
class A3Parameters(Parameters):
    horizon_year: int = param(2027, "予測の最終年", unit="年", minimum=2000, maximum=2100)
    approved_recommended_2023: int = param(2, "2023年予測のうち承認了承済みの品目数（資料の印字）", unit="品目",
                                           minimum=0, maximum=100)

    def problems(self, ds: Dataset) -> list[Problem]:
        forecast = ds["launch_forecast"]
        years = forecast.loc[forecast["kind"] == "予測", "year"]
        if self.horizon_year not in set(years):
            return [Problem(("horizon_year",), f"no forecast for {self.horizon_year}; forecast years: {sorted(years)}")]
        first = forecast[forecast["kind"] == "予測"].sort_values("year").iloc[0]
        if self.approved_recommended_2023 > int(first["launches"]):
            return [Problem(("approved_recommended_2023",), f"more than the {int(first['launches'])} launches "
                                                            f"forecast for {int(first['year'])}")]
        return []


@dataclass(frozen=True)
class A3Result:
    forecast: pd.DataFrame  # year, launches, cumulative, kind, status, note (to the horizon)
    actual_year: int
    numbers: dict[str, float]


def launch_forecast(ds: Dataset, p: A3Parameters) -> A3Result:
    """Yearly and cumulative launches in Japan as printed (A3), against the product list."""
    forecast = ds["launch_forecast"]
    check_forecast(forecast)
    forecast = forecast[forecast["year"] <= p.horizon_year].sort_values("year").reset_index(drop=True)
    products = ds["approved_products"]
    actual = forecast[forecast["kind"] == "実績"].iloc[-1]
    ahead = forecast[forecast["kind"] == "予測"]
    actual_year = int(actual["year"])
    listed = cumulative_by_year(products, f"{actual_year}-12-31", by=None).set_index("year")
    first = ahead.iloc[0]
    numbers: dict[str, float] = {
        "a3_actual_year": actual_year, "a3_actual_cum": int(actual["cumulative"]),
        "a3_list_cum": int(listed.loc[actual_year, "cumulative"]), "a3_horizon": p.horizon_year,
        "a3_horizon_cum": int(forecast.iloc[-1]["cumulative"]),
        "a3_headline": printed_value(ds, "A3", "headline_2027"), "a3_added": int(ahead["launches"].sum()),
        "a3_per_year": float(ahead["launches"].mean()), "a3_first_year": int(first["year"]),
        "a3_first": int(first["launches"]), "a3_recommended": p.approved_recommended_2023,
        "a3_filed_expected": int(first["launches"]) - p.approved_recommended_2023,
    }
    return A3Result(forecast, actual_year, numbers)

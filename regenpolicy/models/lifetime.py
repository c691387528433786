"""Cumulative cost of a repeated therapy against a one-time therapy (figure C1).

Costs fall at the start of each year t = 1, 2, … and are discounted to year 1:

    cumulative(T) = Σ_{t=1..T} (direct_t + indirect_t) / (1 + r)^(t−1)

The break-even year is when the repeated therapy's cumulative cost first reaches the one-time
therapy's, interpolated linearly within the year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.parameters import DataParameters, Parameters, Problem, datum, param


@dataclass(frozen=True)
class Therapy:
    first_year_direct: float  # 円: treatment in year 1 (a one-time product's price goes here)
    later_year_direct: float  # 円 per year from year 2
    annual_indirect: float  # 円 per year: care, travel, lost work

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")


def yearly_costs(therapy: Therapy, years: int) -> pd.DataFrame:
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    rows = [{"year": t, "direct": therapy.first_year_direct if t == 1 else therapy.later_year_direct,
             "indirect": therapy.annual_indirect} for t in range(1, years + 1)]
    return pd.DataFrame(rows)


def cumulative_costs(therapy: Therapy, years: int, discount_rate: float) -> pd.DataFrame:
    """Per year: discounted direct and indirect cost and their running totals (never decreasing)."""
    if discount_rate <= -1:
        raise ValueError(f"discount_rate must be above −100%, got {discount_rate}")
    frame = yearly_costs(therapy, years)
    factor = (1 + discount_rate) ** -(frame["year"] - 1)
    frame["direct"] *= factor
    frame["indirect"] *= factor
    frame["cum_direct"] = frame["direct"].cumsum()
    frame["cum_indirect"] = frame["indirect"].cumsum()
    frame["cum_total"] = frame["cum_direct"] + frame["cum_indirect"]
    return frame


def break_even_year(repeated: pd.DataFrame, once: pd.DataFrame) -> float | None:
    """First (fractional) year when the repeated therapy has cost at least the one-time one.

    Cumulative totals are read at the end of each year; between two year-ends they are taken to
    grow linearly. None when it never happens within the horizon.
    """
    gap = (repeated["cum_total"] - once["cum_total"]).tolist()
    years = repeated["year"].tolist()
    if gap[0] >= 0:
        return float(years[0])
    for i in range(1, len(gap)):
        if gap[i] >= 0:
            return float(years[i - 1] + (-gap[i - 1]) / (gap[i] - gap[i - 1]))
    return None


# --- figure C1 -----------------------------------------------------------------------------------
class C1Data(DataParameters):
    """The data parameters of the lifetime cost model (figure C1): each one's type, label, unit and the range the
    model accepts. Values, stated ranges, status, basis and sources: data/model_parameters.csv (model C1)."""

    MODEL = "C1"

    once_price: float = datum("一度きりの治療の価格", unit="円/患者", minimum=0, maximum=10_000_000_000)
    once_admission: float = datum("一度きりの治療の投与入院費", unit="円", minimum=0, maximum=10_000_000_000)
    once_followup_annual: float = datum("一度きりの治療後の経過観察費", unit="円/年", minimum=0, maximum=10_000_000_000)
    once_indirect_annual: float = datum("一度きりの治療後の間接費用", unit="円/年", minimum=0, maximum=10_000_000_000)
    repeat_dose_price: float = datum("繰り返す治療の1回薬価", unit="円/回", minimum=0, maximum=10_000_000_000)
    repeat_doses_first_year: int = datum("1年目の投与回数", unit="回", minimum=0, maximum=100)
    repeat_doses_later: int = datum("2年目以降の年間投与回数", unit="回/年", minimum=0, maximum=100)
    repeat_admin_cost: float = datum("1回当たり投与費用", unit="円/回", minimum=0, maximum=10_000_000_000)
    repeat_indirect_annual: float = datum("繰り返す治療の間接費用", unit="円/年", minimum=0, maximum=10_000_000_000)
    discount_rate: float = datum("割引率", unit="割合", minimum=0, maximum=1)
    horizon_years: int = datum("比較期間", unit="年", minimum=1, maximum=50)


class C1Parameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の C1 の値の上書き")
    scenarios: dict[str, dict[str, float]] = param({
        "low": {"repeat_indirect_annual": 750000, "once_admission": 1000000},
        "high": {"repeat_indirect_annual": 2250000, "once_admission": 250000},
    }, "見出しの損益分岐年を比べるシナリオ（基準値からの上書き）")

    def problems(self, ds: Dataset) -> list[Problem]:
        frame = ds["model_parameters"]
        out = parameters.override_problems(frame, C1Data, self.overrides)
        for name, values in self.scenarios.items():
            out += parameters.override_problems(frame, C1Data, values, ("scenarios", name))
        return out


def therapies(p: Mapping[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cumulative costs of the repeated therapy and of the one-time therapy, from C1's parameters."""
    once = Therapy(first_year_direct=p["once_price"] + p["once_admission"],
                   later_year_direct=p["once_followup_annual"], annual_indirect=p["once_indirect_annual"])
    per_dose = p["repeat_dose_price"] + p["repeat_admin_cost"]
    repeat = Therapy(first_year_direct=per_dose * p["repeat_doses_first_year"],
                     later_year_direct=per_dose * p["repeat_doses_later"], annual_indirect=p["repeat_indirect_annual"])
    years = int(p["horizon_years"])
    return cumulative_costs(repeat, years, p["discount_rate"]), cumulative_costs(once, years, p["discount_rate"])


def break_even(p: Mapping[str, float]) -> float:
    """Break-even year; the horizon when it is not reached within it."""
    repeat, once = therapies(p)
    year = break_even_year(repeat, once)
    return year if year is not None else float(p["horizon_years"])


@dataclass(frozen=True)
class C1Result:
    curves: pd.DataFrame  # therapy (repeat/once), year, direct, indirect, cum_direct, cum_indirect, cum_total
    tornado: pd.DataFrame  # labelled one-way sensitivity of the break-even year
    table: pd.DataFrame  # the model's rows of model_parameters
    base: dict[str, float]
    numbers: dict[str, float]
    top_parameter: str  # label of the widest swing


def lifetime_costs(ds: Dataset, p: C1Parameters) -> C1Result:
    """Cumulative cost of a repeated and a one-time therapy (C1), its break-even year and sensitivity."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, C1Data)
    base = parameters.values(frame, C1Data, p.overrides)
    repeat, once = therapies(base)
    year = break_even_year(repeat, once)
    curves = pd.concat([repeat.assign(therapy="repeat"), once.assign(therapy="once")], ignore_index=True)
    tornado = parameters.labelled(sensitivity.tornado(break_even, base, parameters.stated_ranges(frame, C1Data)), table)
    scen = sensitivity.scenarios(break_even, base, p.scenarios)
    numbers = {
        "c1_break_even": year if year is not None else float("nan"), "c1_horizon": int(base["horizon_years"]),
        "c1_once_total": once["cum_total"].iloc[-1] / 1e8, "c1_repeat_total": repeat["cum_total"].iloc[-1] / 1e8,
        "c1_rate": base["discount_rate"], "c1_doses_first": base["repeat_doses_first_year"],
        "c1_doses_later": base["repeat_doses_later"], "c1_scen_min": scen["output"].min(),
        "c1_scen_max": scen["output"].max(),
    }
    return C1Result(curves, tornado, table, base, numbers, str(tornado.iloc[0]["label"]))

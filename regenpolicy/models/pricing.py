"""Pricing proposals (figures P1 and P2) against the current methods.

P1 (FIRM 案1): a price built from the value the product brings,

    standard-care cost over the horizon (discounted) + quantifiable social value
    = value base;  price = value base × (1 + Σ add-on rates)

against the current cost-accounting price (製造原価 + 販管費 + 営業利益 + 流通経費 + 消費税,
then premiums × the disclosure coefficient) and the comparator method (comparator price ×
(1 + premiums)).

P2 (FIRM 案2, 段階的還元型): a floor at the cost-accounting price, a listing price from the
comparator with add-ons, and outcome-linked payments after launch that are paid in tranches
while the outcomes are met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.params import Parameters, Problem, param


def present_value(annual: float, years: int, discount_rate: float) -> float:
    """Σ_{t=1..years} annual / (1 + r)^(t−1): a yearly amount paid at the start of each year."""
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    return sum(annual / (1 + discount_rate) ** t for t in range(years))


def cost_accounting_price(components: dict[str, float], premium_rate: float, disclosure_coefficient: float,
                          premium_base: float | None = None) -> dict[str, float]:
    """Sum of the cost components, then premiums scaled by the disclosure coefficient.

    ``premium_base`` is the amount the premium applies to (the pre-premium price; by default
    the sum of the components).
    """
    base = sum(components.values())
    premium = (premium_base if premium_base is not None else base) * premium_rate * disclosure_coefficient
    return {**components, "premium": premium, "price": base + premium}


def comparator_price(comparator: float, premium_rate: float) -> float:
    return comparator * (1 + premium_rate)


@dataclass(frozen=True)
class ValueInputs:
    standard_care_annual: float  # 円 per year of the care the product replaces
    horizon_years: int
    discount_rate: float
    productivity_annual: float  # 円 per year of work regained
    work_years_gained: float  # expected years of work regained per patient
    caregiver_annual: float  # 円 per year of care no longer needed
    caregiver_years: float
    addon_rates: dict[str, float]  # name → rate


def value_based_price(v: ValueInputs) -> dict[str, float]:
    """The P1 build-up: each step of the waterfall and the resulting price (円 per patient)."""
    standard = present_value(v.standard_care_annual, v.horizon_years, v.discount_rate)
    productivity = v.productivity_annual * v.work_years_gained
    caregiving = v.caregiver_annual * v.caregiver_years
    base = standard + productivity + caregiving
    steps = {"standard_care": standard, "productivity": productivity, "caregiving": caregiving}
    for name, rate in v.addon_rates.items():
        steps[f"addon_{name}"] = base * rate
    steps["price"] = base * (1 + sum(v.addon_rates.values()))
    return steps


def staged_payments(floor: float, listing_price: float, outcome_payment: float, tranche_years: list[int],
                    outcomes_met: list[bool], horizon: int) -> pd.DataFrame:
    """P2: cumulative payment per patient by year.

    At listing the payer pays max(floor, listing_price). ``outcome_payment`` is split equally
    over ``tranche_years``; a tranche is paid only if the outcome is still met that year, and
    payments stop at the first year it is not.
    """
    if len(tranche_years) != len(outcomes_met):
        raise ValueError("one outcome flag per tranche year is needed")
    upfront = max(floor, listing_price)
    tranche = outcome_payment / len(tranche_years) if tranche_years else 0.0
    paid_years: set[int] = set()
    for year, met in zip(tranche_years, outcomes_met, strict=True):
        if not met:
            break
        paid_years.add(year)
    rows, total = [], upfront
    for year in range(horizon + 1):
        if year in paid_years:
            total += tranche
        rows.append({"year": year, "cumulative": total})
    return pd.DataFrame(rows)


# --- figure P1 -----------------------------------------------------------------------------------
ADDONS = {"usefulness": "有用性加算", "marketability": "市場性加算", "pediatric": "小児加算",
          "regenerative": "再生医療等製品加算"}
P1_METHODS = ("現行：原価計算方式", "現行：類似薬効比較方式", "FIRM 案1：価値に基づく算定")


@dataclass(frozen=True)
class P1Parameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の P1 の値の上書き")
    scenarios: dict[str, dict[str, float]] = param({
        "low": {"standard_care_annual": 3000000, "work_years_gained": 0.5, "addon_regenerative": 0.0},
        "high": {"standard_care_annual": 9000000, "work_years_gained": 2.0, "addon_regenerative": 0.2},
    }, "P1 の価格を比べるシナリオ（基準値からの上書き）")

    def problems(self, ds: Dataset) -> list[Problem]:
        frame = ds["model_parameters"]
        out = parameters.override_problems(frame, "P1", self.overrides)
        for name, values in self.scenarios.items():
            out += parameters.override_problems(frame, "P1", values, ("scenarios", name))
        return out


def value_inputs(p: Mapping[str, float]) -> ValueInputs:
    return ValueInputs(
        standard_care_annual=p["standard_care_annual"], horizon_years=int(p["horizon_years"]),
        discount_rate=p["discount_rate"], productivity_annual=p["productivity_annual"],
        work_years_gained=p["work_years_gained"], caregiver_annual=p["caregiver_annual"],
        caregiver_years=p["caregiver_years"], addon_rates={k: p[f"addon_{k}"] for k in ADDONS})


def p1_price(p: Mapping[str, float]) -> float:
    """The P1 price in 万円."""
    return value_based_price(value_inputs(p))["price"] / 1e4


@dataclass(frozen=True)
class P1Result:
    waterfall: pd.DataFrame  # method, order, step, start, end, amount, kind (円 per patient)
    tornado: pd.DataFrame
    table: pd.DataFrame
    numbers: dict[str, float]
    top_parameter: str


def value_price(ds: Dataset, p: P1Parameters) -> P1Result:
    """The P1 price build-up against the cost-accounting and comparator methods (P1)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, "P1")
    base = parameters.values(frame, "P1", p.overrides)
    p1 = value_based_price(value_inputs(base))
    current = cost_accounting_price(
        {"cogs": base["cogs"], "operating_profit": base["operating_profit"],
         "distribution_cost": base["distribution_cost"], "consumption_tax": base["consumption_tax"]},
        base["premium_rate"], base["disclosure_coefficient"], premium_base=base["premium_base"])
    comparator = comparator_price(base["comparator_price"], base["comparator_premium"])
    steps = {
        P1_METHODS[0]: [("製造原価", current["cogs"]), ("営業利益", current["operating_profit"]),
                        ("流通経費", current["distribution_cost"]), ("消費税", current["consumption_tax"]),
                        ("加算（×開示度係数）", current["premium"])],
        P1_METHODS[1]: [("比較薬の価格", base["comparator_price"]), ("加算", comparator - base["comparator_price"])],
        P1_METHODS[2]: [("標準治療の医療費（複数年）", p1["standard_care"]), ("労働生産性", p1["productivity"]),
                        ("介護負担の軽減", p1["caregiving"])] + [(ADDONS[k], p1[f"addon_{k}"]) for k in ADDONS],
    }
    rows = []
    for method, items in steps.items():
        running = 0.0
        for order, (step, amount) in enumerate(items):
            rows.append({"method": method, "order": order, "step": step, "start": running, "end": running + amount,
                         "amount": amount, "kind": "加算" if "加算" in step else "積み上げ"})
            running += amount
        rows.append({"method": method, "order": len(items), "step": "価格", "start": 0.0, "end": running,
                     "amount": running, "kind": "価格"})
    tornado = parameters.labelled(sensitivity.tornado(p1_price, base, parameters.stated_ranges(frame, "P1")), table)
    tornado = tornado[tornado["swing"] > 0].reset_index(drop=True)
    scen = sensitivity.scenarios(p1_price, base, p.scenarios)
    numbers = {
        "p1_price": p1["price"] / 1e4, "p1_current": current["price"] / 1e4, "p1_comparator": comparator / 1e4,
        "p1_standard": p1["standard_care"] / 1e4, "p1_years": int(base["horizon_years"]),
        "p1_social": (p1["productivity"] + p1["caregiving"]) / 1e4,
        "p1_scen_min": scen["output"].min(), "p1_scen_max": scen["output"].max(),
    }
    return P1Result(pd.DataFrame(rows), tornado, table, numbers, str(tornado.iloc[0]["label"]))


# --- figure P2 -----------------------------------------------------------------------------------
P2_SCENARIOS = {"good": "成果が続く", "base": "2年まで成果", "poor": "成果が出ない"}


@dataclass(frozen=True)
class P2Parameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の P2 の値の上書き")
    tranche_years: list[int] = param([1, 2, 3, 5], "成果連動の支払いを判定する年", unit="年", minimum=1, maximum=50)
    outcome_scenarios: dict[str, list[bool]] = param({
        "good": [True, True, True, True],
        "base": [True, True, False, False],
        "poor": [False, False, False, False],
    }, "各判定年に成果が確認されるか（シナリオごと）")

    def problems(self, ds: Dataset) -> list[Problem]:
        out = parameters.override_problems(ds["model_parameters"], "P2", self.overrides)
        if sorted(set(self.tranche_years)) != self.tranche_years or not self.tranche_years:
            out.append(Problem(("tranche_years",), "must list distinct years in increasing order"))
        for name, flags in self.outcome_scenarios.items():
            if len(flags) != len(self.tranche_years):
                out.append(Problem(("outcome_scenarios", name), f"needs one flag per tranche year "
                                                                f"({len(self.tranche_years)}), got {len(flags)}"))
        horizon = parameters.values(ds["model_parameters"], "P2", self.overrides)["horizon_years"]
        if self.tranche_years and max(self.tranche_years) > horizon:
            out.append(Problem(("tranche_years",), f"a tranche after the horizon ({horizon:g} years) is never paid"))
        return out


@dataclass(frozen=True)
class P2Result:
    paths: pd.DataFrame  # scenario, scenario_ja, year, cumulative (円 per patient)
    floor: float
    listing: float
    table: pd.DataFrame
    numbers: dict[str, float]


def staged_price(ds: Dataset, p: P2Parameters) -> P2Result:
    """Cumulative payment per patient under the staged proposal, by outcome scenario (P2)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, "P2")
    v = parameters.values(frame, "P2", p.overrides)
    p1 = parameters.values(frame, "P1")
    floor = p1["cogs"] + p1["operating_profit"] + p1["distribution_cost"] + p1["consumption_tax"]
    listing = comparator_price(p1["comparator_price"], v["listing_addon"])
    paths = pd.concat([
        staged_payments(floor, listing, v["outcome_payment"], p.tranche_years, met, int(v["horizon_years"]))
        .assign(scenario=name, scenario_ja=P2_SCENARIOS.get(name, name))
        for name, met in p.outcome_scenarios.items()
    ], ignore_index=True)
    final = paths.groupby("scenario")["cumulative"].last()
    numbers = {
        "p2_floor": floor / 1e4, "p2_listing": listing / 1e4, "p2_outcome": v["outcome_payment"] / 1e4,
        "p2_tranches": len(p.tranche_years), "p2_good": final.get("good", float("nan")) / 1e4,
        "p2_poor": final.get("poor", float("nan")) / 1e4, "p2_base": final.get("base", float("nan")) / 1e4,
    }
    return P2Result(paths, floor, listing, table, numbers)

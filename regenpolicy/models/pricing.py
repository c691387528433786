"""Pricing proposals (figures P1 and P2) against the current methods.

P1 (FIRM 案1, as the slide 「FIRM 案1 医療費や社会的価値に基づいた価格算定」 builds it): the
base price is several years of the standard care's medical cost plus the quantifiable social
value the product brings (生産性損失改善, 介護負担改善), and the 付加価値加算 FIRM names
(画期性/有用性, 小児, 市場性, （新規）再生医療等製品加算) are added on top:

    standard care   = Σ_{t<H} annual cost × ∫_t^{t+1} S_c / (1 + r)^t          (comparator survival S_c)
    life-years      = Σ_{t<G} ∫_t^{t+1} (S_p − S_c) / (1 + r)^t                (G: the years the gain lasts)
    productivity    = wage × employment rate × Σ_{t<W} ∫_t^{t+1} (S_p − S_c) / (1 + r)^t   (W: years to retirement)
    care            = annual public care cost × care years per death avoided × (S_p(5) − S_c(5))
    price           = (standard care + productivity + care) × (1 + Σ add-on rates)

The standard-care cost is weighted by the comparator's survival (a year in which a patient has
died costs nothing: counting it would pay for care nobody receives). Beside it: the base with
the add-ons off, and the price at which Japan's 費用対効果評価 would find the ICER at its
reference value: QALY gain × 円/QALY + the standard-care cost avoided.

The current cost-accounting price (製造原価 + 営業利益 + 流通経費 + 消費税 = the pre-premium price,
then the premiums × the disclosure coefficient, rounded to the yen) reproduces Kymriah's listed
price exactly from its printed pre-premium price: 30,727,896 × (1 + 0.45 × 0.2) = 33,493,406.64
→ 33,493,407円. The comparator method is comparator price × (1 + premiums).

P2 (FIRM 案2, 段階的還元型): a floor at the cost-accounting price, a listing price from the
comparator with add-ons, and outcome-linked payments after launch that are paid in tranches
while the outcomes are met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Annotated

import pandas as pd
from pydantic import Field

from regenpolicy.data import Dataset
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.parameters import DataParameters, Parameters, Problem, datum, param
from regenpolicy.models.printed import Inconsistent


def present_value(annual: float, years: int, discount_rate: float) -> float:
    """Σ_{t=1..years} annual / (1 + r)^(t−1): a yearly amount paid at the start of each year."""
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    return sum(annual / (1 + discount_rate) ** t for t in range(years))


def round_yen(value: float | Decimal | str) -> int:
    """Round to the yen, halves up (the listed prices are whole yen: 33,493,406.64 → 33,493,407)."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def premium_price(premium_base: float, premium_rate: float, disclosure_coefficient: float) -> int:
    """The listed price: pre-premium price × (1 + premium rate × disclosure coefficient), to the yen.

    Computed in decimal arithmetic so that the printed inputs give the printed price exactly.
    """
    factor = 1 + Decimal(str(premium_rate)) * Decimal(str(disclosure_coefficient))
    return round_yen(Decimal(str(premium_base)) * factor)


def cost_accounting_price(components: dict[str, float], premium_rate: float, disclosure_coefficient: float,
                          premium_base: float | None = None) -> dict[str, float]:
    """The cost components, then the premiums scaled by the disclosure coefficient.

    ``premium_base`` is the exact pre-premium price (by default the sum of the components); when
    the components are printed rounded, ``rounding`` is the difference between that price and
    their sum, so the steps add up to the price. ``price`` is rounded to the yen.
    """
    total = sum(components.values())
    base = premium_base if premium_base is not None else total
    price = premium_price(base, premium_rate, disclosure_coefficient)
    return {**components, "rounding": base - total, "premium": price - base, "price": price}


def comparator_price(comparator: float, premium_rate: float) -> float:
    return comparator * (1 + premium_rate)


def survival_points(median_months: float, os_1y: float, os_2y: float, os_5y: float) -> list[tuple[float, float]]:
    """(years, survival) points of the comparator's overall survival, joined by straight lines.

    Survival never rises: a later point above an earlier one is held at the earlier value (e.g. an
    assumed 5-year rate above a varied 2-year rate).
    """
    if not 0 < median_months < 12:
        raise ValueError(f"the median survival must fall within the first year, got {median_months} months")
    points, level = [], 1.0
    for t, value in ((0.0, 1.0), (median_months / 12, 0.5), (1.0, os_1y), (2.0, os_2y), (5.0, os_5y)):
        if not 0 <= value <= 1:
            raise ValueError(f"survival must be between 0 and 1, got {value}")
        level = min(level, value)
        points.append((t, level))
    return points


def years_alive(points: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """∫ S(t) dt from ``start`` to ``end`` (years alive per patient), S linear between the points and
    flat after the last one."""
    total = 0.0
    extended = [*points, (max(end, points[-1][0]) + 1.0, points[-1][1])]
    for (t0, s0), (t1, s1) in pairwise(extended):
        a, b = max(t0, start), min(t1, end)
        if b <= a:
            continue
        slope = (s1 - s0) / (t1 - t0)
        total += (b - a) * (s0 + slope * ((a + b) / 2 - t0))
    return total


def product_survival_points(median_months: float, os_5y: float) -> list[tuple[float, float]]:
    """(years, survival) points of the product's overall survival: 1 at 0, 0.5 at the median, the
    5-year rate at 5 years, flat after (the plateau of patients in long remission)."""
    if not 0 < median_months < 60:
        raise ValueError(f"the product's median survival must fall within five years, got {median_months} months")
    if not 0 <= os_5y <= 0.5:
        raise ValueError(f"the product's 5-year survival must be between 0 and 0.5 (below the median), got {os_5y}")
    return [(0.0, 1.0), (median_months / 12, 0.5), (5.0, os_5y)]


def life_years_gained(product: Sequence[tuple[float, float]], comparator: Sequence[tuple[float, float]],
                      years: float, discount_rate: float) -> float:
    """Σ_{t} ∫_t^{min(t+1, years)} (S_p − S_c) dt / (1 + r)^t: discounted life-years gained per patient."""
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    total, t = 0.0, 0
    while t < years:
        end = min(t + 1.0, years)
        total += (years_alive(product, t, end) - years_alive(comparator, t, end)) / (1 + discount_rate) ** t
        t += 1
    return total


def survival_weighted_cost(annual: float, years: int, discount_rate: float,
                           points: Sequence[tuple[float, float]]) -> float:
    """Σ_{t=0..years−1} annual × years alive in [t, t+1) / (1 + r)^t (cost only while alive)."""
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    return sum(annual * years_alive(points, t, t + 1) / (1 + discount_rate) ** t for t in range(years))


@dataclass(frozen=True)
class ValueInputs:
    standard_care_annual: float  # 円 per year alive of the care the product replaces
    horizon_years: int  # years of standard care counted
    discount_rate: float
    wage_annual: float  # 円 per year of work
    employment_rate: float  # share of the survivors who work
    work_years: float  # years until retirement: productivity counts the life-years gained within them
    care_annual: float  # 円 per year of (public long-term) care
    care_years_per_death: float  # years of care a death from the disease needs
    gain_years: float  # years the survival gain lasts (remaining life expectancy)
    addon_rates: dict[str, float]  # name → rate
    survival: tuple[tuple[float, float], ...] = ((0.0, 1.0),)  # comparator OS points
    product_survival: tuple[tuple[float, float], ...] = ((0.0, 1.0),)  # the product's OS points
    value_addons: tuple[str, ...] = ("usefulness",)  # add-ons that price clinical value
    add_value_addons: bool = True  # FIRM adds them; off: the base already prices that value


def value_based_price(v: ValueInputs) -> dict[str, float]:
    """The P1 build-up: each step of the waterfall and the resulting price (円 per patient).

    ``base`` (no add-on), ``price_with_value_addons`` and ``price_without_value_addons`` are all
    returned; ``price`` is the one ``add_value_addons`` chooses, and the steps hold only the add-ons
    it adds. ``life_years`` is the discounted life-years gained over ``gain_years``.
    """
    standard = survival_weighted_cost(v.standard_care_annual, v.horizon_years, v.discount_rate, v.survival)
    work_life_years = life_years_gained(v.product_survival, v.survival, min(v.work_years, v.gain_years),
                                        v.discount_rate)
    productivity = v.wage_annual * v.employment_rate * work_life_years
    cured = max(0.0, v.product_survival[-1][1] - v.survival[-1][1])
    caregiving = v.care_annual * v.care_years_per_death * cured
    base = standard + productivity + caregiving
    steps = {"standard_care": standard, "productivity": productivity, "caregiving": caregiving}
    other = sum(rate for name, rate in v.addon_rates.items() if name not in v.value_addons)
    value = sum(rate for name, rate in v.addon_rates.items() if name in v.value_addons)
    for name, rate in v.addon_rates.items():
        if name not in v.value_addons or v.add_value_addons:
            steps[f"addon_{name}"] = base * rate
    steps["base"] = base
    steps["life_years"] = life_years_gained(v.product_survival, v.survival, v.gain_years, v.discount_rate)
    steps["work_life_years"] = work_life_years
    steps["cured_share"] = cured
    steps["price_without_value_addons"] = base * (1 + other)
    steps["price_with_value_addons"] = base * (1 + other + value)
    steps["price"] = steps["price_with_value_addons" if v.add_value_addons else "price_without_value_addons"]
    return steps


def hta_price(qaly_gain: float, threshold: float, cost_offset: float) -> float:
    """The price at which the ICER equals the reference value: ΔQALY × 円/QALY + the medical cost the
    product avoids (the payer's perspective of Japan's 費用対効果評価: no productivity)."""
    if qaly_gain < 0 or threshold < 0:
        raise ValueError("the QALY gain and the reference value must not be negative")
    return qaly_gain * threshold + cost_offset


def conditional_cost_price(components: Mapping[str, float], margin_factor: float) -> dict[str, float]:
    """The cost-accounting build-up with the operating margin × ``margin_factor`` (中医協 2026-01-14:
    条件及び期限付承認 products use the average margin × 0.5).

    The margin is a share of (cost + profit); the distribution cost a share of (cost + profit); the
    consumption tax a share of all three. Each share is read from ``components`` and kept, so only
    the margin moves: profit' = cost × m'/(1 − m').
    """
    cost, profit = components["cogs"], components["operating_profit"]
    dist, tax = components["distribution_cost"], components["consumption_tax"]
    margin = profit / (cost + profit)
    dist_rate = dist / (cost + profit)
    tax_rate = tax / (cost + profit + dist)
    m = margin * margin_factor
    profit2 = cost * m / (1 - m)
    dist2 = (cost + profit2) * dist_rate
    tax2 = (cost + profit2 + dist2) * tax_rate
    return {"cogs": cost, "operating_profit": profit2, "distribution_cost": dist2, "consumption_tax": tax2,
            "margin": margin, "margin_conditional": m, "total": cost + profit2 + dist2 + tax2}


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
ADDONS = {"usefulness": "画期性加算・有用性加算", "marketability": "市場性加算", "pediatric": "小児加算",
          "regenerative": "（新規）再生医療等製品加算"}
VALUE_ADDONS = ("usefulness",)  # add-ons that reward the clinical value the value base already prices
P1_METHODS = ("現行：原価計算方式", "現行：類似薬効比較方式", "FIRM 案1：価値に基づく算定（加算あり）",
              "FIRM 案1：加算なし", "照合：費用対効果評価の基準値")


class P1Data(DataParameters):
    """The data parameters of the value-based price model (figure P1): each one's type, label, unit and the range the
    model accepts. Values, stated ranges, status, basis and sources: data/model_parameters.csv (model P1)."""

    MODEL = "P1"

    standard_care_annual: float = datum("標準治療の年間医療費（生存している患者1人当たり）", unit="円/年", minimum=0, maximum=10_000_000_000)
    horizon_years: int = datum("標準治療費を積み上げる年数", unit="年", minimum=1, maximum=50)
    discount_rate: float = datum("割引率", unit="割合", minimum=0, maximum=1)
    comparator_median_os_months: float = datum("標準治療の全生存期間中央値", unit="か月", minimum=0.1, maximum=120)
    comparator_os_1y: float = datum("標準治療の1年生存率", unit="割合", minimum=0, maximum=1)
    comparator_os_2y: float = datum("標準治療の2年生存率", unit="割合", minimum=0, maximum=1)
    comparator_os_5y: float = datum("標準治療の5年生存率", unit="割合", minimum=0, maximum=1)
    product_median_os_months: float = datum("製品の全生存期間中央値", unit="か月", minimum=0.1, maximum=59)
    product_os_5y: float = datum("製品の5年生存率", unit="割合", minimum=0, maximum=0.5)
    gain_years: float = datum("生存の上乗せが続く年数", unit="年", minimum=0, maximum=60)
    wage_annual: float = datum("1年分の労働の価値（平均給与）", unit="円/年", minimum=0, maximum=10_000_000_000)
    employment_rate: float = datum("就業率（60〜64歳）", unit="割合", minimum=0, maximum=1)
    patient_age: float = datum("治療時の年齢", unit="歳", minimum=0, maximum=120)
    retirement_age: float = datum("就労をやめる年齢", unit="歳", minimum=0, maximum=120)
    care_annual: float = datum("1年分の介護の費用（公的介護サービス）", unit="円/年", minimum=0, maximum=10_000_000_000)
    care_years_per_death: float = datum("死亡に至る患者が介護を要する年数", unit="年", minimum=0, maximum=50)
    utility: float = datum("長期寛解の生活の質（効用値）", unit="割合", minimum=0, maximum=1)
    qaly_threshold: float = datum("費用対効果評価の基準値（抗がん剤など配慮が必要な品目）", unit="円/QALY", minimum=0, maximum=100_000_000)
    qaly_threshold_standard: float = datum("費用対効果評価の基準値（通常の品目）", unit="円/QALY", minimum=0, maximum=100_000_000)
    margin_factor_conditional: float = datum("条件及び期限付承認品目の営業利益率の係数", unit="割合", minimum=0, maximum=1)
    addon_usefulness: float = datum("画期性加算・有用性加算の率", unit="割合", minimum=0, maximum=1)
    addon_marketability: float = datum("市場性加算率", unit="割合", minimum=0, maximum=1)
    addon_pediatric: float = datum("小児加算率", unit="割合", minimum=0, maximum=1)
    addon_regenerative: float = datum("再生医療等製品加算率", unit="割合", minimum=0, maximum=1)
    cogs: float = datum("製造原価", unit="円/患者", minimum=0, maximum=10_000_000_000)
    operating_profit: float = datum("営業利益", unit="円/患者", minimum=0, maximum=10_000_000_000)
    distribution_cost: float = datum("流通経費", unit="円/患者", minimum=0, maximum=10_000_000_000)
    consumption_tax: float = datum("消費税", unit="円/患者", minimum=0, maximum=10_000_000_000)
    premium_base: float = datum("加算前価格", unit="円/患者", minimum=0, maximum=10_000_000_000)
    premium_rate: float = datum("加算率（現行）", unit="割合", minimum=0, maximum=1)
    disclosure_coefficient: float = datum("開示度による加算係数", unit="割合", minimum=0, maximum=1)
    listed_price: float = datum("キムリアの収載時の価格", unit="円/患者", minimum=0, maximum=10_000_000_000)
    comparator_price: float = datum("比較薬の価格", unit="円/患者", minimum=0, maximum=10_000_000_000)
    comparator_premium: float = datum("比較薬方式の加算率", unit="割合", minimum=0, maximum=1)


class P1Parameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の P1 の値の上書き")
    scenarios: dict[str, dict[str, float]] = param({
        "low": {"standard_care_annual": 3000000, "gain_years": 10, "addon_regenerative": 0.0},
        "high": {"standard_care_annual": 9000000, "retirement_age": 70, "addon_regenerative": 0.2},
    }, "P1 の価格を比べるシナリオ（基準値からの上書き）")
    add_value_addons: bool = param(True, "FIRM の案のとおり画期性加算・有用性加算も上乗せする（切ると、基礎が臨床的価値を"
                                         "既に含むとみて二重計上を避ける）")
    conditional_rule: bool = param(False, "条件及び期限付承認品目の算定ルール（中医協 2026年1月14日：営業利益率×0.5、"
                                          "有用性系加算は算定時に判断しない）を本文で当てはめて示す")

    def problems(self, ds: Dataset) -> list[Problem]:
        frame = ds["model_parameters"]
        out = parameters.override_problems(frame, P1Data, self.overrides)
        for name, values in self.scenarios.items():
            out += parameters.override_problems(frame, P1Data, values, ("scenarios", name))
        if not out:
            for path, values in [(("overrides",), self.overrides),
                                 *((("scenarios", n), {**self.overrides, **v}) for n, v in self.scenarios.items())]:
                try:
                    value_inputs(parameters.values(frame, P1Data, values))
                except ValueError as exc:
                    out.append(Problem(path, str(exc)))
        return out


def value_inputs(p: Mapping[str, float], add_value_addons: bool = True) -> ValueInputs:
    survival = survival_points(p["comparator_median_os_months"], p["comparator_os_1y"], p["comparator_os_2y"],
                               p["comparator_os_5y"])
    product = product_survival_points(p["product_median_os_months"], p["product_os_5y"])
    work_years = p["retirement_age"] - p["patient_age"]
    if work_years < 0:
        raise ValueError(f"retirement_age ({p['retirement_age']:g}) must not be below patient_age ({p['patient_age']:g})")
    return ValueInputs(
        standard_care_annual=p["standard_care_annual"], horizon_years=int(p["horizon_years"]),
        discount_rate=p["discount_rate"], wage_annual=p["wage_annual"], employment_rate=p["employment_rate"],
        work_years=work_years, care_annual=p["care_annual"], care_years_per_death=p["care_years_per_death"],
        gain_years=p["gain_years"], addon_rates={k: p[f"addon_{k}"] for k in ADDONS},
        survival=tuple(survival), product_survival=tuple(product), value_addons=VALUE_ADDONS,
        add_value_addons=add_value_addons)


def p1_price(p: Mapping[str, float], add_value_addons: bool = True) -> float:
    """The P1 price in 万円."""
    return value_based_price(value_inputs(p, add_value_addons))["price"] / 1e4


@dataclass(frozen=True)
class P1Result:
    waterfall: pd.DataFrame  # method, order, step, start, end, amount, kind (円 per patient)
    tornado: pd.DataFrame
    table: pd.DataFrame
    numbers: dict[str, float]
    top_parameter: str


def check_listed_price(v: Mapping[str, float]) -> None:
    """Raise unless Kymriah's listed price is, to the yen, its printed pre-premium price with its premiums."""
    computed = premium_price(v["premium_base"], v["premium_rate"], v["disclosure_coefficient"])
    if computed != v["listed_price"]:
        raise Inconsistent("model_parameters", f"P1 listed_price: the source prints {v['listed_price']:,.0f}円 but the "
                                               f"premiums give {computed:,}円",
                           {"model": "P1", "parameter": "listed_price"}, "value")


def _waterfall(steps: Mapping[str, list[tuple[str, float]]]) -> pd.DataFrame:
    rows = []
    for method, items in steps.items():
        running = 0.0
        for order, (step, amount) in enumerate(items):
            rows.append({"method": method, "order": order, "step": step, "start": running, "end": running + amount,
                         "amount": amount, "kind": "加算" if "加算" in step and "加算前" not in step else "積み上げ"})
            running += amount
        rows.append({"method": method, "order": len(items), "step": "価格", "start": 0.0, "end": running,
                     "amount": running, "kind": "価格"})
    return pd.DataFrame(rows)


def value_price(ds: Dataset, p: P1Parameters) -> P1Result:
    """The P1 price build-up against the cost-accounting and comparator methods, with the add-ons off
    and the 費用対効果評価 cross-check beside it (P1)."""
    frame = ds["model_parameters"]
    check_listed_price(parameters.values(frame, P1Data))
    table = parameters.table(frame, P1Data)
    base = parameters.values(frame, P1Data, p.overrides)
    inputs = value_inputs(base, p.add_value_addons)
    p1 = value_based_price(inputs)
    components = {"cogs": base["cogs"], "operating_profit": base["operating_profit"],
                  "distribution_cost": base["distribution_cost"], "consumption_tax": base["consumption_tax"]}
    current = cost_accounting_price(components, base["premium_rate"], base["disclosure_coefficient"],
                                    premium_base=base["premium_base"])
    comparator = comparator_price(base["comparator_price"], base["comparator_premium"])
    qaly = p1["life_years"] * base["utility"]
    hta = hta_price(qaly, base["qaly_threshold"], p1["standard_care"])
    hta_low = hta_price(qaly, base["qaly_threshold_standard"], p1["standard_care"])  # products without 配慮
    added = [k for k in ADDONS if f"addon_{k}" in p1]
    years = int(base["horizon_years"])
    social = [(f"標準治療の医療費（生存で重み付け、{years}年）", p1["standard_care"]),
              ("労働生産性（延びた生存年のうち就労年齢）", p1["productivity"]), ("介護負担の軽減（公的介護費）", p1["caregiving"])]
    steps = {
        P1_METHODS[0]: [("製造原価", current["cogs"]), ("営業利益", current["operating_profit"]),
                        ("流通経費", current["distribution_cost"]), ("消費税", current["consumption_tax"]),
                        ("丸めた内訳と加算前価格の差", current["rounding"]),
                        ("加算（×開示度係数）", current["premium"])],
        P1_METHODS[1]: [("比較薬の価格", base["comparator_price"]), ("加算", comparator - base["comparator_price"])],
        P1_METHODS[2]: social + [(ADDONS[k], p1[f"addon_{k}"]) for k in added if p1[f"addon_{k}"] > 0],
        P1_METHODS[3]: social,
        P1_METHODS[4]: [("延びた生存年の QALY × 基準値", qaly * base["qaly_threshold"]),
                        ("避けられる標準治療の医療費", p1["standard_care"])],
    }
    # the 2026-01-14 rule for 条件及び期限付承認 products: margin × 0.5, no 有用性系加算 at listing
    cond = conditional_cost_price(components, base["margin_factor_conditional"])
    cond_premium_rate = base["addon_marketability"]  # 市場性加算 stays; 有用性加算 is not judged at listing
    cond_price = premium_price(cond["total"], cond_premium_rate, base["disclosure_coefficient"])
    tornado = parameters.labelled(sensitivity.tornado(lambda q: p1_price(q, p.add_value_addons), base,
                                                      parameters.stated_ranges(frame, P1Data)), table)
    tornado = tornado[tornado["swing"] > 0].reset_index(drop=True)
    scen = sensitivity.scenarios(lambda q: p1_price(q, p.add_value_addons), base, p.scenarios)
    unweighted = present_value(base["standard_care_annual"], years, base["discount_rate"])
    alive = [years_alive(inputs.survival, t, t + 1) for t in range(years)]
    listed = base["listed_price"]
    numbers = {
        "p1_price": p1["price"] / 1e4, "p1_price_without": p1["price_without_value_addons"] / 1e4,
        "p1_price_with": p1["price_with_value_addons"] / 1e4, "p1_base": p1["base"] / 1e4,
        "p1_addon_total": sum(base[f"addon_{k}"] for k in ADDONS),
        "p1_current": current["price"] / 1e4, "p1_current_yen": int(current["price"]),
        "p1_premium_base_yen": base["premium_base"], "p1_comparator": comparator / 1e4,
        "p1_standard": p1["standard_care"] / 1e4, "p1_standard_unweighted": unweighted / 1e4,
        "p1_years": years, "p1_years_alive": sum(alive), "p1_alive_year1": alive[0],
        "p1_median_os": base["comparator_median_os_months"], "p1_os_2y": base["comparator_os_2y"],
        "p1_product_os_5y": base["product_os_5y"], "p1_cured": p1["cured_share"],
        "p1_gain_years": base["gain_years"], "p1_life_years": p1["life_years"],
        "p1_work_years": inputs.work_years, "p1_work_life_years": p1["work_life_years"],
        "p1_wage": base["wage_annual"] / 1e4, "p1_employment": base["employment_rate"],
        "p1_care_annual": base["care_annual"] / 1e4,
        "p1_productivity": p1["productivity"] / 1e4, "p1_caregiving": p1["caregiving"] / 1e4,
        "p1_social": (p1["productivity"] + p1["caregiving"]) / 1e4,
        "p1_usefulness": base["addon_usefulness"],
        "p1_utility": base["utility"], "p1_qaly": qaly, "p1_threshold": base["qaly_threshold"] / 1e4,
        "p1_threshold_standard": base["qaly_threshold_standard"] / 1e4,
        "p1_hta": hta / 1e4, "p1_hta_low": hta_low / 1e4,
        "p1_listed": listed / 1e4, "p1_nhi_low": comparator / 1e4,
        "p1_vs_listed": p1["price"] / listed - 1, "p1_without_vs_listed": p1["price_without_value_addons"] / listed - 1,
        "p1_hta_vs_listed": hta / listed - 1,
        "p1_margin_factor": base["margin_factor_conditional"], "p1_margin": cond["margin"], "p1_margin_conditional": cond["margin_conditional"],
        "p1_profit_conditional": cond["operating_profit"] / 1e4, "p1_cond_price": cond_price / 1e4,
        "p1_cond_vs_listed": cond_price / listed - 1,
        "p1_scen_min": scen["output"].min(), "p1_scen_max": scen["output"].max(),
    }
    return P1Result(_waterfall(steps), tornado, table, numbers, str(tornado.iloc[0]["label"]))


class P2Data(DataParameters):
    """The data parameters of the staged price model (figure P2): each one's type, label, unit and the range the
    model accepts. Values, stated ranges, status, basis and sources: data/model_parameters.csv (model P2)."""

    MODEL = "P2"

    listing_addon: float = datum("収載時の加算率", unit="割合", minimum=0, maximum=1)
    outcome_payment: float = datum("成果連動の支払総額", unit="円/患者", minimum=0, maximum=10_000_000_000)
    horizon_years: int = datum("成果を確認する年数", unit="年", minimum=1, maximum=50)


# --- figure P2 -----------------------------------------------------------------------------------
P2_SCENARIOS = {"good": "成果が続く", "base": "2年まで成果", "poor": "成果が出ない"}


class P2Parameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の P2 の値の上書き")
    tranche_years: list[Annotated[int, Field(ge=1, le=50)]] = param([1, 2, 3, 5], "成果連動の支払いを判定する年", unit="年")
    outcome_scenarios: dict[str, list[bool]] = param({
        "good": [True, True, True, True],
        "base": [True, True, False, False],
        "poor": [False, False, False, False],
    }, "各判定年に成果が確認されるか（シナリオごと）")

    def problems(self, ds: Dataset) -> list[Problem]:
        out = parameters.override_problems(ds["model_parameters"], P2Data, self.overrides)
        if sorted(set(self.tranche_years)) != self.tranche_years or not self.tranche_years:
            out.append(Problem(("tranche_years",), "must list distinct years in increasing order"))
        for name, flags in self.outcome_scenarios.items():
            if len(flags) != len(self.tranche_years):
                out.append(Problem(("outcome_scenarios", name), f"needs one flag per tranche year "
                                                                f"({len(self.tranche_years)}), got {len(flags)}"))
        if any(p.path[0] == "overrides" for p in out):
            return out  # the horizon below reads the overrides
        horizon = parameters.values(ds["model_parameters"], P2Data, self.overrides)["horizon_years"]
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
    table = parameters.table(frame, P2Data)
    v = parameters.values(frame, P2Data, p.overrides)
    p1 = parameters.values(frame, P1Data)
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

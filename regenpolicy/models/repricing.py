"""市場拡大再算定 (market-expansion re-pricing) and what it leaves a product per unit (figure C2).

A product is re-priced at a revision when its annual sales exceed a rule's threshold and its
ratio to the forecast sales at listing reaches the rule's multiple. The new price is

    new = old × max(floor, 0.9 ** (log X / log 2))        X = sales / forecast sales

(the MHLW formula with no premium offset α), where the floor (e.g. 75/100 for products priced by
the cost-accounting method) caps the cut. The model applies the rules at successive revisions;
after a cut, the next revision compares sales with the sales at the last re-pricing (an
assumption of the model: the reference is reset).

What the manufacturer keeps per unit is the price less consumption tax and the distribution
margin; the margin per unit is that less the unit manufacturing cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models import manufacturing as mf
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.params import Parameters, Problem, param


@dataclass(frozen=True)
class Rule:
    rule_id: str
    min_sales: float  # 億円, sales must exceed this
    min_ratio: float  # sales / forecast must reach this
    floor: float  # price after the cut ≥ floor × price before


def rules_from_table(table: pd.DataFrame, method: str) -> list[Rule]:
    """Rules for a pricing method ('cost' for 原価計算方式, 'comparator' for 類似薬効比較方式)."""
    column = {"cost": "floor_cost_method", "comparator": "floor_comparator_method"}[method]
    rows = table.dropna(subset=[column])
    return [Rule(r.rule_id, float(r.min_sales_oku_yen), float(r.min_ratio), float(getattr(r, column)))
            for r in rows.itertuples()]


def cut_factor(ratio: float, floor: float) -> float:
    """Price after ÷ price before for a sales/forecast ratio X (≥ 1)."""
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    return max(floor, float(0.9 ** (math.log(ratio) / math.log(2))))


def applicable(rules: list[Rule], sales: float, ratio: float) -> Rule | None:
    """The rule that cuts deepest among those whose thresholds are met."""
    met = [r for r in rules if sales > r.min_sales and ratio >= r.min_ratio]
    return min(met, key=lambda r: cut_factor(ratio, r.floor)) if met else None


def price_after_revisions(list_price: float, volume: float, forecast_sales: float, rules: list[Rule],
                          revisions: int) -> list[dict[str, Any]]:
    """Price at listing and after each of ``revisions`` revisions at a steady annual volume.

    ``list_price`` in 円 per unit, ``forecast_sales`` in 億円 a year. Sales = price × volume.
    """
    if volume < 0 or list_price <= 0 or forecast_sales <= 0:
        raise ValueError("volume must be ≥ 0 and list_price, forecast_sales positive")
    price, reference = list_price, forecast_sales
    path: list[dict[str, Any]] = [{"revision": 0, "price": price, "sales_oku": price * volume / 1e8, "rule": None}]
    for n in range(1, revisions + 1):
        sales = price * volume / 1e8
        ratio = sales / reference
        rule = applicable(rules, sales, ratio)
        if rule is not None:
            price *= cut_factor(ratio, rule.floor)
            reference = price * volume / 1e8
        path.append({"revision": n, "price": price, "sales_oku": price * volume / 1e8,
                     "rule": rule.rule_id if rule else None})
    return path


def net_revenue_per_unit(price: float, consumption_tax: float, distribution_share: float) -> float:
    """What the manufacturer receives per unit: price without tax, less the distribution margin."""
    return price / (1 + consumption_tax) * (1 - distribution_share)


# --- figure C2-RP --------------------------------------------------------------------------------
METHODS = {"conventional": "comparator", "autologous": "cost"}  # 算定方式: 類似薬効比較 / 原価計算


@dataclass(frozen=True)
class C2RPParameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の C2 の値の上書き")
    volume_min: int = param(100, "グラフの左端の患者数", unit="患者数/年", minimum=1, maximum=10_000_000)
    volume_max: int = param(20000, "グラフの右端の患者数", unit="患者数/年", minimum=1, maximum=10_000_000)
    volume_points: int = param(60, "対数軸上の計算点の数", unit="点", minimum=2, maximum=1000)
    scenarios: dict[str, dict[str, float]] = param({
        "low": {"autologous_list_price": 26118209, "margin_volume": 2000},
        "high": {"autologous_list_price": 39177313, "margin_volume": 500},
    }, "見出しの利益を比べるシナリオ（基準値からの上書き）")

    def problems(self, ds: Dataset) -> list[Problem]:
        frame = ds["model_parameters"]
        out = parameters.override_problems(frame, "C2", self.overrides)
        for name, values in self.scenarios.items():
            out += parameters.override_problems(frame, "C2", values, ("scenarios", name))
        if self.volume_min >= self.volume_max:
            out.append(Problem(("volume_max",), f"must be larger than volume_min ({self.volume_min})"))
        return out


def outcome(p: Mapping[str, float], kind: str, volume: float, rules: pd.DataFrame,
            cost_params: mf.CostParameters) -> dict[str, Any]:
    """Price after the re-pricing revisions, net revenue, unit cost and margin of one product at one volume."""
    path = price_after_revisions(p[f"{kind}_list_price"], volume, p[f"{kind}_forecast_sales"],
                                 rules_from_table(rules, METHODS[kind]), int(p["revisions"]))
    price = path[-1]["price"]
    net = net_revenue_per_unit(price, p["consumption_tax"], p["distribution_share"])
    cost = mf.unit_cost(volume, cost_params)["total"] * 1e4  # 万円 → 円
    return {"product_type": kind, "volume": volume, "list_price": p[f"{kind}_list_price"], "price": price,
            "net_revenue": net, "unit_cost": cost, "margin": net - cost,
            "rules": "、".join(r["rule"] for r in path if r["rule"]) or "なし"}


@dataclass(frozen=True)
class C2RPResult:
    curve: pd.DataFrame  # product_type, volume, list_price, price, net_revenue, unit_cost, margin, rules (円)
    headline: dict[str, Any]  # the autologous product at the headline volume
    turn: str  # sentence on where the margin turns
    tornado: pd.DataFrame
    table: pd.DataFrame  # C2's rows of model_parameters
    unit_cost_rows: pd.DataFrame  # the autologous rows of unit_cost_parameters (uc_ prefixed)
    rules: pd.DataFrame
    numbers: dict[str, float]


def repricing_margins(ds: Dataset, p: C2RPParameters) -> C2RPResult:
    """Margin per unit after 市場拡大再算定 against the C2 unit cost, over annual volume (C2-RP)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, "C2")
    base = parameters.values(frame, "C2", p.overrides)
    unit_params = ds["unit_cost_parameters"]
    rules = ds["repricing_rules"]
    costs = {kind: mf.parameters_from_table(unit_params, kind) for kind in METHODS}
    volumes = mf.volume_grid(p.volume_min, p.volume_max, p.volume_points)
    curve = pd.DataFrame([outcome(base, kind, v, rules, costs[kind]) for kind in METHODS for v in volumes])
    auto = curve[curve["product_type"] == "autologous"].reset_index(drop=True)
    positive = auto[auto["margin"] >= 0]

    def headline(q: Mapping[str, float]) -> float:
        cost_params = mf.CostParameters(**{k: q[f"uc_{k}"] for k in mf.CostParameters.__dataclass_fields__})
        return float(outcome(q, "autologous", q["margin_volume"], rules, cost_params)["margin"]) / 1e4

    full = {**base, **{f"uc_{k}": v for k, v in vars(costs["autologous"]).items()}}
    uc_rows = unit_params[unit_params["product_type"] == "autologous"].assign(parameter=lambda f: "uc_" + f["parameter"])
    labels = pd.concat([table[["parameter", "label", "unit"]], uc_rows[["parameter", "label", "unit"]]])
    fixed = {"uc_lot_size": full["uc_lot_size"]}  # one patient, one lot: not a parameter to vary
    varied = {k: v for k, v in full.items() if k not in fixed and not k.startswith("conventional_")}
    tornado = parameters.labelled(
        sensitivity.tornado(lambda q: headline({**q, **fixed}), varied, parameters.stated_ranges(frame, "C2")), labels)
    scen = sensitivity.scenarios(headline, full, p.scenarios)
    at = outcome(base, "autologous", base["margin_volume"], rules, costs["autologous"])
    if positive.empty:
        turn = "図の範囲のどの患者数でも、再算定後の手取りは製造コストを下回る。"
    else:
        first, last = positive.index.min(), positive.index.max()
        low_text = f"年間 {auto.loc[first, 'volume']:,} 人未満では固定費を賄えず赤字である。" if first > 0 else ""
        if last == len(auto) - 1:
            high_text = f"年間 {p.volume_max:,} 人までの範囲では、再算定後も利益は残る。"
        else:
            row = auto.loc[last + 1]
            kinds = rules.set_index("rule_id")["kind"]
            special = any(kinds.get(r) == "特例拡大再算定" for r in str(row["rules"]).split("、"))
            high_text = (f"年間 {row['volume']:,} 人を超えると" + ("特例拡大再算定の対象となり、" if special else "")
                         + "利益は赤字に転じる。")
        turn = low_text + high_text
    numbers = {
        "c2r_volume": base["margin_volume"], "c2r_list": base["autologous_list_price"] / 1e4,
        "c2r_price": at["price"] / 1e4, "c2r_net": at["net_revenue"] / 1e4, "c2r_cost": at["unit_cost"] / 1e4,
        "c2r_margin": at["margin"] / 1e4, "c2r_revisions": int(base["revisions"]),
        "c2r_scen_min": scen["output"].min(), "c2r_scen_max": scen["output"].max(),
    }
    return C2RPResult(curve, at, turn, tornado, table, uc_rows, rules, numbers)

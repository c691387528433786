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
from dataclasses import dataclass

import pandas as pd


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
    return max(floor, 0.9 ** (math.log(ratio) / math.log(2)))


def applicable(rules: list[Rule], sales: float, ratio: float) -> Rule | None:
    """The rule that cuts deepest among those whose thresholds are met."""
    met = [r for r in rules if sales > r.min_sales and ratio >= r.min_ratio]
    return min(met, key=lambda r: cut_factor(ratio, r.floor)) if met else None


def price_after_revisions(list_price: float, volume: float, forecast_sales: float, rules: list[Rule],
                          revisions: int) -> list[dict]:
    """Price at listing and after each of ``revisions`` revisions at a steady annual volume.

    ``list_price`` in 円 per unit, ``forecast_sales`` in 億円 a year. Sales = price × volume.
    """
    if volume < 0 or list_price <= 0 or forecast_sales <= 0:
        raise ValueError("volume must be ≥ 0 and list_price, forecast_sales positive")
    price, reference = list_price, forecast_sales
    path = [{"revision": 0, "price": price, "sales_oku": price * volume / 1e8, "rule": None}]
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

"""市場拡大再算定 (market-expansion re-pricing) and what it leaves a product per unit (figure C2-RP).

A product is re-priced at a revision when its annual sales exceed a rule's threshold (and stay
within its upper bound, if any), its ratio X to the reference sales (基準年間販売額: the forecast
at listing) reaches the rule's multiple, and — for the FY2026 1/3 tier — its forecast at listing
exceeded a stated amount. The new price is (薬価算定の基準 別表6, with no premium offset α)

    new = old × max(floor, 0.9 ** (log X / log k))

where k is the rule's log base (2 for 市場拡大再算定, printed; the 特例 formulas are not printed in
any source found, so k = 2 there is an assumption, labelled in the data) and the floor (e.g.
75/100 for products priced by the cost-accounting method) caps the cut. When several rules are
met the lowest price applies; a tie (two rules floored at the same price) is labelled with every
rule that gives it, the 特例 first. The rule sets are data (``repricing_rules``, one per fiscal
year); the edition's ``price_rules`` setting chooses one.

The model applies the rules at successive revisions at a steady annual volume; after a cut, the
next revision compares sales with the sales at the last re-pricing (an assumption of the model:
the reference is reset).

What the manufacturer keeps per unit is the price less consumption tax and the distribution
margin; the margin per unit is that less the unit manufacturing cost. The volumes at which the
margin changes sign and at which sales cross each rule's threshold are solved exactly over whole
patients, not read off the chart's grid; the prose rounds them (``about``), because the capacity
they rest on comes in whole production lines (a step of ``line_capacity`` patients, assumed), so
a sign change one patient after a new line is a property of the assumed step, not a fact.

Which volume bears the fixed cost is an input: the seed calibrates the unit cost as if the plant
made only Japan's patients (``world_volume`` = 0); a CAR-T plant serves the world, so the global
alternative spreads the fixed cost over Japan's volume plus ``world_volume`` patients made
elsewhere, and re-calibrates the variable cost so that the unit cost at the calibration volume
(Japan's 216 patients, plus the rest of the world) is the same disclosed cost (``global_costs``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any, ClassVar

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models import manufacturing as mf
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.parameters import DataParameters, Parameters, Problem, datum, param

SPECIAL_KINDS = ("持続可能性特例価格調整", "特例拡大再算定")  # labelled first in a tie
METHOD_COLUMN = {"cost": "floor_cost_method", "comparator": "floor_comparator_method"}
PRODUCTS = ("conventional", "autologous")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    min_sales: float  # 億円, sales must exceed this
    min_ratio: float  # sales / reference must reach this
    floor: float  # price after the cut ≥ floor × price before
    kind: str = "市場拡大再算定"
    log_base: float = 2.0  # k: X = k gives a 10% cut
    max_sales: float = math.inf  # 億円, sales must not exceed this
    min_forecast: float = 0.0  # 億円, the forecast at listing must exceed this (0: no condition)


def rules_from_table(table: pd.DataFrame, method: str, rule_set: int) -> list[Rule]:
    """The rules of one rule set for a pricing method ('cost' 原価計算方式, 'comparator' 類似薬効比較方式)."""
    column = METHOD_COLUMN[method]
    chosen = table[table["rule_set"] == rule_set]
    if chosen.empty:
        raise ValueError(f"repricing_rules has no rule set {rule_set}; rule sets: {sorted(set(table['rule_set']))}")
    rows = chosen.dropna(subset=[column])
    return [Rule(str(r.rule_id), float(r.min_sales_oku_yen), float(r.min_ratio), float(getattr(r, column)),
                 str(r.kind), float(r.log_base),
                 float(r.max_sales_oku_yen) if pd.notna(r.max_sales_oku_yen) else math.inf,
                 float(r.min_forecast_oku_yen) if pd.notna(r.min_forecast_oku_yen) else 0.0)
            for r in rows.itertuples()]


def cut_factor(ratio: float, floor: float, log_base: float = 2.0) -> float:
    """Price after ÷ price before for a sales ratio X (≥ 1): max(floor, 0.9^(log X / log k))."""
    if ratio <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    if log_base <= 1:
        raise ValueError(f"log_base must be above 1, got {log_base}")
    return max(floor, float(0.9 ** (math.log(ratio) / math.log(log_base))))


def met(rule: Rule, sales: float, ratio: float, forecast: float) -> bool:
    """Whether ``rule``'s thresholds are met (sales in 億円, ratio to the reference, forecast at listing)."""
    return rule.min_sales < sales <= rule.max_sales and ratio >= rule.min_ratio and forecast > rule.min_forecast


def _precedence(rule: Rule) -> tuple[int, float]:
    kind = SPECIAL_KINDS.index(rule.kind) if rule.kind in SPECIAL_KINDS else len(SPECIAL_KINDS)
    return kind, -rule.min_sales


def applied(rules: Sequence[Rule], sales: float, ratio: float, forecast: float) -> tuple[float, list[Rule]]:
    """The factor that applies (the lowest price among the rules met; 1.0 when none) and the rules giving it.

    Every rule that gives that same price is returned (a tie is not broken by the order of the
    table), the 特例 rules first.
    """
    cuts = [(cut_factor(ratio, r.floor, r.log_base), r) for r in rules if met(r, sales, ratio, forecast)]
    if not cuts:
        return 1.0, []
    lowest = min(f for f, _ in cuts)
    tied = [r for f, r in cuts if math.isclose(f, lowest, rel_tol=1e-12, abs_tol=0.0)]
    return lowest, sorted(tied, key=_precedence)


def price_after_revisions(list_price: float, volume: float, forecast_sales: float, rules: Sequence[Rule],
                          revisions: int) -> list[dict[str, Any]]:
    """Price at listing and after each of ``revisions`` revisions at a steady annual volume.

    ``list_price`` in 円 per unit, ``forecast_sales`` in 億円 a year (the reference at listing).
    Sales = price × volume. Each step records the rules applied ('、'-joined; None when none).
    """
    if volume < 0 or list_price <= 0 or forecast_sales <= 0:
        raise ValueError("volume must be ≥ 0 and list_price, forecast_sales positive")
    price, reference = list_price, forecast_sales
    path: list[dict[str, Any]] = [{"revision": 0, "price": price, "sales_oku": price * volume / 1e8, "rule": None,
                                   "kind": None}]
    for n in range(1, revisions + 1):
        sales = price * volume / 1e8
        factor, rules_applied = applied(rules, sales, sales / reference, forecast_sales)
        if rules_applied:
            price *= factor
            reference = price * volume / 1e8
        path.append({"revision": n, "price": price, "sales_oku": price * volume / 1e8,
                     "rule": "、".join(r.rule_id for r in rules_applied) or None,
                     "kind": rules_applied[0].kind if rules_applied else None})
    return path


def final_price(list_price: float, volume: float, forecast_sales: float, rules: Sequence[Rule],
                revisions: int) -> float:
    """The last price of ``price_after_revisions`` (the same rules, without the record). The margin curves
    call it for every whole volume (about 40,000 times a run): ``met`` is written out and the lowest cut kept
    as it comes, the same numbers (``repricing_margins`` in 0.31 s, not 0.42 s)."""
    price, reference = list_price, forecast_sales
    for _ in range(revisions):
        sales = price * volume / 1e8
        ratio = sales / reference
        lowest = None
        for r in rules:
            if r.min_sales < sales <= r.max_sales and ratio >= r.min_ratio and forecast_sales > r.min_forecast:
                cut = cut_factor(ratio, r.floor, r.log_base)
                if lowest is None or cut < lowest:
                    lowest = cut
        if lowest is None:
            break  # the price and its reference stay: every later revision sees the same sales, and cuts nothing
        price *= lowest
        reference = price * volume / 1e8
    return price


def net_revenue_per_unit(price: float, consumption_tax: float, distribution_share: float) -> float:
    """What the manufacturer receives per unit: price without tax, less the distribution margin."""
    return price / (1 + consumption_tax) * (1 - distribution_share)


def _exact(value: float) -> Fraction:
    return Fraction(str(value))  # 1.5 → 3/2, 1.3 → 13/10: the decimal as written in the data


def first_volume(rule: Rule, list_price: float, forecast_sales: float) -> int | None:
    """The smallest whole annual volume whose sales at ``list_price`` meet ``rule`` at the first revision.

    Solved exactly (rational arithmetic): sales = price × N / 10^8 must exceed min_sales (strictly)
    and reach min_ratio × forecast; None when no volume meets it (upper bound, forecast condition).
    """
    if not forecast_sales > rule.min_forecast:
        return None
    price = _exact(list_price)
    above = _exact(rule.min_sales) * 10**8 / price
    n = max(math.floor(above) + 1, math.ceil(_exact(rule.min_ratio) * _exact(forecast_sales) * 10**8 / price))
    if math.isfinite(rule.max_sales) and price * n / 10**8 > _exact(rule.max_sales):
        return None
    return n


def sign_changes(volumes: Sequence[int], margins: Sequence[float]) -> list[tuple[int, str]]:
    """Each whole volume at which the margin changes sign: (volume, 'profit' or 'loss' from there on)."""
    out = []
    for (v0, m0), (v1, m1) in pairwise(zip(volumes, margins, strict=True)):
        if (m0 >= 0) != (m1 >= 0):
            if v1 != v0 + 1:
                raise ValueError("sign_changes needs consecutive whole volumes")
            out.append((v1, "profit" if m1 >= 0 else "loss"))
    return out


# --- figure C2-RP --------------------------------------------------------------------------------
METHOD_CODES = {0: "comparator", 1: "cost"}  # model_parameters *_pricing_method


class C2Data(DataParameters):
    """The data parameters of the repricing model (figure C2-RP): each one's type, label, unit and the range the
    model accepts. Values, stated ranges, status, basis and sources: data/model_parameters.csv (model C2)."""

    MODEL = "C2"

    autologous_list_price: float = datum("自家細胞製品の価格", unit="円/患者", minimum=0, maximum=10_000_000_000)
    autologous_forecast_sales: float = datum("自家細胞製品の予想販売額", unit="億円/年", minimum=0, maximum=100_000)
    conventional_list_price: float = datum("従来の医薬品の価格", unit="円/患者", minimum=0, maximum=10_000_000_000)
    conventional_forecast_sales: float = datum("従来の医薬品の予想販売額", unit="億円/年", minimum=0, maximum=100_000)
    conventional_pricing_method: int = datum("従来の医薬品の算定方式（0＝類似薬効比較方式：再算定の下限85/100、1＝原価計算方式：下限75/100）", unit="区分", minimum=0, maximum=1)
    autologous_pricing_method: int = datum("自家細胞製品の算定方式（0＝類似薬効比較方式、1＝原価計算方式：再算定の下限75/100）", unit="区分", minimum=0, maximum=1)
    consumption_tax: float = datum("消費税率", unit="割合", minimum=0, maximum=1)
    distribution_share: float = datum("流通経費率", unit="割合", minimum=0, maximum=1)
    revisions: int = datum("再算定を判定する改定回数", unit="回", minimum=0, maximum=20)
    margin_volume: int = datum("見出しの年間患者数", unit="患者/年", minimum=1, maximum=1_000_000)
    calibration_volume: float = datum("製造原価を較正した年間患者数", unit="患者/年", minimum=1, maximum=1_000_000)
    world_volume: float = datum("工場が日本以外で製造する年間患者数（世界の工場の場合）", unit="患者/年", minimum=0, maximum=1_000_000)


class C2RPParameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の C2 の値の上書き")
    volume_min: int = param(100, "グラフの左端の患者数", unit="患者数/年", minimum=1, maximum=10_000_000)
    volume_max: int = param(20000, "グラフの右端の患者数", unit="患者数/年", minimum=1, maximum=1_000_000)
    volume_points: int = param(60, "対数軸上の計算点の数", unit="点", minimum=2, maximum=1000)
    scenarios: dict[str, dict[str, float]] = param({
        "low": {"autologous_list_price": 26118209, "margin_volume": 2000},
        "high": {"autologous_list_price": 39177313, "margin_volume": 500},
    }, "見出しの利益を比べるシナリオ（基準値からの上書き）")

    def problems(self, ds: Dataset) -> list[Problem]:
        frame = ds["model_parameters"]
        out = parameters.override_problems(frame, C2Data, self.overrides)
        for name, values in self.scenarios.items():
            out += parameters.override_problems(frame, C2Data, values, ("scenarios", name))
        if self.volume_min >= self.volume_max:
            out.append(Problem(("volume_max",), f"must be larger than volume_min ({self.volume_min})"))
        if not out:
            values = parameters.values(frame, C2Data, self.overrides)
            for kind in PRODUCTS:
                if values[f"{kind}_pricing_method"] not in METHOD_CODES:
                    out.append(Problem(("overrides", f"{kind}_pricing_method"),
                                       "must be 0 (類似薬効比較方式) or 1 (原価計算方式)"))
        return out


def methods(p: Mapping[str, float]) -> dict[str, str]:
    """Product type → pricing method ('cost' or 'comparator'), from the data (model_parameters C2)."""
    return {kind: METHOD_CODES[int(p[f"{kind}_pricing_method"])] for kind in PRODUCTS}


def global_costs(p: mf.CostParameters, calibration_volume: float, world_volume: float) -> mf.CostParameters:
    """The cost parameters when the plant also makes ``world_volume`` patients a year outside Japan.

    The variable cost is re-calibrated so that the unit cost at the calibration volume (Japan's
    forecast plus the rest of the world) equals the unit cost the Japan-only model gives at the
    calibration volume (the disclosed cost the seed calibrates on):
    variable' = variable + fixed(calibration) − fixed(calibration + world), fixed per unit.
    """
    if world_volume < 0 or calibration_volume <= 0:
        raise ValueError("world_volume must be ≥ 0 and calibration_volume positive")
    shift = (mf.unit_cost(calibration_volume, p)["fixed"]
             - mf.unit_cost(calibration_volume + world_volume, p)["fixed"])
    return mf.CostParameters(**{**vars(p), "variable_cost": p.variable_cost + shift})


def outcome(p: Mapping[str, float], kind: str, volume: float, rules: Sequence[Rule],
            cost_params: mf.CostParameters, world_volume: float = 0.0) -> dict[str, Any]:
    """Price after the re-pricing revisions, net revenue, unit cost and margin of one product at one volume.

    The plant makes ``volume`` patients for Japan plus ``world_volume`` elsewhere (0: Japan only);
    only Japan's sales count for re-pricing.
    """
    path = price_after_revisions(p[f"{kind}_list_price"], volume, p[f"{kind}_forecast_sales"], rules,
                                 int(p["revisions"]))
    price = path[-1]["price"]
    net = net_revenue_per_unit(price, p["consumption_tax"], p["distribution_share"])
    cost = mf.unit_cost(volume + world_volume, cost_params)["total"] * 1e4  # 万円 → 円
    applied_rules = [r for r in path if r["rule"]]
    return {"product_type": kind, "volume": volume, "list_price": p[f"{kind}_list_price"], "price": price,
            "net_revenue": net, "unit_cost": cost, "margin": net - cost,
            "rules": " → ".join(f"{r['revision']}回目：{r['rule']}" for r in applied_rules) or "なし",
            "kind": "、".join(dict.fromkeys(r["kind"] for r in applied_rules)) or "なし"}


@dataclass(frozen=True)
class C2RPResult:
    curve: pd.DataFrame  # product_type, volume, list_price, price, net_revenue, unit_cost, margin, rules, kind,
    #                      unit_cost_global, margin_global (円; the global plant, autologous only)
    headline: dict[str, Any]  # the autologous product at the headline volume
    turn: str  # sentence on where the margin turns and where the 特例 starts
    thresholds: pd.DataFrame  # what, rule_id, kind, volume (whole patients), volume_exact
    tornado: pd.DataFrame
    table: pd.DataFrame  # C2's rows of model_parameters
    unit_cost_rows: pd.DataFrame  # the autologous rows of unit_cost_parameters (uc_ prefixed)
    rules: pd.DataFrame  # the rule set used
    numbers: dict[str, float]
    texts: dict[str, str]  # c2r_turn, c2r_scope: sentences for the prose (glued as text)

    MEASURES: ClassVar[dict[str, str]] = {"net_revenue": "再算定後の手取り（税・流通経費を除く）",
                                          "unit_cost": "製造コスト（工場は日本の患者のみ）",
                                          "unit_cost_global": "製造コスト（世界の工場）"}

    @property
    def long(self) -> pd.DataFrame:
        """One row per product, volume and measure (net revenue, the two unit costs) in 万円: the chart's lines."""
        long = self.curve.melt(id_vars=["product_type", "volume", "rules", "kind"], value_vars=list(self.MEASURES),
                               var_name="measure", value_name="yen").dropna(subset=["yen"])
        return long.assign(product_ja=long["product_type"].map(mf.PRODUCT_TYPES),
                           measure_ja=long["measure"].map(self.MEASURES), man=long["yen"] / 1e4)


def repricing_margins(ds: Dataset, p: C2RPParameters, rule_set: int = 2024) -> C2RPResult:
    """Margin per unit after re-pricing against the C2 unit cost, over annual volume (C2-RP)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, C2Data)
    base = parameters.values(frame, C2Data, p.overrides)
    unit_params = ds["unit_cost_parameters"]
    rule_table = ds["repricing_rules"]
    rules_used = rule_table[rule_table["rule_set"] == rule_set].reset_index(drop=True)
    method = methods(base)
    rules = {kind: rules_from_table(rule_table, method[kind], rule_set) for kind in PRODUCTS}
    costs = {kind: mf.parameters_from_table(unit_params, kind) for kind in PRODUCTS}

    # exact thresholds of the autologous product: sales crossing each rule, margin changing sign
    auto_price, auto_forecast = base["autologous_list_price"], base["autologous_forecast_sales"]
    crossings = []
    for r in rules["autologous"]:
        n = first_volume(r, auto_price, auto_forecast)
        if n is not None:
            crossings.append({"what": "sales", "rule_id": r.rule_id, "kind": r.kind, "volume": n,
                              "volume_exact": float(_exact(r.min_sales) * 10**8 / _exact(auto_price))})
    every = list(range(p.volume_min, p.volume_max + 1))
    world = base["world_volume"]
    scopes = {"japan": (costs["autologous"], 0.0),
              "global": (global_costs(costs["autologous"], base["calibration_volume"], world), world)}

    def margins_over(scope: str) -> list[float]:
        cost_params, extra = scopes[scope]
        return [net_revenue_per_unit(final_price(auto_price, v, auto_forecast, rules["autologous"],
                                                 int(base["revisions"])), base["consumption_tax"],
                                     base["distribution_share"])
                - mf.unit_cost(v + extra, cost_params)["total"] * 1e4 for v in every]

    margins = margins_over("japan")
    changes = sign_changes(every, margins)
    for v, sign in changes:
        crossings.append({"what": sign, "rule_id": None, "kind": None, "volume": v, "volume_exact": float(v)})
    thresholds = pd.DataFrame(crossings, columns=["what", "rule_id", "kind", "volume", "volume_exact"])

    grid = sorted(set(mf.volume_grid(p.volume_min, p.volume_max, p.volume_points))
                  | {int(v) for v in thresholds["volume"] if p.volume_min <= v <= p.volume_max})
    curve = pd.DataFrame([outcome(base, kind, v, rules[kind], costs[kind]) for kind in PRODUCTS for v in grid])
    glob = pd.DataFrame([outcome(base, "autologous", v, rules["autologous"], *scopes["global"]) for v in grid])
    auto = curve["product_type"] == "autologous"
    curve["unit_cost_global"] = float("nan")
    curve["margin_global"] = float("nan")
    curve.loc[auto, "unit_cost_global"] = glob["unit_cost"].to_numpy()
    curve.loc[auto, "margin_global"] = glob["margin"].to_numpy()

    def headline(q: Mapping[str, float]) -> float:
        cost_params = mf.CostParameters(**{k: q[f"uc_{k}"] for k in mf.CostParameters.__dataclass_fields__})
        return float(outcome(q, "autologous", q["margin_volume"], rules["autologous"], cost_params)["margin"]) / 1e4

    full = {**base, **{f"uc_{k}": v for k, v in vars(costs["autologous"]).items()}}
    uc_rows = unit_params[unit_params["product_type"] == "autologous"].assign(parameter=lambda f: "uc_" + f["parameter"])
    labels = pd.concat([table[["parameter", "label", "unit"]], uc_rows[["parameter", "label", "unit"]]])
    fixed = {k: full[k] for k in ("uc_lot_size", "autologous_pricing_method", "world_volume", "calibration_volume")}
    varied = {k: v for k, v in full.items() if k not in fixed and not k.startswith("conventional_")}
    tornado = parameters.labelled(
        sensitivity.tornado(lambda q: headline({**q, **fixed}), varied, parameters.stated_ranges(frame, C2Data)), labels)
    scen = sensitivity.scenarios(headline, full, p.scenarios)
    at = outcome(base, "autologous", base["margin_volume"], rules["autologous"], costs["autologous"])
    at_global = outcome(base, "autologous", base["margin_volume"], rules["autologous"], *scopes["global"])

    special = thresholds[(thresholds["what"] == "sales") & thresholds["kind"].isin(SPECIAL_KINDS)].sort_values("volume")
    sales = thresholds[thresholds["what"] == "sales"].sort_values("volume")
    by_id = {r.rule_id: r for r in rules["autologous"]}
    runs = {scope: profit_runs(every, m) for scope, m in (("japan", margins), ("global", margins_over("global")))}
    run = runs["japan"]
    loss_rule = None
    if run["loss_from"] is not None:
        path = price_after_revisions(auto_price, run["loss_from"], auto_forecast, rules["autologous"],
                                     int(base["revisions"]))
        hit = [r["rule"] for r in path if r["rule"]]
        loss_rule = by_id[hit[0].split("、")[0]] if hit else None
    first = by_id[str(sales.iloc[0]["rule_id"])] if not sales.empty else None
    turn = turn_text(p.volume_min, p.volume_max, run, special, by_id, costs["autologous"].line_capacity,
                     first, int(sales.iloc[0]["volume"]) if first else None, loss_rule)
    nan = float("nan")
    numbers = {
        "c2r_volume": base["margin_volume"], "c2r_list": base["autologous_list_price"] / 1e4,
        "c2r_price": at["price"] / 1e4, "c2r_net": at["net_revenue"] / 1e4, "c2r_cost": at["unit_cost"] / 1e4,
        "c2r_margin": at["margin"] / 1e4, "c2r_revisions": int(base["revisions"]),
        "c2r_scen_min": scen["output"].min(), "c2r_scen_max": scen["output"].max(),
        "c2r_rule_set": rule_set,
        "c2r_first_profit": _or_nan(run["first_profit"]),
        "c2r_profit_from": _or_nan(run["profit_from"]), "c2r_profit_to": _or_nan(run["profit_to"]),
        "c2r_loss_from": _or_nan(run["loss_from"]),
        "c2r_special_from": int(special.iloc[0]["volume"]) if not special.empty else nan,
        "c2r_first_trigger": int(sales.iloc[0]["volume"]) if first else nan,
        "c2r_first_trigger_sales": first.min_sales if first else nan,
        "c2r_loss_sales": loss_rule.min_sales if loss_rule else nan,
        "c2r_loss_floor": loss_rule.floor if loss_rule else nan,
        "c2r_line_capacity": costs["autologous"].line_capacity,
        "c2r_calibration_volume": base["calibration_volume"], "c2r_world": world,
        "c2r_g_cost": at_global["unit_cost"] / 1e4, "c2r_g_margin": at_global["margin"] / 1e4,
        "c2r_g_first_profit": _or_nan(runs["global"]["first_profit"]),
        "c2r_g_loss_from": _or_nan(runs["global"]["loss_from"]),
        "c2r_g_variable": scopes["global"][0].variable_cost,
    }
    texts = {"c2r_turn": turn, "c2r_scope": scope_text(numbers, p.volume_min, p.volume_max),
             "c2r_loss_floor_text": floor_text(loss_rule.floor) if loss_rule else "—"}
    return C2RPResult(curve, at, turn, thresholds, tornado, table, uc_rows, rules_used, numbers, texts)


def floor_text(floor: float) -> str:
    """A floor as the rules print it: 75/100, 50/100, 1/3."""
    return "1/3" if math.isclose(floor, 1 / 3, rel_tol=1e-6) else f"{floor * 100:g}/100"


def _or_nan(value: int | None) -> float:
    return float("nan") if value is None else value


def about(n: float | None) -> str:
    """A whole-patient threshold rounded to two significant figures, for prose (the capacity steps it
    rests on are assumed, so the last digits carry no information): 118 → 120, 4,595 → 4,600."""
    if n is None:
        return "—"
    n = int(n)
    if n < 100:
        return f"{n:,}"
    digits = len(str(n)) - 2
    return f"{round(n, -digits):,}"


def profit_runs(volumes: Sequence[int], margins: Sequence[float]) -> dict[str, int | None]:
    """Where the margin over consecutive whole volumes is positive: the first profitable volume, the
    start and end of the last profitable run (after any loss pockets a new production line opens)
    and the first volume after it (the loss from there on); None where there is none."""
    first = next((v for v, m in zip(volumes, margins, strict=True) if m >= 0), None)
    last = next((v for v, m in zip(reversed(volumes), reversed(margins), strict=True) if m >= 0), None)
    if first is None or last is None:
        return {"first_profit": None, "profit_from": None, "profit_to": None, "loss_from": None, "pocket": None}
    start = last
    by_volume = dict(zip(volumes, margins, strict=True))
    while start - 1 in by_volume and by_volume[start - 1] >= 0:
        start -= 1
    pocket = next((v for v in range(first, start) if by_volume[v] < 0), None)
    return {"first_profit": first, "profit_from": start, "profit_to": last,
            "loss_from": last + 1 if last < volumes[-1] else None, "pocket": pocket}


def turn_text(volume_min: int, volume_max: int, run: Mapping[str, int | None], special: pd.DataFrame,
              rules: Mapping[str, Rule], line_capacity: float, first: Rule | None, first_volume_: int | None,
              loss_rule: Rule | None) -> str:
    """Where the margin is positive, the first rule the product meets and which rule turns it to a loss,
    with the volumes rounded (``about``) and the capacity step named."""
    if run["first_profit"] is None:
        return f"年間 {volume_min:,}〜{volume_max:,} 人のどの患者数でも、再算定後の手取りは製造コストを下回る。"
    text = ""
    if run["first_profit"] > volume_min:
        text += f"年間約 {about(run['first_profit'])} 人未満では固定費を賄えず赤字である。"
    text += (f"製造能力は1系列 {line_capacity:,.0f} 人分の段で増えると仮定したため、利益の符号が変わる患者数はこの段の"
             f"位置で決まり、1人単位の値には意味がない")
    text += (f"（ラインを1系列増やした直後の約 {about(run['pocket'])} 人付近では一時的に赤字になる）。" if run["pocket"] else "。")
    to = "まで" if run["loss_from"] is not None else f"まで（図の右端 {volume_max:,} 人まで）"
    start, end = run["profit_from"] or run["first_profit"], run["profit_to"] or run["first_profit"]
    text += f"再算定後も利益が残るのは年間約 {about(start)} 人から約 {about(end)} 人{to}である。"
    if first is not None and first_volume_ is not None:
        text += (f"この製品が最初に該当するのは、年間約 {about(first_volume_)} 人で販売額が {first.min_sales:,.0f} 億円を超える"
                 f"{first.kind}（予想の {first.min_ratio:g} 倍以上、下限 {floor_text(first.floor)}）である。")
    for s in special.itertuples():
        rule = rules[str(s.rule_id)]
        if rule is loss_rule:
            continue  # said below
        text += (f"年間約 {about(int(s.volume))} 人以上では販売額が {rule.min_sales:,.0f} 億円を超え、"
                 f"{rule.kind}（下限 {floor_text(rule.floor)}）の対象となる。")
    if run["loss_from"] is not None and loss_rule is not None:
        text += (f"赤字に転じるのは、販売額 {loss_rule.min_sales:,.0f} 億円超の{loss_rule.kind}（下限 {floor_text(loss_rule.floor)}）"
                 f"に該当する年間約 {about(run['loss_from'])} 人以上だけである。")
    elif run["loss_from"] is not None:
        text += f"再算定後の利益は年間約 {about(run['loss_from'])} 人以上で赤字に転じる。"
    else:
        text += f"年間 {volume_max:,} 人までの範囲では、再算定後も利益は残る。"
    return text


def scope_text(n: Mapping[str, float], volume_min: int, volume_max: int) -> str:
    """The global plant beside the Japan-only one: the headline margin and where the margin turns."""
    text = (f"工場が日本以外の患者も年間 {n['c2r_world']:,.0f} 人分製造すると置く（変動費は日本の予測 "
            f"{n['c2r_calibration_volume']:,.0f} 人と合わせた数量で開示された製造原価に一致するよう "
            f"{n['c2r_g_variable']:,.0f} 万円に較正し直す）と、年間 {n['c2r_volume']:,.0f} 人での製造コストは "
            f"{n['c2r_g_cost']:,.0f} 万円、利益は {n['c2r_g_margin']:,.0f} 万円となる。")
    if math.isnan(n["c2r_g_first_profit"]):
        return text + f"この場合、年間 {volume_min:,}〜{volume_max:,} 人のどの患者数でも赤字である。"
    if n["c2r_g_first_profit"] > volume_min:
        text += f"少ない患者数での赤字は年間約 {about(n['c2r_g_first_profit'])} 人未満に限られ、"
    else:
        text += f"図の左端 {volume_min:,} 人から利益が出て（少ない患者数での赤字は日本だけで固定費を賄う仮定から生じる）、"
    if math.isnan(n["c2r_g_loss_from"]):
        return text + f"年間 {volume_max:,} 人まで赤字に転じない。"
    return text + f"赤字に転じるのは年間約 {about(n['c2r_g_loss_from'])} 人以上である。"

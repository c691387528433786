"""Unit manufacturing cost against volume: scale-up against scale-out (figure C2).

One model covers both kinds of product; they differ only in their parameters:

    lines(N)     = ceil(N / line_capacity)
    fixed(N)     = (facility_fixed_cost + lines(N) * line_fixed_cost) / N
    variable     = variable_cost + qc_cost_per_lot / lot_size
    unit_cost(N) = fixed(N) + variable

A conventional product runs every volume on one line with large lots, so the fixed cost per
unit falls as 1/N. An autologous product makes one lot per patient and adds a processing line
for every ``line_capacity`` patients, so the unit cost tends to a floor of
``line_fixed_cost / line_capacity + variable`` and gains little from volume.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import Parameters, Problem, param


@dataclass(frozen=True)
class CostParameters:
    facility_fixed_cost: float  # 万円/年
    line_capacity: float  # units per line per year
    line_fixed_cost: float  # 万円 per line per year
    variable_cost: float  # 万円 per unit
    lot_size: float  # units per lot
    qc_cost_per_lot: float  # 万円 per lot

    def __post_init__(self) -> None:
        for name in ("line_capacity", "lot_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("facility_fixed_cost", "line_fixed_cost", "variable_cost", "qc_cost_per_lot"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


def parameters_from_table(table: pd.DataFrame, product_type: str) -> CostParameters:
    """Build the parameters of one product type from the long ``unit_cost_parameters`` table."""
    rows = table[table["product_type"] == product_type]
    values = dict(zip(rows["parameter"], rows["value"], strict=True))
    missing = [f for f in CostParameters.__dataclass_fields__ if f not in values]
    if missing:
        raise ValueError(f"unit_cost_parameters has no {', '.join(missing)} for '{product_type}'")
    return CostParameters(**{k: float(values[k]) for k in CostParameters.__dataclass_fields__})


def lines_needed(volume: float, p: CostParameters) -> int:
    return max(1, math.ceil(volume / p.line_capacity))


def unit_cost(volume: float, p: CostParameters) -> dict[str, float]:
    """Fixed, variable and total cost per unit (万円) at an annual volume of ``volume`` units."""
    if volume <= 0:
        raise ValueError(f"volume must be positive, got {volume}")
    fixed = (p.facility_fixed_cost + lines_needed(volume, p) * p.line_fixed_cost) / volume
    variable = p.variable_cost + p.qc_cost_per_lot / p.lot_size
    return {"fixed": fixed, "variable": variable, "total": fixed + variable}


def cost_floor(p: CostParameters) -> float:
    """The unit cost that volume alone can never go below (万円)."""
    return p.line_fixed_cost / p.line_capacity + p.variable_cost + p.qc_cost_per_lot / p.lot_size


def cost_curve(volumes: Sequence[float], p: CostParameters) -> pd.DataFrame:
    """Unit cost at each volume, one row per volume."""
    rows = [{"volume": v, "lines": lines_needed(v, p), **unit_cost(v, p)} for v in volumes]
    return pd.DataFrame(rows)


def volume_grid(low: float, high: float, points: int) -> list[int]:
    """Integer volumes spread evenly on a log scale from ``low`` to ``high`` (both included)."""
    if not 0 < low < high or points < 2:
        raise ValueError(f"need 0 < low < high and at least 2 points, got {low}, {high}, {points}")
    step = (math.log(high) - math.log(low)) / (points - 1)
    return sorted({round(math.exp(math.log(low) + i * step)) for i in range(points)})


def scale_merit(low: float, high: float, p: CostParameters) -> float:
    """Fractional fall in unit cost when annual volume rises from ``low`` to ``high``."""
    return 1.0 - unit_cost(high, p)["total"] / unit_cost(low, p)["total"]


# --- figure C2 -----------------------------------------------------------------------------------
PRODUCT_TYPES = {"conventional": "従来の医薬品（スケールアップ）", "autologous": "再生医療等製品（自家・スケールアウト）"}


class C2Parameters(Parameters):
    volume_min: int = param(10, "グラフの左端の製造数量", unit="患者数/年", minimum=1, maximum=10_000_000)
    volume_max: int = param(100000, "グラフの右端の製造数量", unit="患者数/年", minimum=1, maximum=10_000_000)
    volume_points: int = param(61, "対数軸上の計算点の数", unit="点", minimum=2, maximum=1000)
    volume_low: int = param(100, "スケールメリットを比べる数量（少）", unit="患者数/年", minimum=1, maximum=10_000_000)
    volume_high: int = param(1000, "スケールメリットを比べる数量（多）", unit="患者数/年", minimum=1, maximum=10_000_000)

    def problems(self, ds: Dataset) -> list[Problem]:
        out = []
        if self.volume_min >= self.volume_max:
            out.append(Problem(("volume_max",), f"must be larger than volume_min ({self.volume_min})"))
        if self.volume_low >= self.volume_high:
            out.append(Problem(("volume_high",), f"must be larger than volume_low ({self.volume_low})"))
        return out


@dataclass(frozen=True)
class C2Result:
    curve: pd.DataFrame  # product_type, product_ja, volume, lines, fixed, variable, total (万円/製品)
    parameters: pd.DataFrame  # the unit_cost_parameters table
    numbers: dict[str, float]


def unit_costs(ds: Dataset, p: C2Parameters) -> C2Result:
    """Unit cost against annual volume for a scale-up and a scale-out product (C2)."""
    table = ds["unit_cost_parameters"]
    volumes = volume_grid(p.volume_min, p.volume_max, p.volume_points)
    curves = []
    numbers: dict[str, float] = {"c2_low": p.volume_low, "c2_high": p.volume_high}
    for kind, label in PRODUCT_TYPES.items():
        params = parameters_from_table(table, kind)
        curves.append(cost_curve(volumes, params).assign(product_type=kind, product_ja=label))
        numbers[f"c2_merit_{kind}"] = scale_merit(p.volume_low, p.volume_high, params)
        numbers[f"c2_floor_{kind}"] = cost_floor(params)
    return C2Result(pd.concat(curves, ignore_index=True), table, numbers)

"""Quality control's share of a production lot (figure Q1).

Release tests and reference (retention) samples are taken from every lot whatever its size,
so the fraction of a lot that can be shipped is

    shipped_fraction = max(lot_size − qc_units, 0) / lot_size

and the cost of each shipped unit is the cost of the whole lot divided by the units shipped.
A cell product made in lots of tens of bags loses a large share of every lot; an antibody made
in lots of thousands of vials loses a few percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import pandas as pd
from pydantic import Field

from regenpolicy.data import Dataset
from regenpolicy.models import parameters
from regenpolicy.models.parameters import DataParameters, Parameters, Problem, datum, param


def shipped_units(lot_size: float, qc_units: float) -> float:
    if lot_size <= 0:
        raise ValueError(f"lot_size must be positive, got {lot_size}")
    if qc_units < 0:
        raise ValueError(f"qc_units must not be negative, got {qc_units}")
    return max(lot_size - qc_units, 0.0)


def shipped_fraction(lot_size: float, qc_units: float) -> float:
    """Fraction of a lot left to ship after QC; 0 when the samples take the whole lot."""
    return shipped_units(lot_size, qc_units) / lot_size


def cost_per_shipped_unit(lot_size: float, qc_units: float, cost_per_unit_made: float,
                          fixed_cost_per_lot: float = 0.0) -> float:
    """Cost of the lot over the units shipped; infinite when nothing can be shipped."""
    shipped = shipped_units(lot_size, qc_units)
    lot_cost = fixed_cost_per_lot + cost_per_unit_made * lot_size
    return lot_cost / shipped if shipped > 0 else math.inf


def smallest_shippable_lot(qc_units: float) -> int:
    """The smallest whole lot that ships at least one unit."""
    return math.floor(qc_units) + 1


class Q1Data(DataParameters):
    """The data parameters of the QC sample model (figure Q1): each one's type, label, unit and the range the
    model accepts. Values, stated ranges, status, basis and sources: data/model_parameters.csv (model Q1)."""

    MODEL = "Q1"

    cell_lot_size: int = datum("細胞製品のロットサイズ（A社・他家細胞製品・平均）", unit="バッグ/ロット", minimum=1, maximum=10_000)
    cell_release_tests: int = datum("細胞製品の出荷試験数（A社・他家細胞製品・平均）", unit="バッグ/ロット", minimum=0, maximum=10_000)
    cell_reference_samples: int = datum("細胞製品の参考品数（A社・他家細胞製品・平均）", unit="バッグ/ロット", minimum=0, maximum=10_000)
    antibody_lot_size: int = datum("抗体医薬のロットサイズ", unit="バイアル/ロット", minimum=1, maximum=1_000_000)
    antibody_qc_units: int = datum("抗体医薬の試験用数", unit="バイアル/ロット", minimum=0, maximum=1_000_000)


# --- figure Q1 -----------------------------------------------------------------------------------
class Q1Parameters(Parameters):
    overrides: dict[str, float] = param({}, "data/model_parameters.csv の Q1 の値の上書き")
    cell_lot_range: tuple[Annotated[int, Field(ge=1, le=100_000)], Annotated[int, Field(ge=1, le=100_000)]] = param(
        (10, 120), "図の横軸（細胞製品）", unit="バッグ/ロット")
    antibody_lot_range: tuple[Annotated[int, Field(ge=1, le=10_000_000)], Annotated[int, Field(ge=1, le=10_000_000)]] = param(
        (500, 12000), "図の横軸（抗体医薬）", unit="バイアル/ロット")

    def problems(self, ds: Dataset) -> list[Problem]:
        frame = ds["model_parameters"]
        out = parameters.override_problems(frame, Q1Data, self.overrides)
        for name in ("cell_lot_range", "antibody_lot_range"):
            low, high = getattr(self, name)
            if low >= high:
                out.append(Problem((name,), f"[{low}, {high}] is not a range; the first value must be the smaller"))
        if out:
            return out
        v = parameters.values(frame, Q1Data, self.overrides)
        for lot, samples, what in (("cell_lot_size", v["cell_release_tests"] + v["cell_reference_samples"], "出荷試験と参考品"),
                                   ("antibody_lot_size", v["antibody_qc_units"], "試験用")):
            if v[lot] <= samples:
                out.append(Problem(("overrides", lot), f"a lot of {v[lot]:g} is not larger than its {what} "
                                                       f"({samples:g}): nothing would be shipped"))
        return out


@dataclass(frozen=True)
class Q1Result:
    curve: pd.DataFrame  # product, product_ja, lot_size, qc_units, shipped_fraction, qc_share
    marks: pd.DataFrame  # the printed lots
    table: pd.DataFrame  # the model's rows of model_parameters
    labels: dict[str, str]  # product → label
    numbers: dict[str, float]
    texts: dict[str, str]  # the seed's words on the manufacturing process (seed_statements)


def qc_shares(ds: Dataset, p: Q1Parameters) -> Q1Result:
    """Share of a lot left to ship after QC, for cell products and antibodies (Q1)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, Q1Data)
    v = parameters.values(frame, Q1Data, p.overrides)
    cell_qc = v["cell_release_tests"] + v["cell_reference_samples"]
    products = {
        "cell": ("他家細胞製品（A社・平均、バッグ）", cell_qc, p.cell_lot_range, v["cell_lot_size"]),
        "antibody": ("抗体医薬（バイアル）", v["antibody_qc_units"], p.antibody_lot_range, v["antibody_lot_size"]),
    }
    rows = []
    for key, (label, qc_units, (low, high), _) in products.items():
        step = max(1, (high - low) // 200)
        for lot in range(low, high + 1, step):
            fraction = shipped_fraction(lot, qc_units)
            rows.append({"product": key, "product_ja": label, "lot_size": lot, "qc_units": qc_units,
                         "shipped_fraction": fraction, "qc_share": 1 - fraction})
    marks = pd.DataFrame([{"product": k, "product_ja": s[0], "lot_size": s[3], "qc_units": s[1],
                           "shipped_fraction": shipped_fraction(s[3], s[1])} for k, s in products.items()])
    numbers = {
        "q1_lot": v["cell_lot_size"], "q1_release": v["cell_release_tests"], "q1_reference": v["cell_reference_samples"],
        "q1_shipped": shipped_units(v["cell_lot_size"], cell_qc), "q1_fraction": shipped_fraction(v["cell_lot_size"], cell_qc),
        "q1_multiplier": cost_per_shipped_unit(v["cell_lot_size"], cell_qc, 1.0),
        "q1_min_lot": smallest_shippable_lot(cell_qc), "q1_ab_lot": v["antibody_lot_size"],
        "q1_ab_qc": v["antibody_qc_units"],
        "q1_ab_share": 1 - shipped_fraction(v["antibody_lot_size"], v["antibody_qc_units"]),
    }
    quotes = ds["seed_statements"].set_index("statement_id")["quote"]
    texts = {"q1_processes": str(quotes["jri_processes"])}
    return Q1Result(pd.DataFrame(rows), marks, table, {k: s[0] for k, s in products.items()}, numbers, texts)

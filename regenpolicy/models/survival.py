"""Long-term survival with CAR-T therapy against earlier therapy (figure S1)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import Parameters, param

ARMS = {"all_cart": ("r/r ALL", "car_t"), "all_prior": ("r/r ALL", "prior"),
        "dlbcl_cart": ("r/r 3L+ DLBCL", "car_t"), "dlbcl_prior": ("r/r 3L+ DLBCL", "prior")}


class S1Parameters(Parameters):
    horizon_years: int = param(5, "比べる生存率の年数", unit="年", minimum=1, maximum=20)


@dataclass(frozen=True)
class S1Result:
    outcomes: pd.DataFrame  # setting, arm, study_ja, metric_ja, horizon_years, value_pct, bound, status, note
    numbers: dict[str, float]


def survival(ds: Dataset, p: S1Parameters) -> S1Result:
    """The survival values the figure compares; a shorter-horizon value bounds the longer one from above."""
    outcomes = ds["survival_outcomes"]
    v = outcomes.set_index(["setting", "arm"])
    numbers: dict[str, float] = {"s1_horizon": p.horizon_years}
    for key, index in ARMS.items():
        numbers[f"s1_{key}"] = v.loc[index, "value_pct"] / 100
        numbers[f"s1_{key}_years"] = int(v.loc[index, "horizon_years"])
    numbers["s1_dlbcl_gap_min"] = (v.loc[ARMS["dlbcl_cart"], "value_pct"] - v.loc[ARMS["dlbcl_prior"], "value_pct"]) / 100
    return S1Result(outcomes, numbers)

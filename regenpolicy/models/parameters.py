"""Model parameters from ``data/model_parameters.csv``, with submission-profile overrides.

Each row is one parameter of one model (Q1, C1, C2, K1, P1, P2): its value, unit, the range the
model accepts (``min``..``max``) and the range the tornado chart varies it over (``low``..``high``,
±20% where none is stated). A profile may override values; an override must name a parameter of
the model and lie within its ``min``..``max``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from regenpolicy.models.params import Path, Problem


def table(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    """The rows of one model (Q1, C1, C2, K1, P1, P2)."""
    rows = frame[frame["model"] == model]
    if rows.empty:
        raise KeyError(f"model_parameters has no rows for model {model}")
    return rows.reset_index(drop=True)


def override_problems(frame: pd.DataFrame, model: str, overrides: Mapping[str, float],
                      path: Path = ("overrides",)) -> list[Problem]:
    """Overrides that name no parameter of ``model`` or fall outside the range the model accepts."""
    rows = table(frame, model).set_index("parameter")
    problems = []
    for name, value in overrides.items():
        if name not in rows.index:
            problems.append(Problem((*path, name), f"model {model} has no parameter '{name}'; parameters: "
                                                   f"{', '.join(rows.index)}"))
            continue
        lo, hi = float(rows.loc[name, "min"]), float(rows.loc[name, "max"])
        if not (math.isfinite(value) and lo <= value <= hi):
            problems.append(Problem((*path, name), f"{value!r} is outside the range the model accepts: "
                                                   f"{lo:g}〜{hi:g} {rows.loc[name, 'unit']}"))
    return problems


def values(frame: pd.DataFrame, model: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Parameter → value for a model, with ``overrides`` (checked by the build) applied."""
    rows = table(frame, model)
    base = dict(zip(rows["parameter"], rows["value"].astype(float), strict=True))
    problems = override_problems(frame, model, overrides or {})
    if problems:
        raise KeyError("; ".join(map(str, problems)))
    return {**base, **{k: float(v) for k, v in (overrides or {}).items()}}


def stated_ranges(frame: pd.DataFrame, model: str) -> dict[str, tuple[float, float]]:
    """Parameter → (low, high) where the data states a range (the tornado uses ±20% elsewhere)."""
    rows = table(frame, model).dropna(subset=["low", "high"])
    return {str(r.parameter): (float(r.low), float(r.high)) for r in rows.itertuples()}


def labelled(frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Add each parameter's Japanese label (and unit) to a frame with a ``parameter`` column."""
    return frame.merge(labels[["parameter", "label", "unit"]], on="parameter", how="left")

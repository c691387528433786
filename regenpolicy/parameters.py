"""Model parameters from ``data/model_parameters.csv``, with submission-profile overrides."""

from __future__ import annotations

from typing import Mapping

import pandas as pd


def table(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    """The rows of one model (Q1, C1, C2, K1, P1, P2)."""
    rows = frame[frame["model"] == model]
    if rows.empty:
        raise KeyError(f"model_parameters has no rows for model {model}")
    return rows.reset_index(drop=True)


def values(frame: pd.DataFrame, model: str, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Parameter → value for a model; ``overrides`` (from the profile) must name known parameters."""
    base = dict(zip(table(frame, model)["parameter"], table(frame, model)["value"].astype(float)))
    unknown = set(overrides or {}) - set(base)
    if unknown:
        raise KeyError(f"unknown {model} parameters in the profile: {', '.join(sorted(unknown))}")
    return {**base, **{k: float(v) for k, v in (overrides or {}).items()}}


def stated_ranges(frame: pd.DataFrame, model: str) -> dict[str, tuple[float, float]]:
    """Parameter → (low, high) where the data states a range (the tornado uses ±20% elsewhere)."""
    rows = table(frame, model).dropna(subset=["low", "high"])
    return {r.parameter: (float(r.low), float(r.high)) for r in rows.itertuples()}


def labelled(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Add each parameter's Japanese label (and unit) to a frame with a ``parameter`` column."""
    return frame.merge(table[["parameter", "label", "unit"]], on="parameter", how="left")

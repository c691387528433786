"""Supporting-industry markets: CDMO markets modelled from the end markets of M1 (figure M3).

The seed estimates the contract-manufacturing markets from the end markets of the modalities
they serve; the report follows that method with explicit ratios (``cdmo_parameters``):

    cell CDMO          = (細胞移植 + 組織移植・スキャフォールド治療 + ex vivo遺伝子治療)
                         × manufacturing_cost_ratio × outsourcing_ratio
    viral-vector CDMO  = (in vivo遺伝子治療 + ex vivo遺伝子治療) × vector_cost_ratio × outsourcing_ratio
    domestic           = global × domestic_ratio
"""

from __future__ import annotations

import pandas as pd

CELL_MODALITIES = ("細胞移植", "組織移植・スキャフォールド治療", "ex vivo遺伝子治療")
VECTOR_MODALITIES = ("in vivo遺伝子治療", "ex vivo遺伝子治療")
PARAMETERS = ("manufacturing_cost_ratio", "outsourcing_ratio", "vector_cost_ratio", "domestic_ratio")


def parameters_from_table(table: pd.DataFrame) -> dict[str, float]:
    values = dict(zip(table["parameter"], table["value"].astype(float)))
    missing = [p for p in PARAMETERS if p not in values]
    if missing:
        raise ValueError(f"cdmo_parameters has no {', '.join(missing)}")
    return values


def end_market(segments: pd.DataFrame, modalities: tuple[str, ...], year: int) -> float:
    """Sum of the M1 segments of ``modalities`` in ``year`` (億円)."""
    rows = segments[(segments["year"] == year) & segments["modality"].isin(modalities)]
    found = set(rows["modality"])
    if found != set(modalities):
        raise ValueError(f"M1 has no {', '.join(sorted(set(modalities) - found))} for {year}")
    return float(rows["value_oku_yen"].sum())


def cdmo_markets(segments: pd.DataFrame, params: dict[str, float], years: list[int]) -> pd.DataFrame:
    """Cell and viral-vector CDMO markets, global and domestic, one row per segment, region and year."""
    rows = []
    for year in years:
        cell = end_market(segments, CELL_MODALITIES, year) * params["manufacturing_cost_ratio"] * params["outsourcing_ratio"]
        vector = end_market(segments, VECTOR_MODALITIES, year) * params["vector_cost_ratio"] * params["outsourcing_ratio"]
        for segment, value in (("細胞CDMO", cell), ("ウイルスベクターCDMO", vector)):
            rows.append({"segment": segment, "region": "グローバル", "year": year, "value_oku_yen": value})
            rows.append({"segment": segment, "region": "国内", "year": year,
                         "value_oku_yen": value * params["domestic_ratio"]})
    return pd.DataFrame(rows)

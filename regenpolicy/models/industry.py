"""Supporting-industry markets: CDMO markets modelled from the end markets of M1 (figure M3).

The seed estimates the contract-manufacturing markets from the end markets of the modalities
they serve; the report follows that method with explicit ratios (``cdmo_parameters``):

    cell CDMO          = (細胞移植 × manufacturing_cost_ratio
                          + ex vivo遺伝子治療 × (manufacturing_cost_ratio − vector_cost_ratio)) × outsourcing_ratio
    viral-vector CDMO  = (in vivo遺伝子治療 + ex vivo遺伝子治療) × vector_cost_ratio × outsourcing_ratio
    domestic           = global × domestic_ratio

An ex vivo gene therapy (CAR-T) needs both cell processing and a viral vector; its vector is part
of its manufacturing cost, so its cell CDMO share leaves the vector out and each yen of its
manufacturing cost is counted once. 組織移植・スキャフォールド治療 is not counted: figure M1 cannot
tell its series apart (系列未特定). These are the report's own estimates (source
``regenpolicy_model``), not the seed's values, which do not survive extraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import Parameters, Problem, param

CELL_MODALITIES = ("細胞移植",)  # cell products without a vector
EX_VIVO = ("ex vivo遺伝子治療",)  # cell processing and a viral vector
VECTOR_MODALITIES = ("in vivo遺伝子治療", "ex vivo遺伝子治療")
MODEL_SOURCE = "regenpolicy_model"
PARAMETERS = ("manufacturing_cost_ratio", "outsourcing_ratio", "vector_cost_ratio", "domestic_ratio")


def parameters_from_table(table: pd.DataFrame) -> dict[str, float]:
    values = dict(zip(table["parameter"], table["value"].astype(float), strict=True))
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
    if params["vector_cost_ratio"] > params["manufacturing_cost_ratio"]:
        raise ValueError("vector_cost_ratio is part of the manufacturing cost: it cannot exceed manufacturing_cost_ratio")
    rows = []
    out = params["outsourcing_ratio"]
    for year in years:
        cell = (end_market(segments, CELL_MODALITIES, year) * params["manufacturing_cost_ratio"]
                + end_market(segments, EX_VIVO, year) * (params["manufacturing_cost_ratio"] - params["vector_cost_ratio"])) * out
        vector = end_market(segments, VECTOR_MODALITIES, year) * params["vector_cost_ratio"] * out
        for segment, value in (("細胞CDMO", cell), ("ウイルスベクターCDMO", vector)):
            rows.append({"segment": segment, "region": "グローバル", "year": year, "value_oku_yen": value})
            rows.append({"segment": segment, "region": "国内", "year": year,
                         "value_oku_yen": value * params["domestic_ratio"]})
    return pd.DataFrame(rows)


# --- figure M3 -----------------------------------------------------------------------------------
class M3Parameters(Parameters):
    first_model_year: int = param(2025, "CDMO 市場を試算する最初の年（図 M1 の年から選ぶ）", unit="年",
                                  minimum=2000, maximum=2100)
    last_model_year: int = param(2030, "CDMO 市場を試算する最後の年", unit="年", minimum=2000, maximum=2100)

    def problems(self, ds: Dataset) -> list[Problem]:
        years = sorted(set(ds["market_global_modality"]["year"]))
        chosen = [y for y in years if self.first_model_year <= y <= self.last_model_year]
        if not chosen:
            return [Problem(("last_model_year",), f"no year of figure M1 between {self.first_model_year} and "
                                                  f"{self.last_model_year}; M1 years: {years}")]
        return []


@dataclass(frozen=True)
class M3Result:
    combined: pd.DataFrame  # published totals and modelled CDMO markets: segment, region, year, value_oku_yen, …
    parameters: pd.DataFrame  # the cdmo_parameters table
    numbers: dict[str, float]


CELL_NOTE = ("本書の試算：(図 M1 の細胞移植 × 製造費比率 ＋ ex vivo遺伝子治療 × (製造費比率 − ベクター製造費比率)) "
             "× 外部委託比率（ex vivo のベクター分はウイルスベクターCDMOに数える）")
VECTOR_NOTE = "本書の試算：図 M1 の in vivo・ex vivo遺伝子治療の市場 × ベクター製造費比率 × 外部委託比率"


def supporting_industry(ds: Dataset, p: M3Parameters) -> M3Result:
    """Published supporting-industry totals and the CDMO markets modelled from M1 (M3)."""
    published = ds["supporting_industry"]
    table = ds["cdmo_parameters"]
    params = parameters_from_table(table)
    segments = ds["market_global_modality"]
    years = sorted(int(y) for y in segments["year"].unique() if p.first_model_year <= y <= p.last_model_year)
    cdmo = cdmo_markets(segments, params, years).assign(status="assumption", source_id=MODEL_SOURCE, in_seeds=False)
    cdmo["note"] = [(CELL_NOTE if seg == "細胞CDMO" else VECTOR_NOTE) + ("。国内はグローバルの10分の1" if reg == "国内" else "")
                    for seg, reg in zip(cdmo["segment"], cdmo["region"], strict=True)]
    combined = pd.concat([published, cdmo], ignore_index=True)
    pub = published.set_index(["region", "year"])["value_oku_yen"]
    last = max(years)
    model = cdmo.set_index(["segment", "region", "year"])["value_oku_yen"]
    numbers = {
        "m3_global_2020": pub[("グローバル", 2020)], "m3_global_2030": pub[("グローバル", 2030)],
        "m3_domestic_2020": pub[("国内", 2020)], "m3_domestic_2030": pub[("国内", 2030)],
        "m3_ratio_2030": pub[("国内", 2030)] / pub[("グローバル", 2030)], "m3_domestic_ratio": params["domestic_ratio"],
        "m3_last_year": last, "m3_cell_cdmo": model[("細胞CDMO", "グローバル", last)],
        "m3_vector_cdmo": model[("ウイルスベクターCDMO", "グローバル", last)],
        "m3_cell_cdmo_jp": model[("細胞CDMO", "国内", last)], "m3_cost_ratio": params["manufacturing_cost_ratio"],
        "m3_outsourcing": params["outsourcing_ratio"], "m3_vector_ratio": params["vector_cost_ratio"],
    }
    return M3Result(combined, table, numbers)

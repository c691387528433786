"""Fee-schedule points against the hospital's cost, step by step (figure K1)."""

from __future__ import annotations

import pandas as pd


def points_in_force(fee_schedule: pd.DataFrame, code: str, revision: int) -> tuple[int, int]:
    """Points of ``code`` under the fee schedule of ``revision``.

    A row holds from its revision until a later row of the same code; returns
    ``(points, revision_of_the_row_used)``.
    """
    rows = fee_schedule[(fee_schedule["code"] == code) & (fee_schedule["revision"] <= revision)]
    if rows.empty:
        known = sorted(fee_schedule.loc[fee_schedule["code"] == code, "revision"])
        raise ValueError(f"fee code {code} has no points in force at revision {revision} "
                         f"(revisions in the data: {known or 'none'})")
    row = rows.sort_values("revision").iloc[-1]
    return int(row["points"]), int(row["revision"])


def step_gaps(steps: pd.DataFrame, fee_schedule: pd.DataFrame, revision: int,
              yen_per_point: float = 10.0) -> pd.DataFrame:
    """Per step: points, reimbursement, expected hospital cost and gap (円 per patient).

    reimbursement = points × fee_units × yen_per_point
    expected_cost = occurrence_rate × hospital_cost_yen
    gap           = reimbursement − expected_cost (negative: the hospital pays)
    """
    if yen_per_point <= 0:
        raise ValueError(f"yen_per_point must be positive, got {yen_per_point}")
    out = steps.sort_values(["pathway", "step_order"]).copy()
    points, used = [], []
    for code in out["fee_code"]:
        if code is None or pd.isna(code):
            points.append(0)
            used.append(None)
        else:
            p, r = points_in_force(fee_schedule, code, revision)
            points.append(p)
            used.append(r)
    out["points"] = points
    out["points_revision"] = pd.array(used, dtype="Int64")
    out["reimbursement_yen"] = out["points"] * out["fee_units"] * yen_per_point
    out["expected_cost_yen"] = out["occurrence_rate"] * out["hospital_cost_yen"]
    out["gap_yen"] = out["reimbursement_yen"] - out["expected_cost_yen"]
    return out.reset_index(drop=True)


def pathway_totals(gaps: pd.DataFrame) -> pd.DataFrame:
    """Reimbursement, expected cost and gap per patient for each pathway."""
    cols = ["reimbursement_yen", "expected_cost_yen", "gap_yen"]
    totals = gaps.groupby("pathway")[cols].sum()
    totals["unpaid_steps"] = gaps[gaps["points"] == 0].groupby("pathway").size()
    totals["unpaid_steps"] = totals["unpaid_steps"].fillna(0).astype(int)
    return totals.reset_index()


# --- per-patient scenarios (K1 extended) --------------------------------------------------------
# One CAR-T patient's unreimbursed burden varies: apheresis may have to be repeated, CRS may or
# may not occur and at what grade, bridging therapy may be needed, and the stay varies in length.
# Parameters (円 unless stated):
#   reimbursement          points paid for the pathway × yen per point
#   apheresis_cost         one apheresis (also the cost of a repeat)
#   reapheresis_rate       probability that manufacturing fails and apheresis is repeated
#   transport_cost, receipt_cost, administration_cost
#   staffing_cost_per_day  unreimbursed specialist staffing per inpatient day
#   days_min, days_mode, days_max   inpatient days around administration (triangular)
#   crs12_rate, crs12_cost, crs3_rate, crs3_cost   CRS/neurological events by grade
#   bridging_rate, bridging_cost                      unreimbursed coordination of bridging therapy
K1_PARAMETERS = (
    "reimbursement", "apheresis_cost", "reapheresis_rate", "transport_cost", "receipt_cost",
    "administration_cost", "staffing_cost_per_day", "days_min", "days_mode", "days_max",
    "crs12_rate", "crs12_cost", "crs3_rate", "crs3_cost", "bridging_rate", "bridging_cost",
)


K1_LABELS = {
    "reimbursement": "診療報酬（点数×円）", "apheresis_cost": "アフェレーシスの費用", "reapheresis_rate": "再アフェレーシス率",
    "transport_cost": "製造業者への輸送対応の費用", "receipt_cost": "受け入れ・保管の費用", "administration_cost": "投与の費用",
    "staffing_cost_per_day": "1日当たりの投与体制の費用", "days_min": "入院日数（最小）", "days_mode": "入院日数（最頻）",
    "days_max": "入院日数（最大）", "crs12_rate": "CRS等（グレード1–2）の発生率", "crs12_cost": "CRS等（グレード1–2）の費用",
    "crs3_rate": "CRS等（グレード3以上）の発生率", "crs3_cost": "CRS等（グレード3以上）の費用",
    "bridging_rate": "ブリッジング療法の割合", "bridging_cost": "ブリッジング療法の未評価費用",
}


def k1_parameters(steps: pd.DataFrame, fee_schedule: pd.DataFrame, revision: int, yen_per_point: float,
                  extra: dict[str, float]) -> dict[str, float]:
    """The per-patient model's parameters for the CAR-T pathway, taken from the step table.

    Each step's cost and rate come from ``care_pathway_steps`` (by ``step_key``); the staffing
    cost of the stay becomes a cost per day over the most likely length of stay; length of
    stay and bridging therapy come from ``extra`` (``model_parameters``, model K1).
    """
    gaps = step_gaps(steps[steps["pathway"] == "car_t"], fee_schedule, revision, yen_per_point)
    by = gaps.set_index("step_key")
    cost = lambda key: float(by.loc[key, "hospital_cost_yen"])  # noqa: E731
    rate = lambda key: float(by.loc[key, "occurrence_rate"])  # noqa: E731
    return {
        "reimbursement": float(gaps["reimbursement_yen"].sum()),
        "apheresis_cost": cost("apheresis"), "reapheresis_rate": rate("reapheresis"),
        "transport_cost": cost("transport") * rate("transport"), "receipt_cost": cost("receipt") * rate("receipt"),
        "administration_cost": cost("administration"),
        "staffing_cost_per_day": cost("staffing") * rate("staffing") / extra["days_mode"],
        "days_min": extra["days_min"], "days_mode": extra["days_mode"], "days_max": extra["days_max"],
        "crs12_rate": rate("crs12"), "crs12_cost": cost("crs12"), "crs3_rate": rate("crs3"), "crs3_cost": cost("crs3"),
        "bridging_rate": extra["bridging_rate"], "bridging_cost": extra["bridging_cost"],
    }


def _check_k1(p: dict[str, float]) -> None:
    missing = [k for k in K1_PARAMETERS if k not in p]
    if missing:
        raise KeyError(f"missing K1 parameters: {', '.join(missing)}")
    for rate in ("reapheresis_rate", "crs12_rate", "crs3_rate", "bridging_rate"):
        if not 0 <= p[rate] <= 1:
            raise ValueError(f"{rate} must be between 0 and 1, got {p[rate]}")
    if p["crs12_rate"] + p["crs3_rate"] > 1:
        raise ValueError("crs12_rate + crs3_rate must not exceed 1")
    if not p["days_min"] <= p["days_mode"] <= p["days_max"]:
        raise ValueError("need days_min ≤ days_mode ≤ days_max")


def expected_gap(p: dict[str, float]) -> float:
    """Mean gap per patient (reimbursement − expected cost); negative: the hospital pays."""
    _check_k1(p)
    days = (p["days_min"] + p["days_mode"] + p["days_max"]) / 3  # mean of the triangular law
    cost = (p["apheresis_cost"] * (1 + p["reapheresis_rate"]) + p["transport_cost"] + p["receipt_cost"]
            + p["administration_cost"] + p["staffing_cost_per_day"] * days
            + p["crs12_rate"] * p["crs12_cost"] + p["crs3_rate"] * p["crs3_cost"]
            + p["bridging_rate"] * p["bridging_cost"])
    return p["reimbursement"] - cost


def simulate_gaps(p: dict[str, float], patients: int, seed: int) -> "np.ndarray":
    """Gap per patient for ``patients`` simulated patients (same seed, same result)."""
    import numpy as np

    _check_k1(p)
    if patients < 1:
        raise ValueError(f"patients must be at least 1, got {patients}")
    rng = np.random.default_rng(seed)
    reapheresis = rng.random(patients) < p["reapheresis_rate"]
    u = rng.random(patients)
    crs_cost = np.where(u < p["crs3_rate"], p["crs3_cost"],
                        np.where(u < p["crs3_rate"] + p["crs12_rate"], p["crs12_cost"], 0.0))
    bridging = rng.random(patients) < p["bridging_rate"]
    if p["days_min"] == p["days_max"]:
        days = np.full(patients, float(p["days_mode"]))
    else:
        days = rng.triangular(p["days_min"], p["days_mode"], p["days_max"], patients)
    cost = (p["apheresis_cost"] * (1 + reapheresis) + p["transport_cost"] + p["receipt_cost"]
            + p["administration_cost"] + p["staffing_cost_per_day"] * days + crs_cost
            + bridging * p["bridging_cost"])
    return p["reimbursement"] - cost

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

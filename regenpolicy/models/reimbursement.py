"""Fee-schedule points against the hospital's cost, step by step (K1), and per patient (K1-MC)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.params import Parameters, Problem, param


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
    points: list[int] = []
    used: list[int | None] = []
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

    def cost(key: str) -> float:
        return float(by.loc[key, "hospital_cost_yen"])

    def rate(key: str) -> float:
        return float(by.loc[key, "occurrence_rate"])

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


def simulate_gaps(p: dict[str, float], patients: int, seed: int) -> np.ndarray:
    """Gap per patient for ``patients`` simulated patients (same seed, same result)."""
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


# --- figure K1 -----------------------------------------------------------------------------------
PATHWAYS = {"auto_pbsct": "自家末梢血幹細胞移植", "car_t": "CAR-T細胞療法"}


@dataclass(frozen=True)
class FeeGapParameters(Parameters):
    """K1 has no parameters of its own: it uses the edition's fee revision and yen per point."""


@dataclass(frozen=True)
class FeeGapResult:
    gaps: pd.DataFrame  # one row per step: points, reimbursement, expected cost, gap (円 per patient)
    totals: pd.DataFrame  # per pathway
    carried: list[int]  # revisions older than the chosen one whose points are still in force
    numbers: dict[str, float]


def fee_gap(ds: Dataset, revision: int, yen_per_point: int) -> FeeGapResult:
    """Points and hospital cost of each step of autologous PBSCT and CAR-T therapy (K1)."""
    gaps = step_gaps(ds["care_pathway_steps"], ds["fee_schedule"], revision, yen_per_point)
    gaps["pathway_ja"] = gaps["pathway"].map(PATHWAYS)
    totals = pathway_totals(gaps).set_index("pathway")
    carried = sorted({int(r) for r in gaps["points_revision"].dropna() if r != revision})
    numbers: dict[str, float] = {"k1_revision": revision, "k1_yen_per_point": yen_per_point}
    for pathway, row in totals.iterrows():
        numbers[f"k1_gap_{pathway}"] = -row["gap_yen"] / 10000 + 0.0  # + 0.0: no "-0.0"
        numbers[f"k1_reimb_{pathway}"] = row["reimbursement_yen"] / 10000
        numbers[f"k1_cost_{pathway}"] = row["expected_cost_yen"] / 10000
        numbers[f"k1_unpaid_{pathway}"] = int(row["unpaid_steps"])
    return FeeGapResult(gaps, totals, carried, numbers)


# --- figure K1-MC --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientSimulationParameters(Parameters):
    overrides: dict[str, float] = param({}, "K1 のパラメータ（工程表と data/model_parameters.csv の値）の上書き")
    patients: int = param(20000, "シミュレーションする患者数", unit="人", minimum=100, maximum=200_000)
    seed: int = param(2023, "乱数の種（同じ種なら同じ結果）", minimum=0, maximum=2**32 - 1)
    burden_threshold: float = param(100, "この額を超える持ち出しの患者の割合を示す", unit="万円", minimum=0,
                                    maximum=100_000)
    scenarios: dict[str, dict[str, float]] = param({
        "low": {"reapheresis_rate": 0.03, "crs3_rate": 0.1, "bridging_rate": 0.2, "days_max": 28},
        "high": {"reapheresis_rate": 0.15, "crs3_rate": 0.35, "bridging_rate": 0.8, "days_max": 49},
    }, "患者1人当たりの期待差額を比べるシナリオ（基準値からの上書き）")

    def problems(self, ds: Dataset) -> list[Problem]:
        out = []
        for path, values in [(("overrides",), self.overrides),
                             *((("scenarios", n), v) for n, v in self.scenarios.items())]:
            for key in values:
                if key not in K1_PARAMETERS:
                    out.append(Problem((*path, key), f"no such K1 parameter; parameters: {', '.join(K1_PARAMETERS)}"))
        if out:
            return out
        base = k1_parameters(ds["care_pathway_steps"], ds["fee_schedule"], 2022, 10.0,
                             parameters.values(ds["model_parameters"], "K1"))
        for path, values in [(("overrides",), self.overrides),
                             *((("scenarios", n), {**self.overrides, **v}) for n, v in self.scenarios.items())]:
            try:
                _check_k1({**base, **values})
            except ValueError as exc:
                out.append(Problem(path, str(exc)))
        return out


@dataclass(frozen=True)
class PatientSimulationResult:
    gaps: np.ndarray  # 円 per simulated patient (negative: the hospital pays)
    histogram: pd.DataFrame  # bin_start_yen, bin_end_yen, patients, share
    stats: pd.DataFrame  # value (万円), label: mean, 5th and 95th percentile
    tornado: pd.DataFrame
    table: pd.DataFrame  # K1's rows of model_parameters
    numbers: dict[str, float]
    top_parameter: str


def patient_simulation(ds: Dataset, revision: int, yen_per_point: int,
                       p: PatientSimulationParameters) -> PatientSimulationResult:
    """Gap per CAR-T patient when re-apheresis, CRS, bridging and the stay vary by patient (K1-MC)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, "K1")
    extra = parameters.values(frame, "K1")
    base = {**k1_parameters(ds["care_pathway_steps"], ds["fee_schedule"], revision, yen_per_point, extra), **p.overrides}
    gaps = simulate_gaps(base, p.patients, p.seed)
    mean, p5, p50, p95 = float(gaps.mean()), *(float(x) for x in np.percentile(gaps, [5, 50, 95]))
    ranges = {"reapheresis_rate": (extra["reapheresis_rate_low"], extra["reapheresis_rate_high"]),
              **{k: v for k, v in parameters.stated_ranges(frame, "K1").items() if k in base}}
    labels = pd.DataFrame([{"parameter": k, "label": K1_LABELS[k], "unit": ""} for k in base])
    tornado = parameters.labelled(sensitivity.tornado(lambda q: expected_gap(dict(q)) / 1e4, base, ranges), labels)
    scen = sensitivity.scenarios(lambda q: expected_gap(dict(q)) / 1e4, base, p.scenarios)
    bins = np.arange(np.floor(gaps.min() / 1e5) * 1e5, np.ceil(gaps.max() / 1e5) * 1e5 + 1e5, 1e5)
    counts, edges = np.histogram(gaps, bins=bins)
    histogram = pd.DataFrame({"bin_start_yen": edges[:-1], "bin_end_yen": edges[1:], "patients": counts,
                              "share": counts / p.patients})
    stats = pd.DataFrame({"value": [mean / 1e4, p5 / 1e4, p95 / 1e4], "label": ["平均", "5%点", "95%点"]})
    numbers = {
        "k1s_patients": p.patients, "k1s_mean": -mean / 1e4, "k1s_p5": -p95 / 1e4, "k1s_p95": -p5 / 1e4,
        "k1s_median": -p50 / 1e4, "k1s_threshold": p.burden_threshold,
        "k1s_share_over": float((gaps < -p.burden_threshold * 1e4).mean()),
        "k1s_scen_min": -scen["output"].max(), "k1s_scen_max": -scen["output"].min(),
    }
    return PatientSimulationResult(gaps, histogram, stats, tornado, table, numbers, str(tornado.iloc[0]["label"]))

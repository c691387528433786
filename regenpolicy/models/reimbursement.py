"""What a hospital is paid and what it spends, step by step (K1) and patient by patient (K1-MC).

The gap counts only cost that no fee pays:

    gap per patient = Σ paid − Σ cost          (negative: cost not covered by any fee)

Paid (``fee_schedule``, ``drug_prices``):
  - the points of each procedure: K921 2ロ and K922 2ロ (autologous PBSCT); K921-3 1 or 2 by
    product (``car_t_products``) and K922-2 (CAR-T);
  - the ward fee for each day of the stay: A100 急性期一般入院料1 or A104 特定機能病院 7対1, each with
    its 入院期間加算 (注3: days 1–14 and 15–30); on ICU days 特定集中治療室管理料1 (A301) replaces it;
    A224 無菌治療室管理加算2 for ``aseptic_days`` (0 unless the reader's interpretation bills it);
  - tocilizumab for CRS at its NHI price — under 出来高 it is billed separately; under DPC it is
    inside the per-diem bundle, which was set on patients who did not need it, so it is not paid.
    Under DPC the per-diem for the stay is taken as equal to the 出来高 ward fee (no per-diem of
    the CAR-T admission was found) and ICU is paid outside the bundle (特定入院料): assumptions.

Cost: no Japanese cost survey was found, so every paid item is assumed to cost what it pays (a
neutral assumption); steps no fee pays — re-apheresis under the once-per-patient rule,
transport, receipt, coordination — carry an assumed cost with a stated range. Care billed
elsewhere (bridging, lymphodepletion) is left out on both pathways; CRS care is treated the same
way: it is counted as paid where a fee pays it, and as a gap where it does not.

The average patient (K1) and the simulated patients (K1-MC) use one parameter set
(``k1_parameters``) and one definition: K1's gap is ``expected_gap``, the mean of
``simulate_gaps`` (exactly so at zero variance).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models import parameters, sensitivity
from regenpolicy.models.parameters import (
    REGIMES,
    DataParameters,
    EditionSettings,
    Parameters,
    Problem,
    WardFee,
    datum,
    param,
)
from regenpolicy.models.repricing import C2Data

WARD_FEES: dict[WardFee, tuple[str, str, str]] = {  # ward → (daily fee, 入院期間加算 days 1–14, days 15–30)
    "A100": ("A100 1イ", "A100 注3イ", "A100 注3ロ"),
    "A104": ("A104 1イ", "A104 注3イ(1)", "A104 注3イ(2)"),
}
RENUMBERED: dict[str, tuple[tuple[int, str], ...]] = {  # code to 2024 → (first revision, code printed from then on)
    "A100 1イ": ((2026, "A100 2イ"),),  # R8: 1イ is the new 急性期病院A; 急性期一般入院料1 is 2イ
}
STAY_EXTRAS: dict[WardFee, tuple[str, ...]] = {  # paid per ward day from R8: 入院物価対応料, 入院ベースアップ評価料
    "A100": ("O100 2ニ", "O003 1"), "A104": ("O100 2イス", "O003 1")}
ICU_EXTRAS = (("O100 2ハカ", "O003 1"), ("O100 2ハヨ", "O003 1"))  # the same on ICU days 1–7 and 8–14
WARD_JA: dict[WardFee, str] = {"A100": "急性期一般入院料1", "A104": "特定機能病院 7対1"}
ICU_CODES = ("A301 1イ", "A301 1ロ")  # days 1–7, days 8–14
ASEPTIC_CODE = "A224 2"
CRS_DRUG = "tocilizumab"
PATHWAYS = {"auto_pbsct": "自家末梢血幹細胞移植", "car_t": "CAR-T細胞療法"}


def points_in_force(fee_schedule: pd.DataFrame, code: str, revision: int) -> tuple[int, int]:
    """Points of ``code`` under the fee schedule of ``revision``.

    A row holds from its revision until a later row of the same code; returns
    ``(points, revision_of_the_row_used)``.
    """
    found = _in_force(fee_schedule, code, revision)
    if found is None:
        known = sorted(fee_schedule.loc[fee_schedule["code"] == code, "revision"])
        raise ValueError(f"fee code {code} has no points in force at revision {revision} "
                         f"(revisions in the data: {known or 'none'})")
    return found


def _in_force(fee_schedule: pd.DataFrame, code: str, revision: int) -> tuple[int, int] | None:
    """``(points, revision)`` of the latest row of ``code`` at or before ``revision``, or None (a plain
    scan: the models ask this a few hundred times per figure, and a frame filter costs ~1 ms each)."""
    best: tuple[int, int] | None = None
    rows = zip(fee_schedule["code"].tolist(), fee_schedule["revision"].tolist(), fee_schedule["points"].tolist(),
               strict=True)
    for c, rev, points in rows:
        if c == code and rev <= revision and (best is None or rev > best[1]):
            best = (int(points), int(rev))
    return best


def code_in_force(code: str, revision: int) -> str:
    """The code an item carries under ``revision`` (``RENUMBERED``: 急性期一般入院料1 is A100 2イ from R8)."""
    current = code
    for first, new in RENUMBERED.get(code, ()):
        if revision >= first:
            current = new
    return current


def ward_codes(ward: WardFee, revision: int) -> tuple[str, str, str]:
    """The daily ward fee and its two 入院期間加算 codes as printed in ``revision``."""
    fee, add14, add30 = WARD_FEES[ward]
    return code_in_force(fee, revision), add14, add30


def points_or_zero(fee_schedule: pd.DataFrame, code: str, revision: int) -> int:
    """Points of ``code`` in force at ``revision``, 0 before the item existed (O100/O003 before R8)."""
    found = _in_force(fee_schedule, code, revision)
    return found[0] if found else 0


def vial_prices(prices: pd.DataFrame, drug: str, year: int) -> dict[float, float]:
    """Strength (mg) → price per vial (円) in force in fiscal ``year`` (the latest row ≤ year)."""
    rows = prices[(prices["drug_id"] == drug) & (prices["fiscal_year"] <= year)]
    if rows.empty:
        raise ValueError(f"drug {drug} has no price in force in fiscal year {year}")
    latest = rows.sort_values("fiscal_year").groupby("strength_mg").last()
    return {float(s): float(p) for s, p in latest["price_yen"].items()}


def dose_cost(dose_mg: float, vials: Mapping[float, float]) -> tuple[float, dict[float, int]]:
    """The cheapest set of whole vials holding at least ``dose_mg``: (cost 円, strength → count)."""
    if dose_mg < 0:
        raise ValueError(f"dose must not be negative, got {dose_mg}")
    if not vials or min(vials) <= 0:
        raise ValueError("need at least one vial strength, all positive")
    strengths = sorted(vials, reverse=True)
    best: tuple[float, dict[float, int]] = (math.inf, {})

    def search(i: int, left: float, cost: float, counts: dict[float, int]) -> None:
        nonlocal best
        s = strengths[i]
        if i == len(strengths) - 1:
            n = max(0, math.ceil(left / s - 1e-9))
            total = cost + n * vials[s]
            if total < best[0]:
                best = (total, {**counts, s: n})
            return
        for n in range(max(0, math.ceil(left / s - 1e-9)) + 1):
            search(i + 1, left - n * s, cost + n * vials[s], {**counts, s: n})

    search(0, float(dose_mg), 0.0, {})
    return best[0], {s: n for s, n in best[1].items() if n}


def expected_min(low: float, mode: float, high: float, cap: float) -> float:
    """E[min(D, cap)] for D triangular on [low, high] with the given mode (exact)."""
    if not low <= mode <= high:
        raise ValueError(f"need low ≤ mode ≤ high, got {low}, {mode}, {high}")
    if high == low:
        return min(low, cap)
    if cap <= low:
        return cap
    width = high - low

    def integral_cdf(c: float) -> float:  # ∫_low^c F(x) dx for low ≤ c ≤ high
        if c <= mode:
            return (c - low) ** 3 / (3 * width * (mode - low)) if mode > low else 0.0
        left = (mode - low) ** 2 / (3 * width)
        right = (c - mode) - ((high - mode) ** 3 - (high - c) ** 3) / (3 * width * (high - mode))
        return left + right

    if cap >= high:
        return (low + mode + high) / 3
    return cap - integral_cdf(cap)


class K1Data(DataParameters):
    """The data parameters of the CAR-T per-patient model (figures K1 and K1-MC): each one's type, label, unit and the range the
    model accepts. Values, stated ranges, status, basis and sources: data/model_parameters.csv (model K1)."""

    MODEL = "K1"

    days_min: int = datum("投与入院の日数（最小）", unit="日", minimum=1, maximum=365)
    days_mode: int = datum("投与入院の日数（最頻）", unit="日", minimum=1, maximum=365)
    days_max: int = datum("投与入院の日数（最大）", unit="日", minimum=1, maximum=365)
    pbsct_days: int = datum("自家末梢血幹細胞移植の入院日数", unit="日", minimum=1, maximum=365)
    icu_days: int = datum("ICU の日数（グレード3以上のCRS等）", unit="日", minimum=0, maximum=14)
    body_weight: float = datum("体重", unit="kg", minimum=1, maximum=200)
    tocilizumab_mg_per_kg: float = datum("トシリズマブの1回量", unit="mg/kg", minimum=0, maximum=20)
    crs12_doses: int = datum("トシリズマブの回数（グレード1–2）", unit="回", minimum=0, maximum=10)
    crs3_doses: int = datum("トシリズマブの回数（グレード3以上）", unit="回", minimum=0, maximum=10)
    aseptic_days: int = datum("無菌治療室管理加算2の日数", unit="日", minimum=0, maximum=90)
    dpc_per_diem_ratio: float = datum("DPC 包括点数 ÷ 出来高の入院料（投与入院）", unit="倍", minimum=0, maximum=5)
    dpc_icu_outside: int = datum("DPC 包括でも ICU の管理料を別に算定する（1＝する、0＝しない）", unit="区分", minimum=0, maximum=1)
    reapheresis_rate_low: float = datum("再アフェレーシス率（下限）", unit="割合", minimum=0, maximum=1)
    reapheresis_rate_high: float = datum("再アフェレーシス率（上限）", unit="割合", minimum=0, maximum=1)
    carryover_days: float = datum("入院期間に通算される前の入院の日数（同一傷病・同一医療機関）", unit="日", minimum=0, maximum=14)


# --- the per-patient model (CAR-T) --------------------------------------------------------------
class PatientParameters(DataParameters):
    """The per-patient model's parameters (CAR-T), 円 unless stated (fees and prices already × yen
    per point): each one's label, unit and range. ``k1_parameters`` builds them from the care pathway,
    the fee schedule, drug prices, ``K1Data`` and the edition's billing choices; K1 and K1-MC use them."""

    apheresis_fee: float = datum("アフェレーシスの点数（円）", unit="円", minimum=0)  # K921-3 (by product), paid once
    administration_fee: float = datum("CAR-T細胞投与の点数（円）", unit="円", minimum=0)  # K922-2, paid once
    # manufacturing fails: a second apheresis nobody pays
    reapheresis_rate: float = datum("再アフェレーシス率", unit="割合", minimum=0, maximum=1)
    # unpaid steps (assumed costs × how often they occur)
    transport_cost: float = datum("製造業者への輸送対応の費用", unit="円", minimum=0)
    receipt_cost: float = datum("受け入れ・保管の費用", unit="円", minimum=0)
    coordination_cost: float = datum("投与体制（コーディネート）の費用", unit="円", minimum=0)
    # days of the infusion stay (triangular law)
    days_min: float = datum("投与入院の日数（最小）", unit="日", minimum=0)
    days_mode: float = datum("投与入院の日数（最頻）", unit="日", minimum=0)
    days_max: float = datum("投与入院の日数（最大）", unit="日", minimum=0)
    # ward fee per day (from R8 with 入院物価対応料 and 入院ベースアップ評価料) and its 入院期間加算
    # (days 1–14, 15–30 of the 入院期間)
    ward_fee: float = datum("入院基本料（1日）", unit="円/日", minimum=0)
    ward_add14: float = datum("入院期間加算（14日以内、1日）", unit="円/日", minimum=0)
    ward_add30: float = datum("入院期間加算（15〜30日、1日）", unit="円/日", minimum=0)
    aseptic_fee: float = datum("無菌治療室管理加算2（1日）", unit="円/日", minimum=0)  # A224 per day
    aseptic_days: float = datum("無菌治療室管理加算2の日数", unit="日", minimum=0)  # days billed
    # ICU days of a grade ≥3 patient, A301 per day (≤7, ≥8)
    icu_days: float = datum("ICU の日数（グレード3以上）", unit="日", minimum=0)
    icu_fee_7: float = datum("特定集中治療室管理料1（7日以内、1日）", unit="円/日", minimum=0)
    icu_fee_8: float = datum("特定集中治療室管理料1（8日以上、1日）", unit="円/日", minimum=0)
    # CRS/neurological events by grade
    crs12_rate: float = datum("CRS等（グレード1–2）の発生率", unit="割合", minimum=0, maximum=1)
    crs3_rate: float = datum("CRS等（グレード3以上）の発生率", unit="割合", minimum=0, maximum=1)
    # price of one dose, doses per event
    tocilizumab_dose: float = datum("トシリズマブ1回分の薬価", unit="円/回", minimum=0)
    crs12_doses: float = datum("トシリズマブの回数（グレード1–2）", unit="回", minimum=0)
    crs3_doses: float = datum("トシリズマブの回数（グレード3以上）", unit="回", minimum=0)
    # 1 under 出来高 (tocilizumab billed), 0 under DPC (bundled)
    drugs_paid: float = datum("CRS治療薬が別に支払われる（出来高1／DPC0）", unit="区分", minimum=0, maximum=1)
    # what is paid for the stay ÷ the 出来高 ward fee (1 under 出来高; the DPC per-diem ÷ ward fee under DPC, an assumption)
    ward_paid_ratio: float = datum("入院に支払われる額 ÷ 出来高の入院料（DPC 包括点数の倍率）", unit="倍", minimum=0)
    # 1 when A301 is paid (出来高; DPC when ICU is outside the bundle)
    icu_paid: float = datum("ICU の管理料が支払われる（1／0）", unit="区分", minimum=0, maximum=1)
    # days of an earlier admission for the same disease at the same hospital that count toward the 入院期間
    # (通知 第1章第2部 通則7: the apheresis admission, when the rule applies): the 加算 bands are used up
    # sooner; the cost of the stay does not change
    carryover_days: float = datum("入院期間に通算される前の入院の日数（同一傷病）", unit="日", minimum=0)


REGIME_FLAGS = ("drugs_paid", "icu_paid")  # set by the billing regime, not varied in the tornado
UNPAID_STEPS = {"transport": "transport_cost", "receipt": "receipt_cost", "coordination": "coordination_cost"}


def check_k1(p: Mapping[str, float]) -> None:
    """Raise when the per-patient parameters are missing, outside their range or inconsistent."""
    missing = [k for k in PatientParameters.model_fields if k not in p]
    if missing:
        raise KeyError(f"missing K1 parameters: {', '.join(missing)}")
    specs = PatientParameters.specs()
    for name, spec in specs.items():
        if spec.maximum is not None and not (spec.minimum or 0) <= p[name] <= spec.maximum:
            raise ValueError(f"{name} must be between {spec.minimum or 0:g} and {spec.maximum:g}, got {p[name]}")
    if p["crs12_rate"] + p["crs3_rate"] > 1:
        raise ValueError("crs12_rate + crs3_rate must not exceed 1")
    if not 0 < p["days_min"] <= p["days_mode"] <= p["days_max"]:
        raise ValueError("need 0 < days_min ≤ days_mode ≤ days_max")
    if not 0 <= p["icu_days"] <= min(14, p["days_min"]):
        raise ValueError(f"icu_days must be between 0 and the smaller of 14 (the limit of A301) and days_min, "
                         f"got {p['icu_days']}")
    if not 0 <= p["carryover_days"] <= 14 - p["icu_days"]:
        raise ValueError(f"carryover_days must be between 0 and 14 − icu_days (the ICU days replace days of the "
                         f"first 入院期間加算 band), got {p['carryover_days']}")
    if not 0 <= p["aseptic_days"] <= p["days_min"]:
        raise ValueError(f"aseptic_days must be between 0 and days_min, got {p['aseptic_days']}")
    for name, spec in specs.items():
        if p[name] < (spec.minimum or 0):
            raise ValueError(f"{name} must not be negative, got {p[name]}")


def icu_fee(p: Mapping[str, float]) -> float:
    """A301 for the ICU days of one grade ≥3 patient (days 1–7, then 8–14)."""
    k = p["icu_days"]
    return p["icu_fee_7"] * min(k, 7) + p["icu_fee_8"] * max(k - 7, 0)


def ward_bands(p: Mapping[str, float], carried: float) -> float:
    """The expected ward fee of the stay when ``carried`` days already count toward the 入院期間:
    fee × (E[D] − k) + add14 × (E[min(D, 14 − c)] − k) + add30 × (E[min(D, 30 − c)] − E[min(D, 14 − c)]) (+ A224),
    with k the expected ICU days (they replace ward days inside the first band)."""
    low, mode, high = p["days_min"], p["days_mode"], p["days_max"]
    e_days = (low + mode + high) / 3
    e14, e30 = expected_min(low, mode, high, 14 - carried), expected_min(low, mode, high, 30 - carried)
    icu = p["crs3_rate"] * p["icu_days"]
    return (p["ward_fee"] * (e_days - icu) + p["ward_add14"] * (e14 - icu) + p["ward_add30"] * (e30 - e14)
            + p["aseptic_fee"] * p["aseptic_days"])


def expected_lines(p: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """The average CAR-T patient, step by step: step_key → (expected paid, expected cost), 円.

    The ward fee of a stay of D days of which k are in the ICU is
    fee × (D − k) + add14 × (min(D, 14) − k) + add30 × (min(D, 30) − min(D, 14)) (+ A224),
    whose expectation over the triangular law of D is exact (``expected_min``). The cost of the
    stay is that fee; what is paid counts the 入院期間 from ``carryover_days`` on (``ward_bands``).
    """
    check_k1(p)
    ward_cost, ward_paid = ward_bands(p, 0.0), ward_bands(p, p["carryover_days"])
    drug12 = p["crs12_rate"] * p["crs12_doses"] * p["tocilizumab_dose"]
    drug3 = p["crs3_rate"] * p["crs3_doses"] * p["tocilizumab_dose"]
    icu = p["crs3_rate"] * icu_fee(p)
    apheresis = p["apheresis_fee"]
    return {
        "apheresis": (apheresis, apheresis),
        "reapheresis": (0.0, p["reapheresis_rate"] * apheresis),
        "transport": (0.0, p["transport_cost"]),
        "receipt": (0.0, p["receipt_cost"]),
        "ward_stay": (ward_paid * p["ward_paid_ratio"], ward_cost),
        "administration": (p["administration_fee"], p["administration_fee"]),
        "coordination": (0.0, p["coordination_cost"]),
        "crs12": (drug12 * p["drugs_paid"], drug12),
        "crs3": (icu * p["icu_paid"] + drug3 * p["drugs_paid"], icu + drug3),
    }


def expected_gap(p: Mapping[str, float]) -> float:
    """The average patient's gap (Σ paid − Σ cost, 円); negative: cost that no fee pays."""
    return float(sum(paid - cost for paid, cost in expected_lines(p).values()))


def simulate_gaps(p: Mapping[str, float], patients: int, seed: int) -> np.ndarray:
    """Gap per patient for ``patients`` simulated patients (same seed, same result).

    Each patient draws re-apheresis, the CRS grade and the days of the stay; everything else is
    as for the average patient, so the mean tends to ``expected_gap`` (and equals it exactly when
    nothing varies).
    """
    check_k1(p)
    if patients < 1:
        raise ValueError(f"patients must be at least 1, got {patients}")
    rng = np.random.default_rng(seed)
    reapheresis = rng.random(patients) < p["reapheresis_rate"]
    u = rng.random(patients)
    grade3 = u < p["crs3_rate"]
    grade12 = ~grade3 & (u < p["crs3_rate"] + p["crs12_rate"])
    if p["days_min"] == p["days_max"]:
        days = np.full(patients, float(p["days_mode"]))
    else:
        days = rng.triangular(p["days_min"], p["days_mode"], p["days_max"], patients)
    icu_days = np.where(grade3, p["icu_days"], 0.0)

    def ward_fee(carried: float) -> np.ndarray:
        d14, d30 = np.minimum(days, 14 - carried), np.minimum(days, 30 - carried)
        return np.asarray(p["ward_fee"] * (days - icu_days) + p["ward_add14"] * (d14 - icu_days)
                          + p["ward_add30"] * (d30 - d14) + p["aseptic_fee"] * p["aseptic_days"], dtype=float)

    ward, ward_paid = ward_fee(0.0), ward_fee(p["carryover_days"])
    drugs = (grade12 * p["crs12_doses"] + grade3 * p["crs3_doses"]) * p["tocilizumab_dose"]
    icu = grade3 * icu_fee(p)
    paid = (p["apheresis_fee"] + p["administration_fee"] + ward_paid * p["ward_paid_ratio"] + icu * p["icu_paid"]
            + drugs * p["drugs_paid"])
    cost = (p["apheresis_fee"] * (1 + reapheresis) + p["transport_cost"] + p["receipt_cost"] + p["coordination_cost"]
            + p["administration_fee"] + ward + icu + drugs)
    return np.asarray(paid - cost, dtype=float)


# --- from the data to the parameters -------------------------------------------------------------
def _k1_settings(b: EditionSettings, **change: Any) -> EditionSettings:
    """The K1 settings of ``b`` (an edition's settings, or a notebook's view of those it declares), changed."""
    keys = ("fee_revision", "yen_per_point", "car_t_product", "ward_fee", "billing")
    return EditionSettings(**{**{k: getattr(b, k) for k in keys}, **change})


def _yen(fees: pd.DataFrame, code: str, b: EditionSettings) -> float:
    return points_in_force(fees, code, b.fee_revision)[0] * b.yen_per_point


def apheresis_code(ds: Dataset, product: str) -> str:
    products = ds["car_t_products"].set_index("product_id")
    if product not in products.index:
        raise ValueError(f"no CAR-T product '{product}'; products: {', '.join(products.index)}")
    return str(products.loc[product, "apheresis_fee_code"])


def stay_extras(fees: pd.DataFrame, b: EditionSettings) -> tuple[float, float, float]:
    """What R8's 入院物価対応料 (O100 2) and 入院ベースアップ評価料 (O003) add per day (円): on a ward day,
    an ICU day 1–7 and an ICU day 8–14; 0 under a revision that has no such items."""
    def per_day(codes: tuple[str, ...]) -> float:
        return sum(points_or_zero(fees, c, b.fee_revision) for c in codes) * b.yen_per_point
    return per_day(STAY_EXTRAS[b.ward_fee]), per_day(ICU_EXTRAS[0]), per_day(ICU_EXTRAS[1])


def k1_parameters(ds: Dataset, b: EditionSettings, extras: bool = True) -> dict[str, float]:
    """The per-patient model's parameters (CAR-T) from the data, for one edition's billing choices.

    ``extras``: count R8's per-day 入院物価対応料 and 入院ベースアップ評価料 (paid during the stay, on
    ward and ICU days; their cost is taken as equal to what they pay, like every paid item)."""
    steps = ds["care_pathway_steps"]
    car_t = steps[steps["pathway"] == "car_t"].set_index("step_key")
    fees = ds["fee_schedule"]
    extra = parameters.values(ds["model_parameters"], K1Data)
    ward, add14, add30 = ward_codes(b.ward_fee, b.fee_revision)
    extra_ward, extra_icu7, extra_icu8 = stay_extras(fees, b) if extras else (0.0, 0.0, 0.0)
    admin_code = str(car_t.loc["administration", "fee_code"])
    vials = vial_prices(ds["drug_prices"], CRS_DRUG, b.fee_revision)
    dose, _ = dose_cost(extra["body_weight"] * extra["tocilizumab_mg_per_kg"], vials)
    p = {
        "apheresis_fee": _yen(fees, apheresis_code(ds, b.car_t_product), b),
        "administration_fee": _yen(fees, admin_code, b) * float(car_t.loc["administration", "fee_units"]),
        "reapheresis_rate": float(car_t.loc["reapheresis", "occurrence_rate"]),
        **{name: float(car_t.loc[key, "hospital_cost_yen"]) * float(car_t.loc[key, "occurrence_rate"])
           for key, name in UNPAID_STEPS.items()},
        "days_min": extra["days_min"], "days_mode": extra["days_mode"], "days_max": extra["days_max"],
        "ward_fee": _yen(fees, ward, b) + extra_ward, "ward_add14": _yen(fees, add14, b), "ward_add30": _yen(fees, add30, b),
        "aseptic_fee": _yen(fees, ASEPTIC_CODE, b), "aseptic_days": extra["aseptic_days"],
        "icu_days": extra["icu_days"], "icu_fee_7": _yen(fees, ICU_CODES[0], b) + extra_icu7,
        "icu_fee_8": _yen(fees, ICU_CODES[1], b) + extra_icu8,
        "crs12_rate": float(car_t.loc["crs12", "occurrence_rate"]), "crs3_rate": float(car_t.loc["crs3", "occurrence_rate"]),
        "tocilizumab_dose": dose, "crs12_doses": extra["crs12_doses"], "crs3_doses": extra["crs3_doses"],
        "drugs_paid": 1.0 if b.billing == "出来高" else 0.0,
        "ward_paid_ratio": 1.0 if b.billing == "出来高" else extra["dpc_per_diem_ratio"],
        "icu_paid": 1.0 if b.billing == "出来高" else extra["dpc_icu_outside"],
        "carryover_days": extra["carryover_days"],
    }
    check_k1(p)
    return p


def k1_ranges(ds: Dataset, p: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """The stated range (low, high) of each per-patient parameter that has one in the data."""
    steps = ds["care_pathway_steps"]
    car_t = steps[steps["pathway"] == "car_t"].set_index("step_key")
    frame = ds["model_parameters"]
    extra = parameters.values(frame, K1Data)
    ranges = {"reapheresis_rate": (extra["reapheresis_rate_low"], extra["reapheresis_rate_high"])}
    for key, name in UNPAID_STEPS.items():
        lo, hi = car_t.loc[key, "cost_low_yen"], car_t.loc[key, "cost_high_yen"]
        if pd.notna(lo) and pd.notna(hi):
            rate = float(car_t.loc[key, "occurrence_rate"])
            ranges[name] = (float(lo) * rate, float(hi) * rate)
    stated = parameters.stated_ranges(frame, K1Data)
    ranges.update({k: v for k, v in stated.items() if k in p})
    if p["drugs_paid"] == 0 and "dpc_per_diem_ratio" in stated:  # DPC: the per-diem ÷ ward fee has a range
        ranges["ward_paid_ratio"] = stated["dpc_per_diem_ratio"]
    return ranges


def gap_range(p: Mapping[str, float], ranges: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """The average patient's gap with every stated range at its end: (smallest, largest gap in 円).

    Each parameter is put at the end that moves the gap the chosen way (a higher DPC per-diem
    lowers the gap while a higher cost raises it), so the two results are the extremes over the
    ranges' ends (the gap is monotone in each parameter)."""
    toward: list[dict[str, float]] = [{}, {}]  # the ends giving the smallest gap, the largest gap
    for k, (lo, hi) in ranges.items():
        at_lo, at_hi = expected_gap({**p, k: lo}), expected_gap({**p, k: hi})
        toward[0][k], toward[1][k] = (lo, hi) if at_lo <= at_hi else (hi, lo)
    return expected_gap({**p, **toward[0]}), expected_gap({**p, **toward[1]})


# --- figure K1 -----------------------------------------------------------------------------------
def missing_fee_codes(ds: Dataset) -> list[Problem]:
    """The fee codes the K1 model bills that the edition's fee schedule does not hold (e.g. a vintage
    that predates the ward and ICU rows): a problem before anything runs, not a failure halfway."""
    latest = int(ds["fee_schedule"]["revision"].max())
    codes = ({c for ward in WARD_FEES for c in ward_codes(ward, latest)} | set(ICU_CODES) | {ASEPTIC_CODE}
             | set(ds["car_t_products"]["apheresis_fee_code"]) | set(ds["care_pathway_steps"]["fee_code"].dropna()))
    missing = sorted(codes - set(ds["fee_schedule"]["code"]))
    if not missing:
        return []
    return [Problem((), f"the fee schedule this edition reads has no points for {', '.join(missing)}; K1 and K1-MC "
                        f"count what the ward fee, ICU and every procedure pay (a data_vintage of fee_schedule that "
                        f"predates these rows cannot be used with them)")]


class FeeGapParameters(Parameters):
    """K1 has no parameters of its own: it uses the edition's settings (fee revision, yen per
    point, CAR-T product, ward fee and billing regime), which K1-MC shares."""

    def problems(self, ds: Dataset) -> list[Problem]:
        return missing_fee_codes(ds)


def source_ids(ds: Dataset, b: EditionSettings, gaps: pd.DataFrame) -> list[str]:
    """Every source the K1 numbers rest on: steps, fee rows in force, drug prices, the product, K1 parameters."""
    fees = ds["fee_schedule"]
    extras = {c for group in (STAY_EXTRAS[b.ward_fee], *ICU_EXTRAS) for c in group
              if points_or_zero(fees, c, b.fee_revision)}
    codes = (set(gaps["fee_code"].dropna()) | set(ward_codes(b.ward_fee, b.fee_revision)) | set(ICU_CODES)
             | {ASEPTIC_CODE} | extras)
    fee_rows = [fees[(fees["code"] == c) & (fees["revision"] == points_in_force(fees, c, b.fee_revision)[1])]
                for c in sorted(codes)]  # sorted: the caption lists the sources in the same order on every build
    prices = ds["drug_prices"]
    price_rows = prices[(prices["drug_id"] == CRS_DRUG) & (prices["fiscal_year"] <= b.fee_revision)]
    latest = price_rows[price_rows["fiscal_year"] == price_rows["fiscal_year"].max()]
    products = ds["car_t_products"].set_index("product_id")
    k1_rows = parameters.table(ds["model_parameters"], K1Data)
    return list(dict.fromkeys([*gaps["source_id"], *pd.concat(fee_rows)["source_id"], *latest["source_id"],
                               str(products.loc[b.car_t_product, "source_id"]), *k1_rows["source_id"]]))


@dataclass(frozen=True)
class FeeGapResult:
    gaps: pd.DataFrame  # one row per step: what is paid, expected cost and gap (円 per patient)
    totals: pd.DataFrame  # per pathway
    carried: list[int]  # revisions older than the chosen one whose points are still in force
    numbers: dict[str, float]
    texts: dict[str, str]
    p: dict[str, float]  # the average CAR-T patient's parameters (shared with K1-MC)
    sources: list[str]  # source ids of every row the numbers rest on

    MEASURES: ClassVar[dict[str, str]] = {"reimbursement_yen": "支払われる額", "expected_cost_yen": "医療機関の費用（期待値）"}

    @property
    def long(self) -> pd.DataFrame:
        """One row per step and measure (what is paid, the expected cost), in 万円: the bars of the chart."""
        long = self.gaps.melt(
            id_vars=["pathway", "pathway_ja", "step_order", "step_ja", "duration_ja", "fee_label"],
            value_vars=list(self.MEASURES), var_name="measure", value_name="yen")
        return long.assign(measure_ja=long["measure"].map(self.MEASURES), man_yen=long["yen"] / 10000)

    @property
    def data(self) -> pd.DataFrame:
        """K1's published data: every step with its points, what is paid, the cost and the gap."""
        return self.gaps[["pathway", "step_order", "step_ja", "duration_ja", "fee_code", "fee_label", "points",
                          "points_revision", "points_status", "fee_units", "occurrence_rate", "reimbursement_yen",
                          "hospital_cost_yen", "expected_cost_yen", "gap_yen", "cost_status"]
                         ].rename(columns={"cost_status": "status"})


def _fee_label(code: str, points: int, per_day: bool = False) -> str:
    return f"{code} {points:,}点" + ("/日" if per_day else "")


def step_table(ds: Dataset, b: EditionSettings) -> tuple[pd.DataFrame, dict[str, float]]:
    """The steps of both pathways with what is paid, the expected cost and the gap per patient."""
    steps = ds["care_pathway_steps"].sort_values(["pathway", "step_order"]).reset_index(drop=True)
    fees = ds["fee_schedule"]
    extra = parameters.values(ds["model_parameters"], K1Data)
    p = k1_parameters(ds, b)
    lines = expected_lines(p)
    codes3 = ward_codes(b.ward_fee, b.fee_revision)
    ward_code = codes3[0]
    extras = [(c, points_or_zero(fees, c, b.fee_revision)) for c in STAY_EXTRAS[b.ward_fee]]
    extras_label = "等" if any(n for _, n in extras) else ""  # R8's per-day extras: said in the prose and a note
    rows = []
    for s in steps.itertuples():
        code: str | None = s.fee_code if isinstance(s.fee_code, str) else None
        points: int | None = None
        used: int | None = None
        points_status: str | None = None
        if s.step_key == "apheresis":
            code = apheresis_code(ds, b.car_t_product)
        if code is not None:
            points, used = points_in_force(fees, code, b.fee_revision)
            points_status = str(fees[(fees["code"] == code) & (fees["revision"] == used)]["status"].iloc[0])
            label = _fee_label(code, points)
        elif s.step_key == "ward_stay":
            wp, used = points_in_force(fees, ward_code, b.fee_revision)
            points_status = "derived"
            label = (("DPC 包括（入院料と同額と仮定）" if b.billing == "DPC" else "")
                     + f"{WARD_JA[b.ward_fee]} {_fee_label(ward_code, wp, True)}＋入院期間加算{extras_label}")
        elif s.step_key == "crs3":
            ip, used = points_in_force(fees, ICU_CODES[0], b.fee_revision)
            points_status = "derived"
            label = f"{_fee_label('A301 1', ip, True)}＋トシリズマブ" + ("（包括）" if b.billing == "DPC" else "")
        elif s.step_key == "crs12":
            points_status = "derived"
            label = "トシリズマブ（薬価）" + ("：DPC 包括に含まれる" if b.billing == "DPC" else "")
        else:
            points = 0
            label = "点数なし"
        if s.pathway == "car_t":
            paid, cost = lines[s.step_key]
        elif s.step_key == "ward_stay":
            d = extra["pbsct_days"]
            cost = d * stay_extras(fees, b)[0] + sum(_yen(fees, c, b) * n for c, n in zip(codes3, (d, min(d, 14), min(d, 30) - min(d, 14)),
                                                           strict=True))
            paid = cost * p["ward_paid_ratio"]
        else:
            if code is None:
                raise ValueError(f"step {s.pathway}/{s.step_key} has no fee code and no rule to compute what is paid")
            paid = cost = _yen(fees, code, b) * s.fee_units * s.occurrence_rate
        rows.append({
            "pathway": s.pathway, "pathway_ja": PATHWAYS[s.pathway], "step_order": s.step_order,
            "step_key": s.step_key, "step_ja": s.step_ja, "duration_ja": s.duration_ja, "fee_code": code,
            "fee_label": label, "points": points, "points_revision": used, "points_status": points_status,
            "fee_units": s.fee_units, "occurrence_rate": s.occurrence_rate,
            "reimbursement_yen": paid, "hospital_cost_yen": s.hospital_cost_yen, "expected_cost_yen": cost,
            "gap_yen": paid - cost, "cost_status": s.cost_status, "cost_basis": s.cost_basis, "source_id": s.source_id,
        })
    out = pd.DataFrame(rows)
    out["points"] = pd.array(out["points"], dtype="Int64")
    out["points_revision"] = pd.array(out["points_revision"], dtype="Int64")
    return out, p


def pathway_totals(gaps: pd.DataFrame) -> pd.DataFrame:
    """What is paid, the expected cost and the gap per patient for each pathway, and the unpaid steps."""
    cols = ["reimbursement_yen", "expected_cost_yen", "gap_yen"]
    totals = gaps.groupby("pathway")[cols].sum()
    unpaid = gaps[(gaps["reimbursement_yen"] == 0) & (gaps["expected_cost_yen"] > 0)]
    totals["unpaid_steps"] = unpaid.groupby("pathway").size()
    totals["unpaid_steps"] = totals["unpaid_steps"].fillna(0).astype(int)
    return totals.reset_index()


def fee_gap(ds: Dataset, b: EditionSettings) -> FeeGapResult:
    """What is paid and what is spent at each step of autologous PBSCT and CAR-T therapy (K1)."""
    gaps, p = step_table(ds, b)
    fees_table = ds["fee_schedule"]
    totals = pathway_totals(gaps).set_index("pathway")
    carried = sorted({int(r) for r in gaps["points_revision"].dropna() if r != b.fee_revision})
    numbers: dict[str, float] = {"k1_revision": b.fee_revision, "k1_yen_per_point": b.yen_per_point}
    for pathway, row in totals.iterrows():
        numbers[f"k1_gap_{pathway}"] = -row["gap_yen"] / 10000 + 0.0  # + 0.0: no "-0.0"
        numbers[f"k1_reimb_{pathway}"] = row["reimbursement_yen"] / 10000
        numbers[f"k1_cost_{pathway}"] = row["expected_cost_yen"] / 10000
        numbers[f"k1_unpaid_{pathway}"] = int(row["unpaid_steps"])
    ranges = k1_ranges(ds, p)
    low, high = gap_range(p, ranges)
    other = {r: -expected_gap(k1_parameters(ds, _k1_settings(b, billing=r))) / 1e4
             for r in REGIMES}
    products = ds["car_t_products"].set_index("product_id")
    by_code = {code: -expected_gap(k1_parameters(ds, _k1_settings(b, car_t_product=str(pid)))) / 1e4
               for pid, code in products["apheresis_fee_code"].items()}
    car_t = gaps[gaps["pathway"] == "car_t"].set_index("step_key")
    numbers.update({
        "k1_gap_low": -high / 1e4 + 0.0, "k1_gap_high": -low / 1e4 + 0.0,
        "k1_gap_fee_for_service": other["出来高"], "k1_gap_dpc": other["DPC"],
        "k1_gap_fresh": by_code.get("K921-3 1", float("nan")), "k1_gap_frozen": by_code.get("K921-3 2", float("nan")),
        "k1_uncovered_share": -totals.loc["car_t", "gap_yen"] / totals.loc["car_t", "expected_cost_yen"],
        "k1_ward_paid": car_t.loc["ward_stay", "reimbursement_yen"] / 1e4,
        "k1_icu_paid": car_t.loc["crs3", "reimbursement_yen"] / 1e4,
        "k1_tocilizumab_dose": p["tocilizumab_dose"], "k1_reapheresis": car_t.loc["reapheresis", "gap_yen"] / -1e4,
        "k1_days_mean": (p["days_min"] + p["days_mode"] + p["days_max"]) / 3,
    })
    numbers.update({f"k1_points_{key}": points_in_force(fees_table, code, b.fee_revision)[0]
                    for key, code in (("fresh", "K921-3 1"), ("frozen", "K921-3 2"))})
    numbers.update(extra_numbers(ds, b, p, gaps))
    texts = {"k1_product": str(products.loc[b.car_t_product, "name_ja"]), "k1_regime": b.billing,
             "k1_ward": WARD_JA[b.ward_fee], "k1_apheresis_code": apheresis_code(ds, b.car_t_product),
             "k1_ward_code": ward_codes(b.ward_fee, b.fee_revision)[0],
             "k1_fresh_products": tier_products(ds, "K921-3 1"), "k1_frozen_products": tier_products(ds, "K921-3 2"),
             "k1_extras": extras_text(ds["fee_schedule"], b, numbers["k1_extras_paid"])}
    return FeeGapResult(gaps, totals, carried, numbers, texts, p, source_ids(ds, b, gaps))


def tier_products(ds: Dataset, code: str) -> str:
    """The products billed under a K921-3 tier, each marked by where its tier comes from: the 通知
    (厚生労働省) names it; a society's explanation; or an assumption."""
    products = ds["car_t_products"]
    publisher = ds["sources"].set_index("source_id")["publisher"]
    out = []
    for r in products[products["apheresis_fee_code"] == code].itertuples():
        who = str(publisher.get(r.source_id, ""))
        mark = ("（区分は仮定）" if r.status == "assumption"
                else "" if "厚生労働省" in who else f"（区分は{who}の説明による。通知に名前はない）")
        out.append(f"{r.name_ja}{mark}")
    return "、".join(out)


def extras_text(fees: pd.DataFrame, b: EditionSettings, paid: float) -> str:
    """What R8's per-day 入院物価対応料 and 入院ベースアップ評価料 add, or that the revision has none."""
    found = [(c, points_or_zero(fees, c, b.fee_revision)) for c in STAY_EXTRAS[b.ward_fee]]
    if not any(n for _, n in found):
        return f"{b.fee_revision} 年度の点数には、入院中の日ごとに加わる入院物価対応料はない（令和8年度に新設）。"
    (o100, p100), (o003, p003) = found
    return (f"入院中は日ごとに入院物価対応料（{o100} {p100:,}点）と入院ベースアップ評価料（{o003} {p003:,}点。"
            f"区分は病院ごとに決まり、最も低い区分を用いた）も支払われ、ICU の日は ICU の区分で支払われる。"
            f"患者1人当たり {paid:,.1f} 万円で、支払額に含めた（その費用も同額と仮定するため差額は変わらない）。")


def extra_numbers(ds: Dataset, b: EditionSettings, p: Mapping[str, float], gaps: pd.DataFrame) -> dict[str, float]:
    """The numbers the K1 prose argues with: the gap against the product's price, its parts, what the
    gap becomes if paid steps cost more than they pay, with the 入院期間 carried over, at the top
    of the DPC range; what R8's per-day payments and the CRS fees pay (万円 unless a share)."""
    frame = ds["model_parameters"]
    stated = parameters.stated_ranges(frame, K1Data)
    price = parameters.values(frame, C2Data)["autologous_list_price"]  # the product price C2-RP also reads
    gap = -expected_gap(p)
    lines = expected_lines(p)
    paid_steps = sum(paid for paid, cost in lines.values() if paid > 0)
    carry_high = stated.get("carryover_days", (0.0, 0.0))[1]
    dpc = k1_parameters(ds, _k1_settings(b, billing="DPC"))
    ratio_high = stated.get("dpc_per_diem_ratio", (1.0, 1.0))[1]
    fee_for_service = expected_lines(k1_parameters(ds, _k1_settings(b, billing="出来高")))
    no_extras = expected_gap_paid(k1_parameters(ds, b, extras=False))
    assumed = sum(p[k] for k in UNPAID_STEPS.values())
    return {
        "k1_price": price / 1e4, "k1_gap_price_share": gap / price,
        "k1_unpaid_assumed": assumed / 1e4, "k1_unpaid_reapheresis": p["reapheresis_rate"] * p["apheresis_fee"] / 1e4,
        "k1_gap_per10": paid_steps * 0.1 / 1e4, "k1_gap_paid_plus10": gap / 1e4 + paid_steps * 0.1 / 1e4,
        "k1_carryover_high": carry_high,
        "k1_gap_carryover": -expected_gap({**p, "carryover_days": carry_high}) / 1e4,
        "k1_dpc_ratio_high": ratio_high,
        "k1_gap_dpc_ratio_high": -expected_gap({**dpc, "ward_paid_ratio": ratio_high}) / 1e4,
        "k1_extras_paid": (expected_gap_paid(p) - no_extras) / 1e4,
        "k1_crs_drug_paid": (fee_for_service["crs12"][0] + p["crs3_rate"] * p["crs3_doses"] * p["tocilizumab_dose"]) / 1e4,
        "k1_crs_paid": (fee_for_service["crs12"][0] + fee_for_service["crs3"][0]) / 1e4,
    }


def expected_gap_paid(p: Mapping[str, float]) -> float:
    """What is paid for the average patient (円)."""
    return float(sum(paid for paid, _ in expected_lines(p).values()))


# --- figure K1-MC --------------------------------------------------------------------------------
class PatientSimulationParameters(Parameters):
    overrides: dict[str, float] = param({}, "患者ごとのモデルのパラメータ（工程表・点数・data/model_parameters.csv から作る値）の上書き")
    patients: int = param(20000, "シミュレーションする患者数", unit="人", minimum=100, maximum=200_000)
    seed: int = param(2023, "乱数の種（同じ種なら同じ結果）", minimum=0, maximum=2**32 - 1)
    burden_threshold: float = param(50, "この額を超える持ち出しの患者の割合を示す", unit="万円", minimum=0,
                                    maximum=100_000)

    def problems(self, ds: Dataset) -> list[Problem]:
        names = PatientParameters.model_fields
        out = [Problem(("overrides", key), f"no such K1 parameter; parameters: {', '.join(names)}")
               for key in self.overrides if key not in names] + missing_fee_codes(ds)
        if out:
            return out
        revision = int(ds["fee_schedule"]["revision"].max())
        try:
            base = k1_parameters(ds, EditionSettings(fee_revision=revision))
            check_k1({**base, **self.overrides})
        except (ValueError, KeyError) as exc:
            out.append(Problem(("overrides",), str(exc)))
        return out


DISCRETE_MAX = 12  # at most this many distinct gaps (whole yen) are shown as they are, not binned


def gap_distribution(gaps: np.ndarray, step: int = 50_000, max_values: int = DISCRETE_MAX) -> pd.DataFrame:
    """The simulated gaps as the chart shows them: bin_start_yen, bin_end_yen, patients, share.

    The gaps are rounded to whole yen first, so a gap of −350,000.0000001 (floating-point noise in
    a sum of whole-yen fees) counts as −350,000 and lands in the bin [−350,000, −300,000), not the
    one below. When there are at most ``max_values`` distinct gaps (出来高: a patient either needs
    a second apheresis or not), each is its own row with start = end: a discrete distribution.
    Otherwise bins of ``step`` yen, closed on the left, with whole-yen edges.
    """
    if gaps.size == 0:
        raise ValueError("no gaps to count")
    yen = np.rint(gaps).astype(np.int64)
    values, counts = np.unique(yen, return_counts=True)
    if len(values) <= max_values:
        return pd.DataFrame({"bin_start_yen": values, "bin_end_yen": values, "patients": counts,
                             "share": counts / yen.size})
    low, high = int(values[0] // step * step), int(values[-1] // step * step + step)
    edges = np.arange(low, high + step, step, dtype=np.int64)
    counts, _ = np.histogram(yen, bins=edges)
    keep = slice(0, len(counts) - 1) if counts[-1] == 0 else slice(None)  # the top edge is exclusive by construction
    return pd.DataFrame({"bin_start_yen": edges[:-1][keep], "bin_end_yen": edges[1:][keep], "patients": counts[keep],
                         "share": counts[keep] / yen.size})


def outcomes_text(distribution: pd.DataFrame) -> str:
    """The distribution in words: each outcome with its share when discrete, else that it is spread."""
    if not (distribution["bin_start_yen"] == distribution["bin_end_yen"]).all():
        return "患者ごとの差額は連続的に分布する（入院日数や CRS の治療薬の有無で変わる。図は5万円幅の階級の割合）"
    parts = [f"{-v / 1e4:,.1f} 万円（{s:.0%}）" for v, s in
             zip(distribution["bin_start_yen"], distribution["share"], strict=True)][::-1]
    return f"患者ごとの差額は {'、'.join(parts)} の {len(parts)} 通りしかない（図はそれぞれの値の割合）"


@dataclass(frozen=True)
class PatientSimulationResult:
    gaps: np.ndarray  # 円 per simulated patient (negative: cost no fee pays)
    histogram: pd.DataFrame  # bin_start_yen, bin_end_yen, patients, share (start = end: one discrete outcome)
    stats: pd.DataFrame  # value (万円), label: mean, 5th and 95th percentile
    tornado: pd.DataFrame
    table: pd.DataFrame  # K1's rows of model_parameters
    numbers: dict[str, float]
    top_parameter: str
    outcomes: str  # the distribution in words (glued as k1s_outcomes)

    @property
    def discrete(self) -> bool:
        return bool((self.histogram["bin_start_yen"] == self.histogram["bin_end_yen"]).all())


def patient_simulation(ds: Dataset, b: EditionSettings, p: PatientSimulationParameters) -> PatientSimulationResult:
    """Gap per CAR-T patient when re-apheresis, the CRS grade and the stay vary by patient (K1-MC)."""
    frame = ds["model_parameters"]
    table = parameters.table(frame, K1Data)
    base = {**k1_parameters(ds, b), **{k: float(v) for k, v in p.overrides.items()}}
    gaps = np.rint(simulate_gaps(base, p.patients, p.seed))  # whole yen: no floating-point noise at bin edges
    mean, p5, p50, p95 = float(gaps.mean()), *(float(x) for x in np.percentile(gaps, [5, 50, 95]))
    ranges = k1_ranges(ds, base)
    labels = PatientParameters.labels()
    flags = (*REGIME_FLAGS, "ward_paid_ratio") if b.billing == "出来高" else REGIME_FLAGS  # 出来高 pays the ward fee itself
    varied = {k: v for k, v in base.items() if k not in flags}
    fixed = {k: base[k] for k in flags}
    tornado = parameters.labelled(
        sensitivity.tornado(lambda q: -expected_gap({**q, **fixed}) / 1e4, varied, ranges), labels)
    tornado = tornado[tornado["swing"] > 0].reset_index(drop=True)
    low, high = gap_range(base, ranges)
    histogram = gap_distribution(gaps)
    stats = pd.DataFrame({"value": [mean / 1e4, p5 / 1e4, p95 / 1e4], "label": ["平均", "5%点", "95%点"]})
    numbers = {
        "k1s_patients": p.patients, "k1s_mean": -mean / 1e4, "k1s_expected": -expected_gap(base) / 1e4,
        "k1s_p5": -p95 / 1e4, "k1s_p95": -p5 / 1e4, "k1s_median": -p50 / 1e4, "k1s_threshold": p.burden_threshold,
        "k1s_share_over": float((gaps < -p.burden_threshold * 1e4).mean()),
        "k1s_range_low": -high / 1e4 + 0.0, "k1s_range_high": -low / 1e4 + 0.0,
    }
    return PatientSimulationResult(gaps, histogram, stats, tornado, table, numbers, str(tornado.iloc[0]["label"]),
                                   outcomes_text(histogram))

"""regenpolicy.models.reimbursement: K1 (what is paid against what a CAR-T patient costs, step by step)
and K1-MC (the same patient, simulated), hand-checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regenpolicy.builder.project import Project
from regenpolicy.data import Dataset, load_dataset
from regenpolicy.models import reimbursement
from regenpolicy.models import reimbursement as rb
from regenpolicy.models.parameters import EditionSettings, ParameterError, resolve
from tests.conftest import ROOT

PROJECT = Project(ROOT)
UNPAID_2024 = 0.07 * 194_100 + 100_000 + 150_000 + 100_000  # re-apheresis, transport, receipt, coordination
DOSE_2024 = 2 * 24_711 + 10_603  # 480 mg of tocilizumab: 200 + 200 + 80 mg vials (FY2024 prices)
DOSE_2026 = 2 * 23_881 + 10_281  # FY2026 price not found: FY2025 carried (assumption rows)
FEES = pd.DataFrame({"code": ["A", "B", "B"], "revision": [2022, 2022, 2024], "points": [100, 200, 250]})


K1 = {"apheresis_fee": 200_000, "administration_fee": 300_000, "reapheresis_rate": 0.1, "transport_cost": 100_000,
      "receipt_cost": 100_000, "coordination_cost": 50_000, "days_min": 10, "days_mode": 20, "days_max": 30,
      "ward_fee": 10_000, "ward_add14": 1_000, "ward_add30": 500, "aseptic_fee": 20_000, "aseptic_days": 0,
      "icu_days": 5, "icu_fee_7": 100_000, "icu_fee_8": 90_000, "crs12_rate": 0.3, "crs3_rate": 0.2,
      "tocilizumab_dose": 60_000, "crs12_doses": 1, "crs3_doses": 2, "drugs_paid": 1, "ward_paid_ratio": 1,
      "icu_paid": 1, "carryover_days": 0}


def test_expected_gap_hand_computed():
    # paid items cost what they pay; unpaid: 0.1 × 200,000 + 100,000 + 100,000 + 50,000 = 270,000
    assert rb.expected_gap(K1) == pytest.approx(-270_000)
    # bundled drugs (DPC): + (0.3 × 1 + 0.2 × 2) × 60,000 = 42,000 that no fee pays
    assert rb.expected_gap({**K1, "drugs_paid": 0}) == pytest.approx(-312_000)
    # a per-diem at 90% of the ward fee leaves 10% of the stay unpaid
    lines = rb.expected_lines({**K1, "ward_paid_ratio": 0.9})
    paid, cost = lines["ward_stay"]
    assert paid == pytest.approx(0.9 * cost)


def test_ward_fee_of_the_average_stay_is_exact():
    # D ~ triangular(10, 20, 30): E[D] = 20, E[min(D, 14)] = 14 − ∫_10^14 F = 14 − 4³/(3·20·10)
    e14 = 14 - 4 ** 3 / (3 * 20 * 10)
    assert rb.expected_min(10, 20, 30, 14) == pytest.approx(e14)
    assert rb.expected_min(10, 20, 30, 30) == pytest.approx(20)
    assert rb.expected_min(10, 20, 30, 5) == 5 and rb.expected_min(7, 7, 7, 30) == 7
    ward, _ = rb.expected_lines(K1)["ward_stay"]
    # 10,000 × 20 + 1,000 × E[min(D,14)] + 500 × (E[min(D,30)] − E[min(D,14)]) − 0.2 × 5 × (10,000 + 1,000)
    assert ward == pytest.approx(10_000 * 20 + 1_000 * e14 + 500 * (20 - e14) - 0.2 * 5 * 11_000)


def test_expected_min_matches_a_numerical_integral():
    import numpy as np
    x = np.random.default_rng(0).triangular(14, 21, 35, 400_000)
    assert rb.expected_min(14, 21, 35, 30) == pytest.approx(np.minimum(x, 30).mean(), rel=1e-3)


def test_simulated_gaps_are_reproducible_and_centred_on_the_expectation():
    a = rb.simulate_gaps({**K1, "drugs_paid": 0}, 20_000, seed=1)
    assert (a == rb.simulate_gaps({**K1, "drugs_paid": 0}, 20_000, seed=1)).all()
    assert a.mean() == pytest.approx(rb.expected_gap({**K1, "drugs_paid": 0}), rel=0.02)


@pytest.mark.parametrize("reap, crs3, crs12, days", [(0, 0, 0, 20), (1, 1, 0, 21), (0, 0, 1, 14), (1, 0, 0, 35)])
@pytest.mark.parametrize("regime", [{"drugs_paid": 1}, {"drugs_paid": 0, "ward_paid_ratio": 0.8, "icu_paid": 0}])
def test_zero_variance_simulation_equals_the_average_patient(reap, crs3, crs12, days, regime):
    """K1's average patient and K1-MC's simulated patients are one definition."""
    fixed = {**K1, **regime, "reapheresis_rate": reap, "crs3_rate": crs3, "crs12_rate": crs12,
             "days_min": days, "days_mode": days, "days_max": days}
    sim = rb.simulate_gaps(fixed, 50, seed=3)
    assert sim == pytest.approx([rb.expected_gap(fixed)] * 50, rel=1e-12)


def test_k1_parameters_are_checked():
    with pytest.raises(ValueError):
        rb.expected_gap({**K1, "crs12_rate": 0.9, "crs3_rate": 0.2})
    with pytest.raises(ValueError):
        rb.expected_gap({**K1, "icu_days": 15, "days_min": 20})  # A301 is paid for at most 14 days
    with pytest.raises(KeyError):
        rb.expected_gap({k: v for k, v in K1.items() if k != "receipt_cost"})


@pytest.fixture(scope="module")
def k1_2024(shipped: Dataset) -> rb.FeeGapResult:
    return rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2024, yen_per_point=10))


def test_k1_gap_is_the_cost_no_fee_pays(k1_2024):
    assert k1_2024.numbers["k1_gap_car_t"] == pytest.approx(UNPAID_2024 / 1e4)
    lines = k1_2024.gaps[k1_2024.gaps["pathway"] == "car_t"].set_index("step_key")
    # CRS care under 出来高: ICU and tocilizumab are billed, so they are paid, not a gap — the same
    # treatment as bridging and lymphodepletion, which other fees pay
    assert lines.loc[["crs12", "crs3", "ward_stay"], "gap_yen"].tolist() == [0, 0, 0]
    assert lines.loc["crs12", "reimbursement_yen"] == pytest.approx(0.246 * DOSE_2024)
    assert lines.loc["crs3", "reimbursement_yen"] == pytest.approx(0.228 * (5 * 144_060 + 2 * DOSE_2024))
    assert (lines["reimbursement_yen"] == 0).sum() == 4  # the steps no fee pays
    assert k1_2024.numbers["k1_tocilizumab_dose"] == DOSE_2024


def test_k1_ward_fee_of_the_average_stay_hand_computed(k1_2024):
    # A100 1イ 1,688点, 注3 450 / 192点 (R6). Stay D ~ triangular(14, 21, 35): E[D] = 70/3, E[min(D,14)] = 14,
    # E[min(D,30)] = 30 − [49/63 + 9 − (14³ − 5³)/(3·21·14)]; ICU patients (22.8%) leave the ward for 5 days
    e30 = 30 - (49 / 63 + 9 - (14**3 - 5**3) / (3 * 21 * 14))
    ward = 16_880 * 70 / 3 + 4_500 * 14 + 1_920 * (e30 - 14) - 0.228 * 5 * (16_880 + 4_500)
    paid = k1_2024.gaps.set_index(["pathway", "step_key"]).loc[("car_t", "ward_stay"), "reimbursement_yen"]
    assert paid == pytest.approx(ward)


def test_k1_both_regimes_and_the_range(k1_2024):
    n = k1_2024.numbers
    assert n["k1_gap_fee_for_service"] == pytest.approx(UNPAID_2024 / 1e4)
    # under DPC tocilizumab is inside the bundle: (0.246 × 1 + 0.228 × 2) doses unpaid
    assert n["k1_gap_dpc"] == pytest.approx((UNPAID_2024 + 0.702 * DOSE_2024) / 1e4)
    # range: every stated range at its end (re-apheresis 3–15%, transport 5–20万, receipt 10–30万, coordination 5–20万)
    assert n["k1_gap_low"] == pytest.approx((0.03 * 194_100 + 50_000 + 100_000 + 50_000) / 1e4)
    # … and the 入院期間 carried over for 3 days (the apheresis admission): the first 加算 band ends 3 days
    # sooner. E[min(D, c)] = E[D] − (35 − c)^3 / (3 × 21 × 14) for 21 ≤ c ≤ 35, D ~ triangular(14, 21, 35);
    # min(D, 11) = 11 and min(D, 14) = 14 always. Unpaid: 450点 × 3 + 192点 × ((E30 − 14) − (E27 − 11)), the second term negative
    e30, e27 = 70 / 3 - 5 ** 3 / 882, 70 / 3 - 8 ** 3 / 882
    carry = 4_500 * 3 + 1_920 * ((e30 - 14) - (e27 - 11))
    assert carry == pytest.approx(8_582.45, abs=0.01)
    assert n["k1_gap_high"] == pytest.approx((0.15 * 194_100 + 200_000 + 300_000 + 200_000 + carry) / 1e4)
    assert n["k1_gap_carryover"] == pytest.approx((UNPAID_2024 + carry) / 1e4)
    assert n["k1_carryover_high"] == 3


def test_k1_apheresis_tier_by_product(shipped):
    fresh = rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2024, yen_per_point=10, car_t_product="yescarta"))
    apheresis = fresh.gaps.set_index("step_key").loc["apheresis"]
    assert (apheresis["fee_code"], apheresis["points"]) == ("K921-3 1", 14480)
    assert fresh.numbers["k1_gap_car_t"] == pytest.approx((0.07 * 144_800 + 350_000) / 1e4)
    assert fresh.numbers["k1_gap_fresh"] == fresh.numbers["k1_gap_car_t"]
    assert "イエスカルタ" in fresh.texts["k1_fresh_products"] and fresh.texts["k1_frozen_products"] == "キムリア"


def test_k1_2026_fees_and_prices(shipped):
    k1 = rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2026, yen_per_point=10, billing="DPC"))
    p = k1.p
    # R8: A100 2イ 1,874点 + 入院物価対応料 O100 2ニ 58点 + 入院ベースアップ評価料 O003 1 1点 a ward day;
    # A301 1 14,980 / 13,371点 + O100 2ハカ 262 / 2ハヨ 233点 + O003 1 1点 an ICU day
    assert (p["ward_fee"], p["icu_fee_7"], p["icu_fee_8"]) == (19_330, 152_430, 136_050)
    assert p["tocilizumab_dose"] == DOSE_2026 and p["drugs_paid"] == 0
    assert k1.numbers["k1_gap_car_t"] == pytest.approx((UNPAID_2024 + 0.702 * DOSE_2026) / 1e4)
    a104 = rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2026, yen_per_point=10, ward_fee="A104"))
    assert a104.p["ward_fee"] == 20_160 + 850 and a104.p["ward_add14"] == 7_120  # 特定機能病院C 7対1 + O100 2イス 84 + O003 1
    # the extras are paid and cost the same: the gap is unchanged, what is paid rises by
    # (E[D] − 0.228 × 5) × 590 + 0.228 × 5 × (2,620 + 10) = 22.193… × 590 + 2,998.2
    fee_for_service = rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2026, yen_per_point=10))
    assert fee_for_service.numbers["k1_extras_paid"] == pytest.approx(((70 / 3 - 1.14) * 590 + 1.14 * 2_630) / 1e4)
    before = fee_for_service.numbers["k1_reimb_car_t"] - fee_for_service.numbers["k1_extras_paid"]
    assert round(before, 1) == 120.6 and round(fee_for_service.numbers["k1_reimb_car_t"], 1) == 122.2
    assert fee_for_service.numbers["k1_gap_car_t"] == pytest.approx(UNPAID_2024 / 1e4)
    assert fee_for_service.texts["k1_ward_code"] == "A100 2イ" and "O100 2ニ 58点" in fee_for_service.texts["k1_extras"]
    assert "入院物価対応料はない" in rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2024)).texts["k1_extras"]


def test_k1_statuses_are_honest(k1_2024, shipped):
    gaps = k1_2024.gaps
    printed = gaps[gaps["points"].fillna(0) > 0]
    assert set(printed["points_status"]) == {"printed"}  # printed points are never labelled assumption
    assert set(gaps.loc[gaps["step_key"].isin(["ward_stay", "crs3"]), "points_status"]) == {"derived"}
    assert set(shipped["care_pathway_steps"]["cost_status"]) <= {"assumption", "derived", "printed"}
    unpaid = shipped["care_pathway_steps"].set_index("step_key").loc[["transport", "receipt", "coordination"]]
    assert (unpaid["cost_low_yen"] < unpaid["hospital_cost_yen"]).all()
    assert (unpaid["hospital_cost_yen"] < unpaid["cost_high_yen"]).all()


def test_k1_gap_equals_the_simulation_mean_at_zero_variance(shipped, k1_2024):
    p = {**k1_2024.p, "reapheresis_rate": 0.0, "crs12_rate": 0.0, "crs3_rate": 0.0,
         "days_min": 21.0, "days_mode": 21.0, "days_max": 21.0}
    sim = rb.simulate_gaps(p, 500, seed=7)
    assert sim.std() == 0 and sim.mean() == pytest.approx(rb.expected_gap(p), rel=1e-12)
    # and K1's published gap is exactly expected_gap of the shared parameters
    assert -rb.expected_gap(k1_2024.p) / 1e4 == pytest.approx(k1_2024.numbers["k1_gap_car_t"], rel=1e-12)
    assert -k1_2024.gaps[k1_2024.gaps["pathway"] == "car_t"]["gap_yen"].sum() == pytest.approx(-rb.expected_gap(k1_2024.p))


def test_k1_on_a_fee_schedule_without_ward_fees_is_refused_before_running():

    then = load_dataset(ROOT / "data", {"fee_schedule": "2022"})  # the vintage keeps what was known for 2022
    assert set(then["fee_schedule"]["code"]) == {"K921 2ロ", "K921-3 1", "K921-3 2", "K922 2ロ", "K922-2"}
    with pytest.raises(ParameterError, match="no points for A100 1イ"):
        resolve(rb.FeeGapParameters, {}, then)
    with pytest.raises(ParameterError, match="no points for A100 1イ"):
        resolve(rb.PatientSimulationParameters, {}, then)


def test_edition_settings_for_k1_are_checked_against_the_data(shipped):
    with pytest.raises(ParameterError, match="car_t_product: 'nope' is not a product"):
        resolve(EditionSettings, {"car_t_product": "nope"}, shipped)
    with pytest.raises(ParameterError, match="billing"):
        resolve(EditionSettings, {"billing": "包括"}, shipped)
    assert resolve(EditionSettings, {"car_t_product": "abecma", "ward_fee": "A104", "billing": "DPC"}, shipped).billing == "DPC"


def test_points_in_force_carries_the_latest_revision_forward():
    assert rb.points_in_force(FEES, "B", 2023) == (200, 2022)
    assert rb.points_in_force(FEES, "B", 2026) == (250, 2024)
    with pytest.raises(ValueError, match="no points in force at revision 2020"):
        rb.points_in_force(FEES, "A", 2020)


def test_billing_choices_are_checked():
    with pytest.raises(ValueError):
        rb.EditionSettings(fee_revision=2024, yen_per_point=0)
    with pytest.raises(ValueError):
        rb.EditionSettings(fee_revision=2024, yen_per_point=10, ward_fee="A999")
    with pytest.raises(ValueError):
        rb.EditionSettings(fee_revision=2024, yen_per_point=10, billing="包括")


def test_k1_fee_gap_hand_computed(shipped):
    k1 = reimbursement.fee_gap(shipped, reimbursement.EditionSettings(fee_revision=2022, yen_per_point=10))
    # Kymriah (K921-3 2), 2022 points, 出来高. Unpaid: re-apheresis 0.07 × 194,100 = 13,587; transport 100,000;
    # receipt 150,000; coordination 100,000 → 363,587 円. Every paid step costs what it pays.
    assert k1.numbers["k1_gap_car_t"] == pytest.approx(36.3587)
    assert k1.numbers["k1_gap_auto_pbsct"] == 0 and k1.numbers["k1_unpaid_car_t"] == 4
    paid = k1.gaps.set_index(["pathway", "step_key"])["reimbursement_yen"]
    assert paid[("car_t", "apheresis")] == 194_100 and paid[("car_t", "administration")] == 308_500
    # A301 1: 5 ICU days × 142,110 円 for 22.8% of patients, plus two doses of tocilizumab (60,025 円 a dose)
    assert paid[("car_t", "crs3")] == pytest.approx(0.228 * (5 * 142_110 + 2 * 60_025))
    assert k1.numbers["k1_reimb_car_t"] == pytest.approx(k1.gaps.query("pathway == 'car_t'")["reimbursement_yen"].sum() / 1e4)
    assert set(k1.gaps["points_status"].dropna()) == {"printed", "derived"}  # never 'assumption'


def test_k1_and_k1mc_share_one_average_patient(shipped):
    b = reimbursement.EditionSettings(fee_revision=2024, yen_per_point=10)
    k1 = reimbursement.fee_gap(shipped, b)
    p = reimbursement.PatientSimulationParameters(patients=20_000)
    mc = reimbursement.patient_simulation(shipped, b, p)
    assert mc.numbers["k1s_expected"] == pytest.approx(k1.numbers["k1_gap_car_t"], rel=1e-12)
    assert mc.numbers["k1s_mean"] == pytest.approx(k1.numbers["k1_gap_car_t"], rel=0.02)
    # with nothing varying, the simulation's mean is K1's gap exactly
    fixed = {"reapheresis_rate": 0.0, "crs12_rate": 0.0, "crs3_rate": 1.0, "days_min": 21, "days_max": 21}
    base = {**k1.p, **fixed}
    assert reimbursement.simulate_gaps(base, 100, 1).mean() == pytest.approx(reimbursement.expected_gap(base), rel=1e-12)
    assert mc.histogram["patients"].sum() == 20_000 and mc.histogram["share"].sum() == pytest.approx(1.0)
    assert mc.tornado["swing"].is_monotonic_decreasing


def test_cheapest_vials_for_a_dose():
    vials = {80: 10_603, 200: 24_711, 400: 53_025}
    # 480 mg: 200 + 200 + 80 (60,025) beats 400 + 80 (63,628) and six 80s (63,618)
    assert reimbursement.dose_cost(480, vials) == (60_025, {200: 2, 80: 1})
    assert reimbursement.dose_cost(400, vials)[0] == 49_422  # two 200s are cheaper than one 400
    assert reimbursement.dose_cost(0, vials) == (0, {})


def test_fee_for_service_has_two_outcomes_shown_as_they_are(shipped):
    b = reimbursement.EditionSettings(fee_revision=2024, yen_per_point=10)
    mc = reimbursement.patient_simulation(shipped, b, reimbursement.PatientSimulationParameters())
    # 出来高: every paid item costs what it pays, so a patient's gap is the 35万円 of unpaid steps, plus
    # 194,100円 when a second apheresis is needed (7%): −350,000 or −544,100, nothing else
    assert mc.discrete and mc.histogram["bin_start_yen"].tolist() == [-544_100, -350_000]
    assert mc.histogram["bin_end_yen"].tolist() == [-544_100, -350_000]
    assert mc.histogram["share"].iloc[0] == pytest.approx(0.07, abs=0.005)
    assert mc.outcomes.startswith("患者ごとの差額は 35.0 万円（93%）、54.4 万円（7%） の 2 通りしかない")
    # DPC: the bundled tocilizumab adds 0, 1 or 2 doses (60,025円) on top: six outcomes
    dpc = reimbursement.patient_simulation(shipped, reimbursement.EditionSettings(fee_revision=2024, billing="DPC"),
                                           reimbursement.PatientSimulationParameters())
    assert sorted(-dpc.histogram["bin_start_yen"]) == [350_000 + n * 60_025 + r * 194_100 for r in (0, 1) for n in (0, 1, 2)]


def test_binning_in_whole_yen():
    # floating-point noise just below a bin edge: −350,000.0000001 is −350,000 and belongs to [−350,000, −300,000)
    noisy = np.array([-350_000.0000001] * 9 + [-350_000.0, -400_000.4, -120_000.0])
    binned = reimbursement.gap_distribution(noisy, step=50_000, max_values=2)  # 3 distinct values: binned
    row = binned[binned["bin_start_yen"] == -350_000].iloc[0]
    assert row["bin_end_yen"] == -300_000 and row["patients"] == 10  # not 1 here and 9 in [−400,000, −350,000)
    assert binned[binned["bin_start_yen"] == -400_000]["patients"].iloc[0] == 1  # −400,000.4 → −400,000
    assert binned["bin_start_yen"].tolist() == list(range(-400_000, -100_000, 50_000))
    assert binned["patients"].sum() == noisy.size and binned["bin_start_yen"].dtype == np.int64
    # the same values without the binning: discrete, the noise gone
    discrete = reimbursement.gap_distribution(np.array([-350_000.0000001, -350_000.0, -544_100.0000002]))
    assert discrete.to_dict("list") == {"bin_start_yen": [-544_100, -350_000], "bin_end_yen": [-544_100, -350_000],
                                        "patients": [1, 2], "share": [1 / 3, 2 / 3]}
    with pytest.raises(ValueError):
        reimbursement.gap_distribution(np.array([]))


def test_the_gap_against_the_price_and_its_parts(k1_2024):
    n = k1_2024.numbers
    # 10 + 15 + 10万円 assumed, and 7% × 19.41万円 for a second apheresis; the same in 2022, 2024 and 2026
    assert n["k1_unpaid_assumed"] == 35 and n["k1_unpaid_reapheresis"] == pytest.approx(0.07 * 19.41)
    assert n["k1_gap_price_share"] == pytest.approx(UNPAID_2024 / 32_647_761) and round(n["k1_gap_price_share"], 3) == 0.011
    # paid steps 10% above their fee: 10% of what is paid (115.9万円) more unpaid
    assert n["k1_gap_per10"] == pytest.approx(0.1 * n["k1_reimb_car_t"])
    assert n["k1_gap_paid_plus10"] == pytest.approx(n["k1_gap_car_t"] + 0.1 * n["k1_reimb_car_t"])
    # CRS under 出来高: tocilizumab (0.246 × 1 + 0.228 × 2 doses × 60,025円) and the ICU (0.228 × 5 days × 14,406 × 10)
    assert n["k1_crs_drug_paid"] == pytest.approx(0.702 * DOSE_2024 / 1e4)
    assert n["k1_crs_paid"] == pytest.approx((0.702 * DOSE_2024 + 0.228 * 5 * 144_060) / 1e4)


def test_dpc_per_diem_range_and_extremes(shipped, k1_2024):
    n = k1_2024.numbers
    # FY2022 130030 期間I 3,799点 ÷ (1,650 + 450)点 = 1.809 → 1.81 (derived, stated as the range's top)
    assert n["k1_dpc_ratio_high"] == 1.81 and round(3799 / 2100, 2) == 1.81
    dpc = rb.k1_parameters(shipped, rb.EditionSettings(fee_revision=2024, billing="DPC"))
    ward = rb.ward_bands(dpc, 0.0)
    assert n["k1_gap_dpc_ratio_high"] == pytest.approx((UNPAID_2024 + 0.702 * DOSE_2024 - 0.81 * ward) / 1e4)
    # the range puts each parameter at the end that moves the gap its way (a higher per-diem lowers it)
    k1 = rb.fee_gap(shipped, rb.EditionSettings(fee_revision=2024, billing="DPC"))
    low_costs = 0.03 * 194_100 + 50_000 + 100_000 + 50_000
    assert k1.numbers["k1_gap_low"] < n["k1_gap_low"]
    lo, hi = rb.gap_range(dpc, {"ward_paid_ratio": (1.0, 1.81), "transport_cost": (50_000, 200_000)})
    assert lo == pytest.approx(rb.expected_gap({**dpc, "ward_paid_ratio": 1.0, "transport_cost": 200_000}))
    assert hi == pytest.approx(rb.expected_gap({**dpc, "ward_paid_ratio": 1.81, "transport_cost": 50_000}))
    assert low_costs < UNPAID_2024


def test_k921_3_tiers_say_where_they_come_from(k1_2024):
    fresh = k1_2024.texts["k1_fresh_products"]
    assert fresh.startswith("イエスカルタ、ブレヤンジ、アベクマ（区分は日本造血・免疫細胞療法学会の説明による")
    assert "カービクティ（区分は仮定）" in fresh and k1_2024.texts["k1_frozen_products"] == "キムリア"

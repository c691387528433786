"""The shipped data: valid, faithful to the seeds, and bad input stopped with a precise message."""

from pathlib import Path

import pytest

from regenpolicy import data
from regenpolicy.data import load_dataset
from regenpolicy.models import manufacturing as mf
from regenpolicy.models import market
from regenpolicy.models import reimbursement as rb
from tests.conftest import edit, problems_for

PRINTED_M1_TOTALS = {2020: 6812, 2025: 27469, 2030: 68657, 2035: 98172, 2040: 117018}
PRINTED_M1_LABELS = [8284, 21363, 34740, 44277, 7340, 24726, 34605, 42609,
                     8440, 19413, 25997, 27594, 2174, 2532, 1867, 1605]


@pytest.fixture(scope="module")
def ds(shipped: data.Dataset) -> data.Dataset:
    return shipped


def test_every_table_is_declared_and_valid(ds):
    assert set(ds.tables) == {p.stem for p in Path(ds.data_dir).glob("*.csv")}


def test_m1_totals_and_cagr_are_the_printed_ones(ds):
    totals = ds["market_global_total"].set_index("year")["total_oku_yen"].to_dict()
    assert totals == PRINTED_M1_TOTALS
    sums = market.totals_by_year(ds["market_global_modality"]).to_dict()
    assert sums == PRINTED_M1_TOTALS
    growth = market.cagr(totals[2020], totals[2030], 10)
    assert round(growth * 100) == 26
    headlines = ds["printed_headlines"].set_index("key")["value"]
    assert round(totals[2020], -3) == headlines["headline_2020"]  # 7,000億円
    assert round(totals[2030], -3) == headlines["headline_2030"]  # 6.9兆円
    assert round(totals[2040], -4) == headlines["headline_2040"]  # 12兆円


def test_every_printed_m1_label_is_kept_exactly(ds):
    seg = ds["market_global_modality"]
    printed = seg[seg["status"] == "printed"]["value_oku_yen"].tolist()
    assert sorted(PRINTED_M1_LABELS) == sorted(v for v in printed if v != 1800)
    assert set(seg.loc[seg["status"] == "derived", "note"].str.startswith("導出")) == {True}


def test_k1_points_are_the_printed_ones(ds):
    fees = ds["fee_schedule"]
    assert rb.points_in_force(fees, "K921 2ロ", 2022) == (17440, 2022)
    assert rb.points_in_force(fees, "K921-3 2", 2022) == (19410, 2022)
    assert rb.points_in_force(fees, "K921-3 1", 2022) == (14480, 2022)
    assert rb.points_in_force(fees, "K922 2ロ", 2022) == (30850, 2022)
    assert rb.points_in_force(fees, "K922-2", 2026) == (30850, 2026)


def test_k1_fee_rows_for_2024_and_2026_are_the_printed_ones(ds):
    fees = ds["fee_schedule"]
    for code, points in (("K921 2ロ", 17440), ("K921-3 1", 14480), ("K921-3 2", 19410), ("K922 2ロ", 30850),
                         ("K922-2", 30850), ("A100 注3イ", 450), ("A100 注3ロ", 192), ("A224 2", 2000)):
        assert [rb.points_in_force(fees, code, y)[0] for y in (2022, 2024, 2026)] == [points] * 3, code
    # 急性期一般入院料1: A100 1イ to R6, A100 2イ in R8 (where 1イ is the new 急性期病院A 1,930点)
    assert [rb.points_in_force(fees, rb.ward_codes("A100", y)[0], y)[0] for y in (2022, 2024, 2026)] == [1650, 1688, 1874]
    assert [rb.ward_codes("A100", y)[0] for y in (2022, 2024, 2026)] == ["A100 1イ", "A100 1イ", "A100 2イ"]
    assert rb.points_in_force(fees, "A100 1イ", 2026)[0] == 1930
    assert [rb.points_or_zero(fees, c, 2026) for c in ("O100 2ニ", "O100 2イス", "O100 2ハカ", "O100 2ハヨ", "O003 1")] \
        == [58, 84, 262, 233, 1]
    assert rb.points_or_zero(fees, "O100 2ニ", 2024) == 0
    assert [rb.points_in_force(fees, "A104 1イ", y)[0] for y in (2022, 2024, 2026)] == [1718, 1822, 2016]
    assert [rb.points_in_force(fees, "A301 1イ", y)[0] for y in (2022, 2024, 2026)] == [14211, 14406, 14980]
    assert [rb.points_in_force(fees, "A301 1ロ", y)[0] for y in (2022, 2024, 2026)] == [12633, 12828, 13371]
    assert set(fees["status"]) == {"printed"}  # every point is printed in the source it cites
    # K922-2 in 2022 is attributed to the 2022 告示 text that shows it, not to a later paper
    k922 = fees[(fees["code"] == "K922-2") & (fees["revision"] == 2022)].iloc[0]
    assert k922["source_id"] == "mhlw_kokuji_r4"


def test_k1_apheresis_tier_by_product(ds):
    products = ds["car_t_products"].set_index("product_id")["apheresis_fee_code"].to_dict()
    assert products == {"kymriah": "K921-3 2", "yescarta": "K921-3 1", "breyanzi": "K921-3 1",
                        "abecma": "K921-3 1", "carvykti": "K921-3 1"}
    status = ds["car_t_products"].set_index("product_id")["status"]
    assert status["carvykti"] == "assumption" and status["kymriah"] == "printed"


def test_c2_calibration_reproduces_the_disclosed_cost_of_goods(ds):
    auto = mf.parameters_from_table(ds["unit_cost_parameters"], "autologous")
    assert mf.unit_cost(216, auto)["total"] == pytest.approx(2363, abs=0.5)  # 製造原価 ≈ 2,363万円


def test_every_value_says_whether_it_is_printed_derived_or_assumed(ds):
    for name, table in ds.tables.items():
        status_cols = [c.name for c in table.columns if c.name.endswith("status")]
        for col in status_cols:
            assert set(ds[name][col]) <= {"printed", "derived", "assumption"}, name


# --- bad input -------------------------------------------------------------------------------

def test_missing_column(data_copy):
    edit(data_copy / "fee_schedule.csv", "code,revision,item_ja,points,", "code,revision,item_ja,")
    message = problems_for(data_copy)
    assert "fee_schedule.csv, line 1, column 'points': missing column 'points' (a non-negative integer in 点)" in message


def test_non_numeric_points(data_copy):
    edit(data_copy / "fee_schedule.csv", ",17440,", ",17,440,")
    edit(data_copy / "fee_schedule.csv", ",19410,", ",abc,")
    message = problems_for(data_copy)
    assert "fee_schedule.csv, line 2: expected 7 fields, found 8" in message
    assert ("fee_schedule.csv, line 8, column 'points': 'abc' is not valid; "
            "expected a non-negative integer in 点") in message


def test_thousands_separator_in_quotes_gets_a_hint(data_copy):
    edit(data_copy / "fee_schedule.csv", ",17440,", ',"17,440",')
    assert "write numbers without thousands separators" in problems_for(data_copy)


def test_negative_count(data_copy):
    edit(data_copy / "care_pathway_steps.csv", "K921 2ロ,1,1,,", "K921 2ロ,-1,1,,")
    message = problems_for(data_copy)
    assert ("care_pathway_steps.csv, line 2, column 'fee_units': -1 is out of range; "
            "expected a non-negative integer in 回/患者") in message


def test_rate_above_one(data_copy):
    edit(data_copy / "care_pathway_steps.csv", ",0,0.07,", ",0,7,")
    assert ("care_pathway_steps.csv, line 6, column 'occurrence_rate': 7 is out of range; "
            "expected a number between 0 and 1 in 割合") in problems_for(data_copy)


def test_unknown_fee_code(data_copy):
    edit(data_copy / "care_pathway_steps.csv", "K922-2,1,1,,", "K999,1,1,,")
    message = problems_for(data_copy)
    assert "care_pathway_steps.csv, line 10, column 'fee_code': unknown fee code 'K999'" in message
    assert "fee_schedule.csv: A100 1イ, A100 2イ, A100 注3イ, A100 注3ロ, A104 1イ" in message


def test_duplicate_key(data_copy):
    path = data_copy / "fee_schedule.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    message = problems_for(data_copy)
    assert (f"fee_schedule.csv, line {len(lines) + 1}, column 'revision': duplicate key code=K921 2ロ, "
            "revision=2022; it first appears on line 2") in message


def test_shift_jis_csv_from_excel(data_copy):
    path = data_copy / "care_pathway_steps.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp932", errors="replace"))
    message = problems_for(data_copy)
    assert "care_pathway_steps.csv, line 2, column 'step_ja': the file is encoded in Shift_JIS/CP932" in message
    assert "expected UTF-8" in message


def test_unknown_enum_value_and_empty_required(data_copy):
    edit(data_copy / "market_global_modality.csv", "2030,細胞移植,21363,printed", "2030,細胞治療,21363,printd")
    edit(data_copy / "market_global_total.csv", "2025,27469,", "2025,,")
    message = problems_for(data_copy)
    assert "market_global_modality.csv, line 5, column 'modality': '細胞治療' is not allowed" in message
    assert "market_global_modality.csv, line 5, column 'status': 'printd' is not allowed; expected one of: printed, derived, assumption" in message
    assert "market_global_total.csv, line 3, column 'total_oku_yen': empty value; expected a non-negative number in 億円" in message


def test_missing_file_and_bom_accepted(data_copy):
    path = data_copy / "fee_schedule.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    load_dataset(data_copy)  # Excel's "CSV UTF-8" (with BOM) is fine
    (data_copy / "unit_cost_parameters.csv").unlink()
    assert "unit_cost_parameters.csv: file not found" in problems_for(data_copy)

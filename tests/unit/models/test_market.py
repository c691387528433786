"""regenpolicy.models.market (M1, M2): market size and modality.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pandas as pd
import pytest

from regenpolicy.models import market


def test_m1_market(shipped):
    m1 = market.global_market(shipped, market.M1Parameters())
    n = m1.numbers
    assert (n["m1_total_first"], n["m1_total_last"], n["m1_total_end"]) == (6812, 117018, 68657)
    assert n["m1_multiple"] == pytest.approx(117018 / 6812)  # 17.18
    assert n["m1_cagr"] == pytest.approx(0.25992, abs=2e-5) and n["m1_cagr_printed"] == 26
    assert m1.segments.groupby("year")["value_oku_yen"].sum().to_dict() == {
        2020: 6812, 2025: 27469, 2030: 68657, 2035: 98172, 2040: 117018}


def test_m2_modality_comparison(shipped):
    m2 = market.modality_comparison(shipped, market.M2Parameters())
    table = m2.table.set_index("modality")
    virus = table.loc["in vivoウイルス治療"]
    # the seed's printed values, shown as printed; the growth they imply, shown as derived
    assert (virus["market_from_oku_yen"], virus["market_to_oku_yen"], virus["growth_printed_pct"],
            virus["example_product"]) == (1800, 2200, 2, "デリタクト")
    assert {virus["market_from_status"], virus["market_to_status"], virus["growth_status"]} == {"printed"}
    assert virus["growth_derived_pct"] == pytest.approx(((2200 / 1800) ** 0.1 - 1) * 100)  # 2.03%/年
    assert 2174 not in set(table["market_to_oku_yen"]) and "1.9" not in f"{virus['growth_derived_pct']:.1f}"
    assert table.loc["細胞移植", "market_to_oku_yen"] == 21363 and bool(table.loc["細胞移植", "series_assumed"])
    assert "組織移植・スキャフォールド治療" not in table.index  # M1 cannot tell its series apart
    assert m2.numbers["m2_virus_growth_printed"] == 2


# --- 6. labels ------------------------------------------------------------------------------------
def test_m1_small_labels_are_not_assigned_to_a_series(shipped):
    seg = shipped["market_global_modality"]
    small = seg[seg["modality"] == "系列未特定（小さいラベル）"]
    assert sorted(small["value_oku_yen"]) == [1605, 1867, 2174, 2532] and set(small["status"]) == {"printed"}
    assert not small["series_assumed"].any()
    # in vivoウイルス治療 from 1,800億円 (2020) to 2,532億円 (2025) would be 7.1% a year: neither reading of the 2%
    assert market.cagr(1800, 2532, 5) == pytest.approx(0.0706, abs=5e-4)
    virus = seg[seg["modality"] == "in vivoウイルス治療"]
    assert virus["year"].tolist() == [2020]


def test_m1_quotes_and_headlines(shipped):
    m1 = market.global_market(shipped, market.M1Parameters())
    assert m1.texts == {"m1_quote_10y": "再生医療等製品は今後10年で最も高い成長率が期待される分野",
                        "m1_quote_20y": "今後20年で10兆円を超える規模まで成長する成長産業である"}
    assert (m1.numbers["m1_headline_2020"], m1.numbers["m1_headline_2030_cho"], m1.numbers["m1_headline_2040_cho"]) == \
        (7000, 6.9, 12)
    assert m1.unassigned_labels == 4 and m1.assumed_labels == 12


def test_cagr_hand_computed():
    # (68,657 / 6,812) ** (1/10) − 1: ratio 10.07883, ln 2.31044, /10 → e^0.231044 = 1.25992
    assert market.cagr(6812, 68657, 10) == pytest.approx(0.25992, abs=2e-5)
    assert market.cagr(100, 121, 2) == pytest.approx(0.10)
    assert market.cagr(50, 50, 7) == 0.0


@pytest.mark.parametrize("start, end, years", [(0, 10, 5), (-1, 10, 5), (10, 20, 0)])
def test_cagr_rejects_meaningless_input(start, end, years):
    with pytest.raises(ValueError):
        market.cagr(start, end, years)


def test_check_totals_flags_a_year_that_does_not_add_up():
    segments = pd.DataFrame({"year": [2020, 2020, 2025], "value_oku_yen": [1.0, 2.0, 5.0]})
    printed = pd.DataFrame({"year": [2020, 2025], "total_oku_yen": [3.0, 6.0]})
    with pytest.raises(ValueError, match=r"2025: segments 5 vs printed 6") as info:
        market.check_totals(segments, printed)
    assert (info.value.table, info.value.row, info.value.column) == ("market_global_total", {"year": 2025},
                                                                     "total_oku_yen")
    printed.loc[1, "total_oku_yen"] = 5.0
    assert list(market.check_totals(segments, printed)["difference"]) == [0.0, 0.0]

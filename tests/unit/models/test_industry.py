"""regenpolicy.models.industry (M3): the supporting industry.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pandas as pd
import pytest

from regenpolicy.models import industry


def test_cdmo_markets_hand_computed():
    seg = pd.DataFrame({
        "year": [2030] * 5,
        "modality": ["細胞移植", "組織移植・スキャフォールド治療", "ex vivo遺伝子治療", "in vivo遺伝子治療", "in vivoウイルス治療"],
        "value_oku_yen": [1000.0, 200.0, 800.0, 500.0, 99.0],
    })
    params = {"manufacturing_cost_ratio": 0.5, "outsourcing_ratio": 0.4, "vector_cost_ratio": 0.1, "domestic_ratio": 0.1}
    out = industry.cdmo_markets(seg, params, [2030]).set_index(["segment", "region"])["value_oku_yen"]
    # cell: (1,000 × 0.5 + 800 × (0.5 − 0.1)) × 0.4 = 328; tissue and virus are not counted
    assert out[("細胞CDMO", "グローバル")] == pytest.approx((1000 * 0.5 + 800 * 0.4) * 0.4)
    assert out[("細胞CDMO", "国内")] == pytest.approx(32.8)
    assert out[("ウイルスベクターCDMO", "グローバル")] == pytest.approx(1300 * 0.1 * 0.4)  # 52
    # each yen of the ex vivo market's manufacturing cost is counted once across the two CDMO markets
    only_ex_vivo = seg.assign(value_oku_yen=[0.0, 0.0, 800.0, 0.0, 0.0])
    both = industry.cdmo_markets(only_ex_vivo, params, [2030]).set_index(["segment", "region"])["value_oku_yen"]
    assert both[("細胞CDMO", "グローバル")] + both[("ウイルスベクターCDMO", "グローバル")] == pytest.approx(800 * 0.5 * 0.4)
    with pytest.raises(ValueError, match="cannot exceed"):
        industry.cdmo_markets(seg, {**params, "vector_cost_ratio": 0.6}, [2030])
    with pytest.raises(ValueError, match="M1 has no"):
        industry.cdmo_markets(seg[seg["modality"] != "細胞移植"], params, [2030])
    with pytest.raises(ValueError, match=r"cdmo_parameters has no .*domestic_ratio"):
        industry.parameters_from_table(pd.DataFrame({"parameter": ["outsourcing_ratio"], "value": [0.5]}))


def test_m3_cdmo_markets(shipped):
    m3 = industry.supporting_industry(shipped, industry.M3Parameters())
    rows = m3.combined.set_index(["segment", "region", "year"])["value_oku_yen"]
    assert rows[("周辺産業計", "国内", 2030)] == 5500 and rows[("周辺産業計", "グローバル", 2020)] == 11000
    # 細胞移植 × 0.706 + ex vivo × (0.706 − 0.1): the ex vivo vector share is counted once, in the vector CDMO
    assert rows[("細胞CDMO", "グローバル", 2030)] == pytest.approx((21363 * 0.706 + 24726 * 0.606) * 0.5)
    assert rows[("ウイルスベクターCDMO", "グローバル", 2030)] == pytest.approx((19413 + 24726) * 0.1 * 0.5)
    cdmo = m3.combined[m3.combined["segment"].str.endswith("CDMO")]
    assert set(cdmo["source_id"]) == {"regenpolicy_model"} and not cdmo["in_seeds"].any()
    published = m3.combined[m3.combined["segment"] == "周辺産業計"]
    assert not published["in_seeds"].any() and published["note"].str.startswith("資料外").all()

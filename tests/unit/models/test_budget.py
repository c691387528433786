"""regenpolicy.models.budget (E1): the drug budget path.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from regenpolicy.models import budget


def test_indexed_budget_compounds_nominal_growth():
    assert budget.base_budget(60, 22.3) == pytest.approx(13.38)
    growth = pd.DataFrame({"case": ["a", "a"], "fiscal_year": [2026, 2027], "growth_pct": [10.0, -5.0]})
    path = budget.indexed_budget(100, 2025, growth, 2027).set_index("fiscal_year")
    assert list(path["budget"]) == pytest.approx([100, 110, 104.5])
    assert path.loc[2027, "index"] == pytest.approx(104.5)
    with pytest.raises(ValueError, match=r"no nominal GDP growth for fiscal year\(s\) \[2028\]"):
        budget.indexed_budget(100, 2025, growth, 2028)
    with pytest.raises(ValueError):
        budget.base_budget(60, 0)


def test_e1_budget(shipped):
    e1 = budget.drug_budget(shipped, budget.E1Parameters())
    base = e1.path[e1.path["fiscal_year"] == 2025]["budget"].tolist()
    assert base == pytest.approx([48.0915 * 0.223] * 2)  # FY2023 国民医療費 × the FY2020 薬剤費比率, at FY2025


# --- 4. E1: from the drug expenditure series ----------------------------------------------------
def test_e1_starts_from_the_drug_expenditure(shipped):
    e1 = budget.drug_budget(shipped, budget.E1Parameters())
    n = e1.numbers
    # the start: FY2023 国民医療費 48.0915兆円 × the FY2020 ratio 22.3% = 10.7244兆円 (derived), 1.16兆円 (12%) above 9.56
    assert n["e1_base"] == pytest.approx(10.7244045) and n["e1_series_year"] == 2020 and n["e1_ratio"] == pytest.approx(0.223)
    assert n["e1_drug_cost"] == 9.56 and n["e1_base_gap"] == pytest.approx(1.1644045)
    assert n["e1_base_gap_share"] == pytest.approx(10.7244045 / 9.56 - 1)  # 12.2%
    assert n["e1_seed_base"] == pytest.approx(60 * 0.223) and n["e1_seed_excess"] == pytest.approx(60 * 0.223 - 10.7244045)
    past = [1.4, 0.9, 0.9, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7]
    assert n["e1_low"] == pytest.approx(10.7244045 * math.prod(1 + g / 100 for g in past))
    assert n["e1_high"] == pytest.approx(10.7244045 * 1.028**9)  # 13.76兆円 (was 9.56 × 1.028^9 = 12.27)
    old = budget.drug_budget(shipped, budget.E1Parameters(base_from="series")).numbers
    assert old["e1_base"] == 9.56 and old["e1_high"] == pytest.approx(9.56 * 1.028**9)
    assert (n["e1_projection"], n["e1_nme"]) == (48, 48.0915)  # what the seed's 60兆円 can be checked against
    series = e1.path[e1.path["case"] == budget.SERIES]
    assert series["budget"].tolist() == [9.56, 9.22, 9.46, 9.19, 9.58, 9.56]
    assert e1.path.set_index(["case", "fiscal_year"]).loc[(budget.PAST_CASE, 2025), "status"] == "derived"

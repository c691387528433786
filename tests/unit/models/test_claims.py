"""regenpolicy.models.claims: the seeds' case in their words (F1–F5), counted by hand from the seeds."""

from __future__ import annotations

from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.models import claims
from tests.conftest import ROOT


def test_firm_counts_match_the_seed(shipped):
    case = claims.firm_case(shipped, claims.FirmCaseParameters())
    # FIRM's slide 「再生医療等製品の特長・特徴の整理」: 3 classes; 5 benefits, 1 uncertainty, 3 unpriceable features
    assert case.numbers["f_feature_categories"] == 3
    assert case.numbers["f_features"] == 9
    assert case.numbers["f_features_priced"] == 5
    assert list(case.features["category"].drop_duplicates()) == [
        "価値に反映すべき「特長」", "多様な価値を不確実化させる「特徴」", "価値に反映できない「特徴」"]
    # 「国民に提供しうる再生医療等製品の価値」: leukaemia 10 years, infant SMA, cartilage MOCART
    assert case.numbers["f_cases"] == 3
    # the R&D-cycle claim, 有識者検討会 and 骨太2023, two summary proposals and 案2's two routes
    assert case.numbers["f_positions"] == 6
    assert case.numbers["f_quotes"] == 2
    assert case.numbers["f_proposals"] == 3
    assert set(case.positions["seed"]) == {"FIRM 2023"}


def test_jri_counts_match_the_seed(shipped):
    jri = claims.jri_proposals(shipped, claims.JriProposalsParameters())
    # the three proposals of 創薬イノベーション再興の会; JRI's 提言1 (three parts) and 提言2
    assert jri.numbers["j_proposals_other"] == 3
    assert jri.numbers["j_proposals_own"] == 4
    # only 「価値の低い医療」区分 is tested by no figure
    assert jri.numbers["j_not_tested"] == 1
    assert jri.not_tested == ["創薬イノベーション再興の会 提言書（2025年5月）の3提案：価値の低い医療を退出させる仕組み（医療給付費内で）"]
    # research, development, manufacturing & supply, insurance, treatment, and one row placed under 全体
    assert jri.numbers["j_ecosystem_rows"] == 6
    assert list(jri.positions["position_order"]) == sorted(jri.positions["position_order"])


def test_figure_refs():
    assert claims.figure_refs("図 P1、図 S1（集団の生存割合）") == ["P1", "S1"]
    assert claims.figure_refs("図 C2-RP（一製品の利益）、表 T4、図 K1-MC") == ["C2-RP", "T4", "K1-MC"]
    assert claims.figure_refs("—（試算していない）") == []


def test_every_place_named_in_the_tables_is_a_figure_of_the_report(shipped):
    known = set(load_registry(Project(ROOT)).figures)
    named = {(table, ref) for table in ("value_features", "value_examples", "seed_positions")
             for where in shipped[table]["where_ja"] for ref in claims.figure_refs(where)}
    assert named and {ref for _, ref in named} <= known, sorted(r for r in named if r[1] not in known)

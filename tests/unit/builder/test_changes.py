"""What changed between two editions: the settings and parameters actually used, the data, the numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from regenpolicy.builder.editions import EditionInputs, changes
from regenpolicy.builder.profile import load_profile, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import DataValidationError, load_dataset
from tests.conftest import ROOT

PROJECT = Project(ROOT)


def edition(tmp_path: Path, name: str, text: str, data_dir: Path, numbers: dict,
            headings: dict | None = None) -> EditionInputs:
    registry = load_registry(PROJECT)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    profile = load_profile(path, PROJECT, registry)
    ds = load_dataset(data_dir, profile.data_vintage)
    return EditionInputs(profile, ds, resolve_parameters(profile, registry, ds), profile.notebooks(registry), numbers,
                         headings or {})


def test_what_changed_lists_exactly_the_changes(tmp_path, data_copy):
    fees = data_copy / "fee_schedule.csv"
    lines = fees.read_text(encoding="utf-8").splitlines()
    lines = [x.replace(",17440,", ",17500,") if x.startswith("K921 2ロ,2022") else x for x in lines]  # revised
    lines = [x for x in lines if not x.startswith("K921-3 1,2022")]  # removed
    lines.append("K922-2,2025,CAR発現生T細胞投与（一連につき）,30850,assumption,jri2025,試験用の行")  # added
    fees.write_text("\n".join(lines) + "\n", encoding="utf-8")
    old = edition(tmp_path, "a", "id: a\ntitle: 前の版\ndate: 2025\nfigures: [K1, M1]\n", ROOT / "data",
                  {"k1_fee_gap": {"k1_gap_car_t": 99.3, "k1_revision": 2022, "k1_ward_paid": 45.0,
                                 "k1_gap_dpc": 40.61}, "m1_market": {"m1_cagr": 0.26}})
    new = edition(tmp_path, "b", "id: b\ntitle: この版\ndate: 2026\nfigures: [K1, M1, C2]\n"
                  "settings: {yen_per_point: 20}\nparameters:\n  m1_market: {end_year: 2035}\n", data_copy,
                  {"k1_fee_gap": {"k1_gap_car_t": 74.2, "k1_revision": 2022, "k1_ward_paid": 49.1,
                                 "k1_gap_dpc": 40.64}, "m1_market": {"m1_cagr": 0.26}},
                  {"K1": "図 K1 現行の診療報酬制度の課題", "C2": "図 C2 製造コスト"})
    c = changes(old, new, load_registry(PROJECT))
    assert c["settings"] == [["この版の設定", "1点当たりの金額（円）", "10", "20"]]
    assert c["parameters"] == [["M1", "年平均成長率（CAGR）の終点（年）", "2030", "2035"]]
    # a new figure by its heading as this edition shows it (the page links it)
    assert c["figures_added"] == [{"id": "C2", "heading": "図 C2 製造コスト"}] and c["figures_removed"] == []
    # what each edition published, when both were run (a notebook publishes all its figures)
    published = EditionInputs(old.profile, old.dataset, old.resolved, old.notebooks, old.numbers,
                              {"K1": "図 K1 課題", "K1-MC": "図 K1-MC 患者ごと", "M1": "図 M1 市場"})
    c = changes(published, new, load_registry(PROJECT))
    assert c["figures_added"] == [{"id": "C2", "heading": "図 C2 製造コスト"}]
    assert c["figures_removed"] == [{"id": "M1", "heading": "図 M1 市場"}, {"id": "K1-MC", "heading": "図 K1-MC 患者ごと"}]
    [fee] = c["data"]
    # in words: the fee by its code and name, its points before → after by revision (a new revision row), a row
    # no longer there; the row's own values revised, by the column's label and unit
    assert fee["items"] == [
        "K922-2 CAR発現生T細胞投与（一連につき）：点数 30,850点（2024年度から変わらず）",
        "削除：K921-3 1 末梢血単核球採取 採取のみを行う場合（2022年度）",
        "K921 2ロ 造血幹細胞採取 末梢血幹細胞採取 自家移植の場合：点数 17,440点 → 17,500点",
    ]
    # numbers that did not move are not listed, nor numbers the text does not show (k1_ward_paid) or that move
    # below the precision it shows them at (k1_gap_dpc, written as 40.6); a moved one is named by its words
    [(fig, where, before, after)] = c["headlines"]
    assert (fig, before, after) == ("図 K1", "99.3", "74.2") and where.endswith("どの点数でも支払われない費用は差し引き〔 〕 万円")


def test_products_are_named_and_sources_by_their_titles(tmp_path, data_copy):
    """A product by its name (not its id), a revised source by its publisher and title, free-text notes
    said to have changed without quoting them; every word from the tables' own columns and metadata."""
    products = data_copy / "approved_products.csv"
    lines = products.read_text(encoding="utf-8").splitlines()
    lines = [x.replace(",2015-09-18,", ",2015-09-19,") if x.startswith("heartsheet,") else x for x in lines]
    products.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fees = data_copy / "fee_schedule.csv"
    fees.write_text(fees.read_text(encoding="utf-8").replace(
        "Printed in the JRI 2025 pathway chart as K921 17440点", "<b>new</b> note"), encoding="utf-8")
    text = "id: a\ntitle: 前の版\ndate: 2025\nfigures: [A1]\ndata_vintage: {approved_products: '2023-06-26'}\n"
    old = edition(tmp_path, "a", text, ROOT / "data", {})
    new = edition(tmp_path, "b", text.replace("data_vintage: {approved_products: '2023-06-26'}\n", ""), data_copy, {})
    c = changes(old, new, load_registry(PROJECT))
    assert c["vintage"] == [["日本で承認された再生医療等製品", "2023-06-26", "固定しない（作り直す時点のデータ）"]]
    items = {t["file"]: t["items"] for t in c["data"]}
    assert "追加：アクーゴ脳内移植用注" in items["approved_products.csv"]
    assert any(i.startswith("ハートシート：承認日 2015-09-18 → 2015-09-19、承認整理日 — → 2024-07-25、承認整理の出所 — → 「厚生労働省")
               for i in items["approved_products.csv"])
    assert items["fee_schedule.csv"] == ["K921 2ロ 造血幹細胞採取 末梢血幹細胞採取 自家移植の場合：注記を改めた"]


def test_settings_that_no_figure_of_the_edition_uses_are_not_listed(tmp_path):
    old = edition(tmp_path, "a", "id: a\ntitle: 前の版\ndate: 2025\nfigures: [M1]\n", ROOT / "data", {})
    new = edition(tmp_path, "b", "id: b\ntitle: この版\ndate: 2026\nfigures: [M1]\nsettings: {yen_per_point: 20}\n",
                  ROOT / "data", {})
    assert changes(old, new, load_registry(PROJECT))["settings"] == []  # M1 uses no fee setting


def test_a_headline_is_named_by_its_sentence_and_formatted_as_written():
    from regenpolicy.builder.editions import as_written, glued_in_prose

    said = glued_in_prose((ROOT / "notebooks" / "m1_market.md").read_text(encoding="utf-8"))
    where, fmt = said["m1_total_first"]
    assert "〔 〕 億円から" in where and fmt == ",.0f"
    assert as_written(6812.0, fmt) == "6,812" and as_written(0.2599, ".1%") == "26.0%"


def test_unknown_table_version():
    with pytest.raises(DataValidationError, match=r"table 'fee_schedule' has no version '1999'; declared versions: current, 2022"):
        load_dataset(ROOT / "data", {"fee_schedule": "1999"})
    with pytest.raises(DataValidationError, match="unknown table 'fees'"):
        load_dataset(ROOT / "data", {"fees": "2022"})


def test_shipped_vintages_hold_what_was_known_then(shipped):
    then = load_dataset(ROOT / "data", {"approved_products": "2023-06-26", "fee_schedule": "2022"})
    assert len(then["approved_products"]) == 20 and len(shipped["approved_products"]) > 20
    assert set(then["fee_schedule"]["revision"]) == {2022}

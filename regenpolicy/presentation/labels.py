"""Japanese names for the columns and coded values of the figures' data, as the pages say them.

A figure's machine-readable data (``<ID>.data.csv``) keeps the column names of the models; the
downloads a reader opens (``<ID>.csv`` with a BOM, ``<ID>.xlsx``) and the data table under each
chart use these names, with the unit in the header: ``市場規模［億円］``. Coded values that the
pages show in words (``printed`` → 印字, ``True`` → はい, ``car_t`` → CAR-T細胞療法) are shown in
words there too. A notebook passes the labels it already uses for the chart (``values=``) for codes
that only it names; every column a figure publishes must have a name here (a unit test checks the
shipped figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from regenpolicy.models.manufacturing import PRODUCT_TYPES
from regenpolicy.models.pricing import P2_SCENARIOS
from regenpolicy.models.reimbursement import PATHWAYS

COLUMN_LABELS: dict[str, str] = {
    # shared
    "year": "年", "fiscal_year": "年度", "status": "値の種類", "note": "注", "source_id": "出所（source_id）",
    "modality": "モダリティ", "kind": "区分", "label": "パラメータ", "parameter": "パラメータ名（コード）",
    "series_assumed": "系列の割り当てを推定", "order": "順序",
    # M1–M3, O1
    "value_oku_yen": "市場規模", "market_from_oku_yen": "市場規模（起点年）", "market_to_oku_yen": "市場規模（終点年）",
    "market_to_printed_oku_yen": "市場規模（終点年、資料の印字）", "growth_pct": "年平均成長率",
    "market_from_status": "市場規模（起点年）の値の種類", "market_to_status": "市場規模（終点年）の値の種類",
    "growth_status": "年平均成長率の値の種類", "growth_derived_pct": "年平均成長率（二つの印字値から計算した導出値）",
    "in_seeds": "FIRM・日本総研の資料に印字",
    "growth_printed_pct": "年平均成長率（資料の印字）", "example_product": "製品例", "example_status": "製品例の値の種類",
    "segment": "区分", "region": "地域", "pipeline_count": "パイプライン品目数", "originator": "オリジネーター",
    "share_pct": "構成比",
    # D1, D2, A1–A3
    "panel": "パネル", "bar": "棒", "count": "品目数", "stage": "段階", "japan": "日本", "us_eu": "欧米",
    "printed_below_pct": "資料の表記（未満）", "approvals": "承認品目数（この年）", "cumulative": "累計",
    "total_approvals": "承認品目数（この年、全モダリティ）", "total_cumulative": "累計（全モダリティ）",
    "launches": "上市品目数（この年）", "product_id": "製品ID", "name_ja": "製品", "indication_ja": "適応（承認年）",
    "approval_year": "承認年", "approval_date": "承認日", "date_status": "承認日の値の種類",
    "date_source_id": "承認日の出所（source_id）", "conditional": "条件及び期限付承認", "origin": "起源（仮定）",
    "origin_status": "起源の値の種類", "origin_basis": "起源の分類の根拠", "withdrawn_date": "承認整理日",
    "withdrawn_source_id": "承認整理の出所（source_id）",
    # S1, C1
    "setting": "対象", "arm": "治療", "study_ja": "試験・集団", "metric_ja": "指標", "horizon_years": "期間",
    "value_pct": "全生存率", "bound": "値の意味", "therapy": "治療", "direct": "直接医療費（この年）",
    "indirect": "間接費用（この年）", "cum_direct": "累積直接医療費", "cum_indirect": "累積間接費用",
    "cum_total": "累積費用",
    # C2, Q1, C2-RP
    "product_type": "製品", "volume": "製造数量", "lines": "製造ライン数", "fixed": "固定費", "variable": "変動費",
    "total": "1製品当たり製造コスト", "product": "製品", "lot_size": "ロットサイズ", "qc_units": "検査・参考品",
    "shipped_fraction": "出荷できる割合", "qc_share": "検査・参考品の割合", "list_price": "収載時価格",
    "price": "再算定後の価格", "net_revenue": "再算定後の手取り", "unit_cost": "1製品当たり製造コスト",
    "margin": "1製品当たり利益", "rules": "適用された再算定", "rule_id": "ルールID",
    "min_sales_oku_yen": "年間販売額（億円超）", "min_ratio": "予想販売額比（倍以上）",
    "floor_cost_method": "下限（原価計算方式）", "floor_comparator_method": "下限（類似薬効比較方式）",
    # K1, K1-MC, E1
    "pathway": "治療", "step_order": "工程の順序", "step_ja": "工程", "duration_ja": "期間", "fee_code": "診療報酬の区分",
    "fee_label": "算定する点数", "points": "点数", "points_revision": "点数の改定年度",
    "points_status": "点数の値の種類", "fee_units": "算定回数", "occurrence_rate": "発生確率",
    "reimbursement_yen": "診療報酬", "hospital_cost_yen": "医療機関の費用（1回）",
    "expected_cost_yen": "医療機関の費用（期待値）", "gap_yen": "差額", "bin_start_yen": "差額（から）",
    "bin_end_yen": "差額（まで）", "patients": "患者数", "share": "割合", "case": "ケース", "budget": "薬剤費の枠",
    "index": "指数",
    # P1, P2
    "method": "方式", "step": "項目", "amount": "金額", "start": "棒の始点", "end": "棒の終点", "scenario": "成果のシナリオ",
    # tornado charts
    "side": "水準", "value": "パラメータの値", "output": "結果", "base_output": "基準値での結果", "swing": "振れ幅",
    # T1–T4
    "version": "資料", "item_order": "項目の順序", "item": "項目", "regenerative_ja": "再生医療等製品",
    "conventional_ja": "低分子医薬品・バイオ医薬品", "country": "国", "economic_hta_ja": "経済的HTA（費用対効果評価）",
    "clinical_hta_ja": "臨床的HTA", "consequence_ja": "含意", "incentive_order": "順序", "aim_ja": "目的",
    "condition_ja": "条件", "benefit_ja": "内容", "issue_order": "順序", "category": "カテゴリー",
    "issue_ja": "現状の製品における課題例", "activity_ja": "この一年間のFIRMの活動",
}

STATUS_WORDS = {"printed": "印字", "derived": "導出", "assumption": "仮定"}
VALUE_LABELS: dict[str, Mapping[Any, str]] = {
    "status": STATUS_WORDS, "date_status": STATUS_WORDS, "origin_status": STATUS_WORDS, "example_status": STATUS_WORDS,
    "points_status": STATUS_WORDS, "market_from_status": STATUS_WORDS, "market_to_status": STATUS_WORDS,
    "growth_status": STATUS_WORDS,
    "product_type": PRODUCT_TYPES, "pathway": PATHWAYS, "scenario": P2_SCENARIOS,
    "bound": {"upper": "上限（より短い期間の値）", "point": "値"},
}
BOOLEAN_WORDS = {True: "はい", False: "いいえ"}


def column_label(column: str, unit: str | None = None) -> str:
    """A column's Japanese name, with its unit: ``市場規模［億円］``. A header already written in
    Japanese (a table's) is kept; a code name without a Japanese name is an error."""
    if column not in COLUMN_LABELS and column.isascii():  # a code name; a table's own Japanese header stays
        raise ValueError(f"the figure publishes column '{column}', which has no Japanese name: add it to "
                         "COLUMN_LABELS in regenpolicy/presentation/labels.py")
    name = COLUMN_LABELS.get(column, column)
    return f"{name}［{unit}］" if unit else name


def value_label(column: str, value: Any, values: Mapping[str, Mapping[Any, str]] | None = None) -> Any:
    """A coded value as the page says it; anything else unchanged."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return BOOLEAN_WORDS[bool(value)]
    for table in ((values or {}).get(column), VALUE_LABELS.get(column)):
        if table is not None:
            try:
                if value in table:
                    return table[value]
            except TypeError:  # an unhashable value
                return value
    return value

"""The tables behind the seeds' figures (market, approvals, launches, survival, comparisons, costs) are
valid, hold the seeds' printed numbers exactly, and bad input is caught."""


import pytest

from regenpolicy import data
from regenpolicy.models import approvals as ap
from regenpolicy.models import industry
from tests.conftest import edit, problems_for

SEED_PRODUCTS = {  # FIRM 2023, 再生医療等製品の多様性：モダリティ (2023-06-26); ★ = 条件及び期限付承認
    "ジェイス": ("組織移植", 2007, False), "ジャック": ("組織移植", 2012, False),
    "テムセルHS注": ("細胞移植", 2015, False), "ハートシート": ("組織移植", 2015, True),
    "ステミラック注": ("細胞移植", 2018, True), "キムリア点滴静注": ("ex vivo遺伝子治療", 2019, False),
    "コラテジェン筋注用4mg": ("in vivo遺伝子治療", 2019, True), "ゾルゲンスマ点滴静注": ("in vivo遺伝子治療", 2020, False),
    "ネピック": ("組織移植", 2020, False), "イエスカルタ点滴静注": ("ex vivo遺伝子治療", 2021, False),
    "ブレヤンジ静注": ("ex vivo遺伝子治療", 2021, False), "オキュラル": ("組織移植", 2021, False),
    "デリタクト注": ("in vivoウイルス治療", 2021, True), "アロフィセル注": ("細胞移植", 2021, False),
    "サクラシー": ("組織移植", 2022, False), "アベクマ点滴静注": ("ex vivo遺伝子治療", 2022, False),
    "カービクティ点滴静注": ("ex vivo遺伝子治療", 2022, False), "ジャスミン": ("組織移植", 2023, False),
    "ビズノバ": ("細胞移植", 2023, False), "ルクスターナ注": ("in vivo遺伝子治療", 2023, False),
}
O1_PRINTED = {  # modality: (count, [Global, Regional, Specialty, Biotechnology, University, Non-profit, Others, N/A]); None = "–"
    "低分子医薬品": (3130, [16, 8, 30, 35, 4, 1, 3, 3]),
    "抗体医薬品": (906, [21, 4, 10, 56, 4, 2, 1, 2]),
    "核酸医薬品": (142, [3, 1, 29, 60, 6, None, None, 1]),
    "遺伝子治療": (220, [3, 1, 7, 60, 10, 8, 5, 6]),
    "遺伝子細胞治療": (210, [4, None, 7, 64, 11, 5, 5, 4]),
    "細胞治療": (273, [2, None, 6, 75, 11, 2, 1, 3]),
}
ORIGINATORS = ["Global", "Regional", "Specialty", "Biotechnology", "University", "Non-profit", "Others", "N/A"]


@pytest.fixture(scope="module")
def ds(shipped: data.Dataset) -> data.Dataset:
    return shipped


def test_product_list_is_the_seed_list(ds):
    products = ds["approved_products"]
    seed = products[products["status"] == "printed"].set_index("name_ja")
    in_seed = seed[seed["source_id"] == "firm2023"]
    assert {n: (r.modality, r.approval_year, bool(r.conditional)) for n, r in in_seed.iterrows()} == SEED_PRODUCTS


def test_product_list_gives_20_approvals_by_2023_06_26_and_11_since_2021(ds):
    products = ds["approved_products"]
    assert len(ap.approved_as_of(products, "2023-06-26")) == 20
    assert ap.count_since(products, "2023-06-26", 2021) == 11
    assert ap.approved_as_of(products, "2023-06-26")["approval_year"].min() == 2007
    # the forecast's 2022 actual: 3 launches, 17 in all, as the product list gives
    yearly = ap.cumulative_by_year(products, "2022-12-31", by=None).set_index("year")
    assert (yearly.loc[2022, "approvals"], yearly.loc[2022, "cumulative"]) == (3, 17)
    # later vintages are kept, but not counted at the seed's date
    assert len(ap.approved_as_of(products, "2025-12-31")) == 22
    assert list(ap.withdrawn_as_of(products, "2025-12-31")["name_ja"]) == ["ハートシート"]


def test_origin_is_marked_as_an_assumption_with_its_basis(ds):
    products = ds["approved_products"]
    assert set(products["origin_status"]) == {"assumption"}
    assert products["origin_basis"].str.len().min() > 5
    vyznova = products.set_index("product_id").loc["vyznova"]
    assert vyznova["date_status"] == "assumption" and "未確認" in vyznova["note"]


def test_launch_forecast_is_printed_exactly(ds):
    f = ds["launch_forecast"].set_index("year")
    assert list(f["launches"]) == [3, 4, 3, 2, 3, 2]
    assert list(f["cumulative"]) == [17, 21, 24, 26, 29, 31]
    ap.check_forecast(ds["launch_forecast"])


def test_originator_mix_is_printed_exactly_and_sums_to_100(ds):
    """Labels are whole percent, so a modality may sum to 99–101; '–' (no label) is stored as 0, derived."""
    mix = ds["originator_mix"].set_index(["modality", "originator"])
    for modality, (count, shares) in O1_PRINTED.items():
        assert set(mix.loc[modality, "pipeline_count"]) == {count}
        for originator, share in zip(ORIGINATORS, shares, strict=True):
            row = mix.loc[(modality, originator)]
            if share is None:
                assert (row["share_pct"], row["status"]) == (0, "derived")
            else:
                assert (row["share_pct"], row["status"]) == (share, "printed")
    sums = ap.check_shares(ds["originator_mix"])
    assert all(99 <= s <= 101 for s in sums) and len(sums) == 6


def test_drug_loss_counts_are_the_printed_ones(ds):
    # the percentages printed beside them are checked once, in regenpolicy.models.checks
    loss = ds["drug_loss"].set_index("segment")["count"]
    assert loss["日米欧いずれかで上市済み"] == 56
    assert loss["上市済み"] + loss["開発中"] == 19
    assert loss["複数地域で開発"] + loss["単独地域で開発"] == 135
    assert loss["日本での開発あり"] == 20


def test_m2_m3_e1_s1_inputs(ds):
    m2 = ds["market_modality_comparison"].set_index("modality").loc["in vivoウイルス治療"]
    assert (m2["market_2020_oku_yen"], m2["growth_pct"], m2["market_2030_oku_yen"], m2["example_product"]) == \
        (1800, 2, 2200, "デリタクト")
    pub = ds["supporting_industry"].set_index(["region", "year"])["value_oku_yen"]
    assert pub.to_dict() == {("グローバル", 2020): 11000, ("グローバル", 2030): 52000, ("国内", 2020): 950, ("国内", 2030): 5500}
    params = industry.parameters_from_table(ds["cdmo_parameters"])
    assert params["manufacturing_cost_ratio"] == pytest.approx(2363 / 3349, abs=5e-4)
    e1 = ds["health_budget_inputs"].set_index("key")
    assert e1.loc["medical_benefit", "value"] == 60 and e1.loc["medical_benefit", "fiscal_year"] == 2025
    surv = ds["survival_outcomes"].set_index(["setting", "arm"])
    assert surv.loc[("r/r ALL", "car_t"), "value_pct"] == 55
    assert surv.loc[("r/r 3L+ DLBCL", "car_t"), "value_pct"] == 42.6
    upper = surv.loc[("r/r 3L+ DLBCL", "prior")]
    assert (upper["bound"], upper["status"], upper["horizon_years"]) == ("upper", "derived", 2)


def test_text_tables_have_their_rows(ds):
    t1 = ds["cost_structure_comparison"]
    assert len(t1) == 18 and set(t1["version"]) == {"2023", "2025"}
    assert t1.groupby("version")["item"].nunique().to_dict() == {"2023": 9, "2025": 9}
    assert "専用の輸送インフラ（-150℃など）が必要" in set(t1["regenerative_ja"])
    assert list(ds["hta_comparison"]["country"]) == ["ドイツ", "フランス", "スウェーデン", "日本"]
    t3 = ds["france_incentives"]
    assert len(t3) == 4 and any("60%以上が輸出" in c for c in t3["condition_ja"])
    t4 = ds["access_issues"]
    assert len(t4) == 8 and t4["issue_ja"].str.count("；").sum() == 2  # 10 issues in 8 categories
    for table in ("cost_structure_comparison", "hta_comparison", "france_incentives", "access_issues"):
        assert set(ds[table]["status"]) == {"printed"}


def test_every_new_value_says_how_it_was_obtained(ds):
    for name in ("drug_loss", "originator_mix", "survival_outcomes", "supporting_industry", "nominal_gdp_growth",
                 "health_budget_inputs", "launch_forecast", "market_modality_comparison"):
        frame = ds[name]
        assert frame["note"].str.len().min() > 1, name
        assert set(frame["status"]) <= {"printed", "derived", "assumption"}
    growth = ds["nominal_gdp_growth"]
    assumed = growth[growth["status"] == "assumption"]
    assert set(assumed["case"]) == {"成長移行ケース"} and assumed["note"].str.contains("仮定").all()


def test_sources_are_not_the_digests(ds):
    text = " ".join(ds["sources"].fillna("").astype(str).agg(" ".join, axis=1))
    assert "FACTS" not in text and "FIGURES.md" not in text


# --- bad input in the new tables ----------------------------------------------------------------

def test_bad_product_row_is_reported_precisely(data_copy):
    edit(data_copy / "approved_products.csv", ",2007-10-29,", ",2007/10/29,")
    edit(data_copy / "approved_products.csv", ",false,海外既承認・類似品海外既提供,assumption,グリーン法", ",no,海外,assumption,グリーン法")
    message = problems_for(data_copy)
    assert ("approved_products.csv, line 2, column 'approval_date': '2007/10/29' is not valid; expected a date "
            "(YYYY, YYYY-MM or YYYY-MM-DD, a date that exists)") in message
    assert "approved_products.csv, line 2, column 'conditional': 'no' is not valid; expected true/false" in message
    assert "approved_products.csv, line 2, column 'origin': '海外' is not allowed" in message


def test_share_above_100_and_unknown_source(data_copy):
    edit(data_copy / "originator_mix.csv", "細胞治療,273,Biotechnology,75,", "細胞治療,273,Biotechnology,175,")
    edit(data_copy / "survival_outcomes.csv", ",rives_2022_eliana,", ",eliana,")
    message = problems_for(data_copy)
    assert "originator_mix.csv, line 45, column 'share_pct': 175 is out of range; expected a number between 0 and 100 in %" in message
    assert "survival_outcomes.csv, line 2, column 'source_id': unknown source_id 'eliana'" in message

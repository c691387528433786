"""Printed-value checks: the numbers a seed prints, against the numbers computed from the data.

Written once, run twice: by the build after validation (a failed check stops it before anything
runs, naming the file and line of the printed value) and by the data tests. Each check computes
what the figure computes and compares it with ``printed_headlines``.
"""

from __future__ import annotations

from regenpolicy.data import Dataset, Problem
from regenpolicy.models import approvals, market, parameters, pricing

PRINTED = "data/printed_headlines.csv"


def _printed(ds: Dataset) -> dict[tuple[str, str], tuple[float, int]]:
    frame = ds.frames["printed_headlines"]
    return {(f, k): (float(v), int(line)) for f, k, v, line in
            zip(frame["figure_id"], frame["key"], frame["value"], frame["_line"], strict=True)}


def printed_value_problems(ds: Dataset) -> list[Problem]:
    """Every printed number that the data no longer reproduces."""
    printed = _printed(ds)
    problems: list[Problem] = []

    def expect(figure: str, key: str, computed: float, how: str) -> None:
        value, line = printed[(figure, key)]
        if computed != value:
            problems.append(Problem(PRINTED, f"{figure} {key}: the seed prints {value:g} but the data give "
                                             f"{computed:g} ({how})", line, "value"))

    # M1: segments add up to the printed totals; CAGR and rounded headlines as printed.
    try:
        market.check_totals(ds.frames["market_global_modality"], ds.frames["market_global_total"])
    except ValueError as exc:
        problems.append(Problem("data/market_global_modality.csv", str(exc)))
    totals = ds.frames["market_global_total"].set_index("year")["total_oku_yen"]
    if {2020, 2030, 2040} <= set(totals.index):
        expect("M1", "cagr_2020_2030", round(market.cagr(totals[2020], totals[2030], 10) * 100),
               "CAGR 2020–2030 of the printed totals, in whole percent")
        expect("M1", "headline_2020", round(totals[2020], -3), "2020 total rounded to 1,000億円")
        expect("M1", "headline_2030", round(totals[2030], -3), "2030 total rounded to 1,000億円")
        expect("M1", "headline_2040", round(totals[2040], -4), "2040 total rounded to 1兆円")

    # M2: the printed growth of the one surviving row is the growth its printed markets imply.
    row = ds.frames["market_modality_comparison"].set_index("modality")
    if "in vivoウイルス治療" in row.index:
        virus = row.loc["in vivoウイルス治療"]
        expect("M2", "growth_in_vivo_virus", float(virus["growth_pct"]), "market_modality_comparison growth_pct")
        implied = market.cagr(float(virus["market_2020_oku_yen"]), float(virus["market_2030_oku_yen"]), 10) * 100
        value, line = printed[("M2", "growth_in_vivo_virus")]
        if round(implied) != value:
            problems.append(Problem(PRINTED, f"M2 growth_in_vivo_virus: the seed prints {value:g}% but its printed "
                                             f"markets imply {implied:.1f}% a year over 2020–2030", line, "value"))

    # D1 and D2: counts, drops and shares.
    loss = ds.frames["drug_loss"]
    bars = loss.groupby(["panel", "bar"])["count"].sum()
    approved_all = int(bars[("approved", "日米欧いずれかで上市済み")])
    approved_jp = int(bars[("approved", "日本で上市済みもしくは開発中")])
    p3_all = int(bars[("phase3", "欧米どちらかでP3開発中")])
    p3_jp = int(bars[("phase3", "日本での開発あり")])
    not_developed = approved_all - approved_jp
    designated = printed[("D1", "designated")][0]
    expect("D1", "approved_japan_total", approved_jp, "上市済み + 開発中")
    expect("D1", "phase3_total", p3_all, "複数地域 + 単独地域")
    expect("D1", "not_developed", not_developed, "approved in JP/US/EU − launched or developed in Japan")
    expect("D1", "drop_approved_pct", round(approvals.relative_change(approved_all, approved_jp) * 100), "whole percent")
    expect("D1", "drop_phase3_pct", round(approvals.relative_change(p3_all, p3_jp) * 100), "whole percent")
    if not_developed:
        expect("D1", "designated_pct", round(designated / not_developed * 100), "designated ÷ not developed")
    for key, share in (("share_approved_below_pct", approved_jp / approved_all), ("share_phase3_below_pct", p3_jp / p3_all)):
        limit, line = printed[("D2", key)]
        if not share * 100 < limit:
            problems.append(Problem(PRINTED, f"D2 {key}: the seed prints 'below {limit:g}%' but the data give "
                                             f"{share:.1%}", line, "value"))

    # A1: approvals as of the FIRM deck's date.
    products = ds.frames["approved_products"]
    as_of = "2023-06-26"
    expect("A1", "approvals_total", len(approvals.approved_as_of(products, as_of)), f"products approved by {as_of}")
    expect("A1", "approvals_since_2021", approvals.count_since(products, as_of, 2021), f"approved 2021 to {as_of}")
    expect("A1", "first_approval_year", int(products["approval_year"].min()), "first approval")

    # A3: printed cumulative counts are the running sum of the printed yearly launches.
    try:
        approvals.check_forecast(ds.frames["launch_forecast"])
    except ValueError as exc:
        problems.append(Problem("data/launch_forecast.csv", str(exc)))

    # O1: every modality's whole-percent shares sum to 100 ± 1.
    try:
        approvals.check_shares(ds.frames["originator_mix"])
    except ValueError as exc:
        problems.append(Problem("data/originator_mix.csv", str(exc)))

    # P1: Kymriah's listed price, to the yen, from its printed pre-premium price and premiums.
    p1 = parameters.values(ds.frames["model_parameters"], "P1")
    computed = pricing.premium_price(p1["premium_base"], p1["premium_rate"], p1["disclosure_coefficient"])
    if computed != p1["listed_price"]:
        frame = ds.frames["model_parameters"]
        line = int(frame[(frame["model"] == "P1") & (frame["parameter"] == "listed_price")]["_line"].iloc[0])
        problems.append(Problem("data/model_parameters.csv", f"P1 listed_price: the source prints "
                                                             f"{p1['listed_price']:,.0f}円 but the premiums give "
                                                             f"{computed:,}円", line, "value"))

    # E1: the medical benefit expenditure is the printed one.
    inputs = ds.frames["health_budget_inputs"].set_index("key")
    expect("E1", "medical_benefit_2025", float(inputs.loc["medical_benefit", "value"]), "health_budget_inputs")
    return problems

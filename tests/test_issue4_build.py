"""The scenario figures in the built report: their CSVs, and that profile parameters reach them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_build


def rows(out: Path, fig_id: str) -> list[dict[str, str]]:
    with (out / "figures" / f"{fig_id}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_q1_printed_lot_ships_half(built):
    cell = {int(r["lot_size [製造単位/ロット]"]): float(r["shipped_fraction [割合]"])
            for r in rows(built, "Q1") if r["product"] == "cell"}
    assert cell[70] == 0.5 and cell[30] == 0.0
    fractions = [cell[k] for k in sorted(cell)]
    assert fractions == sorted(fractions)  # a larger lot never ships a smaller fraction


def test_c1_cumulative_costs_never_decrease_and_cross(built):
    data = rows(built, "C1")
    for therapy in ("repeat", "once"):
        cum = [float(r["cum_total [円]"]) for r in data if r["therapy"] == therapy]
        assert cum == sorted(cum)
    first = {r["therapy"]: float(r["cum_total [円]"]) for r in data if r["year"] == "1"}
    last = {r["therapy"]: float(r["cum_total [円]"]) for r in data if r["year"] == "10"}
    assert first["once"] > first["repeat"] and last["once"] < last["repeat"]
    # year 1 of the one-time therapy: price 167,077,222 + admission 500,000 + indirect 1,000,000
    assert first["once"] == pytest.approx(168_577_222)


def test_k1_distribution_counts_every_simulated_patient(built):
    data = rows(built, "K1-MC")
    assert sum(int(r["patients [人]"]) for r in data) == 20000
    assert sum(float(r["share [割合]"]) for r in data) == pytest.approx(1.0)


def test_c2_repricing_margin_turns_negative_only_for_the_autologous_product(built):
    data = rows(built, "C2-RP")
    margin = {(r["product_type"], int(r["volume [患者数/年]"])): float(r["margin [円]"]) for r in data}
    conventional = [v for (kind, vol), v in sorted(margin.items()) if kind == "conventional"]
    auto = [v for (kind, vol), v in sorted(margin.items()) if kind == "autologous"]
    # scale-up: once volume covers the fixed cost, the margin stays positive however deep the cuts
    first_positive = next(i for i, v in enumerate(conventional) if v > 0)
    assert all(v > 0 for v in conventional[first_positive:])
    # scale-out: positive in between, negative again at high volume after the re-pricing
    assert max(auto) > 0 and auto[-1] < 0


def test_p1_waterfall_reproduces_the_current_price_build_up(built):
    data = rows(built, "P1")
    current = {r["step"]: float(r["amount [円/患者]"]) for r in data if r["method"] == "現行：原価計算方式"}
    # 2,363 + 414 + 68 + 228 万円 + (35% + 10%) × 0.2 × 30,727,896円
    assert current["価格"] == pytest.approx(30_730_000 + 30_727_896 * 0.09)
    p1 = [r for r in data if r["method"].startswith("FIRM")]
    steps = sum(float(r["amount [円/患者]"]) for r in p1 if r["step"] != "価格")
    assert float(next(r for r in p1 if r["step"] == "価格")["amount [円/患者]"]) == pytest.approx(steps)


def test_p2_payments_under_scenarios(built):
    final = {}
    for r in rows(built, "P2"):
        final[r["scenario"]] = float(r["cumulative [円/患者]"])
    assert final["good"] > final["base"] > final["poor"]
    assert final["good"] - final["poor"] == pytest.approx(5_000_000)


@pytest.mark.parametrize("fig_id", ["C1-TOR", "C2-TOR", "K1-TOR", "P1-TOR"])
def test_tornado_charts_are_sorted_by_swing(built, fig_id):
    swings = [float(r["swing"]) for r in rows(built, fig_id)]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0


def test_a_profile_parameter_changes_the_built_figure(built, tmp_path):
    profile = tmp_path / "undiscounted.yaml"
    profile.write_text(
        "id: undiscounted\ntitle: 割引なし\ndate: 2026-01-01\nfigures: [C1]\n"
        "parameters:\n  c1_lifetime_cost:\n    overrides: {discount_rate: 0.0}\n", encoding="utf-8")
    proc = run_build(tmp_path / "out", "--no-pdf", "--submission", str(profile))
    assert proc.returncode == 0, proc.stderr
    changed = rows(tmp_path / "out", "C1")
    base = rows(built, "C1")
    year10 = lambda data: next(float(r["cum_total [円]"]) for r in data if r["therapy"] == "repeat" and r["year"] == "10")  # noqa: E731
    assert year10(changed) > year10(base)  # no discounting: the same costs add up to more
    assert not (tmp_path / "out" / "figures" / "M1.csv").exists()  # only the chosen figures are built

"""regenpolicy.models.checks: printed numbers against the models' own numbers, as each figure declares."""

from __future__ import annotations

from regenpolicy.builder.profile import load_profile, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import load_dataset
from regenpolicy.models.checks import printed_value_problems
from tests.conftest import ROOT, edit

DECLARATIONS = list(load_registry(Project(ROOT)).steps.values())


def test_segments_that_do_not_add_up_name_their_table(data_copy):
    edit(data_copy / "market_global_total.csv", "2020,", "2020,1")
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    assert any(p.startswith("data/market_global_modality.csv: the modality segments do not add up") for p in problems)


def test_a_listed_price_its_premiums_do_not_give_names_its_row(data_copy):
    text = (data_copy / "model_parameters.csv").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("P1,listed_price,"))
    parts = row.split(",")
    parts[2] = str(int(float(parts[2])) + 1)  # model,parameter,value,…
    edit(data_copy / "model_parameters.csv", row, ",".join(parts))
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    line = text.splitlines().index(row) + 1
    assert any(p.startswith(f"data/model_parameters.csv, line {line}, column 'value': P1 listed_price") for p in problems), problems


def test_a_share_no_longer_below_the_printed_bound_is_refused(data_copy):
    edit(data_copy / "drug_loss.csv", "phase3,日本での開発あり,日本での開発あり,20", "phase3,日本での開発あり,日本での開発あり,40")
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    assert any("D2 share_phase3_below_pct: the seed prints 'below 20' but the data give 29.6" in p for p in problems), problems


DECLARATIONS = list(load_registry(Project(ROOT)).steps.values())


def test_printed_values_hold_for_the_shipped_data(shipped):
    assert printed_value_problems(shipped, DECLARATIONS) == []


def test_a_count_that_no_longer_gives_the_printed_percentage_stops_the_build(data_copy):
    edit(data_copy / "drug_loss.csv", "approved,日本で上市済みもしくは開発中,上市済み,17", "approved,日本で上市済みもしくは開発中,上市済み,20")
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    assert any(p.startswith("data/printed_headlines.csv, line 7, column 'value': D1 approved_japan_total: "
                            "the seed prints 19 but the data give 22") for p in problems), problems


# --- the next submission --------------------------------------------------------------------------
def test_the_2026_11_edition_runs_on_the_fy2026_rules(shipped):
    project = Project(ROOT)
    registry = load_registry(project)
    profile = load_profile("2026-11", project, registry)
    settings = resolve_parameters(profile, registry, shipped).settings
    assert (settings.fee_revision, settings.price_rules, settings.billing) == (2026, 2026, "出来高")
    previous = load_profile("jri-2025", project, registry)
    assert previous.date < profile.date < load_profile("default", project, registry).date  # compared with jri-2025
    assert {"K1", "C2-RP", "E1", "P1", "T5"} <= set(profile.figures or [])

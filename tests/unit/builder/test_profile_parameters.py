"""Parameters: declared once with type and range; profiles hold overrides, checked before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from regenpolicy.builder.profile import ProfileError, load_profile, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.models import approvals, qc, reimbursement
from regenpolicy.models.parameters import EditionSettings, ParameterError, resolve
from tests.conftest import ROOT

PROJECT = Project(ROOT)


@pytest.fixture(scope="module")
def registry():
    return load_registry(PROJECT)


def profile_errors(tmp_path: Path, text: str, registry, shipped) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        profile = load_profile(path, PROJECT, registry)
        resolve_parameters(profile, registry, shipped)
    return str(info.value)


HEAD = "id: x\ntitle: t\ndate: 2026-01-01\n"


@pytest.mark.parametrize("body, expected", [
    # (key of the message, line and column where the bad value is)
    ("parameters:\n  q1_qc_share:\n    overrides: {cell_lot_size: 1.0e+308}\n",
     "line 6, column 32: parameters.q1_qc_share.overrides.cell_lot_size: 1e+308 is not a usable number"),
    ("parameters:\n  q1_qc_share:\n    overrides: {cell_lot_size: 20}\n",
     "parameters.q1_qc_share.overrides.cell_lot_size: a lot of 20 is not larger than its 出荷試験と参考品 (35)"),
    ("parameters:\n  q1_qc_share:\n    cell_lot_range: [120, 10]\n",
     "line 6, column 21: parameters.q1_qc_share.cell_lot_range: [120, 10] is not a range"),
    ("parameters:\n  c2_unit_cost:\n    volume_min: 1000\n    volume_max: 10\n",
     "parameters.c2_unit_cost.volume_max: must be larger than volume_min (1000)"),
    ("parameters:\n  k1mc_patient_simulation:\n    patients: 100000000\n",
     "parameters.k1mc_patient_simulation.patients: 100000000 is above the largest allowed value 200000 人"),
    ("parameters:\n  k1mc_patient_simulation:\n    overrides: {crs3_rate: 1.5}\n",
     "parameters.k1mc_patient_simulation.overrides: crs3_rate must be between 0 and 1"),
    ("parameters:\n  p1_value_price:\n    scenarios: {low: {discount_rate: 7}}\n",
     "parameters.p1_value_price.scenarios.low.discount_rate: 7.0 is outside the range the model accepts: 0〜1 割合"),
    ("parameters:\n  c1_lifetime_cost:\n    overrides: {no_such: 1}\n",
     "parameters.c1_lifetime_cost.overrides.no_such: model C1 has no parameter 'no_such'"),
    ("parameters:\n  a1_approvals:\n    as_of: '2023-02-30'\n",
     "parameters.a1_approvals.as_of: '2023-02-30' is not a date"),
    ("parameters:\n  m1_market:\n    start_year: 2030\n    end_year: 2020\n",
     "parameters.m1_market.end_year: must be after start_year (2030)"),
    ("parameters:\n  o1_originator:\n    focus: 再生医療\n",
     "parameters.o1_originator.focus: '再生医療' is not one of"),
    ("parameters:\n  k1_fee_gap:\n    fee_revision: 2024\n",
     "parameters.k1_fee_gap.fee_revision: is an edition setting: set it once, under 'settings:'"),
    ("settings:\n  fee_revision: 2019\n",
     "settings.fee_revision: 2019 is before the first revision in data/fee_schedule.csv (2022)"),
    ("settings:\n  yen_per_point: '10'\n", "settings.yen_per_point: expected an integer, got '10'"),
    ("parameters:\n  t4_access_issues:\n    show_activity: 1\n", "show_activity: expected true or false, got 1"),
    ("parameters:\n  p2_staged_price:\n    outcome_scenarios: {good: [true]}\n",
     "parameters.p2_staged_price.outcome_scenarios.good: needs one flag per tranche year (4), got 1"),
    ("parameters:\n  e1_drug_budget:\n    end_year: 2050\n", "no nominal GDP growth for FY2035–2050"),
    ("figures: [K1]\nparameters:\n  m1_market: {start_year: 2020}\n",
     "parameters.m1_market: this edition does not include the notebook"),
    ("figures: [M1, Z9]\n", "line 4, column 15: figures.1: unknown figure id 'Z9'"),
    ("audiences: x\n", "audiences: unknown key"),
    ("parameters:\n  nope: {}\n", "parameters.nope: no notebook notebooks/nope.md"),
])
def test_bad_overrides_are_refused_with_their_line(tmp_path, registry, shipped, body, expected):
    message = profile_errors(tmp_path, HEAD + body, registry, shipped)
    assert expected in message and "p.yaml" in message


@pytest.mark.parametrize("text, message", [
    ("id: x\ntitle: t\n", "date: is required"),
    ("id: x\ntitle: t\ndate: 2025-13\n", "line 3, column 7: date: '2025-13' must be a date"),
    ("id: X y\ntitle: t\ndate: 2025\n", "line 1, column 5: id: 'X y' must be lowercase"),
    ("id: x\ntitle: t\ndate: 2025\nlanguage: en\n", "line 4, column 11: language: 'en' is not available"),
    ("id: x\ntitle: [t\n", "p.yaml, line 3, column 1: not valid YAML"),
])
def test_profile_form(tmp_path, registry, shipped, text, message):
    assert message in profile_errors(tmp_path, text, registry, shipped)


def test_every_problem_of_a_profile_is_listed_at_once(tmp_path, registry, shipped):
    message = profile_errors(tmp_path, HEAD + "parameters:\n  c2_unit_cost: {volume_min: -5}\n"
                             "  q1_qc_share: {cell_lot_range: [5, 1]}\n", registry, shipped)
    assert "c2_unit_cost.volume_min" in message and "q1_qc_share.cell_lot_range" in message


def test_the_shipped_profiles_are_valid_and_hold_overrides_only(registry, shipped):
    for path in sorted((ROOT / "submissions").glob("*.yaml")):
        profile = load_profile(path, PROJECT, registry)
        resolved = resolve_parameters(profile, registry, shipped)
        for name, values in profile.parameters.items():
            defaults = type(resolved.parameters[name])().values()
            assert any(defaults[k] != v for k, v in values.items()) or path.stem == "firm-2023-07", (path, name)


def test_one_setting_reaches_every_figure_that_uses_it(tmp_path, registry, shipped):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + "settings: {fee_revision: 2024}\n", encoding="utf-8")
    resolved = resolve_parameters(load_profile(path, PROJECT, registry), registry, shipped)
    users = [s.name for s in registry.steps.values() if "fee_revision" in s.settings]
    assert users == ["k1_fee_gap", "k1mc_patient_simulation"]
    assert resolved.settings.fee_revision == 2024


def test_defaults_are_declared_once_with_a_label_and_a_valid_range():
    for cls in (qc.Q1Parameters, reimbursement.PatientSimulationParameters, approvals.A1Parameters, EditionSettings):
        for name, (spec, default) in cls.specs().items():
            assert spec.label, (cls, name)
            resolve(cls, {name: default})  # the default passes its own checks


def test_numbers_anywhere_in_parameters_must_be_finite():
    with pytest.raises(ParameterError, match=r"overrides\.reapheresis_rate: inf is not a usable number"):
        resolve(reimbursement.PatientSimulationParameters, {"overrides": {"reapheresis_rate": float("inf")}})
    with pytest.raises(ParameterError, match="expected an integer, got True"):
        resolve(reimbursement.PatientSimulationParameters, {"patients": True})


@pytest.mark.parametrize("url", ["https://example.org/\u202egnp.exe/", "http://www.mhlw.go.jp@127.0.0.1:9/",
                                 "https://a:b@example.org/", "https://exa\u200bmple.org/", "https://example.org\u2066/",
                                 "javascript:alert(1)"])
def test_a_misleading_site_url_in_a_profile_is_refused_with_its_place(tmp_path, registry, shipped, url):
    import json

    message = profile_errors(tmp_path, HEAD + f"site_url: {json.dumps(url)}\n", registry, shipped)
    assert "line 4" in message and "site_url" in message

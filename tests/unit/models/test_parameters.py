"""regenpolicy.models.parameters: one parameter system — figure parameters and edition settings are
pydantic models with strict types, Field bounds and allowed values written once."""

from __future__ import annotations

import typing

import pytest

from regenpolicy.models import lifetime, pricing, qc, reimbursement, repricing, sensitivity  # noqa: F401 (each declares its data parameters)
from regenpolicy.models.parameters import (
    DATA_PARAMETERS,
    MAX_ITEMS,
    REGIMES,
    WARD_FEE_CODES,
    EditionSettings,
    ParameterError,
    from_values,
    resolve,
)
from tests.conftest import edit


@pytest.mark.parametrize("cls, overrides, message", [
    (EditionSettings, {"yen_per_point": "10"}, "yen_per_point: expected an integer, got '10'"),
    (EditionSettings, {"ward_fee": "A999"}, "ward_fee: 'A999' is not one of: 'A100' or 'A104'"),
    (EditionSettings, {"billing": "包括"}, "billing: '包括' is not one of: '出来高' or 'DPC'"),
    (EditionSettings, {"fee_revision": 1999}, "fee_revision: 1999 is below the smallest allowed value 2000 年度"),
    (EditionSettings, {"fee_rev": 2024}, "fee_rev: no such parameter; parameters: fee_revision, yen_per_point"),
    (qc.Q1Parameters, {"cell_lot_range": [10]}, "cell_lot_range: expected a list of 2 values, got [10]"),
    (qc.Q1Parameters, {"cell_lot_range": [0, 10]}, "cell_lot_range.0: 0 is below the smallest allowed value 1"),
    (pricing.P2Parameters, {"tranche_years": [1, 99]}, "tranche_years.1: 99 is above the largest allowed value 50"),
    (pricing.P2Parameters, {"tranche_years": list(range(1, MAX_ITEMS + 2))}, f"more than the {MAX_ITEMS}"),
    (reimbursement.PatientSimulationParameters, {"overrides": {"crs3_rate": float("nan")}}, "nan is not a usable number"),
    (reimbursement.PatientSimulationParameters, {"burden_threshold": 1e13}, "burden_threshold: 10000000000000.0 is not a usable number"),
])
def test_bad_values_are_refused_naming_their_key(cls, overrides, message):
    with pytest.raises(ParameterError) as info:
        resolve(cls, overrides)
    assert message in str(info.value), str(info.value)


def test_allowed_values_are_written_once_and_the_model_uses_them():
    assert set(reimbursement.WARD_FEES) == set(WARD_FEE_CODES) == set(typing.get_args(EditionSettings.model_fields["ward_fee"].annotation))
    assert set(REGIMES) == {"出来高", "DPC"}


def test_values_round_trip_through_the_context():
    p = resolve(qc.Q1Parameters, {"cell_lot_range": [20, 90], "overrides": {"cell_lot_size": 80}})
    again = from_values(qc.Q1Parameters, p.values())
    assert again == p and again.cell_lot_range == (20, 90)
    assert EditionSettings().values()["ward_fee"] == "A100"


def test_every_spec_has_a_label_and_its_default_passes():
    for cls in (EditionSettings, qc.Q1Parameters, pricing.P2Parameters, reimbursement.PatientSimulationParameters):
        for name, (spec, default) in cls.specs().items():
            assert spec.label, (cls, name)
            resolve(cls, {name: default})


# --- a scenario model's data parameters: declared beside the model, values in the data -----------
def _line_of(path, prefix: str) -> tuple[int, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))
    return number, lines[number - 1]


@pytest.mark.parametrize("prefix, old, new, column, message", [
    ("K1,days_mode,", "K1,days_mode,21,", "K1,days_mode,400,", "value",
     "K1 days_mode: 400.0 is outside the range the model accepts: 1〜365 日"),
    ("K1,days_mode,", "K1,days_mode,21,", "K1,days_mode,21.5,", "value", "K1 days_mode: 21.5: input should be a valid integer"),
    ("K1,icu_days,", "K1,icu_days,5,3,10,", "K1,icu_days,5,3,20,", "high",
     "K1 icu_days: 20.0 is outside the range the model accepts: 0〜14 日"),
    ("C1,discount_rate,", "C1,discount_rate,0.02,0,", "C1,discount_rate,0.02,-0.01,", "low",
     "C1 discount_rate: -0.01 is outside the range the model accepts: 0〜1 割合"),
    ("K1,body_weight,", "K1,body_weight,", "K1,body_weight_kg,", "parameter",
     "K1 has no parameter 'body_weight_kg' (declared in regenpolicy.models.reimbursement.K1Data)"),
])
def test_a_data_parameter_row_its_class_refuses_names_file_line_and_column(data_copy, prefix, old, new, column, message):
    from regenpolicy.data import load_dataset
    from regenpolicy.models.checks import data_parameter_problems

    line, _ = _line_of(data_copy / "model_parameters.csv", prefix)
    edit(data_copy / "model_parameters.csv", old, new)
    problems = [str(p) for p in data_parameter_problems(load_dataset(data_copy))]
    assert any(p.startswith(f"data/model_parameters.csv, line {line}, column '{column}': {message}") for p in problems), problems


def test_a_declared_data_parameter_without_a_row_is_named(data_copy):
    from regenpolicy.data import load_dataset
    from regenpolicy.models.checks import data_parameter_problems

    _, row = _line_of(data_copy / "model_parameters.csv", "P2,horizon_years,")
    edit(data_copy / "model_parameters.csv", row + "\n", "")
    problems = [str(p) for p in data_parameter_problems(load_dataset(data_copy))]
    assert "data/model_parameters.csv: P2 horizon_years: declared in regenpolicy.models.pricing.P2Data but no row " \
           "gives its value" in problems


def test_the_shipped_data_parameters_fit_their_classes(shipped):
    from regenpolicy.models.checks import data_parameter_problems

    assert data_parameter_problems(shipped) == []
    assert set(DATA_PARAMETERS) == set(shipped["model_parameters"]["model"])


@pytest.mark.parametrize("cls", sorted(DATA_PARAMETERS.values(), key=lambda c: c.MODEL), ids=lambda c: c.MODEL)
def test_every_data_parameter_has_a_label_a_unit_and_a_range(cls):
    for name, spec in cls.specs().items():
        assert spec.label and spec.unit, name
        assert spec.minimum is not None and spec.maximum is not None and spec.minimum < spec.maximum, name


def test_an_override_of_a_data_parameter_is_checked_against_its_class(shipped):
    with pytest.raises(ParameterError, match=r"overrides\.horizon_years: 80\.0 is outside the range the model accepts: 1〜50 年"):
        resolve(lifetime.C1Parameters, {"overrides": {"horizon_years": 80}}, shipped)
    with pytest.raises(ParameterError, match=r"overrides\.horizon_years: 2\.5: input should be a valid integer"):
        resolve(pricing.P2Parameters, {"overrides": {"horizon_years": 2.5}}, shipped)


def test_k1_labels_come_from_the_patient_parameter_class(shipped):
    table = reimbursement.PatientParameters.labels().set_index("parameter")
    assert table.loc["reapheresis_rate", "label"] == "再アフェレーシス率"
    assert table.loc["reapheresis_rate", ["min", "max"]].tolist() == [0, 1]
    k1 = reimbursement.fee_gap(shipped, EditionSettings())
    assert list(reimbursement.PatientParameters.model_fields) == list(k1.p)


def test_scenarios_reject_unknown_parameters():
    model = lambda p: p["a"]  # noqa: E731
    out = sensitivity.scenarios(model, {"a": 1.0}, {"low": {"a": 0.5}, "high": {"a": 2.0}})
    assert out.set_index("scenario")["output"].to_dict() == {"base": 1.0, "low": 0.5, "high": 2.0}
    with pytest.raises(KeyError):
        sensitivity.scenarios(model, {"a": 1.0}, {"low": {"z": 0.5}})


def test_a_model_declared_twice_is_refused():
    from regenpolicy.models.parameters import DataParameters, datum

    with pytest.raises(TypeError, match="model K1 is declared twice"):
        class Again(DataParameters):  # declaring it is the test
            MODEL = "K1"
            days_min: int = datum("日数", unit="日", minimum=1, maximum=365)
    assert DATA_PARAMETERS["K1"] is reimbursement.K1Data

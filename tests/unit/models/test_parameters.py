"""regenpolicy.models.parameters: one parameter system — figure parameters and edition settings are
pydantic models with strict types, Field bounds and allowed values written once."""

from __future__ import annotations

import typing

import pytest

from regenpolicy.models import pricing, qc, reimbursement
from regenpolicy.models.parameters import (
    MAX_ITEMS,
    REGIMES,
    WARD_FEE_CODES,
    EditionSettings,
    ParameterError,
    from_values,
    resolve,
)


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

"""datapackage.json describes the tables so that a Frictionless tool (here frictionless-py, the
reference implementation) validates the published data without this package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regenpolicy.data import Dataset, load_dataset, load_metadata
from regenpolicy.data.datapackage import datapackage_json, descriptor, field
from tests.conftest import ROOT, edit


def write_package(data_dir: Path, names: list[str] | None = None) -> Path:
    ds = load_dataset(data_dir)
    tables = {n: ds.tables[n] for n in names} if names else ds.tables
    path = data_dir.parent / "datapackage.json"
    path.write_bytes(datapackage_json(tables, ds.frames["sources"], title="テスト版"))
    return path


def errors(path: Path) -> list[tuple[str, str | None]]:
    from frictionless import validate

    report = validate(str(path))
    return [(e[0], e[1]) for e in report.flatten(["type", "fieldName"])]


def test_the_same_declarations_give_the_same_bytes(shipped: Dataset) -> None:
    first = datapackage_json(shipped.tables, shipped.frames["sources"], title="a")
    again = datapackage_json(load_metadata(ROOT / "data"), load_dataset(ROOT / "data").frames["sources"], title="a")
    assert first == again and first.endswith(b"}\n")
    package = json.loads(first)
    assert [r["name"] for r in package["resources"]] == sorted(shipped.tables)
    assert all(r["path"] == f"data/{shipped.tables[r['name']].file}" for r in package["resources"])


def test_a_column_carries_its_type_unit_and_constraints(shipped: Dataset) -> None:
    year = shipped.table("market_global_total").column("year")
    assert field(year) == {"name": "year", "type": "integer", "unit": "年",
                           "constraints": {"required": True, "minimum": 2000, "maximum": 2100}}
    code = field(shipped.table("fee_schedule").column("code"))
    assert code["constraints"]["pattern"] == r"[AKO]\d{3}(-\d+)?( (\d+|注\d+)[ァ-ヶ]{0,2}(\(\d\))?)?"
    resource = descriptor(shipped.tables)["resources"]
    fees = next(r for r in resource if r["name"] == "fee_schedule")
    assert fees["schema"]["primaryKey"] == list(shipped.table("fee_schedule").primary_key)
    assert {"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["source_id"]}} in \
        fees["schema"]["foreignKeys"]


def test_the_shipped_data_is_valid_for_frictionless(data_copy: Path) -> None:
    from frictionless import Package, validate

    report = validate(str(write_package(data_copy)))
    assert report.valid, report.flatten(["type", "fieldName", "rowNumber", "note"])
    assert report.stats["tasks"] == len(load_metadata(data_copy))
    descriptor_only = json.loads((data_copy.parent / "datapackage.json").read_bytes())
    assert Package.validate_descriptor(descriptor_only).valid
    descriptor_only["resources"][0]["schema"]["fields"][0]["type"] = "integr"  # the check can fail
    assert not Package.validate_descriptor(descriptor_only).valid


@pytest.mark.parametrize("old, new, error", [
    (",printed,", ",guessed,", ("constraint-error", "status")),         # enum
    (",firm2023\n", ",nobody\n", ("foreign-key", None)),               # foreign key
    ("2020,", "1999,", ("constraint-error", "year")),                   # minimum
    ("\n2025,", "\n2020,", ("primary-key", None)),                      # primary key
])
def test_what_we_refuse_frictionless_refuses_too(data_copy: Path, old: str, new: str, error: tuple) -> None:
    edit(data_copy / "market_global_total.csv", old, new)
    path = data_copy.parent / "datapackage.json"
    tables = load_metadata(data_copy)
    path.write_bytes(datapackage_json({n: tables[n] for n in ("sources", "market_global_total")}))
    assert error in errors(path)

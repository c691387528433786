"""Notebooks read the validated snapshot, never the live files, and only the tables they declare."""

from __future__ import annotations

import pytest

from regenpolicy.data import ALL_TABLES, UndeclaredRead, load_dataset, open_snapshot, write_snapshot
from tests.conftest import edit


def test_the_snapshot_holds_what_was_validated_even_when_the_file_changes_later(data_copy, tmp_path):
    validated = load_dataset(data_copy)
    manifest = write_snapshot(validated, tmp_path / "store")
    edit(data_copy / "fee_schedule.csv", ",19410,", ",99999,")  # saved while the build runs
    seen = open_snapshot(manifest)["fee_schedule"]
    assert 19410 in set(seen["points"]) and 99999 not in set(seen["points"])
    assert open_snapshot(manifest).hashes == validated.hashes  # the key is the hash of what is read


def test_snapshot_files_are_content_addressed_and_read_only(shipped, tmp_path):
    manifest = write_snapshot(shipped, tmp_path / "store")
    again = write_snapshot(shipped, tmp_path / "store")
    assert manifest == again
    tables = list((tmp_path / "store" / "tables").iterdir())
    assert len(tables) == len(shipped.tables)
    assert {p.stem for p in tables} == set(shipped.hashes.values())
    assert all(not (p.stat().st_mode & 0o222) for p in [*tables, manifest])


def test_a_changed_table_changes_its_hash_only(data_copy):
    before = load_dataset(data_copy).hashes
    edit(data_copy / "fee_schedule.csv", ",19410,", ",19411,")
    after = load_dataset(data_copy).hashes
    assert {k for k in before if before[k] != after[k]} == {"fee_schedule"}


def test_reads_are_recorded_and_undeclared_reads_refused(shipped, tmp_path):
    manifest = write_snapshot(shipped, tmp_path / "store")
    reads: list[str] = []
    ds = open_snapshot(manifest, allowed=frozenset({"fee_schedule", "sources"}), on_read=reads.append)
    ds["fee_schedule"]
    ds.sources_by_id(["firm2023"])
    assert reads == ["fee_schedule", "sources"]
    with pytest.raises(UndeclaredRead, match="table 'drug_loss' is not among the tables this notebook declares"):
        ds["drug_loss"]
    with pytest.raises(UndeclaredRead):
        ds.catalog()


def test_reading_the_catalogue_is_a_read_of_every_table(shipped, tmp_path):
    manifest = write_snapshot(shipped, tmp_path / "store")
    reads: list[str] = []
    ds = open_snapshot(manifest, on_read=reads.append)
    assert set(ds.catalog()) == set(shipped.tables)
    assert reads == [ALL_TABLES]

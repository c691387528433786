"""Rebuilds: only what changed is re-executed, and nothing stale is ever shown."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_build, tree_digest

NOTEBOOKS = {"m1_market", "c2_unit_cost", "k1_fee_gap", "z1_data_appendix"}


def executed(stdout: str) -> set[str]:
    return set(re.findall(r"notebook \d+/\d+ (\w+): executed", stdout))


def reused(stdout: str) -> set[str]:
    return set(re.findall(r"notebook \d+/\d+ (\w+): unchanged, reused", stdout))


def k1_points(out: Path, step: str) -> str:
    with (out / "figures" / "K1.csv").open(encoding="utf-8") as f:
        return next(r["points [点]"] for r in csv.DictReader(f) if r["step_ja"] == step)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A data copy and an output folder that the tests of this module rebuild in turn."""
    root = tmp_path_factory.mktemp("cache")
    data = root / "data"
    import shutil

    shutil.copytree(ROOT / "data", data)
    out = root / "out"
    proc = run_build(out, "--no-pdf", env={"REGEN_DATA_DIR": str(data)})
    assert proc.returncode == 0, proc.stderr
    assert executed(proc.stdout) >= NOTEBOOKS
    return data, out


def build(workspace, *args):
    data, out = workspace
    proc = run_build(out, "--no-pdf", *args, env={"REGEN_DATA_DIR": str(data)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_editing_nothing_executes_nothing(workspace):
    before = tree_digest(workspace[1] / "html")
    stdout = build(workspace)
    assert executed(stdout) == set()
    assert reused(stdout) >= NOTEBOOKS
    assert "up to date" in stdout
    assert tree_digest(workspace[1] / "html") == before


def test_editing_a_table_reexecutes_exactly_its_readers(workspace):
    data, out = workspace
    fees = data / "fee_schedule.csv"
    fees.write_text(fees.read_text(encoding="utf-8").replace(
        "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850", "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000"),
        encoding="utf-8")
    stdout = build(workspace)
    # the notebooks that read fee_schedule: K1, its scenarios, and the data appendix (counts every table)
    assert executed(stdout) == {"k1_fee_gap", "k1_scenarios", "z1_data_appendix"}
    assert {"m1_market", "c2_unit_cost"} <= reused(stdout)
    assert k1_points(out, "CAR-T細胞投与") == "40000"  # never stale
    assert "40,000点" in (out / "html" / "notebooks" / "k1_fee_gap.html").read_text(encoding="utf-8")


def test_a_cache_entry_of_another_parameter_set_is_never_reused(workspace, tmp_path):
    data, out = workspace
    profile = tmp_path / "other.yaml"
    profile.write_text((ROOT / "submissions" / "default.yaml").read_text(encoding="utf-8")
                       .replace("yen_per_point: 10", "yen_per_point: 20"), encoding="utf-8")
    stdout = build(workspace, "--submission", str(profile))
    assert executed(stdout) == {"k1_fee_gap", "k1_scenarios"}  # the two notebooks given yen_per_point
    with (out / "figures" / "K1.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["step_ja"] == "白血球採取・細胞調製・凍結保存"]
    assert float(rows[0]["reimbursement_yen [円/患者]"]) == 19410 * 20
    # back to the default parameters: their entry is still valid and is reused, not the other one
    stdout = build(workspace)
    assert executed(stdout) == set()
    with (out / "figures" / "K1.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["step_ja"] == "白血球採取・細胞調製・凍結保存"]
    assert float(rows[0]["reimbursement_yen [円/患者]"]) == 19410 * 10


def test_a_notebook_error_keeps_the_previous_outputs(workspace, tmp_path):
    data, out = workspace
    before = {name: tree_digest(out / name) for name in ("html", "figures")}
    profile = tmp_path / "broken.yaml"
    profile.write_text("id: broken\ntitle: broken\ndate: 2026-01-01\nparameters:\n  k1_fee_gap:\n    fee_revision: 2019\n",
                       encoding="utf-8")
    proc = run_build(out, "--no-pdf", "--submission", str(profile), env={"REGEN_DATA_DIR": str(data)})
    assert proc.returncode == 1
    assert "k1_fee_gap.md failed" in proc.stderr
    assert {name: tree_digest(out / name) for name in ("html", "figures")} == before

"""Rebuilds: only what changed is re-executed, and nothing stale is ever shown or published.

A small edition (tests/integration/small.yaml) in a project copy with a cache of its own: what a
rebuild executes is then decided by this module's edits alone, not by what other tests cached.
Which notebooks an edit reaches is decided by the cache key (unit-tested in
tests/unit/builder/test_execute.py); here the real build shows it end to end. The builds run as
``make report`` runs them on an author's machine: the first in its own process, the next ones in the
build server it leaves for the project (``builder.server``; a build that fails in a step ends it, and
the next build starts another)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
from pathlib import Path

import pytest

from regenpolicy.builder import noop, server
from tests.conftest import SMALL, cli_args, copy_project, edit, tree_digest

NOTEBOOKS = {"m1_market", "c2_unit_cost", "k1_fee_gap", "z1_data_appendix"}


def executed(stdout: str) -> set[str]:
    return set(re.findall(r"notebook \d+/\d+ (\w+): executed", stdout))


def reused(stdout: str) -> set[str]:
    return set(re.findall(r"notebook \d+/\d+ (\w+): unchanged, reused", stdout))


def k1_rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "figures" / "K1.data.csv").open(encoding="utf-8") as f:
        return {r["step_ja"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, built):
    """A project copy, an output folder and a cache that the tests of this module rebuild in turn."""
    root = tmp_path_factory.mktemp("rebuilds")
    project = copy_project(root / "project")
    out = root / "out"
    try:
        proc = run_small(project, out, root / "cache")
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert executed(proc.stdout) >= NOTEBOOKS and "started a build server" in proc.stdout
        # same inputs, same outputs: executed afresh here, the figures are those of the session's build
        for name in ("M1", "C2", "S1"):
            for suffix in (".csv", ".data.csv", ".svg", ".xlsx"):
                assert (out / "figures" / f"{name}{suffix}").read_bytes() == (built / "figures" / f"{name}{suffix}").read_bytes()
        yield project, out, root / "cache"
    finally:
        server.ask(project, "stop")


def run_small(project: Path, out: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if "--submission" not in args:
        args = (*args, "--submission", str(SMALL))
    return subprocess.run(cli_args(project, "build", "--out", str(out), "--no-pdf", *args, cache=cache),
                          capture_output=True, text=True, timeout=900, env={**os.environ, server.ENV: "1"})


def build(workspace, *args: str) -> str:
    proc = run_small(*workspace, *args)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_editing_nothing_executes_nothing(workspace):
    before = tree_digest(workspace[1] / "html")
    stdout = build(workspace)  # answered from the inputs' fingerprint (builder.noop), nothing imported or run
    assert "up to date" in stdout and executed(stdout) == set() and "[build] data:" not in stdout
    (workspace[1] / noop.RECORD).unlink()  # without that record: the full path finds every notebook cached
    stdout = build(workspace)
    assert executed(stdout) == set() and reused(stdout) >= NOTEBOOKS
    assert "up to date" in stdout
    assert tree_digest(workspace[1] / "html") == before


def test_editing_a_table_reexecutes_exactly_its_readers(workspace):
    project, out, _ = workspace
    edit(project / "data" / "fee_schedule.csv", "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850",
         "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000")
    stdout = build(workspace)
    assert "run by this project's build server" in stdout
    # the notebooks that declare fee_schedule: K1, its simulation, and the appendix (which reads every table)
    assert executed(stdout) == {"k1_fee_gap", "k1mc_patient_simulation", "z1_data_appendix"}
    assert {"m1_market", "c2_unit_cost"} <= reused(stdout)
    assert k1_rows(out)["CAR-T細胞投与"]["points [点]"] == "40000"  # never stale
    assert "40,000点" in (out / "html" / "notebooks" / "k1_fee_gap.html").read_text(encoding="utf-8")


def test_adding_a_table_reaches_the_appendix(workspace):
    project, out, _ = workspace
    (project / "data" / "extra_notes.csv").write_text("key,text\na,追加した表\n", encoding="utf-8")
    meta = project / "data" / "metadata.yaml"
    tables = len(re.findall(r"^    file: ", meta.read_text(encoding="utf-8"), flags=re.M))  # the shipped ones
    meta.write_text(meta.read_text(encoding="utf-8") + (
        "\n  extra_notes:\n    file: extra_notes.csv\n    title: 追加した表\n    description: test\n"
        "    primary_key: [key]\n    columns:\n      - {name: key, type: string}\n      - {name: text, type: string}\n"),
        encoding="utf-8")
    stdout = build(workspace)
    assert "z1_data_appendix" in executed(stdout) and "m1_market" in reused(stdout)
    text = re.sub(r"<[^>]+>", "", (out / "html" / "notebooks" / "z1_data_appendix.html").read_text(encoding="utf-8"))
    assert f"{tables + 1} 個の表" in text and "追加した表" in text


def test_a_setting_of_the_edition_reaches_every_figure_that_uses_it(workspace, tmp_path):
    out = workspace[1]
    profile = tmp_path / "other.yaml"
    profile.write_text("id: other\ntitle: 別の版\ndate: 2026-01-01\nfigures: [M1, C2, K1, K1-MC, S1]\n"
                       "settings: {yen_per_point: 20}\n", encoding="utf-8")
    stdout = build(workspace, "--submission", str(profile))
    assert executed(stdout) == {"k1_fee_gap", "k1mc_patient_simulation"}  # the two that declare yen_per_point
    assert float(k1_rows(out)["白血球採取（アフェレーシス）"]["reimbursement_yen [円/患者]"]) == 19410 * 20
    # back to the default settings: their entries are still valid and are reused, not the other ones
    stdout = build(workspace)
    assert executed(stdout) == set()
    assert float(k1_rows(out)["白血球採取（アフェレーシス）"]["reimbursement_yen [円/患者]"]) == 19410 * 10


def test_a_deleted_output_is_rebuilt_not_reported_up_to_date(workspace):
    out = workspace[1]
    (out / "figures" / "M1.csv").unlink()
    stdout = build(workspace)
    assert "up to date" not in stdout and (out / "figures" / "M1.csv").exists()


def test_a_notebook_that_reads_an_undeclared_table_fails_and_names_it(workspace, tmp_path):
    project, out, _ = workspace
    before = {name: tree_digest(out / name) for name in ("html", "figures")}
    nb = project / "notebooks" / "s1_survival.md"
    original = nb.read_text(encoding="utf-8")
    edit(nb, 'ctx.glue(s1.numbers)', 'ctx.glue(s1.numbers)\nctx.data["drug_loss"]')
    try:
        proc = run_small(*workspace)
    finally:
        nb.write_text(original, encoding="utf-8")
    assert proc.returncode == 1
    assert "notebook notebooks/s1_survival.md failed in code cell 2" in proc.stderr
    assert "table 'drug_loss' is not among the tables this notebook declares" in proc.stderr
    assert {name: tree_digest(out / name) for name in ("html", "figures")} == before


def test_a_declared_table_that_is_never_read_fails_the_build(workspace):
    project = workspace[0]
    nb = project / "notebooks" / "s1_survival.yml"  # the notebook's declaration
    original = nb.read_text(encoding="utf-8")
    edit(nb, "tables: [sources, survival_outcomes]", "tables: [drug_loss, sources, survival_outcomes]")
    try:
        proc = run_small(*workspace)
    finally:
        nb.write_text(original, encoding="utf-8")
    assert proc.returncode == 1
    assert ("notebooks/s1_survival.md: its declaration (s1_survival.yml: tables) does not match what it read "
            "(declared but never read: drug_loss)") in proc.stderr

"""``python -m regenpolicy build`` refusing bad input, run in-process: exit code 2, the problem named by
file, line and column, nothing run and the previous output untouched (before: build tests, each a
subprocess build: tests/integration/test_editions.py and test_site_and_pdf.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from regenpolicy.builder import execute
from regenpolicy.builder.cli import main
from tests.conftest import ROOT, copy_project, tree_digest


@pytest.fixture
def nothing_runs(monkeypatch):
    """Running a notebook fails the test: bad input must be refused before anything executes."""
    def run_notebooks(*args, **kwargs):
        raise AssertionError("a notebook was run")

    monkeypatch.setattr(execute, "run_notebooks", run_notebooks)
    monkeypatch.setattr("regenpolicy.builder.pipeline.run_notebooks", run_notebooks)


def previous_output(out: Path) -> dict[str, dict[str, str]]:
    """A stand-in for the last good output (what must stay as it was)."""
    for name, file, body in (("html", "index.html", "<p>前の版</p>"), ("pdf", "report.pdf", "%PDF-1.7"),
                             ("figures", "K1.csv", "a,b\n")):
        (out / name).mkdir(parents=True, exist_ok=True)
        (out / name / file).write_text(body, encoding="utf-8")
    return {name: tree_digest(out / name) for name in ("html", "pdf", "figures")}


def test_build_refuses_an_unknown_version_before_running_anything(tmp_path, capsys, nothing_runs):
    path = tmp_path / "p.yaml"
    path.write_text("id: x\ntitle: t\ndate: 2025\nfigures: [K1]\ndata_vintage: {fee_schedule: '1999'}\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    code = main(["--project", str(ROOT), "build", "--out", str(out), "--no-pdf", "--submission", str(path),
                 "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2
    assert "has no version '1999'" in err and "Nothing was built" in err
    assert not (out / "html").exists()


def test_bad_input_leaves_the_last_good_output(tmp_path, capsys, nothing_runs):
    project = copy_project(tmp_path / "project")
    bad = project / "data" / "fee_schedule.csv"
    bad.write_text(bad.read_text(encoding="utf-8").replace(",17440,", ",-17440,"), encoding="utf-8")
    out = tmp_path / "out"
    before = previous_output(out)
    code = main(["--project", str(project), "build", "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2
    assert "fee_schedule.csv, line 2, column 'points': -17440 is out of range" in err
    assert "Nothing was built" in err
    assert {name: tree_digest(out / name) for name in ("html", "pdf", "figures")} == before
    assert not list(out.glob(".staging*"))


def test_exit_codes_are_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "exit code 2" in readme and "exit code 1" in readme


def test_a_second_site_build_works_where_the_first_did_not_inside_its_release(tmp_path, monkeypatch):
    """``_build/site`` is a link to the current release; the next build must get the link's own place."""
    import regenpolicy.builder.pipeline as pipeline

    called: list[Path] = []
    monkeypatch.setattr(pipeline, "build_site", lambda project, out, options, cache=None: called.append(out))
    build = tmp_path / "_build"
    (build / "site-releases" / "20260101-000000-1").mkdir(parents=True)
    (build / "site").symlink_to("site-releases/20260101-000000-1")
    assert main(["--project", str(ROOT), "site", "--out", str(build / "site")]) == 0
    assert called == [build.resolve() / "site"]

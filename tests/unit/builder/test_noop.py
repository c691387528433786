"""regenpolicy.builder.noop: a build with nothing to do is answered without the build's modules,
and only when nothing it reads or publishes changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from regenpolicy.builder import noop
from regenpolicy.builder.publish import publish
from tests.conftest import ROOT

REQUEST = {"command": "build", "submission": "default", "out": "/x/_build", "pdf": True}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for rel, text in {"data/a.csv": "x\n1\n", "notebooks/m1.md": "# M1\n", "book/index.md": "# 表紙\n",
                      "submissions/default.yaml": "id: default\n", "regenpolicy/models/m.py": "X = 1\n",
                      "_toc.yml": "root: book/index\n", "requirements.txt": "pandas==2.2.3\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def released(out: Path) -> Path:
    staged = out / ".staging"
    for name in ("html", "pdf", "figures", "meta"):
        (staged / name).mkdir(parents=True)
    (staged / "html" / "index.html").write_text("<p>1</p>", encoding="utf-8")
    (staged / "pdf" / "report.pdf").write_bytes(b"%PDF-1.7")
    return publish(out, staged, "k" * 64)


def test_the_fingerprint_moves_with_any_input_byte_and_the_options(project):
    base = noop.fingerprint(project, REQUEST)
    assert noop.fingerprint(project, REQUEST) == base
    assert noop.fingerprint(project, {**REQUEST, "pdf": False}) != base
    assert noop.fingerprint(project, {**REQUEST, "submission": "jri-2025"}) != base
    for rel in ("data/a.csv", "notebooks/m1.md", "book/index.md", "submissions/default.yaml",
                "regenpolicy/models/m.py", "_toc.yml", "requirements.txt"):
        path = project / rel
        before = path.read_bytes()
        path.write_bytes(before + b"x")
        assert noop.fingerprint(project, REQUEST) != base, rel
        path.write_bytes(before)
    (project / "data" / "b.csv").write_text("y\n", encoding="utf-8")  # a new table
    assert noop.fingerprint(project, REQUEST) != base
    (project / "data" / "b.csv").unlink()
    # what no build reads: byte-code, editor files, the output folder
    (project / "regenpolicy" / "models" / "__pycache__").mkdir()
    (project / "regenpolicy" / "models" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (project / "data" / "_build").mkdir()
    (project / "data" / "_build" / "x").write_text("x", encoding="utf-8")
    assert noop.fingerprint(project, REQUEST) == base


def test_the_fingerprint_reads_the_package_that_runs_also_outside_the_project(project, tmp_path):
    """An edit to the code that builds moves the fingerprint also when that code is installed elsewhere
    (an editable install of another checkout, a project folder without the package)."""
    elsewhere = tmp_path / "site" / "regenpolicy"
    (elsewhere / "builder" / "templates").mkdir(parents=True)
    (elsewhere / "builder" / "pipeline.py").write_text("X = 1\n", encoding="utf-8")
    (elsewhere / "builder" / "templates" / "page.j2").write_text("<p>{{ x }}</p>\n", encoding="utf-8")
    base = noop.fingerprint(project, REQUEST, package=elsewhere)
    assert noop.fingerprint(project, REQUEST, package=elsewhere) == base
    assert noop.fingerprint(project, REQUEST, package=project / "regenpolicy") != base  # the project's own instead
    for rel in ("builder/pipeline.py", "builder/templates/page.j2"):
        path = elsewhere / rel
        before = path.read_bytes()
        path.write_bytes(before + b"x")
        assert noop.fingerprint(project, REQUEST, package=elsewhere) != base, rel
        path.write_bytes(before)
    (elsewhere / "builder" / "__pycache__").mkdir()  # byte-code is not read
    (elsewhere / "builder" / "__pycache__" / "pipeline.cpython-311.pyc").write_bytes(b"\0")
    assert noop.fingerprint(project, REQUEST, package=elsewhere) == base
    # by default, the package this process runs: the repository's own, outside this scratch project
    assert noop.running_package() == ROOT / "regenpolicy"
    assert noop.fingerprint(project, REQUEST) == noop.fingerprint(project, REQUEST, package=ROOT / "regenpolicy")
    assert noop.fingerprint(project, REQUEST) != noop.fingerprint(project, REQUEST, package=project / "regenpolicy")


def test_up_to_date_only_after_a_finished_build_with_the_same_inputs_and_untouched_outputs(project, tmp_path):
    out = tmp_path / "out"
    inputs = noop.fingerprint(project, REQUEST)
    assert not noop.up_to_date(out, inputs)  # never built
    release = released(out)
    assert not noop.up_to_date(out, inputs)  # built, but no finished build recorded its inputs
    noop.remember(out, inputs)
    assert noop.up_to_date(out, inputs)
    assert not noop.up_to_date(out, noop.fingerprint(project, {**REQUEST, "pdf": False}))
    page = release / "html" / "index.html"
    st = page.stat()
    os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # an output touched since
    assert not noop.up_to_date(out, inputs)
    noop.remember(out, inputs)
    (out / "html").unlink()  # an output link removed
    assert not noop.up_to_date(out, inputs)


def test_a_damaged_or_huge_record_means_a_full_build(project, tmp_path):
    out = tmp_path / "out"
    released(out)
    inputs = noop.fingerprint(project, REQUEST)
    for text in ("{", "[]", json.dumps({"inputs": inputs}), " " * (noop.MAX_RECORD + 1)):
        (out / noop.RECORD).write_text(text, encoding="utf-8")
        assert not noop.up_to_date(out, inputs)


def test_the_command_answers_a_no_op_without_importing_the_build(project, tmp_path):
    out = tmp_path / "out"
    released(out)
    args = ["--project", str(project), "build", "--out", str(out)]
    inputs = noop.fingerprint(project, {"command": "build", "submission": "default", "out": str(out), "pdf": True})
    noop.remember(out, inputs)
    code = ("import sys; from regenpolicy.builder.cli import main; rc = main(sys.argv[1:]); "
            "print(rc, sorted(m for m in ('pandas', 'sphinx', 'regenpolicy.builder.pipeline') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.splitlines()[-1] == "0 []", proc.stdout + proc.stderr
    assert "[build] up to date (" in proc.stdout

"""One build at a time, never a stale or half-published result, and a cell that never returns is stopped.

(Apart from the hostile site of test_security.py, so that pytest-xdist can run them in the other process
while that site is built.)"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from regenpolicy.builder.publish import is_current, published_key
from tests.conftest import SMALL, cli_args, copy_project, edit, run_cli, wait_for_exit


def start(project: Path, out: Path, *args: str, cache: Path | None = None) -> subprocess.Popen[str]:
    """A build in a process of its own, as ``run_cli`` runs one (the session's cache, no build server)."""
    return subprocess.Popen(cli_args(project, "build", "--out", str(out), *args, cache=cache),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "CI": "1"})


def wait_for(proc: subprocess.Popen[str], text: str, timeout: float = 300) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never appeared:\n{seen[-2000:]}")


def test_two_builds_at_once_never_damage_each_other(tmp_path):
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    first = start(project, out, "--submission", str(SMALL))
    log = wait_for(first, "[build] data:")  # the first build holds the folder ...
    # ... and is held there until the second has found the folder in use, however fast it would go on
    # (its notebooks may all be in the session's cache)
    first.send_signal(signal.SIGSTOP)
    try:
        second = start(project, out, "--submission", str(SMALL))
        log2 = wait_for(second, "waiting for it to finish")
    finally:
        first.send_signal(signal.SIGCONT)
    log += first.communicate(timeout=900)[0]
    log2 += second.communicate(timeout=900)[0]
    assert first.returncode == 0 and second.returncode == 0, log[-2000:] + log2[-2000:]
    assert "is in use by build pid" in log2 and "up to date" in log2  # it waited, then found nothing to do
    key = published_key(out)
    assert key is not None and is_current(out, key)
    assert (out / "pdf" / "report.pdf").stat().st_size > 100_000 and (out / "figures" / "K1.csv").exists()
    assert len(list((out / "releases").iterdir())) == 1


def test_a_file_saved_during_a_build_is_never_published_as_up_to_date(tmp_path):
    project = copy_project(tmp_path / "project")
    out = tmp_path / "out"
    profile = tmp_path / "k1.yaml"
    profile.write_text("id: k1\ntitle: K1\ndate: 2026-01-01\nfigures: [K1]\n", encoding="utf-8")
    build = start(project, out, "--no-pdf", "--submission", str(profile))
    wait_for(build, "[build] data:")  # validated and snapshotted: now the author saves a change
    edit(project / "data" / "fee_schedule.csv", "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850",
         "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000")
    build.communicate(timeout=900)
    assert build.returncode == 0

    def admin_points() -> str:
        with (out / "figures" / "K1.data.csv").open(encoding="utf-8") as f:
            return next(r["points [点]"] for r in csv.DictReader(f) if r["step_ja"] == "CAR-T細胞投与")

    assert admin_points() == "30850"  # that build published what it validated
    proc = run_cli(project, "build", "--out", str(out), "--no-pdf", "--submission", str(profile))
    assert proc.returncode == 0 and "up to date" not in proc.stdout
    assert admin_points() == "40000"  # (executed, or reused from the session's cache if another test ran it)


def test_a_cell_that_never_returns_is_stopped_naming_notebook_and_cell(tmp_path):
    project = copy_project(tmp_path / "project")
    edit(project / "notebooks" / "s1_survival.md", "ctx.glue(s1.numbers)", "ctx.glue(s1.numbers)\nimport threading\nthreading.Event().wait()")
    profile = tmp_path / "s1.yaml"
    profile.write_text("id: s1\ntitle: S1\ndate: 2026-01-01\nfigures: [S1]\n", encoding="utf-8")
    proc = run_cli(project, "build", "--out", str(tmp_path / "out"), "--no-pdf", "--submission", str(profile),
                   "--cell-timeout", "10", timeout=300)  # (a guard: the message below says it was stopped)
    assert proc.returncode == 1
    assert ("notebook notebooks/s1_survival.md: code cell 2 (the cell starting 'import altair as alt') "
            "did not finish within 10 s") in proc.stderr
    assert not (tmp_path / "out" / "html").exists()


def session_processes(sid: int) -> dict[int, str]:
    """The live processes of session ``sid`` (a build started in a session of its own, as a terminal starts one)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid and fields[0] != "Z":  # (a zombie has ended: its parent has gone)
                found[int(entry.name)] = cmdline[:120]
    return found


@pytest.mark.parametrize("whom", ["terminal", "build"])
def test_ctrl_c_stops_a_build_at_once_publishes_nothing_and_leaves_no_process(tmp_path, whom):
    """Ctrl-C in a terminal reaches every process of the build (``terminal``); ``kill -INT`` only the build's
    own (``build``). Either way the build stops now, not when a notebook ends (here one never would)."""
    project = copy_project(tmp_path / "project")
    profile = tmp_path / "s1.yaml"
    profile.write_text("id: s1\ntitle: S1\ndate: 2026-01-01\nfigures: [S1]\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli(project, "build", "--out", str(out), "--no-pdf", "--submission", str(profile)).returncode == 0
    key, page = published_key(out), (out / "html" / "index.html").read_bytes()
    edit(project / "notebooks" / "s1_survival.md", "ctx.glue(s1.numbers)",
         "ctx.glue(s1.numbers)\nimport threading\nthreading.Event().wait()")
    proc = subprocess.Popen(cli_args(project, "build", "--out", str(out), "--no-pdf", "--submission", str(profile)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "CI": "1"})
    log = wait_for(proc, "[build] data:")
    deadline = time.monotonic() + 120
    # a notebook's kernel is up: a fork of the kernels' fork server, under the same command line
    while sum("regenpolicy.builder.kernels serve" in c for c in session_processes(proc.pid).values()) < 2:
        assert time.monotonic() < deadline, log
        with contextlib.suppress(subprocess.TimeoutExpired):  # (looked at again every 50 ms, unless the build ends)
            proc.wait(timeout=0.05)
        assert proc.poll() is None, log + proc.communicate()[0]
    if whom == "terminal":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    try:
        log += proc.communicate(timeout=60)[0]  # (a guard: the notebook's cell would wait for ever)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"the build did not stop within 60 s of Ctrl-C:\n{log[-3000:]}") from None
    assert proc.returncode == 130, log[-3000:]
    assert log.rstrip().endswith("[build] stopped at Ctrl-C before publishing: the previous output is unchanged"), log
    assert "Traceback" not in log and "failed" not in log, log
    assert published_key(out) == key and (out / "html" / "index.html").read_bytes() == page
    assert not list(out.glob(".staging-*"))
    wait_for_exit(session_processes(proc.pid), 10)  # its helpers (kernels, Sphinx, the drawing workers) go with it
    assert session_processes(proc.pid) == {}

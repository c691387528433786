"""Every message a user reads — the terminal, the build log, the preview's banner — shows control
characters from the data (ESC sequences, C1 controls, bidi controls) as visible escapes, whatever
kind of problem or exception carries them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from regenpolicy.builder import cli
from regenpolicy.builder.execute import ExecutionError, Progress
from regenpolicy.builder.pdf import PdfError
from regenpolicy.builder.pipeline import BuildError, log
from regenpolicy.builder.preview import Preview
from regenpolicy.builder.profile import ProfileError
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import StepError
from regenpolicy.data import DataValidationError, Problem
from tests.conftest import copy_project, problems_for

# a terminal title change, a colour, a C1 CSI, a bell, a bidi override, a carriage return over the line
HOSTILE = "\x1b]0;pwned\x07\x1b[31mred\x9b2J\u202eexe.png\u2066\rforged"
RAW = ["\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\r"]


def assert_escaped(text: str) -> None:
    assert not [c for c in RAW if c in text], repr(text)
    assert "\\x1b]0;pwned\\x07" in text and "\\u202e" in text and "\\x0dforged" in text


def test_a_problem_prints_on_one_line_whatever_its_file_and_message_hold():
    text = str(Problem(f"data/{HOSTILE}.csv", f"{HOSTILE}\nline 99: forged", 3, HOSTILE))
    assert_escaped(text)
    assert "\n" not in text


@pytest.mark.parametrize("make", [
    lambda: DataValidationError([Problem("data/x.csv", HOSTILE, 2, "c")]),
    lambda: ProfileError([Problem("submissions/x.yaml", HOSTILE, 1, 1)]),
    lambda: ProfileError([Problem("submissions/x.yaml", HOSTILE, 1, 1), Problem("y", HOSTILE)]),
    lambda: StepError([Problem("notebooks/x.yml", HOSTILE, 1, 1)]),
    lambda: BuildError(f"notebooks/x.md failed: {HOSTILE}"),
    lambda: ExecutionError(f"notebook x: ValueError: {HOSTILE}"),
    lambda: PdfError(HOSTILE),
], ids=["data", "profile", "profiles", "step", "build", "execution", "pdf"])
def test_every_error_reaches_the_terminal_escaped(make, capsys):
    cli.error(make(), "Nothing was built.")
    assert_escaped(capsys.readouterr().err)


def test_the_build_log_and_the_progress_lines_are_escaped(capsys):
    log(f"submission 'x': {HOSTILE}")
    assert_escaped(capsys.readouterr().out)
    stream = io.StringIO()
    Progress(1, stream).finish(HOSTILE, "executed")
    assert_escaped(stream.getvalue())


def test_the_preview_banner_is_escaped(tmp_path):
    preview = Preview(Project(tmp_path), "default", 0, tmp_path / "out")
    preview._publish_status(state="error", message=f"ビルドできません:\n{HOSTILE}")
    assert_escaped(preview.status.message)
    assert preview.status.message.startswith("ビルドできません:\n")


def test_a_header_with_an_escape_sequence_is_reported_escaped_by_the_command_line(tmp_path, capsys):
    project = copy_project(tmp_path / "p")
    path = project / "data" / "drug_loss.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(HOSTILE.replace("\r", "") + text, encoding="utf-8")  # the first header name
    assert "\\x1b]0;pwned" in problems_for(project / "data")
    assert cli.main(["--project", str(project), "validate"]) == 2
    err = capsys.readouterr().err
    assert "data/drug_loss.csv, line 1" in err
    assert "\x1b" not in err and "\\x1b]0;pwned\\x07" in err


def test_a_profile_id_with_an_escape_sequence_is_reported_escaped(tmp_path, capsys):
    project = copy_project(tmp_path / "p")
    profile = project / "submissions" / "evil.yaml"
    profile.write_text('id: "evil\\e]0;pwned\\a\\u202e"\ntitle: "\\e[31mx\\u202e"\ndate: "2026"\n', encoding="utf-8")
    assert cli.main(["--project", str(project), "build", "--submission", "evil", "--no-pdf",
                     "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "evil.yaml, line 1" in err
    assert not Path(tmp_path / "out" / "html").exists()


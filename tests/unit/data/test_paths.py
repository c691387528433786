"""Every path the project reads stays inside its folder (data/, submissions/, book/), whatever
component a symbolic link is on: the file, a folder on the way, or the end of a chain."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from regenpolicy.builder.book import _inside_book
from regenpolicy.builder.profile import ProfileError, load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import DataValidationError, OutsideError, inside, load_dataset, read_input
from tests.conftest import ROOT, edit, problems_for


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """root/ with a file and a folder, and elsewhere/ beside it with a secret."""
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.csv").write_text("x\n1\n")
    elsewhere.mkdir()
    (elsewhere / "secret.csv").write_text("x\n2\n")
    return root, elsewhere


def test_a_plain_path_inside_is_its_real_path(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    assert inside(root, "sub/a.csv") == (root / "sub" / "a.csv").resolve()
    assert inside(root, "sub/missing.csv") == (root / "sub" / "missing.csv").resolve()  # opening reports it


@pytest.mark.parametrize("relative", ["../elsewhere/secret.csv", "/etc/passwd", "sub\\..\\..\\x", "", "a\x00b"])
def test_a_path_that_spells_its_way_out_is_refused(tree: tuple[Path, Path], relative: str) -> None:
    with pytest.raises(OutsideError):
        inside(tree[0], relative)


@pytest.mark.parametrize("links, declared", [
    ({"secret.csv": "{elsewhere}/secret.csv"}, "secret.csv"),                    # on the file
    ({"ext": "{elsewhere}"}, "ext/secret.csv"),                                  # on a folder
    ({"sub/deep": "{elsewhere}"}, "sub/deep/secret.csv"),                        # on a folder further down
    ({"l1": "l2", "l2": "l3", "l3": "{elsewhere}/secret.csv"}, "l1"),            # a chain, inside until its end
    ({"sub/up": ".."}, "sub/up/../elsewhere/secret.csv"),                        # '..' is refused before any link
    ({"sub/up": "../.."}, "sub/up/elsewhere/secret.csv"),                        # a link to above the root
])
def test_a_link_that_leads_out_is_refused_wherever_it_stands(tree: tuple[Path, Path], links: dict[str, str],
                                                              declared: str) -> None:
    root, elsewhere = tree
    for name, target in links.items():
        (root / name).symlink_to(target.format(elsewhere=elsewhere))
    with pytest.raises(OutsideError):
        inside(root, declared)


def test_a_link_that_stays_inside_is_followed(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    (root / "alias").symlink_to("sub")
    (root / "chain").symlink_to("alias/a.csv")
    assert inside(root, "chain") == (root / "sub" / "a.csv").resolve()
    linked_root = root.parent / "linked-root"  # the folder itself may be reached through a link
    linked_root.symlink_to(root)
    assert inside(linked_root, "sub/a.csv") == (root / "sub" / "a.csv").resolve()


def test_a_declared_table_behind_a_folder_link_is_refused_at_its_metadata_line(data_copy: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(data_copy / "drug_loss.csv", elsewhere / "secret.csv")
    (data_copy / "ext").symlink_to(elsewhere)
    edit(data_copy / "metadata.yaml", "    file: drug_loss.csv", "    file: ext/secret.csv")
    line = (data_copy / "metadata.yaml").read_text(encoding="utf-8").splitlines().index("    file: ext/secret.csv") + 1
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_copy)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.column) == ("data/metadata.yaml", line, 11)
    assert "file 'ext/secret.csv' leads outside data/ through the symbolic link ext" in problem.message


def test_a_vintage_behind_a_link_is_refused_too(data_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "fee_schedule_2022.csv"
    shutil.move(data_copy / "vintages" / "fee_schedule_2022.csv", outside)
    (data_copy / "vintages" / "fee_schedule_2022.csv").symlink_to(outside)
    message = problems_for(data_copy)
    assert "data/metadata.yaml, line 80, column 15: table 'fee_schedule': file 'vintages/fee_schedule_2022.csv'" in message


def test_metadata_yaml_itself_behind_a_link_is_refused(data_copy: Path, tmp_path: Path) -> None:
    shutil.move(data_copy / "metadata.yaml", tmp_path / "metadata.yaml")
    (data_copy / "metadata.yaml").symlink_to(tmp_path / "metadata.yaml")
    assert "data/metadata.yaml: leads outside data/ through the symbolic link metadata.yaml" in problems_for(data_copy)


def test_a_file_swapped_for_a_link_after_the_declaration_was_read_is_refused_on_reading(data_copy: Path,
                                                                                      tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("x\n")
    (data_copy / "ext").symlink_to(tmp_path)
    raw, problem = read_input(data_copy / "ext" / "secret.csv", data_copy)
    assert raw is None and problem is not None
    assert str(problem).startswith("data/ext/secret.csv: leads outside data/ through the symbolic link ext")


def test_a_profile_behind_a_link_is_refused(tmp_path: Path) -> None:
    project = Project(tmp_path / "project")
    shutil.copytree(ROOT / "submissions", project.submissions_dir)
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(ROOT / "submissions" / "default.yaml", tmp_path / "elsewhere" / "x.yaml")
    (project.submissions_dir / "ext").symlink_to(tmp_path / "elsewhere")
    registry = load_registry(Project(ROOT))
    with pytest.raises(ProfileError, match="leads outside submissions/ through the symbolic link ext"):
        load_profile("ext/x", project, registry)
    with pytest.raises(ProfileError, match=r"without '\.\.'"):
        load_profile("../elsewhere/x", project, registry)


def test_a_book_file_behind_a_link_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "_static").mkdir(parents=True)
    (tmp_path / "secret.css").write_text("x")
    (book / "_static" / "a.css").symlink_to(tmp_path / "secret.css")
    with pytest.raises(DataValidationError, match=r"book/_static/a\.css: leads outside book/"):
        _inside_book(book, "_static/a.css")

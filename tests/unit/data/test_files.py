"""Files and links replaced whole (``regenpolicy.data.files``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from regenpolicy.builder.publish import LEFT_BEHIND
from regenpolicy.data.files import link_whole, store_entry, write_whole


def test_a_file_is_written_whole_into_a_new_folder(tmp_path):
    target = tmp_path / "a" / "b" / "words.json"
    write_whole(target, lambda tmp: tmp.write_text("新しい", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "新しい"
    assert sorted(p.name for p in target.parent.iterdir()) == ["words.json"]


def test_a_failed_write_leaves_the_old_file_and_no_part(tmp_path):
    target = tmp_path / "words.json"
    target.write_text("old", encoding="utf-8")

    def fails(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_whole(target, fails)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["words.json"]


def test_a_link_is_switched_in_one_step_and_leaves_nothing_beside_it(tmp_path):
    (tmp_path / "releases" / "one").mkdir(parents=True)
    (tmp_path / "releases" / "two").mkdir()
    link = tmp_path / "current"
    link_whole(link, "releases/one")
    assert str(link.readlink()) == "releases/one"
    link_whole(link, "releases/two")  # over the old link
    assert str(link.readlink()) == "releases/two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "releases"]


def test_a_link_a_killed_build_was_making_is_one_the_next_build_removes(tmp_path, monkeypatch):
    # the new link exists under its temporary name until the rename: the name the next build's sweep knows
    made = []
    real_symlink = os.symlink

    def watched(src, dst, *args, **kwargs):
        made.append(Path(dst).name)
        return real_symlink(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "symlink", watched)
    link_whole(tmp_path / "html", "current/html")
    assert len(made) == 1
    match = LEFT_BEHIND.fullmatch(made[0])
    assert match is not None and int(match.group(2)) == os.getpid()


def test_an_entry_stored_meanwhile_by_another_build_is_kept_and_an_incomplete_one_replaced(tmp_path):
    def fill(text: str):
        return lambda folder: (folder / "x.txt").write_text(text, encoding="utf-8")

    theirs = tmp_path / "theirs"
    store_entry(theirs, fill("theirs"))
    kept = (theirs / "x.txt").stat().st_ino
    store_entry(theirs, fill("ours"))  # (as a build that found no entry when it began)
    assert (theirs / "x.txt").read_text(encoding="utf-8") == "theirs" and (theirs / "x.txt").stat().st_ino == kept
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.txt").write_text("half", encoding="utf-8")  # no done mark
    store_entry(broken, fill("whole"))
    assert (broken / "x.txt").read_text(encoding="utf-8") == "whole" and (broken / "done").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "theirs"]  # no scratch folder left

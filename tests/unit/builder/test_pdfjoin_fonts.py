"""One embedded font file per typeface: the subsets Chromium embeds in each printed part, merged."""

from __future__ import annotations

import functools
import io
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from regenpolicy.builder import pdfjoin

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont


@functools.cache
def font_file() -> Path:
    found = subprocess.run(["fc-match", "-f", "%{file}", "BIZ UDPGothic"], capture_output=True, text=True).stdout
    if not found.endswith(".ttf"):
        pytest.skip("BIZ UDPGothic (TrueType) is not installed: make setup installs it")
    return Path(found)


# every character a test subsets: the tests subset a font of these alone (glyph ids kept, made once)
# rather than the installed font of ~20,000 glyphs, which took 0.2 s a subset
CHARACTERS = "再生医療価格制度 K1診療報酬（）｜gjpy"


def ttfont(source: Any) -> TTFont:
    """fontTools' TTFont (imported by the tests that read a font, not by every test process as it collects)."""
    from fontTools.ttLib import TTFont

    return TTFont(source)


def _subset(data: bytes, text: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.retain_gids = True
    font = ttfont(io.BytesIO(data))
    sub = subset.Subsetter(options)
    sub.populate(text=text)
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.cache
def characters(path: Path) -> bytes:
    """The installed font cut to CHARACTERS, glyph ids kept: the same glyphs at the same ids."""
    return _subset(path.read_bytes(), CHARACTERS)


@functools.cache  # bytes cannot change: the tests share one subset per text
def part(path: Path, text: str) -> bytes:
    """A subset as Chromium embeds it: the glyphs of ``text``, glyph ids kept."""
    assert set(text) <= set(CHARACTERS), f"add {set(text) - set(CHARACTERS)} to CHARACTERS"
    return _subset(characters(path), text)


@functools.cache
def whole_font() -> TTFont:
    """The installed font, read once (only read from)."""
    return ttfont(font_file())


def gids(font: TTFont, text: str) -> list[int]:
    """The glyph ids of ``text`` in the whole font (a subset keeps them)."""
    full = whole_font()
    cmap = full.getBestCmap()
    return [full.getGlyphID(cmap[ord(c)]) for c in text]


def test_the_subsets_of_one_font_become_one_file_with_every_glyph():
    path = font_file()
    a, b = part(path, "再生医療"), part(path, "価格制度 K1")
    data = pdfjoin.merged_font([a, b])
    assert data is not None
    font = ttfont(io.BytesIO(data))
    order = font.getGlyphOrder()
    for gid in gids(font, "再生医療価格制度K1"):
        assert font["glyf"][order[gid]].numberOfContours != 0  # each glyph of either part is there
        assert font["hmtx"][order[gid]][0] > 0
    assert len(data) < len(a) + len(b)
    assert pdfjoin.merged_font([a, b]) == data  # same parts, same bytes


def test_the_merged_font_keeps_each_glyph_as_stored_and_states_the_bounds_fonttools_computes_for_it():
    """merged_font computes from the glyphs' headers what fontTools would compute from every decompiled
    glyph (head's bounds and flag, maxp's maxima, hhea's and vhea's extremes): the same values."""
    path = font_file()
    parts = [part(path, "再生医療"), part(path, "価格 K1 gjpy"), part(path, "（診療報酬）｜")]
    data = pdfjoin.merged_font(parts)
    assert data is not None
    font = ttfont(io.BytesIO(data))
    tags = ("head", "maxp", "hhea", "vhea")
    stated = {tag: dict(vars(font[tag])) for tag in tags}
    font["maxp"].recalc(font)  # head's bounds and flags too
    font["hhea"].recalc(font)
    font["vhea"].recalc(font)
    assert {tag: dict(vars(font[tag])) for tag in tags} == stated
    assert stated["head"]["yMin"] < 0 < stated["maxp"]["maxPoints"]  # not left at zero
    merged = pdfjoin._glyph_data(font)
    for each in parts:
        for gid, stored in enumerate(pdfjoin._glyph_data(ttfont(io.BytesIO(each)))):
            if len(stored) > 10:
                assert merged[gid].rstrip(b"\0") == stored.rstrip(b"\0")  # the bytes the subset stored


def test_subsets_whose_glyph_ids_disagree_are_left_as_they_were():
    path = font_file()
    a = part(path, "再生")
    changed = ttfont(io.BytesIO(part(path, "再生")))
    order = changed.getGlyphOrder()
    first, second = gids(changed, "再生")
    changed["glyf"][order[first]] = changed["glyf"][order[second]]  # another outline at the same id
    out = io.BytesIO()
    changed.save(out)
    assert pdfjoin.merged_font([a, out.getvalue()]) is None


def test_a_font_store_merges_once_and_gives_the_same_bytes_after(tmp_path, monkeypatch):
    path = font_file()
    a, b, c = part(path, "再生医療"), part(path, "価格制度"), part(path, "診療報酬")
    store = pdfjoin.FontStore(tmp_path / "fonts")
    first = store.merged([a, b])
    assert first == pdfjoin.merged_font([a, b])
    merges: list[int] = []
    real = pdfjoin.merged_font
    monkeypatch.setattr(pdfjoin, "merged_font", lambda fonts: merges.append(len(fonts)) or real(fonts))
    again = pdfjoin.FontStore(tmp_path / "fonts")  # the next build's join
    assert again.merged([a, b]) == first and merges == []  # read back, not merged again
    assert again.merged([b, a]) is not None and merges == [2]  # another order is another input
    assert again.merged([a, c]) == real([a, c]) and merges == [2, 2]  # a changed subset: merged afresh
    assert sorted(p.suffix for p in (tmp_path / "fonts").iterdir()) == [".ttf"] * 3  # no temporary file left


def test_a_merge_that_did_not_fit_is_remembered_as_not_fitting(tmp_path, monkeypatch):
    path = font_file()
    a = part(path, "再生")
    changed = ttfont(io.BytesIO(part(path, "再生")))
    order = changed.getGlyphOrder()
    first, second = gids(changed, "再生")
    changed["glyf"][order[first]] = changed["glyf"][order[second]]
    out = io.BytesIO()
    changed.save(out)
    assert pdfjoin.FontStore(tmp_path).merged([a, out.getvalue()]) is None
    monkeypatch.setattr(pdfjoin, "merged_font", lambda fonts: pytest.fail("merged again"))
    assert pdfjoin.FontStore(tmp_path).merged([a, out.getvalue()]) is None


def test_pruning_forgets_only_old_files_no_join_used(tmp_path):
    import os

    path = font_file()
    a, b = part(path, "再生"), part(path, "医療")
    old = pdfjoin.FontStore(tmp_path)
    old.merged([a, b])
    old.merged([b, a])
    for f in tmp_path.iterdir():
        os.utime(f, (1, 1))  # last used long ago
    store = pdfjoin.FontStore(tmp_path)
    kept = store.merged([a, b])  # used (and touched) by this join
    store.prune()
    assert [f.read_bytes() for f in tmp_path.iterdir()] == [kept]

"""The charts' font cut down to the build's characters: the same SVG and PNG, from a smaller font file."""

from __future__ import annotations

import json

import pytest

from regenpolicy.presentation import draw, fonts
from regenpolicy.presentation.fonts import FONT

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"k": "市場規模", "v": 1.5}, {"k": "再生医療", "v": -2.25}, {"k": FONT, "v": 3}]},
    "mark": "bar",
    "encoding": {"x": {"field": "k", "type": "nominal", "title": "区分"},
                 "y": {"field": "v", "type": "quantitative", "title": "金額（億円）"}},  # −2 is drawn with U+2212
    "title": {"text": "テスト", "subtitle": "注：仮定値"},
    "config": {"font": FONT, "axis": {"labelFont": FONT}},
}
TEXT = "".join(sorted(set(json.dumps(SPEC, ensure_ascii=False))))


def cmap(path) -> set[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path) as font:
        return set(font.getBestCmap())


@pytest.fixture(scope="module")
def subset(tmp_path_factory):
    """A cache holding the subset for TEXT (made once: about a second), and that subset's folder."""
    cache = tmp_path_factory.mktemp("fonts") / "cache"
    folder = draw.make_subset(FONT, TEXT, cache)
    assert folder is not None
    return cache, folder


def test_a_subset_holds_the_text_under_a_family_name_of_its_own(subset, monkeypatch):
    from fontTools.ttLib import TTFont

    cache, folder = subset
    assert (folder / "done").exists()
    about = json.loads((folder / "subset.json").read_text(encoding="utf-8"))
    assert about["family"] == FONT and about["alias"].startswith("RegenSubset")
    assert set(TEXT) | fonts.DRAWN_BESIDES == set(about["chars"])
    files = sorted(folder.glob("*.ttf"))
    assert len(files) == 2  # BIZ UDPGothic's regular and bold
    for path in files:
        with TTFont(path) as font:
            assert {r.toUnicode() for r in font["name"].names if r.nameID in (1, 16)} == {about["alias"]}
        codes = cmap(path)
        assert {ord(c) for c in "市場規模再生医療区分金額億円テスト注仮定値−…"} <= codes
        assert ord("鬱") not in codes  # in the full font, not in the text
        assert path.stat().st_size < 1_000_000  # the full font: 4.6 MB
    monkeypatch.setattr(fonts, "subset_font", lambda *a: pytest.fail("made again"))
    assert draw.make_subset(FONT, TEXT, cache) == folder  # kept in the cache
    assert draw.make_subset("No Such Gothic", TEXT, cache) is None


def test_a_chart_drawn_with_the_subset_is_the_full_fonts_bytes(subset, monkeypatch):
    import vl_convert as vlc

    full_svg = draw.to_svg(SPEC)
    full_png = draw.to_png(full_svg)
    odd = {**SPEC, "title": {"text": "鬱"}}  # a character the subset lacks: the full font draws it
    odd_svg = draw.to_svg(odd)
    _, folder = subset
    monkeypatch.setattr(draw, "_SUBSET", [])  # (this process's subset, for this test only)
    asked: list[str] = []
    real = vlc.vegalite_to_svg
    monkeypatch.setattr(vlc, "vegalite_to_svg", lambda text: asked.append(text) or real(text))
    draw.use_subset(folder)
    alias = draw._SUBSET[0].alias
    svg = draw.to_svg(SPEC)
    assert svg == full_svg and alias in asked[-1] and alias not in svg
    assert draw.to_png(svg) == full_png
    assert draw.to_svg(odd) == odd_svg and alias not in asked[-1]


def test_only_fonts_are_renamed_not_data_or_text():
    renamed = draw._renamed(SPEC, FONT, "Alias")
    assert renamed["config"] == {"font": "Alias", "axis": {"labelFont": "Alias"}}
    assert renamed["data"] == SPEC["data"]  # a cell that reads like the font's name stays as it is
    svg = f'<text font-family="{FONT}" x="1">{FONT}</text>'
    assert draw._families(svg, FONT, "Alias") == f'<text font-family="Alias" x="1">{FONT}</text>'
    assert draw._drawn_text('<g><text>A&amp;b</text><text>市</text></g>') == set("A&b市")


def test_the_drawers_workers_draw_with_the_subset_the_same_files(subset, tmp_path):
    cache, folder = subset
    frame = tmp_path / "Z8.figure.json"
    frame.write_text(json.dumps({"id": "Z8", "columns": ["k"], "rows": [["x"]], "about": [], "print": SPEC,
                                 "image": SPEC}, ensure_ascii=False), encoding="utf-8")
    draw.draw(frame, tmp_path / "full", tmp_path / "cache-full")  # here, with the full font
    drawer = draw.Drawer(cache, workers=1, text=lambda: TEXT)
    try:
        drawer.figure(frame, tmp_path / "sub", png=True)
        assert drawer.wait() == (1, 1)
        assert drawer.subset() == folder  # (the build's deck draws its pictures with it too)
    finally:
        drawer.close()
    assert list((cache / "fonts").glob("*/done")) == [folder / "done"]  # found by the worker
    for name in ("Z8.svg", "Z8.png"):
        assert (tmp_path / "sub" / name).read_bytes() == (tmp_path / "full" / name).read_bytes()
    assert draw.print_png(frame, cache)[1] is False  # the deck's picture: drawn by the worker

"""regenpolicy.presentation.deck: the slide model is pure (declaration + glue + figure data → slides),
headlines glue their numbers exactly as the site's {glue:text} role formats them, charts map onto
PowerPoint's only when the published data says the same, and what cannot fit is refused."""

from __future__ import annotations

import pytest

from regenpolicy.presentation import deck as d

NUMBERS = {"m1": {"m1_total_first": 6812.0, "m1_total_last": 117018.0, "m1_first_year": 2020, "m1_cagr": 0.2599}}
EDITION = d.Edition("e-1", "再生医療等製品の持続的な患者アクセスに向けて", "2023-07", "FIRM")
SPEC = {"layer": [
    {"mark": {"type": "bar"}, "encoding": {"x": {"field": "year", "type": "ordinal"},
                                           "y": {"field": "value", "type": "quantitative", "aggregate": "sum"},
                                           "color": {"field": "modality", "type": "nominal"}}},
    {"mark": "text", "encoding": {"x": {"field": "year", "type": "ordinal"}, "y": {"field": "total", "type": "quantitative"}}},
]}
DATA = [{"year": "2020", "modality": "細胞", "value": "10"}, {"year": "2020", "modality": "遺伝子", "value": "5"},
        {"year": "2025", "modality": "細胞", "value": "20"}, {"year": "2025", "modality": "遺伝子", "value": "7.5"}]


def info(fig: str = "M1", *, table: bool = False, headline: str | None = None) -> d.FigureInfo:
    return d.FigureInfo(
        id=fig, notebook="m1", headline=headline or "市場は{m1_first_year}年の{m1_total_first:,.0f}億円から{m1_total_last:,.0f}億円へ",
        is_table=table, heading=f"図 {fig} 市場", source="FIRM「資料」（2023）", unit="億円",
        columns=["製品", "モダリティ"], rows=[["ジェイス", "組織移植"]] * (40 if table else 1),
        spec=None if table else SPEC, data=None if table else DATA)


def deck(*slides: dict, **kw) -> d.DeckFile:
    return d.DeckFile.model_validate({"meeting": "中医協 薬価専門部会", "slides": list(slides), **kw})


def test_headline_glues_numbers_as_the_site_formats_them():
    text, glued = d.fill_headline("市場は{m1_first_year}年の{m1_total_first:,.0f}億円、年率{m1_cagr:.1%}", NUMBERS["m1"])
    assert text == "市場は2020年の6,812億円、年率26.0%"
    assert glued == [("m1_first_year", "2020"), ("m1_total_first", "6,812"), ("m1_cagr", "26.0%")]


@pytest.mark.parametrize(("template", "message"), [
    ("市場は10兆円を超える", "never typed"),  # a typed number
    ("市場は１０兆円", "never typed"),  # full-width digits too
    ("市場は{m1_nope:,.0f}億円", "'m1_nope' is not a glue key"),
    ("市場は{m1_total_last:,.0q}億円", "not a number format"),
    ("市場は{m1_total_last!r}", "not a glue key placeholder"),
    ("市場は{0}", "not a glue key placeholder"),
])
def test_headline_problems(template, message):
    problems = d.headline_problems(template, list(NUMBERS["m1"]))
    assert problems and any(message in p for p in problems)


def test_headline_without_problems():
    assert d.headline_problems("市場は{m1_total_last:,.0f}億円", list(NUMBERS["m1"])) == []


def test_slides_in_declared_order_with_footer():
    form = deck({"slide": "title"}, {"slide": "agenda"}, {"slide": "section", "title": "市場"},
                {"slide": "figure", "figure": "M1"}, {"slide": "proposals", "items": ["第一案", "第二案"]},
                {"slide": "closing"}, {"slide": "appendix"})
    out = d.slides(form, EDITION, {"M1": info()}, NUMBERS, [["P1", "割引率", "0.02", "—", "仮定"]])
    assert [s.kind for s in out] == ["title", "agenda", "section", "figure", "proposals", "closing", "appendix"]
    assert [s.number for s in out] == list(range(1, 8))
    fig = out[3]
    assert fig.title == "市場は2020年の6,812億円から117,018億円へ"
    footer = [t.text for t in fig.texts if t.role == "footer"]
    assert footer == ["図 M1", "e-1（2023-07）", "4 / 7"]
    assert any(t.text.startswith("出所：FIRM") for t in fig.texts)
    agenda = next(t for t in out[1].texts if t.role == "item")
    assert agenda.text == "1．市場"


def test_native_chart_series_are_the_published_data():
    chart = d.native_chart(SPEC, DATA)
    assert chart is not None and chart.kind == "column_stacked"
    assert chart.categories == ["2020", "2025"]
    assert chart.series == [("細胞", [10.0, 20.0]), ("遺伝子", [5.0, 7.5])]


@pytest.mark.parametrize("change", [
    lambda s: s["layer"][0]["encoding"].update(x2={"field": "value"}),  # range bars (tornado)
    lambda s: s["layer"][0]["encoding"]["y"].update(field="not_published"),  # a field the data does not have
    lambda s: s["layer"][0].update(transform=[{"filter": "datum.value > 0"}]),
    lambda s: s["layer"].append({"mark": "line", "encoding": {"x": {"field": "year"}, "y": {"field": "value"}}}),
])
def test_charts_that_do_not_map_are_pictures(change):
    import copy

    spec = copy.deepcopy(SPEC)
    change(spec)
    assert d.native_chart(spec, DATA) is None


def test_line_and_scatter_map():
    line = {"mark": "line", "encoding": {"x": {"field": "year", "type": "ordinal"},
                                         "y": {"field": "value", "type": "quantitative"},
                                         "color": {"field": "modality", "type": "nominal"}}}
    chart = d.native_chart(line, DATA)
    assert chart is not None and chart.kind == "line" and chart.series[1] == ("遺伝子", [5.0, 7.5])
    scatter = {"mark": "point", "encoding": {"x": {"field": "year", "type": "quantitative"},
                                             "y": {"field": "value", "type": "quantitative"}}}
    chart = d.native_chart(scatter, DATA)
    assert chart is not None and chart.kind == "scatter" and chart.xs == [[2020.0, 2020.0, 2025.0, 2025.0]]


def test_declared_native_chart_that_cannot_map_is_refused():
    form = deck({"slide": "figure", "figure": "M1", "chart": "native"})
    spec_less = info()
    spec_less = d.FigureInfo(**{**spec_less.__dict__, "data": [{"other": 1}]})
    with pytest.raises(d.DeckError, match="does not map onto a PowerPoint chart"):
        d.slides(form, EDITION, {"M1": spec_less}, NUMBERS)


def test_long_table_continues_on_more_slides_and_every_row_is_shown():
    form = deck({"slide": "figure", "figure": "A2"})
    out = d.slides(form, EDITION, {"A2": info("A2", table=True)}, NUMBERS)
    assert len(out) >= 1 and all(s.kind == "table" for s in out)
    assert sum(len(s.table.rows) for s in out) == 40
    assert all(s.declared == 0 for s in out)


def test_text_fit_estimate():
    box = d.Box(0, 0, 2.0, 0.5)
    assert d.fits("あ" * 10, box, 12)  # 10 em × 12 pt = 1.67 in: one line
    assert not d.fits("あ" * 100, box, 12)
    assert d.wrapped_lines("あ" * 30, 2.0, 12) == 3


FIGURES = {"M1": ("市場は{m1_total_last:,.0f}億円", ["m1_total_last"]), "T1": (None, [])}


@pytest.mark.parametrize(("slides", "path", "message"), [
    ([{"slide": "figure", "figure": "Z9"}], ("deck", "slides", 0, "figure"), "unknown figure id 'Z9'"),
    ([{"slide": "figure", "figure": "T1"}], ("deck", "slides", 0), "declares no headline"),
    ([{"slide": "figure", "figure": "M1", "headline": "市場は２兆円"}], ("deck", "slides", 0, "headline"), "never typed"),
    ([{"slide": "figure", "figure": "M1", "headline": "長い" * 120}], ("deck", "slides", 0, "headline"), "cannot fit"),
    ([{"slide": "section", "title": "章" * 150}], ("deck", "slides", 0, "title"), "cannot fit"),
    ([{"slide": "agenda"}], ("deck", "slides", 0), "has none"),
    ([{"slide": "proposals", "items": ["案" * 390] * 6}], ("deck", "slides", 0, "items", 0), "cannot fit"),
])
def test_declaration_problems(slides, path, message):
    problems = d.declaration_problems(deck(*slides), FIGURES, ["M1", "T1"], "題")
    assert any(p.path == path and message in p.message for p in problems), problems


def test_figure_outside_the_edition_is_refused():
    problems = d.declaration_problems(deck({"slide": "figure", "figure": "M1"}), FIGURES, ["T1"], "題")
    assert problems[0].message == "figure M1 is not in this edition's 'figures:'"


@pytest.mark.parametrize("bad", [
    {"slide": "section", "title": "   "},  # empty title
    {"slide": "section", "title": "a\x1bb"},
    {"slide": "closing", "title": ""},
    {"slide": "what"},
    {"slide": "figure", "figure": "m1"},
])
def test_form_refuses(bad):
    with pytest.raises(ValueError):
        deck(bad)


def test_native_chart_keeps_the_figures_colours():
    import copy

    spec = copy.deepcopy(SPEC)
    spec["layer"][0]["encoding"]["color"]["scale"] = {"domain": ["遺伝子", "細胞"], "range": ["#e07b39", "#1f5f8b"]}
    chart = d.native_chart(spec, DATA)
    assert chart is not None and chart.colors == ["1f5f8b", "e07b39"]  # in the series' order


def test_a_row_taller_than_a_slide_continues_on_the_next_and_nothing_is_left_out():
    long = "あ" * 6000
    fig = d.FigureInfo(**{**info("T9", table=True).__dict__, "rows": [["短い", long], ["次", "行"]]})
    out = d.slides(deck({"slide": "figure", "figure": "T9"}), EDITION, {"T9": fig}, NUMBERS)
    assert len(out) > 1
    cells = [r[1] for s in out for r in s.table.rows]
    assert "".join(cells[:-1]) == long and cells[-1] == "行"
    for s in out:  # every piece fits its slide by the same estimate
        widths = s.table.widths
        height = sum(max(d.wrapped_lines(c, s.body.w * w - d.CELL_PAD, s.table.size) for c, w in zip(r, widths, strict=True))
                     * s.table.size * d.LINE * d.POINT + 0.08 for r in [s.table.columns, *s.table.rows])
        assert height <= s.body.h


def test_a_source_too_long_for_the_foot_is_named_by_publisher_and_given_whole_in_the_notes():
    source = "；".join(f"出版者{n}「" + "長い題名" * 40 + "」（2023）" for n in range(8))
    fig = d.FigureInfo(**{**info().__dict__, "source": source})
    (slide,) = d.slides(deck({"slide": "figure", "figure": "M1"}), EDITION, {"M1": fig}, NUMBERS)
    foot = next(t.text for t in slide.texts if t.role == "source")
    assert foot == "出所：" + "；".join(f"出版者{n}" for n in range(6)) + "；ほか2件（全文はノート）"
    assert source in slide.notes


def test_a_long_edition_title_gets_a_smaller_font_on_the_title_slide():
    edition = d.Edition("e", "題" * 600, "2026", "")
    (slide,) = d.slides(deck({"slide": "title"}), edition, {}, NUMBERS)
    title = next(t for t in slide.texts if t.role == "title")
    assert title.text == "題" * 600 and title.size < 20 and d.fits(title.text, title.box, title.size)


def test_a_table_longer_than_twelve_slides_continues_in_the_notes():
    rows = [[f"行{n}", "あ" * 300] for n in range(200)]
    fig = d.FigureInfo(**{**info("T9", table=True).__dict__, "rows": rows})
    out = d.slides(deck({"slide": "figure", "figure": "T9"}), EDITION, {"T9": fig}, NUMBERS)
    assert len(out) == d.MAX_PIECES
    shown = [r[0] for s in out for r in s.table.rows]
    rest = out[-1].notes.split("出所：FIRM「資料」（2023）\n", 1)[1].splitlines()[1:]
    assert shown + [line.split("\t")[0] for line in rest] == [r[0] for r in rows]  # every row, once
    assert d.MORE in next(t.text for t in out[-1].texts if t.role == "caption")


def test_bars_on_a_year_scale_are_native_only_where_the_years_are_evenly_spaced():
    import copy

    spec = copy.deepcopy(SPEC)
    spec["layer"][0]["encoding"]["x"].update(type="quantitative")
    chart = d.native_chart(spec, DATA)  # 2020 and 2025: one step, so a category axis places them truly
    assert chart is not None and chart.categories == ["2020", "2025"]
    uneven = [*DATA, {**DATA[0], "year": 2026}]  # 2020, 2025, 2026: a category axis would put 2026 a step after 2025
    assert d.native_chart(spec, uneven) is None

"""A profile's ``deck:`` is checked with the rest of the profile, before anything runs: an unknown
figure, an empty title or a text that cannot fit is a problem at its file, line and column."""

from __future__ import annotations

import pytest

from regenpolicy.builder.profile import ProfileError, all_profiles, load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.presentation import deck as d
from tests.conftest import ROOT

PROJECT = Project(ROOT)
REGISTRY = load_registry(PROJECT)
HEAD = "id: x\ntitle: t\ndate: 2026-01-01\nfigures: [M1, T1]\ndeck:\n  meeting: 中医協\n  slides:\n"


def problem(tmp_path, slides: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + slides, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path, PROJECT, REGISTRY)
    return str(info.value)


@pytest.mark.parametrize(("slides", "where"), [
    ("    - {slide: figure, figure: Z9}\n", "line 8, column 31: deck.slides.0.figure: unknown figure id 'Z9'"),
    ("    - {slide: title}\n    - {slide: figure, figure: D1}\n",
     "line 9, column 31: deck.slides.1.figure: figure D1 is not in this edition's 'figures:'"),
    ("    - {slide: section, title: '  '}\n", "line 8, column 31: deck.slides.0.title: must not be empty"),
    ("    - {slide: figure, figure: M1, headline: '市場は10兆円'}\n", "line 8, column 45: deck.slides.0.headline: "
     "a headline's numbers are glued, never typed"),
    ("    - {slide: figure, figure: M1, headline: '{m1_nope}'}\n", "'m1_nope' is not a glue key of the figure's notebook"),
    ("    - slide: section\n      title: " + "長" * 300 + "\n", "line 9, column 14: deck.slides.0.title: the title cannot fit"),
    ("    - {slide: figure, figure: M1, chart: pie}\n", "line 8, column 42: deck.slides.0.chart:"),
    ("    - {slide: nope}\n", "line 8, column 7: deck.slides.0"),
])
def test_deck_problems_at_file_line_column(tmp_path, slides, where):
    message = problem(tmp_path, slides)
    assert "p.yaml" in message and where in message, message


def test_every_shipped_profile_has_a_deck():
    for profile in all_profiles(PROJECT, REGISTRY):
        assert profile.deck is not None and profile.deck.slides
        figures = [s.figure for s in profile.deck.slides if isinstance(s, d.FigureSlide)]
        assert figures and all(f in (profile.figures or REGISTRY.figures) for f in figures)
        known = {f: (s.figures[f].headline, s.glue) for f, n in REGISTRY.figures.items() for s in [REGISTRY.steps[n]]}
        assert d.declaration_problems(profile.deck, known, profile.figures or list(known), profile.title) == []


def test_firm_deck_follows_the_seed():
    profile = load_profile("firm-2023-07", PROJECT, REGISTRY)
    assert profile.deck is not None
    figures = [s.figure for s in profile.deck.slides if isinstance(s, d.FigureSlide)]
    assert figures[:4] == ["M1", "M2", "M3", "D1"]  # the seed's first charts, in its order
    assert figures[-4:] == ["P1", "P1-TOR", "P2", "Q1"]  # the proposals' workings, as the seed's 参考資料


def test_the_appendix_lists_each_assumption_with_the_label_and_unit_its_model_declares(shipped):
    from regenpolicy.builder.deck import assumptions
    from regenpolicy.models.reimbursement import K1Data

    rows = assumptions(shipped, ["K1"])
    frame = shipped["model_parameters"]
    expected = frame[(frame["model"] == "K1") & (frame["status"] == "assumption")]
    assert len(rows) == len(expected) > 0
    days_max = next(r for r in rows if r[1] == K1Data.specs()["days_max"].label)
    assert days_max[0] == "K1" and days_max[3] == "日"

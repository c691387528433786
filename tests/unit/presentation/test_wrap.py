"""The caption lines drawn into a chart's PNG/SVG download: Japanese line breaking (kinsoku) and
no token (a number, a word, a short parenthesised group) broken across lines."""

from __future__ import annotations

import re

import pytest

from regenpolicy.presentation import downloads
from regenpolicy.presentation.figures import format_source, source_text

# a line may not end inside a run of half-width letters, digits and signs (1,800 / 20/25 / 2025-01-15)
TOKEN_END = re.compile(r"[0-9A-Za-z,./%(\-]$")
TOKEN_START = re.compile(r"^[0-9A-Za-z,./%)\-]")


def broken_rules(lines: list[str], text: str, columns: int) -> list[str]:
    """What is wrong with ``lines`` as a wrapping of ``text``: a line too wide, a forbidden first or
    last character, a token cut, or text lost (only spaces at a break may go)."""
    bad = []
    at = 0  # where each line starts in the text (a space at a break is dropped)
    for n, line in enumerate(lines):
        start = text.find(line, at)
        if start < 0 or text[at:start].strip():
            return [f"line {n} is not the text that follows: {line!r}"]
        if n > 0 and start == at and TOKEN_END.search(lines[n - 1]) and TOKEN_START.match(line):
            bad.append(f"a token is cut between {lines[n - 1]!r} and {line!r}")
        at = start + len(line)
        if sum(2 if ord(c) > 0x2000 else 1 for c in line) > columns:
            bad.append(f"line {n} wider than {columns}: {line!r}")
        if n > 0 and line and line[0] in downloads.NO_START:
            bad.append(f"line {n} starts with {line[0]!r}: {line!r}")
        if n < len(lines) - 1 and line and line[-1] in downloads.NO_END:
            bad.append(f"line {n} ends with {line[-1]!r}: {line!r}")
    if text[at:].strip():
        bad.append(f"text lost at the end: {text[at:]!r}")
    return bad


@pytest.mark.parametrize(("text", "columns", "expected"), [
    # the reported cases: "(20/25)" and "（1,800億円）" were cut, lines started with 。 and 」
    ("承認品目（20/25）は、市場（1,800億円）の拡大に寄与する。", 20,
     ["承認品目（20/25）", "は、市場", "（1,800億円）の拡大", "に寄与する。"]),
    ("累計（20/25）", 10, ["累計", "（20/25）"]),
    ("ああああ(20/25)", 12, ["ああああ", "(20/25)"]),
    ("市場規模は1,800億円", 14, ["市場規模は", "1,800億円"]),
    ("厚生労働省告示第54号 診療報酬", 18, ["厚生労働省告示", "第54号 診療報酬"]),
    ("あああ「いい」。", 12, ["あああ「い", "い」。"]),
    ("ああああ「いい」", 10, ["ああああ", "「いい」"]),
    ("あいうえおかきくけ。", 18, ["あいうえおかきく", "け。"]),
    ("あいうえおかきくけ」、", 18, ["あいうえおかきく", "け」、"]),
    ("ミニコンピューター", 10, ["ミニコン", "ピューター"]),
    ("as of 2025-01-15 data", 12, ["as of", "2025-01-15", "data"]),
    ("あ" * 60, 100, ["あ" * 50, "あ" * 10]),
])
def test_captions_break_between_tokens_and_follow_kinsoku(text, columns, expected):
    lines = downloads.wrap(text, columns)
    assert lines == expected
    assert broken_rules(lines, text, columns) == []


def test_a_token_wider_than_a_line_is_cut_by_width_and_nothing_is_lost():
    lines = downloads.wrap("a" * 150, 100)
    assert lines == ["a" * 100, "a" * 50]
    assert broken_rules(lines, "a" * 150, 100) == ["a token is cut between " + repr("a" * 100) + " and " + repr("a" * 50)]


def test_every_source_and_note_the_data_can_print_wraps_cleanly(shipped):
    """Every 出所 line a figure can carry (each source alone, and all of them together, as a figure
    citing every source would show them) and the notes' forms, at the image's widths."""
    sources = shipped["sources"]
    texts = [f"出所：{format_source(row)}" for _, row in sources.iterrows()]
    texts.append(f"出所：{source_text(sources)}")
    texts += [f"注：推計値を含む（{n}件）。仮定を含む（{n}件）。" for n in (1, 12, 1234)]
    for text in texts:
        for columns in (100, 90, 60):
            lines = downloads.wrap(text, columns)
            assert broken_rules(lines, text, columns) == [], (text, lines)

"""Every YAML input is read bounded, without aliases, and keeps the positions of its parts."""

from __future__ import annotations

import tracemalloc

import pytest

from regenpolicy.data.yamlfile import YamlError, load_yaml


def test_values_and_positions() -> None:
    doc = load_yaml(b"id: a\nparameters:\n  k1:\n    patients: 5\nfigures: [K1, M1]\n")
    assert doc.value == {"id": "a", "parameters": {"k1": {"patients": 5}}, "figures": ["K1", "M1"]}
    assert doc.position(("parameters", "k1", "patients")) == (4, 15)
    assert doc.position(("figures", 1)) == (5, 15)
    # a missing key is placed at the deepest part the file spells out
    assert doc.position(("parameters", "k1", "nope")) == (4, 5)


@pytest.mark.parametrize("text, line, column, words", [
    ("a: &x [1, 2]\nb: *x\n", 1, 4, "anchors"),
    ("a: [1, 2]\nb: *x\n", 2, 4, "alias"),  # an alias with no anchor is refused where it stands
    ("id: a\nid2: [unclosed\n", 3, 1, "not valid YAML"),
])
def test_refused_with_line_and_column(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml(text.encode())
    assert (info.value.problem.line, info.value.problem.column) == (line, column)
    assert words in info.value.problem.message


def test_billion_laughs_is_refused_at_once() -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i-1}'] * 9)}]" for i in range(1, 10)]
    tracemalloc.start()
    try:
        with pytest.raises(YamlError, match="anchors"):
            load_yaml("\n".join(levels).encode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000  # refused before anything expands (9**10 references would need gigabytes)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(YamlError, match="nest"):
        load_yaml(("[" * 5000 + "]" * 5000).encode())


def test_shift_jis_is_refused_with_the_position_of_the_first_bad_byte() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml("id: a\ntitle: 再生医療\n".encode("cp932"))
    assert (info.value.problem.line, info.value.problem.column) == (2, 8)
    assert "UTF-8" in info.value.problem.message


def test_size_and_count_bounds() -> None:
    with pytest.raises(YamlError, match="larger than"):
        load_yaml(b"a: b\n" * 10, max_bytes=20)
    with pytest.raises(YamlError, match="more than 50 values"):
        load_yaml(("[" + ", ".join(["1"] * 100) + "]").encode(), max_nodes=50)


def test_a_document_parsed_again_gives_each_caller_its_own_value() -> None:
    first = load_yaml(b"a: [1, 2]\n")
    first.value["a"].append(3)
    again = load_yaml(b"a: [1, 2]\n")
    assert again.value == {"a": [1, 2]} and again.position(["a"]) == (1, 4)

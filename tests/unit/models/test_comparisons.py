"""regenpolicy.models.comparisons (T1–T5): the comparison tables.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

from regenpolicy.models import comparisons


def test_text_tables(shipped):
    t1 = comparisons.cost_structure(shipped, comparisons.T1Parameters())
    assert len(t1.rows) == 18 and list(t1.rows["version"][:2]) == ["2025", "2023"]
    t4 = comparisons.access_issues(shipped, comparisons.T4Parameters())
    assert len(t4.rows) == 8
    tt = comparisons.european_systems(shipped, comparisons.T2T3Parameters(show_japan=False))
    assert "日本" not in set(tt.hta["country"]) and len(tt.france) == 4
    assert comparisons.bullets("a；b") == "・a\n・b"

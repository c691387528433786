"""regenpolicy.models.catalog (the data appendix Z1, the seed coverage Z2).

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

from regenpolicy.models import (
    catalog,
    comparisons,
)


def test_catalog_counts_every_table(shipped):
    x = catalog.catalog(shipped, catalog.CatalogParameters())
    assert x.numbers["x_tables"] == len(shipped.tables) == len(x.summary)


# --- 7. missing seed content ----------------------------------------------------------------------
def test_missing_seed_content_is_added_or_listed(shipped):
    cov = catalog.seed_coverage(shipped, catalog.CoverageParameters())
    rows = cov.rows.set_index("statement_id")
    assert rows.loc["jri_processes", "quote"] == "全体を通じて、更に500以上のプロセスが存在"
    assert rows.loc["firm_ips_papers", "quote"] == "iPS細胞論文数：日本 世界2位"
    assert rows.loc["firm_ips_patents", "quote"] == "iPS細胞特許数：日本 世界2位"
    assert rows.loc["jri_access", "coverage"] == "図表で再現" and rows.loc["jri_access", "where_ja"] == "表 T5"
    assert rows.loc["firm_a3_modality", "coverage"] == "再現せず" and "読み取れない" in rows.loc["firm_a3_modality", "note"]
    assert cov.numbers["s_not_reproduced"] == 1
    t5 = comparisons.cart_access(shipped, comparisons.T5Parameters())
    assert (t5.numbers["t5_issues"], t5.numbers["t5_measures"]) == (9, 5)
    assert "アフェレーシスが順番待ち" in " ".join(t5.rows["text"])

"""regenpolicy.models.checks: printed numbers against the models' own numbers, as each figure declares."""

from __future__ import annotations

import ast
import shutil

from regenpolicy.builder.profile import load_profile, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import load_dataset
from regenpolicy.models.checks import printed_value_problems
from regenpolicy.models.declaration import read_declaration
from tests.conftest import ROOT, edit

DECLARATIONS = list(load_registry(Project(ROOT)).steps.values())


def test_editing_m1s_total_alone_is_refused_at_its_file_line_and_column(data_copy):
    """"segments do not add up… vs printed 120000.0" once named no file and no line."""
    text = (data_copy / "market_global_total.csv").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("2020,"))
    edit(data_copy / "market_global_total.csv", "2020,", "2020,1")
    line = text.splitlines().index(row) + 1
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    assert any(p.startswith(f"data/market_global_total.csv, line {line}, column 'total_oku_yen': the modality "
                            f"segments (market_global_modality.csv) do not add up") and "2020: segments" in p
               for p in problems), problems


def test_a_cumulative_count_that_is_not_the_running_sum_names_its_row(data_copy):
    text = (data_copy / "launch_forecast.csv").read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    cumulative = header.split(",").index("cumulative")
    last = rows[-1].split(",")
    last[cumulative] = str(int(last[cumulative]) + 1)
    edit(data_copy / "launch_forecast.csv", rows[-1], ",".join(last))
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    assert any(p.startswith(f"data/launch_forecast.csv, line {len(rows) + 1}, column 'cumulative': cumulative")
               for p in problems), problems


def test_every_refusal_of_inconsistent_data_names_the_row_and_column():
    """A search of the code: every ``raise Inconsistent(table, message, row, column)`` gives the row
    and column at fault (the build turns them into the file's line and column)."""
    found = []
    for path in (ROOT / "regenpolicy").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "Inconsistent" not in source:  # (a module that does not name it cannot raise it: not parsed)
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    getattr(node.exc.func, "id", None) == "Inconsistent":
                given = len(node.exc.args) + len({k.arg for k in node.exc.keywords} & {"row", "column"})
                found.append((path.name, node.lineno, given))
    assert len(found) >= 4
    assert [f for f in found if f[2] < 4] == []


def test_a_check_of_a_headline_not_printed_names_the_declarations_line(shipped, tmp_path):
    for suffix in (".md", ".yml"):
        shutil.copy(ROOT / "notebooks" / f"m1_market{suffix}", tmp_path / f"m1_market{suffix}")
    edit(tmp_path / "m1_market.yml", "{printed: cagr_2020_2030,", "{printed: cagr_2020_2031,")
    problems = [str(p) for p in printed_value_problems(shipped, [read_declaration(tmp_path / "m1_market.md")])]
    declared = (tmp_path / "m1_market.yml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(declared, start=1) if "printed: cagr_2020_2031" in text)
    assert problems == [f"{tmp_path.name}/m1_market.yml, line {line}, column "
                        f"{declared[line - 1].index('cagr') + 1}: M1 cagr_2020_2031: no such printed headline in "
                        f"data/printed_headlines.csv"]


DECLARATIONS = list(load_registry(Project(ROOT)).steps.values())


def test_printed_values_hold_for_the_shipped_data(shipped):
    assert printed_value_problems(shipped, DECLARATIONS) == []


def test_a_count_that_no_longer_gives_the_printed_percentage_stops_the_build(data_copy):
    edit(data_copy / "drug_loss.csv", "approved,日本で上市済みもしくは開発中,上市済み,17", "approved,日本で上市済みもしくは開発中,上市済み,20")
    problems = [str(p) for p in printed_value_problems(load_dataset(data_copy), DECLARATIONS)]
    assert any(p.startswith("data/printed_headlines.csv, line 7, column 'value': D1 approved_japan_total: "
                            "the seed prints 19 but the data give 22") for p in problems), problems


# --- the next submission --------------------------------------------------------------------------
def test_the_2026_11_edition_runs_on_the_fy2026_rules(shipped):
    project = Project(ROOT)
    registry = load_registry(project)
    profile = load_profile("2026-11", project, registry)
    settings = resolve_parameters(profile, registry, shipped).settings
    assert (settings.fee_revision, settings.price_rules, settings.billing) == (2026, 2026, "出来高")
    previous = load_profile("jri-2025", project, registry)
    assert previous.date < profile.date < load_profile("default", project, registry).date  # compared with jri-2025
    assert {"K1", "C2-RP", "E1", "P1", "T5"} <= set(profile.figures or [])

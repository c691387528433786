"""Editions: profiles, data vintages, "what changed", the reproducibility stamp and the site."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from regenpolicy import data, editions
from regenpolicy.data import DataValidationError
from regenpolicy.profile import Profile, ProfileError, load_profile
from tests.conftest import ROOT, run_build


def profile_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- profile validation ------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("id: x\ntitle: t\ndate: 2025\nfigures: [M1, Z9]\n", "unknown figure id(s) Z9"),
    ("id: x\ntitle: t\ndate: 2025\nparameters:\n  k1_fee_gap:\n    fee_revision: '2024'\n",
     "parameters.k1_fee_gap.fee_revision: expected a value like 2022 (int), got '2024'"),
    ("id: x\ntitle: t\ndate: 2025\nparameters:\n  k1_fee_gap:\n    revision: 2024\n",
     "parameters.k1_fee_gap.revision: the notebook has no such parameter"),
    ("id: x\ntitle: t\ndate: 2025\naudiences: x\n", "unknown key(s) audiences"),
    ("id: x\ntitle: t\n", "'date' is required"),
    ("id: x\ntitle: t\ndate: 2025-13\n", "date '2025-13' must be a date"),
    ("id: X y\ntitle: t\ndate: 2025\n", "id 'X y' must be lowercase"),
    ("id: x\ntitle: t\ndate: 2025\nlanguage: en\n", "language 'en' is not available"),
])
def test_profile_errors_name_the_file_and_key(tmp_path, text, message):
    with pytest.raises(ProfileError) as info:
        load_profile(profile_file(tmp_path, text))
    assert message in str(info.value) and "p.yaml" in str(info.value)


def test_unknown_table_version():
    with pytest.raises(DataValidationError, match=r"table 'fee_schedule' has no version '1999'; declared versions: current, 2022"):
        data.load_dataset(versions={"fee_schedule": "1999"})
    with pytest.raises(DataValidationError, match="unknown table 'fees'"):
        data.load_dataset(versions={"fees": "2022"})


def test_build_refuses_an_unknown_version_before_running_anything(tmp_path):
    path = profile_file(tmp_path, "id: x\ntitle: t\ndate: 2025\nfigures: [K1]\ndata_vintage: {fee_schedule: '1999'}\n")
    proc = run_build(tmp_path / "out", "--no-pdf", "--submission", str(path))
    assert proc.returncode == 2
    assert "has no version '1999'" in proc.stderr and "Nothing was built" in proc.stderr
    assert not (tmp_path / "out" / "html").exists()


def test_shipped_vintages_hold_what_was_known_then():
    then = data.load_dataset(versions={"approved_products": "2023-06-26", "fee_schedule": "2022"})
    now = data.load_dataset()
    assert len(then["approved_products"]) == 20 and len(now["approved_products"]) > 20
    assert set(then["fee_schedule"]["revision"]) == {2022}


# --- what changed ------------------------------------------------------------------------------
def test_what_changed_lists_exactly_the_changes(tmp_path, data_copy):
    fees = data_copy / "fee_schedule.csv"
    lines = fees.read_text(encoding="utf-8").splitlines()
    lines = [l.replace(",17440,", ",17500,") if l.startswith("K921 2ロ,2022") else l for l in lines]  # revised
    lines = [l for l in lines if not l.startswith("K921-3 1,2022")]  # removed
    lines.append("K922-2,2025,CAR発現生T細胞投与（一連につき）,30850,assumption,jri2025,試験用の行")  # added
    fees.write_text("\n".join(lines) + "\n", encoding="utf-8")
    old_data, new_data = data.load_dataset(), data.load_dataset(data_copy)
    old = Profile(id="a", title="前の版", path=tmp_path / "a.yaml", date="2025",
                  parameters={"k1_fee_gap": {"fee_revision": 2022, "yen_per_point": 10}})
    new = Profile(id="b", title="この版", path=tmp_path / "b.yaml", date="2026",
                  parameters={"k1_fee_gap": {"fee_revision": 2022, "yen_per_point": 20}})
    text = editions.changes_markdown(
        old, old_data, {"k1_fee_gap": {"k1_gap_car_t": 99.3, "k1_revision": 2022}, "m1_market": {"m1_cagr": 0.26}},
        new, new_data, {"k1_fee_gap": {"k1_gap_car_t": 74.2, "k1_revision": 2022}, "m1_market": {"m1_cagr": 0.26}},
        {"K1": "k1_fee_gap", "M1": "m1_market"})
    changes = [l for l in text.splitlines() if l.startswith(("- ", "| `"))]
    assert changes == [
        "| `parameters.k1_fee_gap.yen_per_point` | 10 | 20 |",
        "- 追加：K922-2 / 2025",
        "- 削除：K921-3 1 / 2022",
        "- 改訂：K921 2ロ / 2022 の `points`：17,440 → 17,500（出所 `mhlw_fee_r4`）",
    ]
    assert "| K1 | `k1_gap_car_t` | 99.3 | 74.2 |" in text
    assert "m1_cagr" not in text  # numbers that did not move are not listed


# --- two editions, two vintages ------------------------------------------------------------------
def test_editions_from_different_vintages_differ_only_where_the_data_differ(tmp_path, data_copy):
    version = data_copy / "vintages" / "fee_schedule_test.csv"
    version.write_text((data_copy / "fee_schedule.csv").read_text(encoding="utf-8").replace(
        "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850", "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000"),
        encoding="utf-8")
    meta = data_copy / "metadata.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace(
        '      "2022": vintages/fee_schedule_2022.csv', '      "2022": vintages/fee_schedule_2022.csv\n      test: vintages/fee_schedule_test.csv'),
        encoding="utf-8")
    outs = {}
    for name, vintage in (("now", "{}"), ("test", "{fee_schedule: test}")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"id: {name}\ntitle: {name}\ndate: 2026\nfigures: [M1, K1]\ndata_vintage: {vintage}\n",
                        encoding="utf-8")
        outs[name] = tmp_path / f"out-{name}"
        proc = run_build(outs[name], "--no-pdf", "--submission", str(path), env={"REGEN_DATA_DIR": str(data_copy)})
        assert proc.returncode == 0, proc.stderr
    assert (outs["now"] / "figures" / "M1.csv").read_bytes() == (outs["test"] / "figures" / "M1.csv").read_bytes()

    def k1(out):
        with (out / "figures" / "K1.csv").open(encoding="utf-8") as f:
            return {r["step_ja"]: r for r in csv.DictReader(f)}

    now, test = k1(outs["now"]), k1(outs["test"])
    assert now["CAR-T細胞投与"]["points [点]"] == "30850" and test["CAR-T細胞投与"]["points [点]"] == "40000"
    assert now["白血球採取・細胞調製・凍結保存"] == test["白血球採取・細胞調製・凍結保存"]
    stamps = [json.loads((o / "meta" / "edition.json").read_text(encoding="utf-8"))["stamp"] for o in outs.values()]
    assert stamps[0]["data"]["fee_schedule.csv"] != stamps[1]["data"].get("vintages/fee_schedule_test.csv")
    assert "vintages/fee_schedule_test.csv" in stamps[1]["data"]


# --- the published site ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    proc = subprocess.run([sys.executable, "-m", "regenpolicy", "site", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_site_lists_every_edition_newest_first(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'href="([a-z0-9-]+)/index.html"', index)
    assert ids == ["default", "jri-2025", "firm-2023-07"]
    for edition in ids:
        assert (site / edition / "report.pdf").stat().st_size > 10000
        assert (site / edition / "figures").is_dir()
        stamp = json.loads((site / edition / "edition.json").read_text(encoding="utf-8"))["stamp"]
        assert stamp["edition"] == edition and stamp["commit"]


def test_each_edition_keeps_its_own_figures_and_vintage(site):
    firm, jri = site / "firm-2023-07", site / "jri-2025"
    assert (firm / "figures" / "A1.csv").exists() and not (firm / "figures" / "K1.csv").exists()
    assert (jri / "figures" / "K1.csv").exists() and not (jri / "figures" / "A1.csv").exists()
    with (jri / "figures" / "K1.csv").open(encoding="utf-8") as f:
        admin = next(r for r in csv.DictReader(f) if r["step_ja"] == "CAR-T細胞投与")
    assert admin["points_revision"] == "2024"  # the 2024 fee schedule, as that paper used


def test_what_changed_pages(site):
    assert not (site / "firm-2023-07" / "book" / "_generated" / "changes.html").exists()  # the first edition
    page = (site / "jri-2025" / "book" / "_generated" / "changes.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    assert "前の版からの変更点" in text and "firm-2023-07" in text
    assert "data_vintage.fee_schedule" in text  # the vintage pinned by the FIRM edition, current here
    assert "追加：K922-2 / 2024" in text  # fee-schedule rows that the 2022 vintage did not have
    assert (site / "default" / "book" / "_generated" / "changes.html").exists()


def test_site_links_resolve_in_chromium(site):
    from playwright.sync_api import sync_playwright

    from regenpolicy.build import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto((site / "index.html").as_uri())
        hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
        assert len(hrefs) == 9
        for href in hrefs:
            response = page.goto(href)
            assert response is None or response.ok, href  # file: URLs have no HTTP status
            assert Path(href.removeprefix("file://")).exists(), href
            if href.endswith(".html"):
                # an edition's index.html forwards to its first page; wait for the page it lands on
                page.wait_for_function("() => document.title && !document.title.startsWith('Loading')")
                assert "白書" in page.title() or "再生医療" in page.title() or "図のデータ" in page.title()
        browser.close()


def test_changed_values_are_shown_as_text_not_markup():
    # a source id such as chuikyo_gobukai_20 must not turn into italics on the changes page
    assert editions._md("chuikyo_gobukai_20") == r"chuikyo\_gobukai\_20"
    assert editions._md(None) == "—" and editions._md(17440) == "17,440" and editions._md(2024) == "2024"

"""The seeds' comparison tables in full text (T1–T4): which rows, in which order.

Bullets inside a cell are separated by a full-width semicolon in the data; ``bullets`` turns them
into lines that the page shows as a list.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import Parameters, Problem, param


def bullets(text: str) -> str:
    """「a；b」 → two lines, each starting with ・."""
    return "\n".join("・" + part for part in str(text).split("；"))


# --- table T1 ------------------------------------------------------------------------------------
class T1Parameters(Parameters):
    versions: str = param("2025,2023", "表示する資料の版（日本総研 2025、FIRM 2023）の順")

    def chosen(self) -> list[str]:
        return [v.strip() for v in self.versions.split(",") if v.strip()]

    def problems(self, ds: Dataset) -> list[Problem]:
        known = set(ds["cost_structure_comparison"]["version"])
        unknown = sorted(set(self.chosen()) - known)
        if unknown or not self.chosen():
            return [Problem(("versions",), f"unknown version(s) {unknown or '(none given)'}; the table has {sorted(known)}")]
        return []


@dataclass(frozen=True)
class T1Result:
    rows: pd.DataFrame  # the chosen versions' rows, item by item
    numbers: dict[str, float]


def cost_structure(ds: Dataset, p: T1Parameters) -> T1Result:
    t1 = ds["cost_structure_comparison"]
    chosen = p.chosen()
    t1 = t1[t1["version"].isin(chosen)].assign(rank=lambda f: f["version"].map(chosen.index))
    t1 = t1.sort_values(["item_order", "rank"]).drop(columns=["rank"]).reset_index(drop=True)
    return T1Result(t1, {"t1_items": t1["item"].nunique(), "t1_stages": t1["stage"].nunique()})


# --- table T4 ------------------------------------------------------------------------------------
class T4Parameters(Parameters):
    show_activity: bool = param(True, "FIRM の取り組みの列を表示する")


@dataclass(frozen=True)
class T4Result:
    rows: pd.DataFrame
    numbers: dict[str, float]


def access_issues(ds: Dataset, p: T4Parameters) -> T4Result:
    t4 = ds["access_issues"].sort_values("issue_order").reset_index(drop=True)
    issues = int(sum(len(str(s).split("；")) for s in t4["issue_ja"]))
    return T4Result(t4, {"t4_categories": len(t4), "t4_issues": issues})


# --- table T5 ------------------------------------------------------------------------------------
class T5Parameters(Parameters):
    """T5 shows the seed's text as printed: no parameters."""


@dataclass(frozen=True)
class T5Result:
    rows: pd.DataFrame  # item_order, kind, actor, text, status, source_id, note
    numbers: dict[str, float]
    texts: dict[str, str]


def cart_access(ds: Dataset, p: T5Parameters) -> T5Result:
    """The JRI figure on patient access to CAR-T therapy: issues and countermeasures (T5)."""
    rows = ds["cart_access_issues"].sort_values("item_order").reset_index(drop=True)
    counts = rows["kind"].value_counts()
    lead = ds["seed_statements"].set_index("statement_id").loc["jri_access", "quote"]
    return T5Result(rows, {"t5_issues": int(counts.get("課題", 0)), "t5_measures": int(counts.get("対策案", 0))},
                    {"t5_lead": str(lead)})


# --- tables T2 and T3 ----------------------------------------------------------------------------
class T2T3Parameters(Parameters):
    show_japan: bool = param(True, "表 T2 に日本の制度（骨太の方針2025）の行を含める")


@dataclass(frozen=True)
class T2T3Result:
    hta: pd.DataFrame
    france: pd.DataFrame
    numbers: dict[str, float]


def european_systems(ds: Dataset, p: T2T3Parameters) -> T2T3Result:
    t2 = ds["hta_comparison"]
    if not p.show_japan:
        t2 = t2[t2["country"] != "日本"]
    t3 = ds["france_incentives"].sort_values("incentive_order").reset_index(drop=True)
    return T2T3Result(t2.reset_index(drop=True), t3,
                      {"t2_countries": int((t2["country"] != "日本").sum()), "t3_incentives": len(t3)})

"""The seeds' own case in their words: FIRM's classification of the products' features, the value
examples it prints and the documents and proposals it quotes or makes (F1–F3); the proposals the
JRI white paper makes or reports and its table of the ecosystem (F4, F5). Each row says where this
report computes or tests it.

These are text tables: the functions choose rows and order and count what the prose states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import Parameters

_FIGURE_REF = re.compile(r"(?:図|表) ([A-Z][0-9]?(?:-[A-Z]+)?)")


def figure_refs(where: str) -> list[str]:
    """The figure and table ids a 本書の箇所 cell names: 「図 P1、図 S1（…）」 → ["P1", "S1"]."""
    return _FIGURE_REF.findall(str(where))


def _positions(ds: Dataset, seed: str) -> pd.DataFrame:
    rows = ds["seed_positions"]
    return rows[rows["seed"] == seed].sort_values("position_order").reset_index(drop=True)


def _not_tested(positions: pd.DataFrame) -> pd.DataFrame:
    return positions[positions["where_ja"].map(figure_refs).map(len) == 0]


# --- tables F1–F3: FIRM 2023 ---------------------------------------------------------------------
class FirmCaseParameters(Parameters):
    """F1–F3 show FIRM's words as printed: no parameters."""


@dataclass(frozen=True)
class FirmCaseResult:
    features: pd.DataFrame  # F1: item_order, category, example_ja, firm_response_ja, where_ja, …
    examples: pd.DataFrame  # F2: example_order, kind, modality, condition_ja, printed_ja, evidence_ja, …
    positions: pd.DataFrame  # F3: FIRM's claim, the documents it quotes, its proposals
    numbers: dict[str, float]


def firm_case(ds: Dataset, p: FirmCaseParameters) -> FirmCaseResult:
    features = ds["value_features"].sort_values("item_order").reset_index(drop=True)
    examples = ds["value_examples"].sort_values("example_order").reset_index(drop=True)
    positions = _positions(ds, "FIRM 2023")
    return FirmCaseResult(features, examples, positions, {
        "f_feature_categories": features["category"].nunique(),
        "f_features": len(features),
        "f_features_priced": int((features["category"] == "価値に反映すべき「特長」").sum()),
        "f_cases": int((examples["kind"] == "事例").sum()),
        "f_positions": len(positions),
        "f_quotes": int((positions["kind"] == "政策文書の記載").sum()),
        "f_proposals": int((positions["kind"] == "FIRMの提言").sum()),
    })


# --- tables F4 and F5: JRI 2025 ------------------------------------------------------------------
class JriProposalsParameters(Parameters):
    """F4 and F5 show the JRI white paper's words as printed: no parameters."""


@dataclass(frozen=True)
class JriProposalsResult:
    positions: pd.DataFrame  # F4: the proposals JRI reports (創薬イノベーション再興の会) and makes
    ecosystem: pd.DataFrame  # F5: item_order, category, success_ja, improvement_ja, …
    numbers: dict[str, float]
    not_tested: list[str]  # F4 rows whose 本書の箇所 names no figure


def jri_proposals(ds: Dataset, p: JriProposalsParameters) -> JriProposalsResult:
    positions = _positions(ds, "日本総研 2025")
    ecosystem = ds["ecosystem_improvements"].sort_values("item_order").reset_index(drop=True)
    untested = _not_tested(positions)
    return JriProposalsResult(positions, ecosystem, {
        "j_proposals_other": int((positions["kind"] == "提言（他団体）").sum()),
        "j_proposals_own": int((positions["kind"] == "日本総研の提言").sum()),
        "j_not_tested": len(untested),
        "j_ecosystem_rows": len(ecosystem),
    }, [str(t) for t in untested["document_ja"]])

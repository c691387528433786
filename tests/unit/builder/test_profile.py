"""regenpolicy.builder.profile: a profile's form is a pydantic model; every malformed profile is a
problem at its file, line and column (exit 2), never a traceback, and limits are refused before
anything runs."""

from __future__ import annotations

import pytest

from regenpolicy.builder.profile import LIMITS, ProfileError, load_profile, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.models.parameters import MAX_ITEMS
from tests.conftest import ROOT

PROJECT = Project(ROOT)
REGISTRY = load_registry(PROJECT)
HEAD = "id: x\ntitle: t\ndate: 2026-01-01\n"


def problems(tmp_path, body: str | bytes, shipped=None) -> str:
    path = tmp_path / "p.yaml"
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    with pytest.raises(ProfileError) as info:
        profile = load_profile(path, PROJECT, REGISTRY)
        if shipped is not None:
            resolve_parameters(profile, REGISTRY, shipped)
    message = str(info.value)
    assert "p.yaml" in message and "Traceback" not in message
    return message


CORPUS = [
    # the form: types of every key
    (HEAD + "figures: [[D2]]\n", "line 4, column 11: figures.0: expected a string, got ['D2']"),
    (HEAD + "figures: [{a: 1}]\n", "line 4, column 11: figures.0: expected a string, got {'a': 1}"),
    (HEAD + "figures: D2\n", "line 4, column 10: figures: expected a list, got 'D2'"),
    (HEAD + "figures: []\n", "line 4, column 10: figures: must not be empty"),
    (HEAD + "figures: [k1]\n", "figures.0: 'k1' is not a valid name or id"),
    (HEAD + "title2: x\n", "line 4, column 9: title2: unknown key; expected one of: id, title, date"),
    (HEAD + "audience: [a]\n", "line 4, column 11: audience: expected a string"),
    (HEAD + "data_vintage: [a]\n", "line 4, column 15: data_vintage: expected a mapping"),
    (HEAD + "data_vintage: {fee_schedule: [2022]}\n", "data_vintage.fee_schedule"),
    (HEAD + "settings: 5\n", "line 4, column 11: settings: must map settings to values"),
    (HEAD + "settings: {ward_fee: A999}\n", "line 4, column 22: settings.ward_fee: 'A999' is not one of: 'A100' or 'A104'"),
    (HEAD + "settings: {colour: red}\n", "settings.colour: no such parameter"),
    (HEAD + "parameters: [a]\n", "line 4, column 13: parameters: expected a mapping"),
    (HEAD + "parameters: {k1_fee_gap: 5}\n", "line 4, column 26: parameters.k1_fee_gap: expected a mapping, got 5"),
    (HEAD + "site_url: javascript:alert(1)\n", "site_url: must be the edition's published address"),
    ("id: x\ntitle: t\n", "date: is required"),
    ("- a\n- b\n", "expected a mapping of keys"),
    # control characters are refused and never echoed raw
    ("id: \"x\\e]0;pwned\\a\"\ntitle: t\ndate: 2026\n", "line 1, column 5: id: contains the control character U+001B"),
    ("id: x\ntitle: \"t\\x1b[31m\"\ndate: 2026\n", "title: contains the control character U+001B"),
    # the bytes: encoding, aliases, depth, size
    ((HEAD + "audience: 政策担当者\n").encode("shift_jis"), "line 4, column 11: not UTF-8"),
    (HEAD + "audience: &a x\ndescription: *a\n", "line 4, column 11: YAML anchors (&a)"),
    (HEAD + "parameters: " + "[" * 5000 + "]" * 5000 + "\n", "not valid YAML: exceeded maximum nesting depth"),
    (HEAD + "parameters: " + "[" * 20 + "]" * 20 + "\n", f"nested more than {LIMITS.depth} levels deep"),
    (HEAD + "description: " + "x" * (LIMITS.bytes + 1) + "\n", f"larger than the {LIMITS.bytes:,} bytes accepted"),
    (HEAD + "figures: [" + ", ".join(["M1"] * (LIMITS.values + 1)) + "]\n", f"more than {LIMITS.values:,} values"),
    (HEAD + "description: " + "x" * (LIMITS.text + 1) + "\n", "description: longer than the 2000"),
]


@pytest.mark.parametrize("body, expected", CORPUS, ids=[f"case{i}" for i in range(len(CORPUS))])
def test_a_malformed_profile_is_a_problem_at_its_line_and_column(tmp_path, body, expected):
    message = problems(tmp_path, body)
    assert expected in message, message
    assert "\x1b" not in message and "\x07" not in message


LIMITED = [
    ("parameters:\n  p2_staged_price:\n    tranche_years: [" + ", ".join(["1"] * (MAX_ITEMS + 1)) + "]\n",
     f"parameters.p2_staged_price.tranche_years: {MAX_ITEMS + 1} items: more than the {MAX_ITEMS}"),
    ("parameters:\n  c1_lifetime_cost:\n    scenarios: {" + ", ".join(f"s{i}: {{}}" for i in range(MAX_ITEMS + 1)) + "}\n",
     "parameters.c1_lifetime_cost.scenarios: 101 items"),
    ("parameters:\n  k1mc_patient_simulation:\n    patients: 100000000\n",
     "patients: 100000000 is above the largest allowed value 200000 人"),
    ("parameters:\n  c2_unit_cost:\n    volume_points: 5000\n", "volume_points: 5000 is above the largest allowed value 1000"),
]


@pytest.mark.parametrize("body, expected", LIMITED, ids=["list-length", "scenarios", "patients", "points"])
def test_limits_are_refused_before_anything_runs(tmp_path, shipped, body, expected):
    assert expected in problems(tmp_path, HEAD + body, shipped)


def test_the_shipped_profiles_read(shipped):
    for path in sorted((ROOT / "submissions").glob("*.yaml")):
        profile = load_profile(path, PROJECT, REGISTRY)
        resolve_parameters(profile, REGISTRY, shipped)
        assert profile.date and profile.title


def test_a_profile_with_many_problems_lists_fifty_and_counts_the_rest(tmp_path):
    from regenpolicy.data.limits import MAX_PROBLEMS

    body = HEAD + "".join(f"unknown_{i}: 1\n" for i in range(MAX_PROBLEMS + 7))
    message = problems(tmp_path, body)
    assert message.count("unknown key") == MAX_PROBLEMS
    assert message.endswith("… and 7 more problem(s) not listed")
    assert LIMITS.values == 5_000  # the profile's bounds are regenpolicy.data.limits.PROFILE

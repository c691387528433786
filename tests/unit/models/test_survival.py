"""regenpolicy.models.survival (S1).

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pytest

from regenpolicy.models import survival


def test_s1_survival(shipped):
    s1 = survival.survival(shipped, survival.S1Parameters())
    assert (s1.numbers["s1_all_cart"], s1.numbers["s1_dlbcl_cart"], s1.numbers["s1_dlbcl_prior_years"]) == \
        (0.55, pytest.approx(0.426), 2)

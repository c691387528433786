"""Quality control's share of a production lot (figure Q1).

Release tests and reference (retention) samples are taken from every lot whatever its size,
so the fraction of a lot that can be shipped is

    shipped_fraction = max(lot_size − qc_units, 0) / lot_size

and the cost of each shipped unit is the cost of the whole lot divided by the units shipped.
A cell product made in lots of tens of bags loses a large share of every lot; an antibody made
in lots of thousands of vials loses a few percent.
"""

from __future__ import annotations

import math


def shipped_units(lot_size: float, qc_units: float) -> float:
    if lot_size <= 0:
        raise ValueError(f"lot_size must be positive, got {lot_size}")
    if qc_units < 0:
        raise ValueError(f"qc_units must not be negative, got {qc_units}")
    return max(lot_size - qc_units, 0.0)


def shipped_fraction(lot_size: float, qc_units: float) -> float:
    """Fraction of a lot left to ship after QC; 0 when the samples take the whole lot."""
    return shipped_units(lot_size, qc_units) / lot_size


def cost_per_shipped_unit(lot_size: float, qc_units: float, cost_per_unit_made: float,
                          fixed_cost_per_lot: float = 0.0) -> float:
    """Cost of the lot over the units shipped; infinite when nothing can be shipped."""
    shipped = shipped_units(lot_size, qc_units)
    lot_cost = fixed_cost_per_lot + cost_per_unit_made * lot_size
    return lot_cost / shipped if shipped > 0 else math.inf


def smallest_shippable_lot(qc_units: float) -> int:
    """The smallest whole lot that ships at least one unit."""
    return math.floor(qc_units) + 1

"""One-way sensitivity (tornado) and scenarios for any model written as ``f(parameters) -> float``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

Model = Callable[[Mapping[str, float]], float]


def tornado(model: Model, base: Mapping[str, float], ranges: Mapping[str, tuple[float, float]] | None = None,
            relative: float = 0.2) -> pd.DataFrame:
    """Vary one parameter at a time, all others at base.

    Each parameter goes to its stated ``ranges[name] = (low, high)`` when given, else to
    base × (1 ∓ ``relative``). Returns one row per parameter, the widest swing first, with the
    output at the low and high value and the swing |high − low|.
    """
    ranges = ranges or {}
    base_output = model(base)
    rows = []
    for name, value in base.items():
        low, high = ranges.get(name, (value * (1 - relative), value * (1 + relative)))
        out_low = model({**base, name: low})
        out_high = model({**base, name: high})
        rows.append({"parameter": name, "base": value, "low": low, "high": high,
                     "output_low": out_low, "output_high": out_high,
                     "swing": abs(out_high - out_low), "base_output": base_output})
    return pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def scenarios(model: Model, base: Mapping[str, float],
              overrides: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """The output under each named scenario (base values with that scenario's overrides)."""
    unknown = {k for o in overrides.values() for k in o} - set(base)
    if unknown:
        raise KeyError(f"scenario overrides name unknown parameters: {', '.join(sorted(unknown))}")
    rows = [{"scenario": "base", "output": model(base)}]
    rows += [{"scenario": name, "output": model({**base, **o})} for name, o in overrides.items() if name != "base"]
    return pd.DataFrame(rows)

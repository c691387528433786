"""Settings of an edition: set once per submission profile, read by every figure that uses them.

A profile sets them under ``settings:``; a notebook declares the ones it uses in its front matter
(``regenpolicy.settings``), so two figures of one edition can never run on different fee schedules.
"""

from __future__ import annotations

from dataclasses import dataclass

from regenpolicy.data import Dataset
from regenpolicy.models.params import Parameters, Problem, param


@dataclass(frozen=True)
class EditionSettings(Parameters):
    fee_revision: int = param(2022, "診療報酬改定年度（この年度に有効な点数を用いる）", unit="年度",
                              minimum=2000, maximum=2100)
    yen_per_point: int = param(10, "1点当たりの金額", unit="円", minimum=1, maximum=100)

    def problems(self, ds: Dataset) -> list[Problem]:
        first = int(ds["fee_schedule"]["revision"].min())
        if self.fee_revision < first:
            return [Problem(("fee_revision",), f"{self.fee_revision} is before the first revision in "
                                               f"data/fee_schedule.csv ({first}); no points are in force")]
        return []

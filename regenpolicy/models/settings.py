"""Settings of an edition: set once per submission profile, read by every figure that uses them.

A profile sets them under ``settings:``; a notebook declares the ones it uses in its front matter
(``regenpolicy.settings``), so two figures of one edition can never run on different fee schedules,
different billing assumptions or different pricing rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from regenpolicy.data import Dataset
from regenpolicy.models.params import Parameters, Problem, param


@dataclass(frozen=True)
class EditionSettings(Parameters):
    fee_revision: int = param(2022, "診療報酬改定年度（この年度に有効な点数と薬価を用いる）", unit="年度",
                              minimum=2000, maximum=2100)
    yen_per_point: int = param(10, "1点当たりの金額", unit="円", minimum=1, maximum=100)
    car_t_product: str = param("kymriah", "CAR-T の製品（アフェレーシスの点数区分を決める。data/car_t_products.csv）")
    ward_fee: str = param("A100", "投与入院の入院料（A100 急性期一般入院料1／A104 特定機能病院 7対1）",
                          choices=("A100", "A104"))
    billing: str = param("出来高", "CAR-T の投与入院の算定方式（出来高／DPC 包括）", choices=("出来高", "DPC"))
    price_rules: int = param(2024, "薬価の再算定ルールの年度（data/repricing_rules.csv の rule_set）", unit="年度",
                             minimum=2000, maximum=2100)

    def problems(self, ds: Dataset) -> list[Problem]:
        out = []
        first = int(ds["fee_schedule"]["revision"].min())
        if self.fee_revision < first:
            out.append(Problem(("fee_revision",), f"{self.fee_revision} is before the first revision in "
                                                  f"data/fee_schedule.csv ({first}); no points are in force"))
        products = sorted(ds["car_t_products"]["product_id"])
        if self.car_t_product not in products:
            out.append(Problem(("car_t_product",), f"'{self.car_t_product}' is not a product in "
                                                   f"data/car_t_products.csv: {', '.join(products)}"))
        rule_sets = sorted({int(r) for r in ds["repricing_rules"]["rule_set"]})
        if self.price_rules not in rule_sets:
            out.append(Problem(("price_rules",), f"{self.price_rules} is not a rule set in data/repricing_rules.csv: "
                                                 f"{', '.join(map(str, rule_sets))}"))
        return out

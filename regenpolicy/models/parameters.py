"""Parameters: the one home of every parameter's type, default, Japanese label, unit and valid range.

One system for everything a profile can set:

- a figure's parameters are a pydantic model (a subclass of ``Parameters``; its figure's
  declaration names it) whose fields are declared with ``param(...)``;
- the edition's settings (``EditionSettings``: fee-schedule revision, yen per point, …) are one
  more such model, set once per profile under ``settings:`` and read by every figure that
  declares them;
- a scenario model's data parameters are one more such model beside the model (a subclass of
  ``DataParameters``: each field's type, label, unit and the range the model accepts), whose
  values are rows of ``data/model_parameters.csv`` (value, the tornado's range, status, basis and
  source); a figure's ``overrides`` and ``scenarios`` change those values and are checked here
  against the class, and the rows themselves are checked against it (``data_problems``).

A submission profile holds overrides only; ``resolve`` checks them (types strictly: ``'10'`` is not
an integer; finite numbers; bounds; allowed values; dates) and the class's rules across fields or
against the data (``problems``) before any notebook runs, and says which key is wrong and why.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from regenpolicy.data import Dataset, is_calendar_date
from regenpolicy.data import Problem as DataProblem
from regenpolicy.data.problems import bounded

T = TypeVar("T", bound="Parameters")
Path = tuple[str, ...]  # where in the parameters a problem is: ("scenarios", "low", "margin_volume")

# Numbers anywhere in the parameters (also inside scenarios and overrides) must lie within this
# bound: a value such as 1e308 would reach the charts as infinity.
LIMIT = 1e12
# Containers in parameters (a list of tranche years, the scenarios, the overrides) hold at most
# this many items: a profile with 200,000 list items or 100,000 scenarios is refused before anything runs.
MAX_ITEMS = 100


@dataclass(frozen=True)
class Spec:
    """What the report says about a parameter, and the values it may take."""

    label: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None


def _date(value: str) -> str:
    if not is_calendar_date(value):
        raise ValueError(f"{value!r} is not a date; expected YYYY-MM-DD (a day that exists)")
    return value


CalendarDate = Annotated[str, AfterValidator(_date)]


def param(default: Any, label: str, *, unit: str = "", minimum: float | None = None,
          maximum: float | None = None, choices: tuple[Any, ...] | None = None) -> Any:
    """A parameter field: its default (the only place it is written), label, unit and valid range.

    ``minimum``/``maximum`` bound a number (for a list of numbers, bound its items in the type:
    ``list[Annotated[int, Field(ge=1, le=50)]]``); ``choices`` lists the allowed values.
    """
    extra: dict[str, Any] = {"label": label, "unit": unit}
    if choices is not None:
        extra["choices"] = list(choices)
    if isinstance(default, (dict, list)):
        return Field(default_factory=lambda: json.loads(json.dumps(default)), json_schema_extra=extra)
    return Field(default, ge=minimum, le=maximum, json_schema_extra=extra)


def _spec(info: FieldInfo) -> Spec:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    lo = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
    hi = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
    choices = extra.get("choices")
    return Spec(str(extra.get("label", "")), str(extra.get("unit", "")), lo, hi,
                tuple(choices) if isinstance(choices, list) else None)


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{'.'.join(self.path)}: {self.message}"


class ParameterError(ValueError):
    """Overrides that cannot be used; each problem names its key (the first MAX_PROBLEMS, the rest counted)."""

    def __init__(self, problems: list[Problem]):
        self.problems, self.omitted = bounded(problems)
        more = f"; … and {self.omitted:,} more" if self.omitted else ""
        super().__init__("; ".join(map(str, self.problems)) + more)


class Parameters(BaseModel):
    """Base of every figure's parameters and of the edition's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    def problems(self, ds: Dataset) -> list[Problem]:
        """Rules across fields or against the data (a lot larger than its QC samples, …)."""
        return []

    @classmethod
    def specs(cls) -> dict[str, tuple[Spec, Any]]:
        """Field → (spec, default), in declaration order."""
        return {name: (_spec(info), info.get_default(call_default_factory=True))
                for name, info in cls.model_fields.items()}

    def values(self) -> dict[str, Any]:
        """The parameters as plain data (what the build hands a notebook and keys its cache on)."""
        return self.model_dump(mode="json")


def _unusable(value: Any, path: Path) -> list[Problem]:
    """Numbers that are not finite or beyond ``LIMIT``, and containers beyond ``MAX_ITEMS``, anywhere in ``value``."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) > LIMIT:
            return [Problem(path, f"{value!r} is not a usable number; expected a finite number of at most {LIMIT:g}")]
        return []
    if isinstance(value, (dict, list, tuple)):
        if len(value) > MAX_ITEMS:
            return [Problem(path, f"{len(value):,} items: more than the {MAX_ITEMS} a parameter may hold")]
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return [p for k, v in items for p in _unusable(v, (*path, str(k)))]
    return []


_KINDS = {"int_type": "an integer", "float_type": "a number", "bool_type": "true or false", "string_type": "text",
          "dict_type": "a mapping", "list_type": "a list", "tuple_type": "a list", "int_from_float": "an integer"}


def _message(cls: type[Parameters], error: Any) -> str:
    """One pydantic error in the words the report uses (and with the unit of the field)."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    top = str(error["loc"][0]) if error["loc"] else ""
    spec = cls.specs().get(top, (Spec(""), None))[0]
    unit = f" {spec.unit}" if spec.unit else ""
    if kind in _KINDS:
        return f"expected {_KINDS[kind]}, got {value!r}"
    if kind == "greater_than_equal":
        return f"{value!r} is below the smallest allowed value {ctx['ge']:g}{unit}"
    if kind == "less_than_equal":
        return f"{value!r} is above the largest allowed value {ctx['le']:g}{unit}"
    if kind == "extra_forbidden":
        return f"no such parameter; parameters: {', '.join(cls.model_fields)}"
    if kind == "literal_error":
        return f"{value!r} is not one of: {ctx['expected']}"
    if kind in ("missing", "too_short", "too_long") and isinstance(value, (list, tuple)):
        return f"expected a list of {len(get_args(cls.model_fields[top].annotation)) or '?'} values, got {value!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg']}, got {value!r}"


def _loc(error: Any) -> Path:
    loc = tuple(str(part) for part in error["loc"])
    if error["type"] in ("missing", "too_short", "too_long") and isinstance(error.get("input"), (list, tuple)):
        return loc[:1]  # a tuple of the wrong length: the problem is the list, not its missing item
    return loc


def resolve(cls: type[T], overrides: Mapping[str, Any], ds: Dataset | None = None) -> T:
    """The parameters with ``overrides`` applied, checked; raise ParameterError naming each bad key."""
    problems = _unusable(dict(overrides), ())
    bad = {p.path[0] for p in problems}
    try:
        result = cls.model_validate_json(json.dumps({k: v for k, v in overrides.items() if k not in bad}, default=str))
    except ValidationError as exc:
        problems += [Problem(_loc(e), _message(cls, e)) for e in exc.errors()]
        raise ParameterError(problems) from None
    problems += _choice_problems(result)
    if problems:
        raise ParameterError(problems)
    if ds is not None:
        problems = result.problems(ds)
        if problems:
            raise ParameterError(problems)
    return result


def _choice_problems(params: Parameters) -> list[Problem]:
    out = []
    for name, (spec, _) in type(params).specs().items():
        value = getattr(params, name)
        if spec.choices is not None and value not in spec.choices:
            out.append(Problem((name,), f"{value!r} is not one of: {', '.join(map(str, spec.choices))}"))
    return out


def from_values(cls: type[T], values: Mapping[str, Any]) -> T:
    """Parameters rebuilt from ``Parameters.values()`` (already checked by the build)."""
    return cls.model_validate_json(json.dumps(dict(values)))


# --- the edition's settings ----------------------------------------------------------------------
WardFee = Literal["A100", "A104"]  # 急性期一般入院料1, 特定機能病院 7対1: the keys of reimbursement.WARD_FEES
Regime = Literal["出来高", "DPC"]  # how the CAR-T stay is billed
WARD_FEE_CODES: tuple[str, ...] = get_args(WardFee)
REGIMES: tuple[str, ...] = get_args(Regime)


class EditionSettings(Parameters):
    """Settings of an edition: set once per submission profile (``settings:``), read by every figure
    that declares them, so two figures of one edition can never run on different fee schedules,
    billing assumptions or pricing rules."""

    fee_revision: int = param(2022, "診療報酬改定年度（この年度に有効な点数と薬価を用いる）", unit="年度",
                              minimum=2000, maximum=2100)
    yen_per_point: int = param(10, "1点当たりの金額", unit="円", minimum=1, maximum=100)
    car_t_product: str = param("kymriah", "CAR-T の製品（アフェレーシスの点数区分を決める。data/car_t_products.csv）")
    ward_fee: WardFee = param("A100", "投与入院の入院料（A100 急性期一般入院料1／A104 特定機能病院 7対1）")
    billing: Regime = param("出来高", "CAR-T の投与入院の算定方式（出来高／DPC 包括）")
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


# --- a scenario model's data parameters (data/model_parameters.csv) ------------------------------
DATA_FILE = "data/model_parameters.csv"
DATA_PARAMETERS: dict[str, type[DataParameters]] = {}  # model id (K1) → its class, as the model modules define them


def datum(label: str, *, unit: str = "", minimum: float | None = None, maximum: float | None = None) -> Any:
    """A data parameter: its Japanese label, unit and the range the model accepts. Its value, stated
    range (low/high), status, basis and source are its row of ``data/model_parameters.csv``."""
    return Field(ge=minimum, le=maximum, json_schema_extra={"label": label, "unit": unit})


class DataParameters(BaseModel):
    """A scenario model's data parameters, declared once beside the model (``reimbursement.K1Data``):
    one field per row of ``data/model_parameters.csv`` whose ``model`` is ``MODEL``, with its type,
    label, unit and range. Tornado labels, parameter tables, downloads, the z1 appendix, the checks of
    the data and of a profile's overrides all read it."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # lax: the data's numbers are floats
    MODEL: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.MODEL:
            other = DATA_PARAMETERS.get(cls.MODEL)
            if other is not None and (other.__module__, other.__qualname__) != (cls.__module__, cls.__qualname__):
                raise TypeError(f"model {cls.MODEL} is declared twice: {other.__module__}.{other.__qualname__} "
                                f"and {cls.__module__}.{cls.__qualname__}")
            DATA_PARAMETERS[cls.MODEL] = cls

    @classmethod
    def specs(cls) -> dict[str, Spec]:
        """Field → spec (label, unit, minimum, maximum), in the order of the data."""
        return {name: _spec(info) for name, info in cls.model_fields.items()}

    @classmethod
    def labels(cls) -> pd.DataFrame:
        """parameter, label, unit, min, max: one row per field."""
        return pd.DataFrame([{"parameter": n, "label": s.label, "unit": s.unit, "min": s.minimum, "max": s.maximum}
                             for n, s in cls.specs().items()], columns=["parameter", "label", "unit", "min", "max"])


def declared() -> dict[str, type[DataParameters]]:
    """Model id → its data-parameter class, every model module imported first (a class registers
    itself when its module is imported, so a caller that has imported only some models sees all)."""
    import importlib
    import pkgutil

    import regenpolicy.models

    for info in pkgutil.iter_modules(regenpolicy.models.__path__, "regenpolicy.models."):
        importlib.import_module(info.name)
    return dict(DATA_PARAMETERS)


@functools.cache
def _adapter(cls: type[DataParameters], name: str) -> TypeAdapter[Any]:
    info = cls.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, *info.metadata, Field(allow_inf_nan=False)])  # type: ignore[arg-type]


def _value_problem(cls: type[DataParameters], name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the parameter ``name`` of ``cls`` (its type or range), or None."""
    try:
        _adapter(cls, name).validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        spec = cls.specs()[name]
        if error["type"] in ("greater_than_equal", "less_than_equal", "finite_number"):
            return (f"{value!r} is outside the range the model accepts: "
                    f"{spec.minimum:g}〜{spec.maximum:g} {spec.unit}")
        return f"{value!r}: {error['msg'].lower()}"
    return None


def table(frame: pd.DataFrame, cls: type[DataParameters]) -> pd.DataFrame:
    """The rows of one model (its values, stated ranges, status, basis and source from the data) with
    each parameter's label, unit and accepted range (from ``cls``)."""
    rows = frame[frame["model"] == cls.MODEL]
    if rows.empty:
        raise KeyError(f"model_parameters has no rows for model {cls.MODEL}")
    merged = rows.drop(columns=[c for c in ("label", "unit", "min", "max") if c in rows]).merge(
        cls.labels(), on="parameter", how="left")
    first = ["model", "parameter", "label", "value", "unit", "min", "max"]
    return merged[[*first, *(c for c in merged.columns if c not in first)]].reset_index(drop=True)


def override_problems(frame: pd.DataFrame, cls: type[DataParameters], overrides: Mapping[str, float],
                      path: Path = ("overrides",)) -> list[Problem]:
    """Overrides that name no parameter of ``cls`` or that its type and range refuse."""
    names = list(cls.model_fields)
    problems = []
    for name, value in overrides.items():
        if name not in names:
            problems.append(Problem((*path, name), f"model {cls.MODEL} has no parameter '{name}'; parameters: "
                                                   f"{', '.join(names)}"))
            continue
        message = _value_problem(cls, name, value)
        if message:
            problems.append(Problem((*path, name), message))
    return problems


def values(frame: pd.DataFrame, cls: type[DataParameters], overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Parameter → value for a model, with ``overrides`` (checked by the build) applied."""
    rows = frame[frame["model"] == cls.MODEL]
    if rows.empty:
        raise KeyError(f"model_parameters has no rows for model {cls.MODEL}")
    base = dict(zip(rows["parameter"], rows["value"].astype(float), strict=True))
    problems = override_problems(frame, cls, overrides or {})
    if problems:
        raise KeyError("; ".join(map(str, problems)))
    return {**base, **{k: float(v) for k, v in (overrides or {}).items()}}


def stated_ranges(frame: pd.DataFrame, cls: type[DataParameters]) -> dict[str, tuple[float, float]]:
    """Parameter → (low, high) where the data states a range (the tornado uses ±20% elsewhere)."""
    rows = frame[frame["model"] == cls.MODEL].dropna(subset=["low", "high"])
    return {str(r.parameter): (float(r.low), float(r.high)) for r in rows.itertuples()}


def labelled(frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Add each parameter's Japanese label (and unit) to a frame with a ``parameter`` column."""
    return frame.merge(labels[["parameter", "label", "unit"]], on="parameter", how="left")


def data_problems(frame: pd.DataFrame) -> list[DataProblem]:
    """``data/model_parameters.csv`` against the classes that declare its models: every row a field
    of its model's class, every field a row, every value and stated range of the field's type and
    within its range; each problem at its file, line and column. ``frame`` carries ``_line``."""
    out: list[DataProblem] = []
    classes = declared()
    for model in dict.fromkeys(frame["model"]):
        if model not in classes:
            out.append(DataProblem(DATA_FILE, f"no parameter class declares model {model} "
                                              f"(a DataParameters subclass with MODEL = '{model}')"))
    for model, cls in classes.items():
        rows = frame[frame["model"] == model]
        where = f"{cls.__module__}.{cls.__name__}"
        for name in cls.model_fields:
            if name not in set(rows["parameter"]):
                out.append(DataProblem(DATA_FILE, f"{model} {name}: declared in {where} but no row gives its value"))
        for r in rows.to_dict("records"):
            name, line = str(r["parameter"]), int(r["_line"])
            if name not in cls.model_fields:
                out.append(DataProblem(DATA_FILE, f"{model} has no parameter '{name}' (declared in {where}); "
                                                  f"parameters: {', '.join(cls.model_fields)}", line, "parameter"))
                continue
            for column in ("value", "low", "high"):
                if column != "value" and pd.isna(r[column]):
                    continue
                message = _value_problem(cls, name, float(r[column]))
                if message:
                    out.append(DataProblem(DATA_FILE, f"{model} {name}: {message}", line, column))
    return out


__all__ = [
    "DATA_PARAMETERS",
    "LIMIT",
    "MAX_ITEMS",
    "REGIMES",
    "WARD_FEE_CODES",
    "CalendarDate",
    "DataParameters",
    "EditionSettings",
    "ParameterError",
    "Parameters",
    "Problem",
    "Regime",
    "Spec",
    "WardFee",
    "data_problems",
    "datum",
    "declared",
    "from_values",
    "labelled",
    "override_problems",
    "param",
    "resolve",
    "stated_ranges",
    "table",
    "values",
]

"""Typed parameters: the one home of every parameter's default, label, unit and valid range.

Each notebook's parameters are a frozen dataclass (a subclass of ``Parameters``) whose fields are
declared with ``param(...)``. A submission profile holds overrides only; ``resolve`` checks them
against the declared types and ranges (finite numbers, bounds, choices, dates) and the class's
cross-field rules (``problems``) before any notebook runs, and says which key is wrong and why.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from regenpolicy.data import Dataset, is_calendar_date

T = TypeVar("T", bound="Parameters")
Path = tuple[str, ...]  # where in the parameters a problem is: ("scenarios", "low", "margin_volume")


@dataclass(frozen=True)
class Spec:
    """What the report says about a parameter, and the values it may take."""

    label: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    date: bool = False  # a string holding YYYY-MM-DD


def param(default: Any, label: str, *, unit: str = "", minimum: float | None = None,
          maximum: float | None = None, choices: tuple[Any, ...] | None = None, date: bool = False) -> Any:
    """A parameter field: its default (the only place it is written), label, unit and valid range."""
    meta = {"spec": Spec(label, unit, minimum, maximum, choices, date)}
    if isinstance(default, (dict, list)):
        frozen = default
        return dataclasses.field(default_factory=lambda: _copy(frozen), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{'.'.join(self.path)}: {self.message}"


class ParameterError(ValueError):
    """Overrides that cannot be used; each problem names its key."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


@dataclass(frozen=True)
class Parameters:
    """Base of every notebook's parameters."""

    # Numbers anywhere in the parameters (also inside scenarios and overrides) must lie within
    # this bound: a value such as 1e308 would reach the charts as infinity.
    LIMIT: ClassVar[float] = 1e12

    def problems(self, ds: Dataset) -> list[Problem]:
        """Rules across fields or against the data (a lot larger than its QC samples, …)."""
        return []

    @classmethod
    def specs(cls) -> dict[str, tuple[Spec, Any]]:
        """Field → (spec, default), in declaration order."""
        out = {}
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            out[f.name] = (f.metadata["spec"], default)
        return out

    def values(self) -> dict[str, Any]:
        """The parameters as plain data (what the build hands a notebook and keys its cache on)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _kind(tp: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "text"}
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin is tuple:
        return f"a list of {len(typing.get_args(tp))} values"
    if origin is list:
        return "a list"
    if origin in (dict, Mapping):
        return "a mapping"
    return str(tp)


def check_value(value: Any, tp: Any, spec: Spec | None, path: Path, limit: float) -> tuple[Any, list[Problem]]:
    """``value`` converted to the declared type ``tp``, or the problems that prevent it."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None, []
        tp = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is bool:
        if not isinstance(value, bool):
            return None, [Problem(path, f"expected true or false, got {value!r}")]
        return value, []
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (tp is int and not isinstance(value, int)):
            return None, [Problem(path, f"expected {_kind(tp)}, got {value!r}")]
        if not math.isfinite(value) or abs(value) > limit:
            return None, [Problem(path, f"{value!r} is not a usable number; expected a finite number of at most {limit:g}")]
        number = tp(value)
        if spec is not None:
            if spec.minimum is not None and number < spec.minimum:
                return None, [Problem(path, f"{value!r} is below the smallest allowed value {spec.minimum:g}"
                                            + (f" {spec.unit}" if spec.unit else ""))]
            if spec.maximum is not None and number > spec.maximum:
                return None, [Problem(path, f"{value!r} is above the largest allowed value {spec.maximum:g}"
                                            + (f" {spec.unit}" if spec.unit else ""))]
        return number, []
    if tp is str:
        if not isinstance(value, str):
            return None, [Problem(path, f"expected text, got {value!r}")]
        if spec is not None and spec.date and not is_calendar_date(value):
            return None, [Problem(path, f"{value!r} is not a date; expected YYYY-MM-DD (a day that exists)")]
        return value, []
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            return None, [Problem(path, f"expected a list of {len(args)} values, got {value!r}")]
        items, problems = [], []
        for i, (v, a) in enumerate(zip(value, args, strict=True)):
            item, found = check_value(v, a, spec, (*path, str(i)), limit)
            items.append(item)
            problems += found
        return tuple(items), problems
    if origin is list:
        if not isinstance(value, (list, tuple)):
            return None, [Problem(path, f"expected a list, got {value!r}")]
        items, problems = [], []
        for i, v in enumerate(value):
            item, found = check_value(v, args[0], spec, (*path, str(i)), limit)
            items.append(item)
            problems += found
        return items, problems
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            return None, [Problem(path, f"expected a mapping, got {value!r}")]
        out, problems = {}, []
        for k, v in value.items():
            if not isinstance(k, str):
                problems.append(Problem(path, f"keys are names, got {k!r}"))
                continue
            item, found = check_value(v, args[1], None, (*path, k), limit)
            out[k] = item
            problems += found
        return out, problems
    raise TypeError(f"unsupported parameter type {tp!r} at {'.'.join(path)}")


def resolve(cls: type[T], overrides: Mapping[str, Any], ds: Dataset | None = None) -> T:
    """The parameters with ``overrides`` applied, checked; raise ParameterError naming each bad key."""
    hints = typing.get_type_hints(cls)
    specs = cls.specs()
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in specs:
            problems.append(Problem((key,), f"no such parameter; parameters: {', '.join(specs)}"))
            continue
        spec = specs[key][0]
        checked, found = check_value(value, hints[key], spec, (key,), cls.LIMIT)
        if spec.choices is not None and not found and checked not in spec.choices:
            found = [Problem((key,), f"{value!r} is not one of: {', '.join(map(str, spec.choices))}")]
        problems += found
        values[key] = checked
    if problems:
        raise ParameterError(problems)
    result = cls(**values)
    if ds is not None:
        problems = result.problems(ds)
        if problems:
            raise ParameterError(problems)
    return result


def from_values(cls: type[T], values: Mapping[str, Any]) -> T:
    """Parameters rebuilt from ``Parameters.values()`` (already checked by the build)."""
    hints = typing.get_type_hints(cls)
    return cls(**{k: check_value(v, hints[k], None, (k,), math.inf)[0] for k, v in values.items()})

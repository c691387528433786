"""Printed-value checks: the numbers a seed prints, against the numbers the figures' models compute.

Written once, in each figure's declaration (``checks:`` under the figure: which printed headline,
which of the model's own numbers, how it is rounded), and run by the build after validation: a
failed check stops it before anything runs, naming the file and line of the printed value. Each
check runs the figure's declared model with its default parameters, so the arithmetic is the
model's, never restated here; a model that finds its tables inconsistent raises ``Inconsistent``.
The data parameters' rows are checked against the classes their models declare before that.
"""

from __future__ import annotations

from collections.abc import Iterable

from regenpolicy.data import Dataset, Problem
from regenpolicy.data.limits import DECLARATION_MAX_BYTES
from regenpolicy.data.yamlfile import YamlError, load_yaml
from regenpolicy.models import parameters
from regenpolicy.models.declaration import Check, Declaration
from regenpolicy.models.printed import Inconsistent

PRINTED = "data/printed_headlines.csv"


def _line(ds: Dataset, table: str, row: dict[str, object]) -> int | None:
    frame = ds.frames.get(table)
    if frame is None or not row or "_line" not in frame:
        return None
    mask = True
    for key, value in row.items():
        mask = mask & (frame[key] == value)
    found = frame[mask]
    return int(found["_line"].iloc[0]) if len(found) else None


def _declaration_file(declaration: Declaration) -> str:
    path = declaration.path.with_suffix(".yml")
    return f"{path.parent.name}/{path.name}"


def _declared_at(declaration: Declaration, loc: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """Line and column of ``loc`` in a figure's declaration (``notebooks/<name>.yml``), read again
    for its positions (a refusal names where the author wrote what is refused)."""
    try:
        doc = load_yaml(declaration.path.with_suffix(".yml").read_bytes(), max_bytes=DECLARATION_MAX_BYTES)
    except (OSError, YamlError):
        return None, None
    return doc.position(loc) or (None, None)


def _compare(check: Check, figure: str, computed: float, printed: float) -> str | None:
    value = computed * check.scale
    if check.round is not None:
        value = round(value, check.round)
    how = f" ({check.how})" if check.how else ""
    if check.compare == "below":
        if not value < printed:
            return f"{figure} {check.printed}: the seed prints 'below {printed:g}' but the data give {value:g}{how}"
    elif value != printed:
        return f"{figure} {check.printed}: the seed prints {printed:g} but the data give {value:g}{how}"
    return None


def data_parameter_problems(ds: Dataset) -> list[Problem]:
    """``data/model_parameters.csv`` against the parameter classes beside the models (type, range,
    every row a declared parameter and every declared parameter a row), at file, line and column."""
    frame = ds.frames.get("model_parameters")
    return [] if frame is None else parameters.data_problems(frame)


def printed_value_problems(ds: Dataset, declarations: Iterable[Declaration]) -> list[Problem]:
    """Every printed number that the data no longer reproduce, and every inconsistent table."""
    problems: list[Problem] = []
    frame = ds.frames["printed_headlines"]
    printed = {(f, k): (float(v), int(line)) for f, k, v, line in
               zip(frame["figure_id"], frame["key"], frame["value"], frame["_line"], strict=True)}
    for declaration in declarations:
        if declaration.model is None:
            continue
        try:
            numbers = declaration.compute(ds).numbers
        except Inconsistent as exc:
            problems.append(Problem(f"data/{exc.table}.csv", str(exc), _line(ds, exc.table, exc.row), exc.column))
            continue
        except (ValueError, KeyError, LookupError) as exc:  # the model refused the data some other way
            line, column = _declared_at(declaration, ("model",))
            problems.append(Problem(_declaration_file(declaration), f"the model {declaration.model} cannot run on "
                                    f"the data: {exc}", line, column))
            continue
        for figure, spec in declaration.figures.items():
            for n, check in enumerate(spec.checks):
                if (figure, check.printed) not in printed:
                    line, column = _declared_at(declaration, ("figures", figure, "checks", n, "printed"))
                    problems.append(Problem(_declaration_file(declaration),
                                            f"{figure} {check.printed}: no such printed headline in {PRINTED}",
                                            line, column))
                    continue
                value, line = printed[(figure, check.printed)]
                message = _compare(check, figure, float(numbers[check.number]), value)
                if message:
                    problems.append(Problem(PRINTED, message, line, "value"))
    return problems

"""Problems found in the inputs, each located at its file, line and column, and the bounded
report that lists them (the command line and the preview's banner both print ``str(error)``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from regenpolicy.data.limits import MAX_PROBLEMS
from regenpolicy.data.text import printable
from regenpolicy.data.yamlfile import YamlDocument, YamlError


@dataclass(frozen=True)
class Problem:
    """One validation failure, located as precisely as the input allows."""

    file: str
    message: str
    line: int | None = None
    column: str | int | None = None  # a table's column name, or a character position (YAML)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if isinstance(self.column, int):
            where += f", column {self.column}"
        elif self.column is not None:
            where += f", column '{self.column}'"
        return printable(f"{where}: {self.message}")  # one line, whatever the file name and message quote


def bounded(problems: list[Any], omitted: int = 0) -> tuple[list[Any], int]:
    """The first ``MAX_PROBLEMS`` of ``problems`` and how many more were found (500,000 bad rows once
    printed a million lines)."""
    return problems[:MAX_PROBLEMS], omitted + max(0, len(problems) - MAX_PROBLEMS)


def listing(problems: list[Any], omitted: int = 0, heading: str = "") -> str:
    """One problem as it is; several (or any under a heading) as an indented list, ending with
    "… and N more" past ``MAX_PROBLEMS``."""
    if len(problems) == 1 and not omitted and not heading:
        return str(problems[0])
    more = f"\n  … and {omitted:,} more problem(s) not listed" if omitted else ""
    return heading + "\n".join(f"  - {p}" for p in problems) + more


class ProblemsError(Exception):
    """Problems found in one input, bounded: the first ``MAX_PROBLEMS`` kept and listed, the rest
    counted. Every collector of problems (data, profiles, declarations, parameters) raises one."""

    def __init__(self, problems: list[Any], omitted: int = 0, heading: str = ""):
        self.problems, self.omitted = bounded(list(problems), omitted)
        super().__init__(listing(self.problems, self.omitted, heading))


class DataValidationError(ProblemsError):
    """Raised with the problems found in the input data."""

    def __init__(self, problems: list[Problem], omitted: int = 0):
        super().__init__(problems, omitted, f"{len(problems) + omitted:,} problem(s) in the input data:\n")


def yaml_problem(origin: str, exc: yaml.YAMLError | YamlError) -> Problem:
    """A YAML syntax error (or a refusal of ``load_yaml``) located at its line and column."""
    if isinstance(exc, YamlError):
        return Problem(origin, exc.problem.message, exc.problem.line, exc.problem.column)
    mark = getattr(exc, "problem_mark", None)
    what = " ".join(str(getattr(exc, "problem", "") or exc).split())
    context = getattr(exc, "context", None)
    if mark is None:
        return Problem(origin, f"not valid YAML: {what}")
    return Problem(origin, f"not valid YAML: {what}" + (f" ({context})" if context else ""),
                   mark.line + 1, mark.column + 1)


WORDS = {"a valid tuple": "a list", "a valid list": "a list", "a valid dictionary": "a mapping",
         "a valid string": "text", "a valid boolean": "true or false", "Tuple should": "the list should", "List should": "the list should"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def schema_problems(origin: str, doc: YamlDocument, exc: ValidationError,
                    label: Any = None) -> list[Problem]:
    """Each error pydantic found, at the line and column of the part of the file it concerns.

    ``label(loc)`` may name the part in words (``table 'x', column 'y'``); the default is the
    dotted path of keys.
    """
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        where = label(loc) if label else ".".join(map(str, loc))
        if error["type"] == "extra_forbidden":
            what = f"unknown key '{loc[-1]}'"
        elif error["type"] == "missing":
            what = f"'{loc[-1]}' is missing"
        else:
            what = error["msg"].removeprefix("Value error, ").replace("Input should be", "expected")
            for words, plain in WORDS.items():
                what = what.replace(words, plain)
            if error["type"] not in ("value_error", "assertion_error"):
                what += f" (found {_shown(error['input'])})"
        position = doc.position(loc) or (None, None)
        problems.append(Problem(origin, f"{where}: {what}" if where else what, *position))
    return problems


def located(origin: str, doc: YamlDocument, found: Iterable[tuple[tuple[str | int, ...], str]]) -> list[Problem]:
    """Problems given as (loc, message), at the position of each loc in the file."""
    return [Problem(origin, message, *(doc.position(loc) or (None, None))) for loc, message in found]


__all__ = ["DataValidationError", "Problem", "ProblemsError", "bounded", "listing", "located", "schema_problems", "yaml_problem"]

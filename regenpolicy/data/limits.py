"""The size bounds of every input, in one place.

Each is far above what the report needs (the shipped data's largest table has 67 rows, 828 cells,
20 KB; its longest cell 197 characters) and far below what makes a build hang or a message
unreadable: 500,000 rows ran every notebook for minutes, and 500,000 bad rows printed a million
problems. Input beyond a bound is refused with its file and line before anything runs. Every
bound on an input (tables, YAML, profiles, declarations, problem lists) lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FILE_BYTES = 5 * 1024 * 1024  # one table file, as read from disk
MAX_ROWS = 5_000  # data rows of one table
MAX_CELLS = 100_000  # rows × columns of one table
MAX_CELL_CHARS = 10_000  # characters of one cell
MAX_PROBLEMS = 50  # problems listed in one report (the CLI's and the preview's); the rest are counted

# YAML inputs (metadata.yaml, profiles, figure declarations): see regenpolicy.data.yamlfile
YAML_MAX_BYTES = 1_000_000
YAML_MAX_DEPTH = 32
YAML_MAX_NODES = 100_000
DECLARATION_MAX_BYTES = 200_000  # a figure's declaration (notebooks/<name>.yml) is a page of YAML


@dataclass(frozen=True)
class ProfileLimits:
    """How large a submission profile may be: refused beyond these, before anything runs."""

    bytes: int = 100_000  # the file
    depth: int = 12  # nesting of mappings and lists
    values: int = 5_000  # keys and values in all
    text: int = 2_000  # characters in one text field
    figures: int = 100  # ids under figures:
    notebooks: int = 100  # notebooks under parameters:
    # list lengths of list parameters, scenarios per model and simulated patients are limits of the
    # parameter classes themselves (parameters.MAX_ITEMS, Field(le=…) on PatientSimulationParameters.patients)


PROFILE = ProfileLimits()

__all__ = [
    "DECLARATION_MAX_BYTES",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "PROFILE",
    "YAML_MAX_BYTES",
    "YAML_MAX_DEPTH",
    "YAML_MAX_NODES",
    "ProfileLimits",
]

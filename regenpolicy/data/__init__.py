"""The data layer: table declarations (``data/metadata.yaml``), validation, vintages, and the
validated, content-addressed snapshot that notebooks read.

Imports nothing else of the package: models, presentation and the build sit above it.

Each name is imported from its module when first used (PEP 562), so that what needs only a light part
(the Sphinx extension's escaping needs ``text``) does not import pandas and pydantic with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regenpolicy.data.metadata import Column, Table, project_relative
    from regenpolicy.data.paths import OutsideError, inside
    from regenpolicy.data.problems import DataValidationError, Problem, schema_problems, yaml_problem
    from regenpolicy.data.snapshot import open_snapshot, snapshot_key, write_snapshot
    from regenpolicy.data.tables import (
        ALL_TABLES,
        Dataset,
        UndeclaredRead,
        is_calendar_date,
        load_dataset,
        load_metadata,
        read_input,
    )
    from regenpolicy.data.text import formula_like, is_web_url, printable

_HOME = {
    "Column": "metadata",
    "Table": "metadata",
    "project_relative": "metadata",
    "OutsideError": "paths",
    "inside": "paths",
    "DataValidationError": "problems",
    "Problem": "problems",
    "schema_problems": "problems",
    "yaml_problem": "problems",
    "open_snapshot": "snapshot",
    "snapshot_key": "snapshot",
    "write_snapshot": "snapshot",
    "ALL_TABLES": "tables",
    "Dataset": "tables",
    "UndeclaredRead": "tables",
    "is_calendar_date": "tables",
    "load_dataset": "tables",
    "load_metadata": "tables",
    "read_input": "tables",
    "formula_like": "text",
    "is_web_url": "text",
    "printable": "text",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ALL_TABLES", "Column", "DataValidationError", "Dataset", "OutsideError", "Problem", "Table", "UndeclaredRead",
    "formula_like", "inside", "is_calendar_date", "is_web_url", "load_dataset", "load_metadata", "open_snapshot",
    "printable", "project_relative", "read_input", "schema_problems", "snapshot_key", "write_snapshot",
    "yaml_problem",
]

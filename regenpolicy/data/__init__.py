"""The data layer: table declarations (``data/metadata.yaml``), validation, vintages, and the
validated, content-addressed snapshot that notebooks read.

Imports nothing else of the package: models, presentation and the build sit above it.
"""

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

__all__ = [
    "ALL_TABLES", "Column", "DataValidationError", "Dataset", "OutsideError", "Problem", "Table", "UndeclaredRead",
    "formula_like", "inside", "is_calendar_date", "is_web_url", "load_dataset", "load_metadata", "open_snapshot",
    "printable", "project_relative", "read_input", "schema_problems", "snapshot_key", "write_snapshot",
    "yaml_problem",
]

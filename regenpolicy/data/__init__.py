"""The data layer: table declarations (``data/metadata.yaml``), validation, vintages, and the
validated, content-addressed snapshot that notebooks read.

Imports nothing else of the package: models, presentation and the build sit above it.
"""

from regenpolicy.data.snapshot import open_snapshot, snapshot_key, write_snapshot
from regenpolicy.data.tables import (
    ALL_TABLES,
    Column,
    Dataset,
    DataValidationError,
    Problem,
    Table,
    UndeclaredRead,
    is_calendar_date,
    load_dataset,
    load_metadata,
    project_relative,
    read_input,
    yaml_problem,
)
from regenpolicy.data.text import formula_like, is_web_url, printable

__all__ = [
    "ALL_TABLES",
    "Column",
    "DataValidationError",
    "Dataset",
    "Problem",
    "Table",
    "UndeclaredRead",
    "formula_like",
    "is_calendar_date",
    "is_web_url",
    "load_dataset",
    "load_metadata",
    "open_snapshot",
    "printable",
    "project_relative",
    "read_input",
    "snapshot_key",
    "write_snapshot",
    "yaml_problem",
]

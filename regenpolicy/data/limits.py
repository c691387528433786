"""The size bounds of every input, in one place.

Each is far above what the report needs (the shipped data's largest table has 67 rows, 828 cells,
20 KB; its longest cell 197 characters) and far below what makes a build hang or a message
unreadable: 500,000 rows ran every notebook for minutes, and 500,000 bad rows printed a million
problems. Input beyond a bound is refused with its file and line before anything runs.
"""

from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024  # one table file, as read from disk
MAX_ROWS = 5_000  # data rows of one table
MAX_CELLS = 100_000  # rows × columns of one table
MAX_CELL_CHARS = 10_000  # characters of one cell
MAX_PROBLEMS = 50  # problems listed in one report (the CLI's and the preview's); the rest are counted

# YAML inputs (metadata.yaml, profiles, figure declarations): see regenpolicy.data.yamlfile
YAML_MAX_BYTES = 1_000_000
YAML_MAX_DEPTH = 32
YAML_MAX_NODES = 100_000

__all__ = ["MAX_CELLS", "MAX_CELL_CHARS", "MAX_FILE_BYTES", "MAX_PROBLEMS", "MAX_ROWS",
           "YAML_MAX_BYTES", "YAML_MAX_DEPTH", "YAML_MAX_NODES"]

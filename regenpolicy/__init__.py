"""Shared code of the regenerative-medicine pricing policy report.

Models (``market``, ``manufacturing``, ``reimbursement``) are plain typed functions; ``data``
loads and validates the tables; ``figures`` draws and publishes charts; ``build`` runs the
whole pipeline.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("REGEN_DATA_DIR", ROOT / "data"))
NOTEBOOK_DIR = ROOT / "notebooks"
SUBMISSION_DIR = ROOT / "submissions"

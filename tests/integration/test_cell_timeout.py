"""A cell that runs past --cell-timeout stops the build with one message, and nothing else on the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from regenpolicy.builder.execute import ExecutionError, Job, run_notebooks
from regenpolicy.data import Dataset
from regenpolicy.models.declaration import read_declaration
from tests.conftest import ROOT

SLOW = """---
jupyter:
  jupytext:
    text_representation: {extension: .md, format_name: markdown}
---

```python tags=["parameters"]
context = ""
```

```python
import threading
threading.Event().wait()  # a cell that never returns
```
"""


def test_a_cell_timeout_is_reported_once_without_asyncio_noise(tmp_path: Path, capfd):
    steps = []
    for name in ("slow_a", "slow_b"):  # two at once: the pending-task noise came with parallel runs
        (tmp_path / f"{name}.md").write_text(SLOW, encoding="utf-8")
        (tmp_path / f"{name}.yml").write_text("parameters: survival.S1Parameters\ntables: '*'\n", encoding="utf-8")
        steps.append(read_declaration(tmp_path / f"{name}.md"))
    dataset = Dataset(tables={}, frames={}, hashes={}, data_dir=tmp_path)
    with pytest.raises(ExecutionError) as info:
        run_notebooks([Job(s, {}, {}) for s in steps], dataset, tmp_path / "snapshot.json", tmp_path / "cache",
                      tmp_path / "work", ROOT / "requirements.txt", workers=2, timeout=1)
    assert str(info.value).count("did not finish within 1 s; the build stopped it") == 2
    captured = capfd.readouterr()
    noise = captured.err + captured.out
    assert "Task was destroyed" not in noise and "Timeout waiting for execute reply" not in noise
    assert "Traceback" not in noise

"""Executing notebooks with papermill: in parallel, with a progress display, and cached.

A notebook's cached result is reused only when everything it depends on is unchanged:

- its source (``notebooks/<name>.md``) and the parameters it runs with,
- the code it runs: the ``regenpolicy`` package and the pinned ``requirements.txt``,
- the tables it read, by content hash (file bytes and declaration). Which tables a notebook
  reads is discovered when it runs: every ``Dataset[...]`` access is recorded (like a compiler's
  dependency file), so editing a table re-executes exactly the notebooks that read it.

Each cache entry lives in ``<cache>/notebooks/<name>/<key>/`` with the executed notebook, the
figure files it wrote and ``deps.json``; entries of other parameter sets are other folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from regenpolicy import ROOT, data
from regenpolicy.profile import notebook_defaults

KERNEL = "regenpolicy"


class ExecutionError(Exception):
    """A notebook failed; the message names the notebook and the cell."""


@dataclass
class Result:
    name: str
    notebook: Path  # the executed .ipynb
    figures: Path  # the figure files it wrote


# Modules of the build machinery: notebooks never import them, so editing them re-runs nothing.
BUILD_ONLY = {"__main__.py", "build.py", "editions.py", "execute.py", "profile.py", "sphinx_ext.py"}


def code_hash() -> str:
    """Hash of the code notebooks run: the package's modules and the pinned environment."""
    digest = hashlib.sha256()
    modules = [p for p in sorted((ROOT / "regenpolicy").glob("*.py")) if p.name not in BUILD_ONLY]
    for path in modules + [ROOT / "requirements.txt"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def base_key(name: str, parameters: dict, code: str) -> str:
    """What identifies a run before it starts: source, parameters and code."""
    source = (ROOT / "notebooks" / f"{name}.md").read_bytes()
    digest = hashlib.sha256(source)
    digest.update(json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode())
    digest.update(code.encode())
    return digest.hexdigest()[:20]


def _deps_current(entry: Path, dataset: data.Dataset) -> bool:
    try:
        deps = json.loads((entry / "deps.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(name in dataset.tables and dataset.table_hash(name) == digest for name, digest in deps.items())


def _execute(name: str, parameters: dict, workdir: Path, env: dict[str, str]) -> Path:
    """Run ``notebooks/<name>.md`` with papermill; return the executed notebook in ``workdir``.

    The kernel gets ``env`` from a first cell that the build adds and removes again: the process
    environment and working directory are shared by the threads that run notebooks at once.
    """
    import jupytext
    import nbformat
    import papermill

    nb = jupytext.read(ROOT / "notebooks" / f"{name}.md")
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (regenpolicy)", "language": "python"}
    setup = nbformat.v4.new_code_cell(f"import os\nos.environ.update({json.dumps(env)})")
    setup.metadata["tags"] = ["regenpolicy-setup"]
    nb.cells.insert(0, setup)
    unexecuted = workdir / f"{name}.unexecuted.ipynb"
    nbformat.write(nb, unexecuted)
    executed = workdir / f"{name}.ipynb"
    try:
        papermill.execute_notebook(
            str(unexecuted), str(executed), parameters=parameters, kernel_name=KERNEL,
            progress_bar=False, log_output=False, report_mode=False,
        )
    except papermill.PapermillExecutionError as exc:
        number = sources.index(exc.source) + 1 if exc.source in sources else "?"
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
        raise ExecutionError(
            f"notebook notebooks/{name}.md failed in code cell {number} "
            f"(the cell starting '{first_line.strip()}'): {exc.ename}: {exc.evalue}"
        ) from None
    except Exception as exc:  # kernel missing, kernel died, …
        raise ExecutionError(f"notebook notebooks/{name}.md could not be executed: {exc}") from None
    result = nbformat.read(executed, as_version=4)
    # Hide the injected parameters, and drop what differs from run to run (timings, random cell
    # ids) so that the same inputs give the same pages.
    result.metadata.pop("papermill", None)
    result.cells = [c for c in result.cells if "regenpolicy-setup" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(result.cells):
        cell.id = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(result, executed)
    return executed


class Progress:
    """Done/total with timings: plain lines in logs, plus a live status line on a terminal."""

    def __init__(self, total: int, stream=sys.stdout):
        self.total, self.done, self.stream = total, 0, stream
        self.running: dict[str, float] = {}
        self.tty = stream.isatty() and os.environ.get("CI") is None
        self.lock = threading.Lock()

    def _status(self) -> None:
        if self.tty:
            now = time.monotonic()
            running = ", ".join(f"{n} {now - t:.0f}s" for n, t in self.running.items())
            self.stream.write(f"\r\033[K[build] notebooks {self.done}/{self.total} running: {running}")
            self.stream.flush()

    def start(self, name: str) -> None:
        with self.lock:
            self.running[name] = time.monotonic()
            self._status()

    def finish(self, name: str, what: str) -> None:
        with self.lock:
            self.running.pop(name, None)
            self.done += 1
            if self.tty:
                self.stream.write("\r\033[K")
            self.stream.write(f"[build] notebook {self.done}/{self.total} {name}: {what}\n")
            self.stream.flush()
            self._status()


def run_notebooks(names: list[str], parameters: dict[str, dict], dataset: data.Dataset, cache: Path,
                  workdir: Path, jobs: int | None = None, versions: dict[str, str] | None = None
                  ) -> dict[str, Result]:
    """Execute (or reuse) every notebook; raise ExecutionError naming the first failure."""
    code = code_hash()
    progress = Progress(len(names))

    def one(name: str) -> Result:
        # Explicit defaults and omitted ones are the same run: key on the complete parameter set.
        params = {**notebook_defaults(ROOT / "notebooks" / f"{name}.md"), **parameters.get(name, {})}
        entry = cache / "notebooks" / name / base_key(name, params, code)
        started = time.monotonic()
        if (entry / f"{name}.ipynb").exists() and _deps_current(entry, dataset):
            progress.finish(name, "unchanged, reused")
            return Result(name, entry / f"{name}.ipynb", entry / "figures")
        progress.start(name)
        run_dir = workdir / name
        shutil.rmtree(run_dir, ignore_errors=True)
        (run_dir / "figures").mkdir(parents=True)
        env = {"REGEN_DATA_DIR": str(dataset.data_dir), "REGEN_FIGURES_DIR": str(run_dir / "figures"),
               "REGEN_DEPS_FILE": str(run_dir / "deps.txt"),
               "REGEN_DATA_VERSIONS": json.dumps(versions or {}, sort_keys=True)}
        executed = _execute(name, params, run_dir, env)
        deps_file = run_dir / "deps.txt"
        read = sorted(set(deps_file.read_text(encoding="utf-8").split())) if deps_file.exists() else []
        deps = {t: dataset.table_hash(t) for t in read}
        (run_dir / "deps.json").write_text(json.dumps(deps, indent=1, sort_keys=True), encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)
        entry.mkdir(parents=True)
        for item in (executed.name, "figures", "deps.json"):
            shutil.move(str(run_dir / item), str(entry / item))
        seconds = time.monotonic() - started
        progress.finish(name, f"executed in {seconds:.1f} s (reads {', '.join(read) or 'no table'})")
        return Result(name, entry / f"{name}.ipynb", entry / "figures")

    # One more than the cores: a kernel spends part of its start-up waiting, not computing.
    jobs = jobs or (os.cpu_count() or 1) + 1
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(names) or 1))) as pool:
        futures = {name: pool.submit(one, name) for name in names}
        results, errors = {}, []
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except ExecutionError as exc:
                errors.append(str(exc))
    if errors:
        raise ExecutionError("\n".join(errors))
    return results

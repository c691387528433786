"""Executing notebooks with papermill: in parallel, with a progress display, and cached.

Each notebook gets one papermill parameter, ``context``: a JSON file naming the validated data
snapshot, its checked parameters, the edition's settings and its run folder. A cached result is
reused only when everything it depends on is unchanged, all of it known *before* it runs:

- its source (``notebooks/<name>.md``) and its parameters and the settings it declares,
- the code it runs: the package's modules it imports, directly or through other modules (the static
  import graph of ``regenpolicy``, see ``notebook_modules``), the templates the presentation renders
  in the kernel when it is reached, and ``requirements.txt``: editing one model re-runs only the
  notebooks that import it,
- the tables it declares (``regenpolicy.tables``), by the hash of the snapshot it reads.

After a run the build checks that the notebook read exactly the tables and published exactly the
figures it declares. Entries live in ``<cache>/notebooks/<name>/<key>/`` (the executed notebook,
its figure files and the numbers it glued), written once and moved into place whole, so that
builds running at the same time can share one cache folder (``--cache-dir``): an entry that
exists is complete and never replaced.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

import regenpolicy
from regenpolicy.builder.defaults import DEFAULT_CELL_TIMEOUT
from regenpolicy.builder.kernels import Kernel, close_early
from regenpolicy.builder.noop import walk
from regenpolicy.builder.registry import Step
from regenpolicy.data import ALL_TABLES, Dataset, printable
from regenpolicy.data.files import store_entry, write_whole
from regenpolicy.presentation.worker import result_of

KERNEL = "regenpolicy"
ENGINE = "regenpolicy"  # papermill's engine for started kernels (``_engine``)


class ExecutionError(Exception):
    """A notebook failed; the message names the notebook and the cell."""


class QuietCellTimeouts(logging.Filter):
    """Drops nbclient's own account of a cell timeout, which the build reports once, in its words.

    - ``Timeout waiting for execute reply (Ns).`` and ``Interrupting kernel`` (papermill's logger);
    - ``Task was destroyed but it is pending!`` (asyncio's logger): on a timeout nbclient 0.11 cancels
      the task polling the cell's output but never awaits it, so the task is collected, still pending,
      after papermill's event loop has gone. Only nbclient's tasks are dropped; any other stays loud.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Task was destroyed but it is pending"):
            return "coro=<NotebookClient." not in message
        return not (record.name.startswith("papermill")
                    and message.startswith(("Timeout waiting for execute reply", "Interrupting kernel")))


QUIET = QuietCellTimeouts()
for _name in ("asyncio", "papermill"):
    if QUIET not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(QUIET)


@dataclass(frozen=True)
class Result:
    name: str
    notebook: Path  # the executed .ipynb
    figures: Path  # the figure files it wrote
    numbers: dict[str, float]  # what it glued into its prose
    executed: bool  # False when reused from the cache


def _module_file(package: Path, name: str) -> Path | None:
    """The file of module ``name`` (``regenpolicy.x.y``) in ``package``, or None if there is none."""
    parts = name.split(".")[1:]
    base = package.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _import_nodes(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements among ``body`` and the statements nested in it (functions, classes,
    ``if``/``try``/``with``/loops/``match``): only statements are visited, an import being one, not the
    expressions, which are most of a module's nodes."""
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                    todo.append(child)


def _imports(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """The ``regenpolicy`` modules a parsed module imports anywhere (also inside functions), with
    ``from x import y`` counted as ``x.y`` too (y may be a submodule)."""
    found: set[str] = set()
    here = module if is_package else module.rpartition(".")[0]
    for node in _import_nodes(tree.body):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        else:
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)
    return {name for name in found if name == "regenpolicy" or name.startswith("regenpolicy.")}


@functools.lru_cache(maxsize=1024)
def _module_imports(path: str, name: str, is_package: bool, stamp: tuple[int, int, int, int]) -> frozenset[str]:
    """The ``regenpolicy`` modules that the file ``path`` (module ``name``) imports; ``stamp``
    (``file_stamp``) keys the memo on the file: a long-lived process (the preview) reads it again
    only when it was written."""
    tree = ast.parse(Path(path).read_bytes(), filename=path)
    return frozenset(_imports(tree, name, is_package))


def file_stamp(path: Path) -> tuple[int, int, int, int]:
    """What changes whenever a file's content is written: its inode, size, modification and change
    times (the change time cannot be set back, so a rewrite that restores the modification time is seen)."""
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@functools.lru_cache(maxsize=256)
def _cell_imports(path: str, stamp: tuple[int, int, int, int]) -> frozenset[str]:
    """The ``regenpolicy`` modules the code cells of the notebook ``path`` import; ``stamp`` keys the memo on the file."""
    roots: set[str] = set()
    for source in CODE_CELL.findall(Path(path).read_text(encoding="utf-8")):
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        while lines and lines[0].startswith(":"):  # the cell's MyST options (:tags: [...])
            lines.pop(0)
        try:
            trees = [ast.parse("\n".join(lines))]
        except SyntaxError:  # the kernel will say so; still, every import line that parses counts
            trees = []
            for line in lines:
                try:
                    trees.append(ast.parse(line.strip()))
                except SyntaxError:
                    continue
        for tree in trees:
            roots |= _imports(tree, "__main__", False)
    return frozenset(roots)


# What a module reads of the package at run time besides modules: the presentation's templates
# (templating.environment loads them from presentation/templates), rendered into the notebook's output.
PACKAGE_DATA = {"regenpolicy.presentation.templating": "presentation/templates"}


def notebook_modules(step: Step, package: Path | None = None) -> list[Path]:
    """The files of the package a notebook's code runs: the modules its code cells import and the
    modules of its declared parameter class and model, with everything they import in turn
    and the packages around them (``__init__.py``, run on import), by the static import graph,
    and the files those modules read (``PACKAGE_DATA``: a template edit must re-run the notebooks
    whose output it shaped). Only the modules reached are read (a notebook reaches none of the build's own)."""
    package = package or Path(regenpolicy.__file__).parent
    roots = {f"regenpolicy.models.{dotted.rpartition('.')[0]}" for dotted in (step.parameters, step.model) if dotted}
    roots |= _cell_imports(str(step.path), file_stamp(step.path))
    seen: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or (path := _module_file(package, name)) is None:
            continue
        seen[name] = path
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # importing a.b.c runs a and a.b first
        todo.extend(_module_imports(str(path), name, path.name == "__init__.py", file_stamp(path)))
    data = [p for name, folder in sorted(PACKAGE_DATA.items()) if name in seen
            for p in sorted((package / folder).rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    return sorted(seen.values()) + data


CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)  # jupytext MyST


def code_hash(requirements: Path, everything: bool = False, modules: Iterable[Path] | None = None,
              package: Path | None = None) -> str:
    """Hash of the code a notebook runs: ``modules`` (see ``notebook_modules``), or every module of
    the package but the build's (or, with ``everything``, every file of the package, templates too: what
    the site, the PDF and the deck are made with), and the pins. Memoised on the files' stamps
    (``file_stamp``): a long-lived process (the preview) asks for it each rebuild and reads the files
    again only when one was written. ``package``: the package's folder (the installed one by default)."""
    package = package or Path(regenpolicy.__file__).parent
    if modules is None and everything:
        modules = walk(package)  # (the files the no-op check and the build server's name count too)
    elif modules is None:
        modules = (p for p in package.rglob("*.py") if "builder" not in p.relative_to(package).parts)
    files = [*sorted(modules), requirements]
    return _code_hash(str(package.parent), tuple((str(p), file_stamp(p)) for p in files))


@functools.lru_cache(maxsize=256)
def _code_hash(root: str, files: tuple[tuple[str, tuple[int, int, int, int]], ...]) -> str:
    base = Path(root)
    digest = hashlib.sha256()
    for name, _ in files:
        path = Path(name)
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path.name).encode()
                      + b"\0" + path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=256)
def _code_text(path: str, stamp: tuple[int, int, int, int]) -> bytes:
    """What a run depends on of a notebook's text: its front matter and its code cells with their options,
    not the prose between them (a prose edit reuses the run; ``with_text`` puts the new prose in). A code
    cell the pattern does not see (another fence) keeps the whole text in. ``stamp`` keys the memo."""
    text = Path(path).read_text(encoding="utf-8")
    if "{code-cell}" in CODE_CELL.sub("", text):
        return text.encode()
    header = text[:text.find("\n---", 3) + 4] if text.startswith("---") else ""
    return "\0".join([header, *(m.group(0) for m in CODE_CELL.finditer(text))]).encode()


def source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def with_text(result: Result, source: Path, entry: Path) -> Result:
    """A stored run with the notebook's prose as it is now: the run's code cells (outputs and all) in the
    current text's cells; kept beside the run by the text's hash. The run itself when it ran this text."""
    import jupytext
    import nbformat

    digest = source_digest(source)
    ran = entry / "source.sha256"
    if ran.is_file() and ran.read_text(encoding="utf-8") == digest:
        return result
    target = entry / f"text-{digest}.ipynb"
    if not target.is_file():
        nb = jupytext.read(source)
        executed = nbformat.read(result.notebook, as_version=4)
        new = [c for c in nb.cells if c.cell_type == "code"]
        old = [c for c in executed.cells if c.cell_type == "code"]
        if len(new) != len(old):  # cannot happen when the key matched; the run as it was
            return result
        for cell, run in zip(new, old, strict=True):
            cell.outputs, cell.execution_count, cell.metadata = run.outputs, run.execution_count, run.metadata
        nb.metadata = executed.metadata
        for i, cell in enumerate(nb.cells):
            cell.id = f"cell-{i}"
        write_whole(target, lambda tmp: nbformat.write(nb, tmp))
    return Result(result.name, target, result.figures, result.numbers, result.executed)


def cache_key(step: Step, parameters: Mapping[str, Any], settings: Mapping[str, Any], code: str,
              dataset: Dataset) -> str:
    """What identifies a run before it starts: source (its code cells, ``_code_text``), parameters,
    settings used, code and the tables declared."""
    digest = hashlib.sha256(_code_text(str(step.path), file_stamp(step.path)))
    digest.update(step.path.with_suffix(".yml").read_bytes())  # the declaration: tables, labels, units, checks
    digest.update(json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps({k: settings[k] for k in step.settings}, sort_keys=True).encode())
    digest.update(code.encode())
    tables = sorted(dataset.hashes) if step.reads_everything else step.tables
    for name in tables:
        digest.update(f"{name}\0{dataset.hashes[name]}\n".encode())
    return digest.hexdigest()[:24]


def _first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


def _running_cell(nb: Any) -> tuple[int | str, str]:
    """The last code cell papermill started in the notebook it is running (it marks each as it starts)."""
    if nb is None:
        return "?", ""
    code = [c for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    started = [(n, c.source) for n, c in enumerate(code, start=1) if c.metadata.get("papermill", {}).get("start_time")]
    return started[-1] if started else ("?", "")


class Kernels(Protocol):
    """Where started kernels come from (``regenpolicy.builder.kernels.WarmKernels``)."""

    def take(self) -> Kernel: ...

    def release(self, kernel: Kernel) -> None: ...

    def close(self) -> None: ...


class SharedKernels:
    """Warm kernels for builds that follow one another in one process (the editions of ``make site``):
    the fork server starts when the first of them has a notebook to run, and stays until ``close``."""

    def __init__(self) -> None:
        self._warm: Kernels | None = None
        self._asked = False

    def warm(self, size: int) -> Kernels | None:
        """The fork server's kernels, ``size`` kept started (when this is the first ask: later asks get the
        same); None if it cannot start."""
        if not self._asked:
            self._asked = True
            self._warm = _warm_kernels(size)
        return self._warm

    def close(self) -> None:
        if self._warm is not None:
            self._warm.close()
            self._warm = None


@functools.cache
def _engine() -> str:
    """papermill's nbclient engine, registered once as ``regenpolicy``, with two differences:

    - a kernel taken from ``Kernels`` comes with its client connected and ready (``kc``), which
      nbclient would otherwise connect and wait for (``wait_for_ready`` listens 0.2 s for silence);
    - the notebook being run is handed to the caller (``running``), so that a cell that times out can
      be named without papermill saving the notebook as each cell starts and ends (the build saves
      the executed notebook once).

    The keyword arguments are handled as ``NBClientEngine.execute_managed_notebook`` handles them."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class Engine(NBClientEngine):  # type: ignore[misc]  # papermill has no type information
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None, start_timeout: int = 60,
                                     execution_timeout: int | None = None, kc: Any = None,
                                     running: list[Any] | None = None, **kwargs: Any) -> Any:
            if running is not None:
                running.append(nb_man.nb)
            kwargs = remove_args(["input_path"], **kwargs)
            client = PapermillNotebookClient(nb_man, **merge_kwargs(
                remove_args(["timeout", "startup_timeout"], **kwargs),
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file))
            if kc is not None:
                kc.allow_stdin = False  # as nbclient sets it on a client it connects
                client.kc = kc
            return client.execute()

    papermill_engines.register(ENGINE, Engine)
    return ENGINE


def _execute(step: Step, context: Path, run_dir: Path, timeout: int, kernels: Kernels | None = None) -> Path:
    """Run the notebook with papermill in ``run_dir``; return the executed notebook.

    With ``kernels``, the notebook runs in a started kernel taken from them (and released to them
    after, to be shut down); without, papermill starts a kernel of its own.
    """
    import jupytext
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError

    nb = jupytext.read(step.path)
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (regenpolicy)", "language": "python"}
    unexecuted = run_dir / f"{step.name}.unexecuted.ipynb"
    nbformat.write(nb, unexecuted)
    executed = run_dir / f"{step.name}.ipynb"
    where = f"notebooks/{step.name}.md"
    for attempt in (1, 2):
        kernel = kernels.take() if kernels is not None else None
        running: list[Any] = []  # the notebook as papermill runs it (``_engine``)
        try:
            # The kernel runs in run_dir. Not papermill's cwd=, which changes the working directory of
            # the whole process, under the other threads' feet: nbclient's resources path. No output
            # path: papermill would save the notebook as each cell starts and ends; it is saved below.
            result = papermill.execute_notebook(
                str(unexecuted), None, parameters={"context": str(context)}, kernel_name=KERNEL,
                engine_name=_engine(), request_save_on_cell_execute=False, running=running,
                execution_timeout=timeout, progress_bar=False, log_output=False, report_mode=False,
                resources={"metadata": {"path": str(run_dir)}},
                **({"km": kernel.manager, "kc": kernel.client} if kernel is not None else {}),
            )
            break
        except papermill.PapermillExecutionError as exc:
            number = sources.index(exc.source) + 1 if exc.source in sources else "?"
            raise ExecutionError(
                f"notebook {where} failed in code cell {number} (the cell starting "
                f"'{_first_line(exc.source)}'): {exc.ename}: {exc.evalue}") from None
        except CellTimeoutError:
            number, source = _running_cell(running[-1] if running else None)
            raise ExecutionError(
                f"notebook {where}: code cell {number} (the cell starting '{_first_line(source)}') did not finish "
                f"within {timeout} s; the build stopped it (raise --cell-timeout if it is expected to be slow)"
            ) from None
        except Exception as exc:  # the kernel did not start, or died
            started = (run_dir / "out" / "started").exists()
            if attempt == 1 and not started:
                # Kernels started at the same moment can race for ports (papermill #511): once more.
                print(printable(f"[build] notebook {step.name}: the kernel did not start ({type(exc).__name__}: {exc}); "
                                "retrying once"), flush=True)
                continue
            raise ExecutionError(f"notebook {where} could not be executed: {type(exc).__name__}: {exc}") from None
        finally:
            if kernel is not None and kernels is not None:
                kernels.release(kernel)
    # Drop the injected context (a path of this machine) and what differs from run to run
    # (timings, random cell ids), so that the same inputs give the same pages.
    result.metadata.pop("papermill", None)
    result.cells = [c for c in result.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for i, cell in enumerate(result.cells):
        cell.id = f"cell-{i}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(result, executed)
    return executed


def _check_declaration(step: Step, out: Path) -> None:
    """The notebook read exactly the tables and published exactly the figures it declares."""
    where = f"notebooks/{step.name}.md"
    reads_file = out / "reads.txt"
    read = set(reads_file.read_text(encoding="utf-8").split()) if reads_file.exists() else set()
    declared = set(step.tables)
    if step.reads_everything:
        if ALL_TABLES not in read:
            raise ExecutionError(f"{where} declares tables: \"*\" but never reads the catalogue; declare the "
                                 f"tables it reads instead: {', '.join(sorted(read))}")
    elif read != declared:
        parts = []
        if declared - read:
            parts.append(f"declared but never read: {', '.join(sorted(declared - read))}")
        if read - declared:
            parts.append(f"read but not declared: {', '.join(sorted(read - declared))}")
        raise ExecutionError(f"{where}: its declaration ({step.path.stem}.yml: tables) does not match what it read "
                             f"({'; '.join(parts)})")
    published_file = out / "published.json"
    published = json.loads(published_file.read_text(encoding="utf-8")) if published_file.exists() else []
    if sorted(published) != sorted(step.figures):
        raise ExecutionError(f"{where}: published {', '.join(published) or 'no figure'} but its declaration "
                             f"({step.path.stem}.yml: figures) declares {', '.join(step.figures) or 'none'}")


class Progress:
    """Done/total with timings: plain lines in logs, plus a live status line on a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None):
        # (sys.stdout as it is now: a build server writes to its caller's)
        self.total, self.done, self.stream = total, 0, stream or sys.stdout
        self.running: dict[str, float] = {}
        self.tty = self.stream.isatty() and os.environ.get("CI") is None
        self.lock = threading.Lock()

    def _status(self) -> None:
        if self.tty:
            now = time.monotonic()
            running = printable(", ".join(f"{n} {now - t:.0f}s" for n, t in self.running.items()))
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
            self.stream.write(printable(f"[build] notebook {self.done}/{self.total} {name}: {what}") + "\n")
            self.stream.flush()
            self._status()


@dataclass(frozen=True)
class Job:
    step: Step
    parameters: dict[str, Any]  # checked values (Parameters.values())
    settings: dict[str, Any]  # the edition's settings (all; the notebook sees those it declares)


def _reuse(step: Step, entry: Path) -> Result:
    numbers = json.loads((entry / "numbers.json").read_text(encoding="utf-8"))
    return with_text(Result(step.name, entry / f"{step.name}.ipynb", entry / "figures", numbers, False), step.path, entry)


def run_notebooks(jobs: list[Job], dataset: Dataset, snapshot: Path, cache: Path, workdir: Path,
                  requirements: Path, workers: int | None = None, timeout: int = DEFAULT_CELL_TIMEOUT,
                  kernels: Kernels | SharedKernels | None = None, on_result: Callable[[Result], None] | None = None,
                  only: str | None = None, stale: Mapping[str, Result] | None = None) -> dict[str, Result]:
    """Execute (or reuse) every notebook; raise ExecutionError naming every failure.

    ``only`` (the preview's first pass, for the page its author has open): run only that notebook;
    every other one whose run is out of date gets its last result from ``stale`` (runs if it has none).

    ``on_result`` is called with each notebook's result as soon as it is there (from the cache, or
    when its run ends), in the thread that made it: the build draws its figures meanwhile.

    The kernels come from ``kernels`` (a preview session keeps them warm between builds; a site's
    editions share theirs, started by the first edition that runs a notebook) or, when some notebook
    must run, from a fork server started for this call.
    """
    progress = Progress(len(jobs))
    entries = {job.step.name: cache / "notebooks" / job.step.name /
               cache_key(job.step, job.parameters, job.settings,
                         code_hash(requirements, modules=notebook_modules(job.step)), dataset) for job in jobs}
    results: dict[str, Result] = {}
    for entry in entries.values():
        remove_stale_entries(entry.parent)
    for job in jobs:
        if (entries[job.step.name] / "done").exists():
            results[job.step.name] = _reuse(job.step, entries[job.step.name])
            progress.finish(job.step.name, "unchanged, reused")
            if on_result is not None:
                on_result(results[job.step.name])
    if only is not None:
        for job in jobs:
            old = (stale or {}).get(job.step.name)
            if job.step.name != only and job.step.name not in results and old is not None and old.notebook.is_file():
                results[job.step.name] = Result(old.name, old.notebook, old.figures, old.numbers, False)
                progress.finish(job.step.name, "out of date, its last run kept for now")
    todo = [job for job in jobs if job.step.name not in results]
    # One more than the cores: a kernel spends part of its start-up waiting, not computing.
    most = max(1, workers or (os.cpu_count() or 1) + 1)
    workers = min(most, len(todo) or 1)
    own = _warm_kernels(workers, len(todo)) if todo and kernels is None else None
    if not todo and kernels is None:  # nothing to run: the fork server the command line started early stops
        close_early()                 # now, not after the website, the deck and the PDF it would slow
    if isinstance(kernels, SharedKernels):
        source = kernels.warm(most) if todo else None
    else:
        source = kernels or own

    stop = threading.Lock()  # held while a notebook's folder is made, and to stop (``stopped``)
    stopped: list[bool] = []

    def one(job: Job) -> Result:
        step = job.step
        entry = entries[step.name]
        started = time.monotonic()
        run_dir = workdir / step.name
        out = run_dir / "out"
        with stop:  # after Ctrl-C no notebook starts, nor makes its folder in the build's (being removed)
            if stopped:
                raise ExecutionError(f"notebook {step.path.name}: not run (the build was stopped)")
            progress.start(step.name)
            shutil.rmtree(run_dir, ignore_errors=True)
            (out / "figures").mkdir(parents=True)
        context = run_dir / "context.json"
        context.write_text(json.dumps({
            "notebook": str(step.path), "snapshot": str(snapshot), "out": str(out),
            "parameters": job.parameters, "settings": job.settings,
        }, ensure_ascii=False, indent=1), encoding="utf-8")
        ran = source_digest(step.path)  # before the run: a save during it is another text
        executed = _execute(step, context, run_dir, timeout, source)
        _check_declaration(step, out)
        numbers_file = out / "numbers.json"
        numbers = json.loads(numbers_file.read_text(encoding="utf-8")) if numbers_file.exists() else {}

        def fill(folder: Path) -> None:
            shutil.move(str(executed), str(folder / executed.name))
            shutil.move(str(out / "figures"), str(folder / "figures"))
            (folder / "numbers.json").write_text(json.dumps(numbers, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            (folder / "source.sha256").write_text(ran, encoding="utf-8")  # the text it ran (``with_text``)

        store_entry(entry, fill)  # (an entry another build stored meanwhile is kept: it may be being read)
        reads = (out / "reads.txt").read_text(encoding="utf-8").split() if (out / "reads.txt").exists() else []
        progress.finish(step.name, f"executed in {time.monotonic() - started:.1f} s "
                                   f"(reads {', '.join(r if r != ALL_TABLES else 'every table' for r in reads)})")
        done = Result(step.name, entry / f"{step.name}.ipynb", entry / "figures", numbers, True)
        if on_result is not None:
            on_result(done)
        return done

    errors = []
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {job.step.name: pool.submit(one, job) for job in todo}
        for name, future in futures.items():
            try:
                results[name] = result_of(future)
            except ExecutionError as exc:
                errors.append(str(exc))
    except KeyboardInterrupt:  # Ctrl-C: no notebook starts after it, and the kernels of this call are stopped below
        with stop:
            stopped.append(True)
        raise
    finally:
        pool.shutdown(wait=not stopped, cancel_futures=bool(stopped))
        if own is not None:
            own.close()
    if errors:
        raise ExecutionError("\n".join(errors))
    return {job.step.name: results[job.step.name] for job in jobs}


STALE_ENTRY = re.compile(r"\.[0-9a-f]{24}\.(\d+)\.\d+")


def remove_stale_entries(folder: Path) -> None:
    """Remove the half-written cache entries (``.<key>.<pid>.<thread>``) of builds whose process is gone
    (stopped by ``kill -9``): the cache is shared by builds of several folders, so the test is the pid."""
    from regenpolicy.builder.publish import process_alive

    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = STALE_ENTRY.fullmatch(entry.name)
        if match and int(match.group(1)) != os.getpid() and not process_alive(int(match.group(1))):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _warm_kernels(size: int, limit: int | None = None) -> Kernels | None:
    """A fork server and a pool of ``size`` started kernels (at most ``limit`` in all: the notebooks of one
    build) for this build; None (papermill starts kernels) if it cannot start."""
    from regenpolicy.builder.kernels import WarmKernels

    try:
        return WarmKernels(size, KERNEL, limit)
    except (OSError, RuntimeError) as exc:
        print(printable(f"[build] the kernel fork server did not start ({exc}); starting kernels one by one"), flush=True)
        return None

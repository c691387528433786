"""``python -m regenpolicy``: build, deck, site, validate, preview, verify.

Exit codes: 0 done; 2 bad input (a data table, a profile, a parameter: nothing ran, the previous
output is unchanged); 1 a step failed (a notebook, Jupyter Book or the printer: the previous output
is unchanged); 130 stopped by Ctrl-C (the previous output is unchanged).

The build's modules (pandas, Sphinx, the models) are imported only once a command needs them: a
``build`` whose inputs have not changed since the last one finished is answered from
``regenpolicy.builder.noop`` without them.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from regenpolicy.builder import kernels, noop, server
from regenpolicy.builder.defaults import DEFAULT_CELL_TIMEOUT

CTRL_C = threading.Event()  # set when Ctrl-C stops this process's build (``_on_ctrl_c``)


def _on_ctrl_c(signum: int, frame: Any) -> None:
    """Python's own Ctrl-C (KeyboardInterrupt in the main thread), remembered: the kernels and Chromium get
    the terminal's Ctrl-C too, and what their ends raise (a cell's KeyboardInterrupt, a closed connection)
    is then the stop, not a failure to report. So are the libraries' log lines and warnings from then on
    (a kernel that died, a pipe closed, a print never awaited): the one line that says it stopped is left."""
    import logging
    import warnings

    CTRL_C.set()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    raise KeyboardInterrupt


def _stopped() -> int:
    print(server.STOPPED_LINE, file=sys.stderr, flush=True)
    return server.STOPPED


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m regenpolicy",
                                     description="Build the report: website, PDF and figure files.")
    parser.add_argument("--project", default=".", help="the project folder (default: the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    common.add_argument("--jobs", type=_positive, default=None, help="notebooks run at once (default: cores + 1)")
    common.add_argument("--cell-timeout", type=_positive, default=DEFAULT_CELL_TIMEOUT,
                        help=f"seconds a notebook cell may run before the build stops it (default {DEFAULT_CELL_TIMEOUT})")
    common.add_argument("--cache-dir", default=None,
                        help="the notebooks' and the PDF's cache, shared by builds (default: <project>/_build/.cache)")
    b = sub.add_parser("build", parents=[common], help="build one edition: website, PDF and figure files")
    b.add_argument("--submission", default="default", help="profile id in submissions/ or a path to a YAML file")
    b.add_argument("--out", default=None, help="output folder (default: <project>/_build)")
    d = sub.add_parser("deck", parents=[common], help="build one edition's submission deck: <id>-deck.pptx and <id>-deck.pdf")
    d.add_argument("--submission", default="default", help="profile id in submissions/ or a path to a YAML file")
    d.add_argument("--out", default=None, help="output folder (default: <project>/_build/deck)")
    s = sub.add_parser("site", parents=[common], help="build every edition in submissions/ into one static site")
    s.add_argument("--out", default=None, help="site folder (default: <project>/_build/site)")
    sub.add_parser("validate", help="check data/ (every table version) and every submission profile")
    v = sub.add_parser("verify", help="check an edition's data zip against the stamp inside it (SHA-256 of every file)")
    v.add_argument("zip", help="the <edition>-data.zip to check")
    pv = sub.add_parser("preview", help="serve the report on 127.0.0.1, rebuilding and reloading it on every save")
    pv.add_argument("--submission", default="default", help="profile id in submissions/ or a path to a YAML file")
    pv.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0: any free port, printed)")
    pv.add_argument("--cache-dir", default=None, help="the notebooks' cache (default: <project>/_build/.cache)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.command == "verify":
        return verify(Path(args.zip))
    inputs = None
    if args.command == "build":
        started = time.monotonic()
        root, out = Path(args.project).resolve(), Path(args.out or Path(args.project) / "_build").resolve()
        inputs = noop.fingerprint(root, {"command": "build", "submission": args.submission, "out": str(out),
                                         "pdf": not args.no_pdf})
        if noop.up_to_date(out, inputs):
            print(f"[build] up to date ({time.monotonic() - started:.2f} s): no input changed since the last build "
                  f"finished and its published files are as it left them", flush=True)
            return 0
        code = server.delegate(root, argv, inputs)  # the project's build server runs it, if one runs
        if code is not None:
            return code
    building = args.command in ("build", "site", "deck")
    before = signal.signal(signal.SIGINT, _on_ctrl_c) if building else None
    try:
        if args.command in ("build", "site"):  # (a notebook will likely run: the kernels' fork server imports meanwhile)
            kernels.start_early()
        code = _run(args, inputs)
    except KeyboardInterrupt:
        code = _stopped()
    finally:
        kernels.close_early()
        if before is not None:
            signal.signal(signal.SIGINT, before)
    if code == server.STOPPED:
        return code
    if args.command == "build" and server.enabled() and server.start(Path(args.project).resolve()):
        print(f"[build] started a build server for the next builds of this project, with Sphinx, the kernels, the drawing "
              f"workers and Chromium kept warm; it leaves after {server.IDLE_SECONDS / 60:.0f} min without a build "
              f"({server.ENV}=0: no server)", flush=True)
    return code


def run_in(argv: list[str], inputs: str | None, session: Any, root: Path) -> int:
    """The command line ``argv`` run in the build server of ``root`` with its warm ``session``: a ``build`` of
    that project only."""
    args = _parser().parse_args(argv)
    if args.command != "build" or Path(args.project).resolve() != root.resolve():
        print(f"error: the build server of {root} runs only a build of that project", file=sys.stderr)
        return 2
    return _run(args, inputs, session)


def _run(args: argparse.Namespace, inputs: str | None, session: Any = None) -> int:
    from regenpolicy.builder.pipeline import BuildError, Options, build, build_deck_only, build_site, log, validate
    from regenpolicy.builder.profile import ProfileError, load_profile
    from regenpolicy.builder.project import Project
    from regenpolicy.builder.registry import StepError, load_registry
    from regenpolicy.data import DataValidationError

    project = Project(Path(args.project).resolve())
    try:
        if args.command == "validate":
            log(validate(project))
            return 0
        if args.command == "preview":
            from regenpolicy.builder.preview import Preview

            Preview(project, args.submission, args.port, project.root / "_build" / "preview",
                    cache=Path(args.cache_dir).resolve() if args.cache_dir else None).run()
            return 0
        options = Options(pdf=not args.no_pdf, workers=args.jobs, cell_timeout=args.cell_timeout)
        cache = Path(args.cache_dir).resolve() if args.cache_dir else None
        if args.command == "site":
            # the site folder is a link to its current release: resolved, a second build would work
            # inside the release folder (its editions and releases beside the old site)
            site = Path(args.out or project.root / "_build" / "site")
            build_site(project, site.parent.resolve() / site.name, options, cache=cache)
            return 0
        registry = load_registry(project)
        profile = load_profile(args.submission, project, registry)
        if args.command == "deck":
            build_deck_only(project, profile, Path(args.out or project.root / "_build" / "deck").resolve(), options,
                            cache=cache)
            return 0
        out = Path(args.out or project.root / "_build").resolve()
        build(project, profile, out, options, cache=cache, session=session)
        if inputs is not None:
            with contextlib.suppress(KeyboardInterrupt):  # (published: a Ctrl-C now only leaves it unrecorded)
                noop.remember(out, inputs)
        return 0
    except (DataValidationError, ProfileError, StepError) as exc:
        error(exc, "Nothing was built; the previous output is unchanged.")
        return 2
    except BuildError as exc:
        if CTRL_C.is_set():  # (the kernels' cells stopped by the same Ctrl-C)
            return _stopped()
        error(exc, "The build stopped; the previous output is unchanged.")
        return 1
    except KeyboardInterrupt:
        return _stopped()
    except Exception:
        if CTRL_C.is_set():  # (Chromium's driver ended by the same Ctrl-C, say)
            return _stopped()
        raise


def verify(path: Path) -> int:
    """0 when every file of the data zip has the SHA-256 its stamp lists (and no file is missing or
    added); 1, naming each difference, otherwise."""
    from regenpolicy.builder.editions import verify_data_zip
    from regenpolicy.data import printable

    problems = verify_data_zip(path)
    if problems:
        lines = "\n".join(f"  - {printable(p)}" for p in problems)
        print(f"error: {printable(path)} does not match its stamp ({len(problems)} problem(s)):\n{lines}", file=sys.stderr)
        return 1
    print(f"{printable(path)}: every file matches its stamp (SHA-256)")
    return 0


def error(exc: BaseException, outcome: str) -> None:
    """An error on the terminal: whatever a header, an id or a cell holds, its control characters
    (ESC sequences, bidi controls) are printed as visible escapes (``\\x1b``), never run."""
    from regenpolicy.data import printable

    print(f"error: {printable(exc, lines=True)}\n{outcome}", file=sys.stderr)

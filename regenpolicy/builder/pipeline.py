"""The build: data → validation → snapshot → papermill → Jupyter Book (HTML) → PDF → one release.

Everything that can be checked is checked before a notebook runs: the profile, the notebooks'
declarations, every table, the printed values, and every parameter against its declared type and
range. Notebooks read a validated snapshot, run in parallel and are reused from the cache folder
(``--cache-dir``, by default ``<project>/_build/.cache``, content-addressed and shared by builds into
any output folder, also at the same time) when nothing they declare changed; Sphinx rebuilds only
changed pages (its working folder is the output folder's own, ``<out>/.book``). The outputs are assembled
in a staging folder and published as one release by a single rename (``regenpolicy.builder.publish``),
under a lock that keeps a second build in the same folder from touching the first one's files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from regenpolicy.builder import editions, sitefiles
from regenpolicy.builder.book import (
    BookError,
    SphinxWorker,
    copy_site,
    edition_contents,
    from_setup,
    jupyter_book,
    stage_book,
    tree_hash,
    vega_bundle_path,
)
from regenpolicy.builder.defaults import DEFAULT_CELL_TIMEOUT
from regenpolicy.builder.editions import EditionInputs
from regenpolicy.builder.execute import (
    ExecutionError,
    Job,
    Kernels,
    Result,
    SharedKernels,
    code_hash,
    file_stamp,
    run_notebooks,
)
from regenpolicy.builder.pdf import Chromium, PdfError, print_pdf
from regenpolicy.builder.profile import Profile, ProfileError, all_profiles, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.publish import BuildLock, is_current, publish
from regenpolicy.builder.registry import Registry, load_registry
from regenpolicy.data import Dataset, DataValidationError, load_dataset, printable, write_snapshot
from regenpolicy.data.files import link_whole
from regenpolicy.models.checks import data_parameter_problems, printed_value_problems
from regenpolicy.presentation.draw import FRAME_SUFFIX, Drawer, DrawError, use_subset
from regenpolicy.presentation.worker import result_of


class BuildError(Exception):
    """A build step failed; the message says which and why."""


class Superseded(Exception):
    """The preview's build stopped between two steps: its author saved again meanwhile."""


def log(message: str) -> None:
    """A line of the build's log: control and bidi characters of any value it quotes printed as escapes."""
    print(f"[build] {printable(message, lines=True)}", flush=True)


@dataclass(frozen=True)
class Options:
    pdf: bool = True
    workers: int | None = None
    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    # draw every figure's downloads (CSV, Excel, SVG, 2× PNG) now; the preview leaves them to be
    # drawn when a reader asks for one (or the PDF is printed)
    downloads: bool = True
    # the submission deck (<edition>-deck.pptx, and its PDF when the PDF is printed), linked beside the PDF
    deck: bool = True
    # the preview's first pass for the page its author has open: run only this notebook (if it is out of
    # date; else build nothing), keep the others' last runs (session.results) and draw no print SVG, so
    # that page is published first; the ordinary build follows and makes everything else right
    first: str | None = None


@dataclass
class Session:
    """What a preview keeps alive between builds (warm kernels, a started Sphinx, drawing workers, its own
    book folder), and ``make site`` between its editions (kernels, Sphinx, drawing workers, Chromium)."""

    kernels: Kernels | SharedKernels | None = None
    sphinx: SphinxWorker | None = None
    book: Path | None = None
    drawer: Drawer | None = None
    chromium: Chromium | None = None  # the printers' browser
    # the last validation (``prepare``) and the stamps of every file it read: a rebuild whose inputs
    # to it are unchanged (a notebook's text edited) reuses it
    prepared: tuple[Any, tuple[Dataset, EditionInputs]] | None = None
    # each notebook's result in the last complete build (what a first pass keeps for the others)
    results: dict[str, Result] | None = None
    # asked between the steps of a build (after the notebooks, before Sphinx, before publishing):
    # True stops it there (Superseded), since a newer save is to be built
    superseded: Callable[[], bool] | None = None

    def check(self) -> None:
        if self.superseded is not None and self.superseded():
            raise Superseded()

    def close(self) -> None:
        """Stop the helper processes it holds."""
        for helper in (self.kernels, self.sphinx, self.drawer, self.chromium):
            if helper is not None:
                helper.close()
        self.kernels = self.sphinx = self.drawer = self.chromium = None


def prepare(project: Project, profile: Profile, registry: Registry) -> tuple[Dataset, EditionInputs]:
    """Validate everything an edition needs; raise DataValidationError / ProfileError before anything runs."""
    project.site_url()  # a ProfileError naming _config.yml's line if it is not an address
    dataset = load_dataset(project.data_dir, profile.data_vintage, origin=str(profile.path))
    registry.check_tables(dataset.tables)  # a DeclarationError: bad input, exit 2
    problems = data_parameter_problems(dataset) or printed_value_problems(dataset, registry.steps.values())
    if problems:
        raise DataValidationError(problems)
    resolved = resolve_parameters(profile, registry, dataset)
    inputs = EditionInputs(profile, dataset, resolved, profile.notebooks(registry), {})
    return dataset, inputs


def prepare_inputs(project: Project, profile: Profile) -> tuple[Any, ...]:
    """What ``prepare`` reads, as file stamps (``execute.file_stamp``: a write always changes it) and the
    profile's bytes: every file of ``data/``, the notebooks' declarations, ``_config.yml`` and ``_toc.yml``."""
    files = [p for p in sorted(project.data_dir.rglob("*")) if p.is_file()]
    files += sorted(project.notebooks_dir.glob("*.yml"))
    files += [p for p in (project.root / "_config.yml", project.root / "_toc.yml") if p.is_file()]
    return (hashlib.sha256(profile.shipped()).hexdigest(), str(profile.path),
            tuple((str(p), file_stamp(p)) for p in files))


def _prepare(project: Project, profile: Profile, registry: Registry, session: Session | None
             ) -> tuple[Dataset, EditionInputs]:
    """``prepare``, reused by a preview session when nothing it reads changed."""
    if session is None:
        return prepare(project, profile, registry)
    key = prepare_inputs(project, profile)
    if session.prepared is not None and session.prepared[0] == key:
        return session.prepared[1]
    session.prepared = None
    prepared = prepare(project, profile, registry)
    session.prepared = (key, prepared)
    return prepared


def build(project: Project, profile: Profile, out: Path, options: Options = Options(), *,
          cache: Path | None = None, previous: EditionInputs | None = None, locked: bool = True,
          session: Session | None = None) -> EditionInputs:
    """Build one edition into ``out``; return what it was built from (for the next edition's changes page)."""
    started = time.monotonic()
    with BuildLock(out, log) if locked else nullcontext():
        registry = _registry(project)
        log(f"submission '{profile.id}': {profile.title}")
        dataset, inputs = _prepare(project, profile, registry, session)
        log(f"data: {len(dataset.tables)} tables valid"
            + (f" (versions: {', '.join(f'{k}={v}' for k, v in profile.data_vintage.items())})"
               if profile.data_vintage else "") + f"; parameters of {len(inputs.notebooks)} notebooks valid")
        cache = cache or project.root / "_build" / ".cache"
        staging = out / f".staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        session = session or Session()
        # Sphinx's process is started now, to import itself while the notebooks run (a preview's is warm)
        own = session.sphinx is None
        if own:
            session.sphinx = SphinxWorker(preview=False)
        try:
            built, inputs = _build_in(project, registry, staging, cache, dataset, inputs, out, options, previous,
                                      session)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if own and session.sphinx is not None:
                session.sphinx.close()
                session.sphinx = None
    if built:
        log(f"done in {time.monotonic() - started:.1f} s: {out / 'html' / 'index.html'}"
            + (f", {out / 'pdf' / 'report.pdf'}" if options.pdf else "") + f", {out / 'figures'}/")
    elif options.first is not None:
        log(f"first pass ({time.monotonic() - started:.1f} s): the open page's notebook is as last built")
    else:
        log(f"up to date ({time.monotonic() - started:.1f} s): nothing that the site or the PDF depends on changed")
    return inputs


def _registry(project: Project) -> Registry:
    return load_registry(project)  # a bad declaration raises DeclarationError: bad input, exit 2


def _build_in(project: Project, registry: Registry, staging: Path, cache: Path, dataset: Dataset,
              inputs: EditionInputs, out: Path, options: Options, previous: EditionInputs | None,
              session: Session) -> tuple[bool, EditionInputs]:
    # Figures are drawn (print SVG; downloads unless the preview leaves them for later) outside the
    # kernels, in drawing workers, as each notebook finishes: while the others still run.
    # A session's workers (the preview's, make site's, the build server's) draw for each build; ones made for
    # another cache, or whose cache or font subset was deleted since, are replaced in the session
    if session.drawer is not None and not session.drawer.serves(cache):
        old = session.drawer
        old.close()
        session.drawer = Drawer(cache, workers=old.workers, text=old.text)
    drawer = session.drawer or Drawer(cache, text=project.chart_text)
    try:
        return _build_drawn(project, registry, staging, cache, dataset, inputs, out, options, previous, session,
                            drawer)
    except KeyboardInterrupt:  # Ctrl-C: what is queued is not drawn; what is being drawn is waited for (it
        drawer.drop()  # would make its folder again in the build's, which the build then removes)
        raise
    finally:
        if drawer is not session.drawer:
            drawer.close()


class Downloads(NamedTuple):
    """The figures' downloads of a build, drawn into ``folder`` while its website is built; ``wait`` for them."""

    drawer: Drawer
    folder: Path
    started: float  # when the notebooks started (for the log)

    def wait(self) -> None:
        try:
            count, fresh = self.drawer.wait()
        except DrawError as exc:
            raise BuildError(str(exc)) from None
        if fresh:
            log(f"downloads: {fresh} of {count} figures and tables drawn (done "
                f"{max(self.drawer.finished, self.started) - self.started:.1f} s after the notebooks started), the rest unchanged")


def _build_drawn(project: Project, registry: Registry, staging: Path, cache: Path, dataset: Dataset,
                 inputs: EditionInputs, out: Path, options: Options, previous: EditionInputs | None,
                 session: Session, drawer: Drawer) -> tuple[bool, EditionInputs]:
    profile, resolved = inputs.profile, inputs.resolved
    snapshot = write_snapshot(dataset, cache / "snapshots")
    jobs = [Job(registry.steps[n], resolved.parameters[n].values(), resolved.settings.values())
            for n in inputs.notebooks]
    result = staging / "result"
    figures = result / "figures"
    figures.mkdir(parents=True)
    downloads = staging / "downloads"  # drawn here meanwhile; published with the figures once the website is built
    if drawer is session.drawer:  # what a build stopped early (a newer save, Ctrl-C) left it drawing, and its counts
        with contextlib.suppress(DrawError):
            drawer.wait()
    first = options.first if options.first in inputs.notebooks else None
    if options.first is not None and (first is None or session.results is None):
        return False, inputs  # a first pass for a page of no notebook of this edition, or with no last build
    t0 = time.monotonic()
    bundle = vega_bundle_path(cache)
    # a cold cache: the bundle make setup made, else bundled by a worker meanwhile, not in the website's time
    if not bundle.exists() and not from_setup(bundle):
        drawer.vega_bundle(bundle)
    try:
        results = run_notebooks(jobs, dataset, snapshot, cache, staging / "work", project.root / "requirements.txt",
                                options.workers, options.cell_timeout, session.kernels,
                                on_result=None if first else
                                lambda r: drawer.figures(r.figures, downloads if options.downloads else None),
                                only=first, stale=session.results if first else None)
    except ExecutionError as exc:
        session.check()  # interrupted by the preview for a newer save: no failure to show
        raise BuildError(str(exc)) from None
    last = (session.results or {}).get(first or "")
    if first is not None and last is not None and results[first].notebook == last.notebook:
        return False, inputs  # the open page's notebook is as last built: nothing to publish first
    if first is None:
        session.results = results
    session.check()
    # the website needs the charts' print SVGs (and the vega scripts), not the downloads: these are drawn
    # while Sphinx builds it (after the print SVGs in the workers' queue), and published with it
    try:
        drawer.wait(downloads=False)
    except DrawError as exc:
        raise BuildError(str(exc)) from None
    subset = drawer.subset()
    if drawer is not session.drawer:  # Sphinx, then the PDF, wait on each other; the downloads wait only for the end
        drawer.yield_cpu()
    drawn = Downloads(drawer, downloads, t0) if options.downloads else None
    numbers = {name: r.numbers for name, r in results.items()}
    # what each notebook published in this edition: its frames (a chart carries an image, a table does not),
    # read once: for the headings and contents here, and for the up-to-date key (the downloads are drawn from them)
    frame_files = [(f.name, f.read_bytes()) for r in results.values() for f in sorted(r.figures.glob(f"*{FRAME_SUFFIX}"))]
    frames = [json.loads(content) for _, content in frame_files]
    headings = {str(x["id"]): str(dict(x["about"]).get("図表", x["id"])) for x in frames}
    inputs = EditionInputs(profile, dataset, resolved, inputs.notebooks, numbers, headings)
    for r in results.values():
        for f in sorted(r.figures.iterdir()):
            if options.downloads and f.name.endswith(FRAME_SUFFIX):
                continue  # what the downloads are drawn from: drawn already, not published
            shutil.copy2(f, figures / f.name)
    # The stamp and the zip come from the bytes read and validated at the start (dataset, profile):
    # a file saved since changes neither.
    record: dict[str, Any] = {"edition": editions.edition_record(profile), "stamp": editions.stamp(profile, dataset, project.root),
              "headlines": numbers}
    pages: dict[str, bytes] = {}
    if previous is not None:
        changes = editions.changes(previous, inputs, registry)
        pages["changes.json"] = json.dumps(changes, ensure_ascii=False, indent=1).encode("utf-8")
        pages["changes.md"] = "# 前の版からの変更点\n\n```{regen-changes} changes.json\n```\n".encode()
    published = {str(x["id"]) for x in frames}
    charts = {str(x["id"]) for x in frames if x.get("image") is not None}
    contents = edition_contents(project, {n: list(registry.steps[n].figures) for n in results}, published, charts)
    pages["contents.json"] = json.dumps(contents, ensure_ascii=False, indent=1).encode("utf-8")
    findings = editions.key_findings(profile, registry, [f["id"] for p in contents["parts"] for f in p["figures"]],
                                     numbers, headings)
    pages["findings.json"] = json.dumps({"findings": findings}, ensure_ascii=False, indent=1).encode("utf-8")
    owners = registry.figures
    # each figure of the edition, in reading order, with its heading and its place (the figure-data index links it)
    record["figures"] = [{"id": f["id"], "heading": headings.get(f["id"], f["id"]),
                          "page": f"notebooks/{owners[f['id']]}.html#{'fig' if f['kind'] == '図' else 'tbl'}-{f['id'].lower()}"}
                         for p in contents["parts"] for f in p["figures"]]
    pages["stamp.json"] = json.dumps(record["stamp"], ensure_ascii=False, indent=1).encode("utf-8")
    pages["stamp.md"] = "# 再現性スタンプ\n\n```{regen-stamp} stamp.json\n```\n".encode()
    (result / "meta").mkdir()
    editions.write_json(result / "meta" / "edition.json", record)

    data_zip = f"{profile.id}-data.zip"
    edition = editions.edition_info(profile, project.config(), data_zip=data_zip, figure_ids=list(registry.figures),
                                   site_url=project.site_url())
    book = session.book or out / ".book" / profile.id  # per output folder: Sphinx's working files are not shareable
    src = book / "src"
    stage_book(project, src, results, figures, cache, pages, profile.title, edition, drawn_only=first is not None)
    machinery = code_hash(project.root / "requirements.txt", everything=True)
    # the downloads are not in the book's sources: they are drawn from the frames (by the code in ``machinery``)
    drawn_from = hashlib.sha256(b"".join(name.encode() + b"\0" + content + b"\0"
                                         for name, content in frame_files)).hexdigest()
    key = hashlib.sha256(f"{tree_hash(src)} {machinery} {drawn_from if drawn else ''} pdf={options.pdf} "
                         f"deck={options.deck}".encode()).hexdigest()
    if is_current(out, key):
        return False, inputs
    session.check()

    # The deck needs only the notebooks' results: it is made (PowerPoint, then its PDF) while Sphinx
    # builds the website and the report's PDF is printed; leaving the pool waits for it, also when the
    # website failed, so nothing writes into the staging folder after. The report's PDF and the deck's
    # are printed in one Chromium (on its pages, each reading only its printer's folder), started by the first to print.
    chromium = session.chromium or (Chromium() if options.pdf else None)
    pool = ThreadPoolExecutor(1, thread_name_prefix="deck")
    stopped = False
    try:
        deck = pool.submit(_deck, profile, registry, dataset, results, result / "deck", cache, options, subset,
                           chromium) if options.deck else None
        _website_and_pdf(src, book, result, session, dataset, figures, profile, record, data_zip, edition, cache,
                         options, out, chromium, drawn)
        if deck is not None:
            for f in result_of(deck):
                shutil.copy2(f, result / "html" / f.name)  # beside the site's PDF: the pages link it
    except KeyboardInterrupt:  # Ctrl-C: the deck is not waited for (the process ends; its browser is closed below)
        stopped = True
        raise
    finally:
        pool.shutdown(wait=not stopped, cancel_futures=stopped)
        if chromium is not None and chromium is not session.chromium:
            chromium.close()
    session.check()
    # the preview's first pass leaves the older releases for the build that follows it to remove
    publish(out, result, key, {"submission": profile.id}, prune=options.first is None)
    return True, inputs


def _website_and_pdf(src: Path, book: Path, result: Path, session: Session, dataset: Dataset, figures: Path,
                     profile: Profile, record: dict[str, Any], data_zip: str, edition: dict[str, Any], cache: Path,
                     options: Options, out: Path, chromium: Chromium | None = None,
                     downloads: Downloads | None = None) -> None:
    """The website (Sphinx) into ``result/html`` and, unless the options leave it out, its PDF (printed in
    ``chromium``, the build's browser, where it has one). The ``downloads`` drawn meanwhile join the
    figures (``figures``, the site's ``_static/figures``) after the PDF, and then the data zip, which holds
    them, is written."""
    t0 = time.monotonic()
    try:
        assert session.sphinx is not None  # started by build()
        html = jupyter_book(src, book / "html", session.sphinx)
    except BookError as exc:
        shutil.rmtree(book, ignore_errors=True)  # the next build starts Sphinx afresh
        raise BuildError(str(exc)) from None
    copy_site(html, result / "html", src)
    log(f"website built ({time.monotonic() - t0:.1f} s)")
    (result / "pdf").mkdir()
    if options.pdf:
        t0 = time.monotonic()
        try:
            refused, pages_printed, documents = print_pdf(
                result / "html", src / "_toc.yml", result / "pdf" / "report.pdf", edition=edition,
                audience=profile.audience, cache=cache / "pdf" / profile.id, chromium=chromium)
        except PdfError as exc:
            raise BuildError(str(exc)) from None
        shutil.copy2(result / "pdf" / "report.pdf", result / "html" / "report.pdf")  # the site links its PDF
        log(f"PDF printed: {pages_printed} pages, {documents} part(s) reprinted ({time.monotonic() - t0:.1f} s)"
            + (f"; refused {len(refused)} request(s) outside the edition, e.g. {refused[0]}" if refused else ""))
    # the downloads (neither the pages nor their print read them) and the data zip, which holds them
    if downloads is not None:
        downloads.wait()
        static = result / "html" / "_static" / "figures"
        static.mkdir(parents=True, exist_ok=True)
        for f in sorted(downloads.folder.iterdir()) if downloads.folder.is_dir() else ():
            f.replace(figures / f.name)  # (a link to the cache's drawing, as the drawer made it)
            shutil.copyfile(figures / f.name, static / f.name)  # the site's own copy, as Sphinx copied it before
    last_zip = out / "current" / "html" / data_zip
    if options.first is not None and last_zip.is_file():  # the preview's first pass: the last one for now
        os.link(last_zip, result / "html" / data_zip)
    else:
        editions.write_data_zip(result / "html" / data_zip, dataset, figures, profile, record["stamp"])


def _deck(profile: Profile, registry: Registry, dataset: Dataset, results: dict[str, Any], out: Path, cache: Path,
          options: Options, subset: Path | None = None, chromium: Chromium | None = None) -> list[Path]:
    """The submission deck into ``out``; its files (PPTX, and its PDF when the PDF is printed). Its charts'
    pictures are drawn here, beside Sphinx, with the drawing workers' font ``subset`` where there is one."""
    from regenpolicy.builder.deck import DeckBuildError, build_deck

    if subset is not None:
        with contextlib.suppress(Exception):  # not registered: the full font draws them
            use_subset(subset)
    try:
        built = build_deck(profile, registry, dataset, results, out, cache, pdf=options.pdf, chromium=chromium)
    except DeckBuildError as exc:
        raise BuildError(str(exc)) from None
    log(f"deck: {built.slides} slides, {built.printed} of {built.documents} print documents printed afresh "
        f"({built.seconds:.1f} s): {built.pptx.name}"
        + (f", {built.pdf.name}" if built.pdf else ""))
    return [f for f in (built.pptx, built.pdf) if f is not None]


def build_deck_only(project: Project, profile: Profile, out: Path, options: Options = Options(), *,
                    cache: Path | None = None) -> Path:
    """``make deck``: run the edition's notebooks (from the cache when unchanged) and make its deck in ``out``."""
    from regenpolicy.builder.deck import DeckBuildError, build_deck, slide_figures

    started = time.monotonic()
    registry = _registry(project)
    dataset, inputs = prepare(project, profile, registry)
    cache = cache or project.root / "_build" / ".cache"
    snapshot = write_snapshot(dataset, cache / "snapshots")
    jobs = [Job(registry.steps[n], inputs.resolved.parameters[n].values(), inputs.resolved.settings.values())
            for n in inputs.notebooks]
    work = out / f".deck-work-{os.getpid()}"
    # The slides' charts are drawn for print in the drawing workers as each notebook finishes (as a
    # build draws its pages'), not one after another by the deck once all have run.
    shown = set(slide_figures(profile))
    drawer = Drawer(cache, text=project.chart_text)

    def draw_shown(result: Result) -> None:
        for figure in sorted(shown & set(registry.steps[result.name].figures)):
            frame = result.figures / f"{figure}{FRAME_SUFFIX}"
            if frame.is_file():
                drawer.figure(frame, None, png=True)

    try:
        try:
            results = run_notebooks(jobs, dataset, snapshot, cache, work, project.root / "requirements.txt",
                                    options.workers, options.cell_timeout, None, on_result=draw_shown)
            drawer.wait()
        except (ExecutionError, DrawError) as exc:
            raise BuildError(str(exc)) from None
        finally:
            drawer.close()
        try:
            built = build_deck(profile, registry, dataset, results, out, cache, pdf=options.pdf)
        except DeckBuildError as exc:
            raise BuildError(str(exc)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"deck: {built.slides} slides, {built.printed} of {built.documents} print documents printed afresh "
        f"(deck {built.seconds:.1f} s); done in {time.monotonic() - started:.1f} s: "
        f"{built.pptx}" + (f", {built.pdf}" if built.pdf else ""))
    return built.pptx


def build_site(project: Project, out: Path, options: Options = Options(), *, cache: Path | None = None) -> None:
    """Every edition in ``submissions/``, oldest first, into one static site at ``out``.

    Editions share one notebook cache (``cache``, by default ``<out>/../.cache``); each is built into ``<out>/../editions/<id>``; the site is
    assembled from them and published as one release only when all succeeded.
    """
    root = out.parent
    with BuildLock(root, log):
        registry = _registry(project)
        profiles = all_profiles(project, registry)
        previous: EditionInputs | None = None
        records = []
        cache = cache or root / ".cache"
        # One set of helper processes for every edition, each started when first needed: the kernels'
        # fork server, Sphinx's process, the drawing workers and Chromium (a fresh Sphinx application and
        # kernel still serve each edition; the browser's pages print every edition's documents)
        session = Session(kernels=SharedKernels(), sphinx=SphinxWorker(preview=False),
                          drawer=Drawer(cache, text=project.chart_text), chromium=Chromium() if options.pdf else None)
        try:
            for profile in profiles:
                inputs = build(project, profile, root / "editions" / profile.id, options, cache=cache,
                               previous=previous, session=session)
                records.append(editions.edition_record(profile))
                previous = inputs
        finally:
            session.close()
        staging = root / f".site-staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            site = staging / "site"
            site.mkdir(parents=True)
            for profile in profiles:
                edition = root / "editions" / profile.id
                shutil.copytree(edition / "html", site / profile.id)
                # the figure files once: the list links to the copies the pages link to (_static/figures)
                (site / profile.id / "figures").mkdir()
                record = json.loads((edition / "meta" / "edition.json").read_text(encoding="utf-8"))
                (site / profile.id / "figures" / "index.html").write_text(editions.figures_index(
                    profile, {p.name: p.stat().st_size for p in (edition / "figures").iterdir()},
                    record.get("figures", []), editions.stylesheets(site / profile.id / "book" / "index.html")),
                    encoding="utf-8")
                shutil.copy2(edition / "meta" / "edition.json", site / profile.id / "edition.json")
            (site / "index.html").write_text(editions.site_index(records), encoding="utf-8")
            done = sitefiles.prepare(site, [p.id for p in profiles], cache)
            log(f"site files: {done['dropped'] / 1e6:.1f} MB unread left out, {done['pruned'] / 1e6:.1f} MB of CSS rules "
                f"no page uses, {done['shared'] / 1e6:.1f} MB shared between editions, {done['slimmed'] / 1e6:.1f} MB of "
                f"print drawings' and chart data's unread bytes, "
                f"{done['compressed'] / 1e6:.1f} MB of .gz/.br copies")
            _publish_site(out, site)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log(f"site: {len(profiles)} editions at {out / 'index.html'}")


def _publish_site(out: Path, site: Path) -> None:
    """Switch ``out`` (a link) to the new site in one rename; keep the previous one until then."""
    releases = out.parent / "site-releases"
    releases.mkdir(exist_ok=True)
    release = releases / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    site.replace(release)
    if out.exists() and not out.is_symlink():
        shutil.rmtree(out)
    link_whole(out, f"site-releases/{release.name}")
    for old in releases.iterdir():
        if old.name != release.name:
            shutil.rmtree(old, ignore_errors=True)


def validate(project: Project) -> str:
    """Check the data (every table version) and every profile with its parameters; return a summary."""
    registry = _registry(project)
    tables = load_dataset(project.data_dir).tables
    versions = sorted({v for t in tables.values() for v in t.version_files})
    for version in versions:
        load_dataset(project.data_dir, {n: version for n, t in tables.items() if version in t.version_files})
    profiles = all_profiles(project, registry)
    for profile in profiles:
        prepare(project, profile, registry)
    return f"data: {len(tables)} tables valid in every version; {len(profiles)} profiles valid"


__all__ = ["BuildError", "DataValidationError", "Options", "ProfileError", "build", "build_site", "validate"]

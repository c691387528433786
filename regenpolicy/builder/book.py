"""The website: the book's sources laid out for one edition, and Jupyter Book 1 building them.

Sources are synchronised file by file (a file is rewritten only when its content changed), so
Sphinx, which rebuilds pages by modification time, rebuilds only the pages whose notebook or text
changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import yaml

from regenpolicy.builder.project import Project
from regenpolicy.data import DataValidationError, OutsideError, Problem, inside
from regenpolicy.data.files import write_whole
from regenpolicy.presentation.worker import LineWorker, leave

if TYPE_CHECKING:  # (the Sphinx process imports this module: not the notebooks' machinery, nor pandas with it)
    from regenpolicy.builder.execute import Result

GENERATED = "book/_generated"


class BookError(Exception):
    """Jupyter Book failed; the message holds the end of its log."""


def tree_hash(folder: Path) -> str:
    """Content hash of a folder's files (relative names and bytes), in a stable order; Python's compiled
    files (``__pycache__``, written beside the code unless PYTHONDONTWRITEBYTECODE is set, and some only
    once a module is first imported, later in a build) are not part of it."""
    digest = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.relative_to(folder).parts):
        digest.update(str(f.relative_to(folder)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def sync_file(src: Path | bytes, dest: Path) -> bool:
    """Write ``dest`` only when its content changes (Sphinx rebuilds pages by mtime)."""
    content = src if isinstance(src, bytes) else src.read_bytes()
    if dest.exists() and dest.read_bytes() == content:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(content)
    return True


def sync_tree(files: Mapping[str, Path | bytes], dest: Path) -> None:
    """Make ``dest`` hold exactly ``files`` (relative path → source), touching only those that differ."""
    if dest.exists():
        for p in sorted(dest.rglob("*"), reverse=True):
            if p.is_file() and str(p.relative_to(dest)) not in files:
                p.unlink()
    for rel, src in files.items():
        sync_file(src, dest / rel)


def edition_toc(project: Project, notebooks: list[str], generated: list[str]) -> dict[str, Any]:
    """``_toc.yml`` without the notebooks this edition leaves out (and chapters left empty),
    with the generated pages (what changed, stamp) as a last part."""
    toc = project.toc()
    keep = {f"notebooks/{n}" for n in notebooks}

    def kept(entry: dict[str, Any]) -> dict[str, Any] | None:
        file = entry.get("file", "")
        sections = [k for k in (kept(e) for e in entry.get("sections", [])) if k]
        if file.startswith("notebooks/"):
            return entry if file in keep else None
        if entry.get("sections") and not sections:
            return None
        return {**entry, **({"sections": sections} if "sections" in entry else {})}

    parts = []
    for part in toc.get("parts", []):
        chapters = [k for k in (kept(c) for c in part.get("chapters", [])) if k]
        if chapters:
            parts.append({**part, "chapters": chapters})
    if generated:
        parts.append({"caption": "版の情報", "chapters": [{"file": f"{GENERATED}/{g}"} for g in generated]})
    return {**toc, "parts": parts}


def edition_contents(project: Project, declared: Mapping[str, list[str]], published: set[str],
                     drawn: set[str]) -> dict[str, Any]:
    """What this edition contains, part by part, for the introduction and the chapters' lists of figures
    (``regen-contents``): each part of ``_toc.yml`` with its chapter and the figure ids its notebooks
    published in this edition, in reading order. ``declared``: notebook name → its declared figure ids
    (order of declaration); ``published``: the ids this edition's figure files carry; ``drawn``: those
    that are charts (図; the others are tables, 表)."""
    parts = []
    for part in project.toc().get("parts", []):
        for chapter in part.get("chapters", []):
            ids = [f for s in chapter.get("sections", []) if str(s.get("file", "")).startswith("notebooks/")
                   for f in declared.get(str(s["file"]).split("/", 1)[1], []) if f in published]
            if ids:
                parts.append({"caption": str(part.get("caption", "")), "chapter": str(chapter.get("file", "")),
                              "figures": [{"id": f, "kind": "図" if f in drawn else "表"} for f in ids]})
    return {"parts": parts}


def vega_bundle_path(cache: Path) -> Path:
    """Where the site's vega scripts are kept in the cache: named by the vl-convert and Altair versions
    and the bundling code (``presentation/figures.py``)."""
    import regenpolicy.presentation

    source = Path(regenpolicy.presentation.__file__).with_name("figures.py").read_bytes()
    code = hashlib.sha256(source).hexdigest()[:12]
    return cache / f"vega-bundle-{version('vl-convert-python')}-{version('altair')}-{code}.js"


def installed_vega_bundle(path: Path) -> Path:
    """Where ``make setup`` keeps the bundle named like ``path`` for this environment: the bundle is a
    function of the installed vl-convert and Altair (and the bundling code) alone, so it is made once with
    them (``install_vega_bundle``) rather than in the first build of each cache (2.3 CPU-s)."""
    return Path(sys.prefix) / "share" / "regenpolicy" / path.name


def from_setup(path: Path) -> bool:
    """Copy the bundle ``make setup`` made into ``path`` (written whole by one rename); False if there is none."""
    made = installed_vega_bundle(path)
    if not made.is_file():
        return False
    write_whole(path, lambda tmp: shutil.copyfile(made, tmp))
    return True


def install_vega_bundle() -> Path:
    """``make setup``: this environment's bundle, made if missing (the ones of older versions removed)."""
    path = installed_vega_bundle(vega_bundle_path(Path()))  # (only its name is used)
    if not path.is_file():
        from regenpolicy.presentation.draw import write_vega_bundle

        write_vega_bundle(path)
    for old in path.parent.glob("vega-bundle-*.js"):
        if old != path:
            old.unlink()
    return path


def vega_bundle(cache: Path) -> Path:
    """The site's vega scripts, made once per vl-convert/Altair version and bundling code: here, unless
    ``make setup`` made them (``from_setup``) or a drawing worker made them already while the notebooks
    ran (``Drawer.vega_bundle``).

    The presentation module is imported (Altair: most of a second) only when the bundle is made.
    """
    path = vega_bundle_path(cache)
    if not path.exists() and not from_setup(path):
        from regenpolicy.presentation.draw import write_vega_bundle

        write_vega_bundle(path)
    return path


def _dump(value: Any) -> bytes:
    return yaml.dump(value, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False).encode("utf-8")


def _inside_book(book: Path, rel: str) -> Path:
    """A file of book/, refused (exit 2, with its path) if a symbolic link takes it outside book/."""
    try:
        return inside(book, rel)
    except OutsideError as exc:
        raise DataValidationError([Problem(f"{book.name}/{rel}", f"{exc.why}; expected a file inside {book.name}/")]) from None


def stage_book(project: Project, src: Path, results: Mapping[str, Result], figures: Path, cache: Path,
               pages: Mapping[str, bytes], title: str, edition: Mapping[str, Any] | None = None,
               drawn_only: bool = False) -> None:
    """Lay out the edition's book sources in ``src``.

    ``pages`` are generated files (name → bytes) placed in ``book/_generated/``: a page's MyST
    source only names a directive and its JSON file, never a value. ``edition`` (id, title, date,
    author, …) reaches the report's Sphinx extension as the configuration value ``regen_edition``
    (data, never MyST). ``drawn_only``: a chart whose print SVG is not drawn yet is left without it
    (the preview's first pass, see ``filled_notebook``).
    """
    config = project.config()
    config["title"] = title
    config.pop("site_url", None)  # ours (where the site is published), read by edition_info; not Jupyter Book's
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    if edition is not None:
        sphinx_config["regen_edition"] = dict(edition)
    # Sphinx rewrites only pages whose source changed, and copies the static files only when it
    # writes a page: a change of the report's extension, stylesheet or scripts must rewrite them all,
    # so the configuration carries the hash of the build code and of book/_static
    static = project.book_dir / "_static"
    code = tree_hash(Path(__file__).parent) + (tree_hash(static) if static.is_dir() else "")
    sphinx_config["regen_code"] = hashlib.sha256(code.encode()).hexdigest()[:16]
    sync_file(_dump(config), src / "_config.yml")
    generated = sorted({Path(n).stem for n in pages if n.endswith(".md")})
    sync_file(_dump(edition_toc(project, list(results), generated)), src / "_toc.yml")
    files: dict[str, Path | bytes] = {
        rel: _inside_book(project.book_dir, rel) for rel in sorted(
            p.relative_to(project.book_dir).as_posix() for p in project.book_dir.rglob("*") if p.is_file())
        if "_generated" not in Path(rel).parts
    }
    files.update({f"_generated/{name}": content for name, content in pages.items()})
    files["_static/vega-bundle.js"] = vega_bundle(cache)
    files.update({f"_static/figures/{p.name}": p for p in figures.iterdir()})
    sync_tree(files, src / "book")
    sync_tree({f"{name}.ipynb": filled_notebook(r, cache, drawn_only) for name, r in results.items()},
              src / "notebooks")


def filled_notebook(result: Result, cache: Path, drawn_only: bool = False) -> bytes:
    """The executed notebook with its charts' print SVG in place (drawn here, not in the kernel),
    kept by the notebook's and its frames' content so that an unchanged page costs one hash.

    ``drawn_only`` (the preview's first pass: the page on screen, not its print): a print SVG not
    drawn yet is left out, not drawn here; that page is not kept (the next pass fills it)."""
    from regenpolicy.presentation import draw

    raw = result.notebook.read_bytes()
    digest = hashlib.sha256(draw.renderer().encode() + b"\0" + raw)
    for frame in sorted(result.figures.glob(f"*{draw.FRAME_SUFFIX}")):
        digest.update(frame.name.encode() + b"\0" + frame.read_bytes())
    page = cache / "drawn" / "pages" / f"{digest.hexdigest()[:32]}.ipynb"
    if page.is_file():
        return page.read_bytes()
    if drawn_only:
        return draw.fill_print(result.notebook, result.figures, cache, drawn_only=True)[0]
    content, _ = draw.fill_print(result.notebook, result.figures, cache)
    write_whole(page, lambda tmp: tmp.write_bytes(content))
    return content


def jupyter_book(src: Path, out: Path, worker: SphinxWorker) -> Path:
    """Jupyter Book's html build of the website (warnings are errors, ``--keep-going``) in ``worker``'s
    process; Sphinx reuses what it built in ``out``."""
    return worker.build(src, out)


SPHINX_PAGES = {"genindex", "search", "index"}


def copy_site(html: Path, dest: Path, src: Path) -> None:
    """The built website without Sphinx's internals, and without what an earlier build left there.

    Sphinx builds into the same folder each time and never deletes: a page whose notebook was
    renamed or removed, or a figure file no longer made, would stay and be published. Only the
    pages of the book's current sources (``src``) and the static files it currently has are copied.
    """
    pages = {p.relative_to(src).with_suffix("").as_posix() for p in src.rglob("*")
             if p.suffix in (".md", ".ipynb", ".rst") and "_build" not in p.relative_to(src).parts}
    pages |= SPHINX_PAGES
    static = src / "book" / "_static"

    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(html)
        out = {n for n in names if n in (".doctrees", ".buildinfo", "_sources")}
        out |= {n for n in names if n.endswith(".html") and (rel / n).with_suffix("").as_posix() not in pages}
        if rel.parts[:2] == ("_static", "figures"):  # the figures' files: only those of this build
            out |= {n for n in names if not (static / Path(*rel.parts[1:]) / n).exists()
                    and not (Path(folder) / n).is_dir()}
        return out

    shutil.copytree(html, dest, ignore=ignore)


class SphinxWorker:
    """Jupyter Book in a child process, started before its first build is asked for: it imports Sphinx,
    Jupyter Book, the theme and the extensions (about 1 s) while the build runs the notebooks.

    ``make report`` and ``make site`` start one for each edition's website (``preview=False``): it
    indexes its pages for search, as ``jupyter-book build`` does, and Ctrl-C stops it with the build
    (as it stopped ``jupyter-book build``), not after its build. The preview keeps one for the
    builds that follow one another, with its Sphinx application kept warm between them
    (``WarmSphinx``): a rebuild reads and writes only the changed pages, without making a new
    application (the configuration, the extensions, the theme, loading the pickled environment), and
    after its first build the search index is kept as that build wrote it (``_keep_search_index``)."""

    def __init__(self, preview: bool = True) -> None:
        self._worker = LineWorker("regenpolicy.builder.book", "worker", *(() if preview else ("--build",)))
        self._asked = False

    def build(self, src: Path, out: Path) -> Path:
        self._asked = True
        reply = self._worker.ask([str(src), str(out)])
        if reply is None:
            reply = {"code": 1, "log": "the Sphinx worker stopped"}
        if reply["code"] != 0:
            tail = "\n".join(str(reply["log"]).strip().splitlines()[-30:])
            raise BookError(f"jupyter-book html build failed:\n{tail}")
        return out / "_build" / "html"

    def close(self) -> None:
        if not self._asked:  # never asked to build (the edition was up to date): not waited for, it holds nothing
            self._worker.process.kill()
            self._worker.process.wait()
        self._worker.close()


def _fresh_sphinx_defaults() -> None:
    """Undo what the last build in this process left in Sphinx's shared defaults.

    The themes append their component folders to ``templates_path`` in place (pydata-sphinx-theme
    in its ``setup``), and when the book does not set it that list is Sphinx's own default, shared
    by every application of the process: it grew by two folders each build, so the configuration's
    hash never matched ``.buildinfo`` and Sphinx rewrote (and re-indexed for search) every page on
    every preview rebuild. Emptied before each build, it is what a fresh process has."""
    from sphinx.config import Config

    option = getattr(Config, "config_values", {}).get("templates_path")
    default = getattr(option, "default", None)
    if isinstance(default, list):
        default.clear()


def _nothing(self: Any, *args: Any, **kwargs: Any) -> None:
    return None


def _keep_search_index(app: Any = None) -> None:
    """Later preview builds leave the search index as the first build wrote it: indexing a
    Japanese page (its word splitter) and loading and dumping the whole index took about 2 s of
    each rebuild, more than writing the changed page. The pages are written as before (the search
    box and page stay); only a word the author added since the preview started is not found by
    the preview's search until it restarts. ``make report`` and ``make site`` index as ever.
    ``app``: a warm application, whose builder holds the indexing it started with (sphinx_ext
    wraps ``index_page`` on the builder itself): unwrapped, so it indexes nothing either."""
    from sphinx.builders.html import StandaloneHTMLBuilder

    for name in ("load_indexer", "index_page", "dump_search_index"):
        setattr(StandaloneHTMLBuilder, name, _nothing)
    if app is not None:
        vars(app.builder).pop("index_page", None)


class _Stream:
    """The process's current standard error, whatever it is when written to: a warm application
    keeps the stream it was made with, and each build's log is captured afresh."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class WarmSphinx:
    """One Sphinx application kept between the builds of the same book (``src`` into ``out``, the same
    ``_config.yml`` and ``_toc.yml``): each build is Sphinx's own incremental update
    (``app.build()``: the environment in memory finds the sources changed since, by modification time,
    and the pages depending on them; it writes those pages and their neighbours in the navigation).
    Made as ``jupyter_book.sphinx.build_sphinx`` makes it; made afresh when the book's configuration
    or table of contents changed, or after a build that failed (its environment may be half-updated)."""

    def __init__(self) -> None:
        self.app: Any = None
        self.key: tuple[str, str, bytes, bytes] | None = None
        self.stack: contextlib.ExitStack | None = None

    @staticmethod
    def key_of(src: Path, out: Path) -> tuple[str, str, bytes, bytes]:
        return (str(src), str(out), (src / "_config.yml").read_bytes(), (src / "_toc.yml").read_bytes())

    def build(self, src: Path, out: Path) -> int:
        """Build ``src`` into ``out/_build/html``; Sphinx's status (0: no warning)."""
        key = self.key_of(src, out)
        # (and made afresh when its folders were deleted since, e.g. by make clean: the pages it would not
        # write again, and the pickled pages it reads to link them, are gone)
        if self.app is None or key != self.key or not (Path(self.app.doctreedir) / "environment.pickle").is_file():
            self.close()
            self.app = self._make(src, out)
            self.key = key
        else:
            self.app._warncount = 0  # the count and status are the application's, kept across builds
            self.app.statuscode = 0
        try:
            self.app.build(False, [])
            code = int(self.app.statuscode)
        except BaseException:
            self.close()
            raise
        if code != 0:
            self.close()
        return code

    def _make(self, src: Path, out: Path) -> Any:
        from jupyter_book.config import get_final_config
        from jupyter_book.pdf import update_latex_documents
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        _fresh_sphinx_defaults()
        html = out / "_build" / "html"
        config, meta = get_final_config(
            user_yaml=src / "_config.yml", sourcedir=src, use_external_toc=True,
            cli_config={"external_toc_path": str(src / "_toc.yml"), "latex_individualpages": False})
        self.stack = contextlib.ExitStack()
        # docutils' registries hold the directives and roles the extensions register: kept for as
        # long as the application is (the worker does nothing else), restored when it is dropped
        self.stack.enter_context(patch_docutils(None))
        self.stack.enter_context(docutils_namespace())
        try:
            app = Sphinx(srcdir=src, confdir=None, outdir=html, doctreedir=html.parent / ".doctrees",
                         buildername="html", confoverrides=config, status=None, warning=cast(IO[str], _Stream()),
                         freshenv=False, warningiserror=True, tags=(), verbosity=0, parallel=1, keep_going=True)
            app.config.latex_documents = update_latex_documents(app.config.latex_documents,
                                                                meta["latex_doc_overrides"])
            if app.config["use_multitoc_numbering"] and "numbered: true" in yaml.dump(
                    app.config.external_site_map.as_json()):
                app.setup_extension("sphinx_multitoc_numbering")
        except BaseException:
            self.stack.close()
            self.stack = None
            raise
        return app

    def close(self) -> None:
        if self.app is not None:
            with contextlib.suppress(Exception):
                self.app.builder.cleanup()
        self.app, self.key = None, None
        if self.stack is not None:
            self.stack.close()
            self.stack = None


# What Jupyter Book's extensions import when Sphinx sets them up, and the Japanese of docutils
# (measured: the modules a build imports that the extensions' own names leave out, about 0.6 s)
SETUP_IMPORTS = ("myst_nb.sphinx_ext", "sphinx_design.extension", "sphinx_external_toc.events", "sphinx_jupyterbook_latex",
                 "sphinx_multitoc_numbering", "sphinx.ext.mathjax", "docutils.languages.ja",
                 "docutils.parsers.rst.languages.ja")


def _warm_imports() -> None:
    """Import what a build of the book imports (Sphinx's own extensions, Jupyter Book's, the theme, the
    report's extension and what they import when set up) before the sources are there: the same
    modules, earlier. A module missing here is left to the build, which names it."""
    import importlib

    from jupyter_book.config import get_default_sphinx_config
    from sphinx.application import builtin_extensions

    for name in (*builtin_extensions, *get_default_sphinx_config()["extensions"], "jupyter_book.pdf",
                 "sphinx.builders.html", "regenpolicy.builder.sphinx_ext", *SETUP_IMPORTS):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _worker(preview: bool = True) -> None:
    """The child: one JSON request a line (source and output folders), one JSON reply a line.
    The preview's: after its first good build the search index is kept as that build wrote it
    (_keep_search_index), and Ctrl-C is left to the preview, which closes our input. A build's
    (``preview=False``): every build indexes, and Ctrl-C ends it at once, without a traceback."""
    import io
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN if preview else signal.SIG_DFL)
    _warm_imports()
    sphinx = WarmSphinx()
    indexed = False
    for line in sys.stdin:
        src, out = (Path(p) for p in json.loads(line))
        log = io.StringIO()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            try:
                code = sphinx.build(src, out)
            except Exception as exc:  # a failed build is reported, and the worker stays for the next one
                print(f"{type(exc).__name__}: {exc}")
                if not isinstance(exc, OSError | ValueError):
                    traceback.print_exc(limit=-3)
                code = 1
        if code == 0 and not indexed and preview:
            _keep_search_index(sphinx.app)
            indexed = True
        print(json.dumps({"code": code, "log": log.getvalue()}), flush=True)
    sphinx.close()
    leave()


if __name__ == "__main__" and sys.argv[1:2] == ["worker"] and set(sys.argv[2:]) <= {"--build"}:
    _worker(preview="--build" not in sys.argv[2:])

"""The real builds, each once per session, from the shipped project: ``built`` (the default report
with its PDF and deck) and ``editions_site`` (every edition in submissions/ as one site).

The build tests run in two processes (pytest-xdist, ``make test``): a build that tests of both
processes read is made by the first process that asks for it while the other waits for it
(``built_once``), so it is made once; the tests of one module run in one process, in the order
written (``--dist loadfile``), so a module-scoped fixture is made once and tests that edit it in
turn (test_rebuilds.py) see each other's edits. (pytest-xdist 3.8's ``xdist_group`` marks do nothing
under pytest 9: its ``--dist loadgroup`` renames ``item._nodeid``, which pytest 9 no longer reads.)
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, SESSION_CACHE, run_cli

pytestmark = pytest.mark.build

# The order modules are handed out in (a process takes the next module when it has two tests left of its
# own): the long builds first, and neither process waits on the other's ``built_once`` lock. The first
# process builds ``built`` (test_site_and_pdf.py) while the second builds the hostile site (test_security.py:
# its notebooks run afresh on poisoned data, so they share nothing with ``built``). The site of every edition
# (test_editions.py) goes to whichever is free first, by when ``built`` is made: 11 of the first edition's 15
# notebooks (firm-2023-07) and their drawings are those of ``built`` (the data they read are the same), and
# started beside it they ran twice, once in each process. Then the longest modules first (in make test:
# test_reader.py about 2 min, test_rebuilds.py, test_build_lock.py and test_loop.py about 1 min each), so
# that the last module to finish is a short one.
FIRST = ("test_site_and_pdf.py", "test_security.py", "test_editions.py", "test_reader.py", "test_rebuilds.py",
         "test_build_lock.py", "test_loop.py", "test_preview.py", "test_site_words.py", "test_deck.py")


def session_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's scratch folder, one for all pytest-xdist processes."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """``<session>/<name>``, made by ``make`` once for the whole session: the first process to ask makes
    it while any other that asks waits on a lock, then reads the same folder (no test writes into it)."""
    base = session_base(tmp_path_factory)
    folder, done = base / name, base / f"{name}.done"
    with (base / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            make(folder)
            done.touch()
    return folder


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules in FIRST first (``--dist loadfile`` hands out modules in this order)."""

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return FIRST.index(name) if name in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: within a module the order stays as written


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One notebook cache for every build of the session (``--cache-dir``): the first build that runs a
    notebook pays for it, every other build with the same inputs reuses it. Under pytest-xdist the
    workers share it (the cache is content-addressed and its entries appear by one rename)."""
    cache = session_base(tmp_path_factory) / "session-cache"
    cache.mkdir(exist_ok=True)
    SESSION_CACHE[:] = [cache]
    return cache


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default report built once, for real, into a scratch folder."""

    def make(out: Path) -> None:
        proc = run_cli(ROOT, "build", "--out", str(out))
        assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"

    return built_once(tmp_path_factory, "build", make)


@pytest.fixture(scope="session")
def editions_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every edition in submissions/ built for real, with PDFs and decks, into one site
    (``<tmp>/_build/site``); each edition's own build stays beside it in ``<tmp>/_build/editions/<id>``
    (read by test_deck.py). ``site.log`` beside it holds the build's output."""

    def make(root: Path) -> None:
        out = root / "_build" / "site"
        proc = run_cli(ROOT, "site", "--out", str(out), timeout=1800)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        (root / "site.log").write_text(proc.stdout, encoding="utf-8")

    return built_once(tmp_path_factory, "editions", make) / "_build" / "site"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from regenpolicy.builder.pdf import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def served(built):
    """The built website on a local HTTP server (what a reader's browser gets)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a page closed while it loaded: no news
                super().handle_error(request, client_address)

    handler = functools.partial(Quiet, directory=str(built / "html"))
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()

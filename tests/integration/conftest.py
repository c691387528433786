"""The real build, once per session: the default report with its PDF, from the shipped project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT, SESSION_CACHE, run_cli

pytestmark = pytest.mark.build


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One notebook cache for every build of the session (``--cache-dir``): the first build that runs a
    notebook pays for it, every other build with the same inputs reuses it. Under pytest-xdist the
    workers share it (the cache is content-addressed and its entries appear by one rename)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    cache = base / "session-cache"
    cache.mkdir(exist_ok=True)
    SESSION_CACHE[:] = [cache]
    return cache


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default report built once, for real, into a scratch folder."""
    out = tmp_path_factory.mktemp("build")
    proc = run_cli(ROOT, "build", "--out", str(out))
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out


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

    handler = functools.partial(Quiet, directory=str(built / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()

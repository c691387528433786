"""The real build, once per session: the default report with its PDF, from the shipped project."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default report built once, for real, into a scratch folder."""
    out = tmp_path_factory.mktemp("build")
    started = time.monotonic()
    proc = run_cli(ROOT, "build", "--out", str(out))
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    print(f"\nreal build took {time.monotonic() - started:.1f} s")
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

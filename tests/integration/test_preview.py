"""``make preview``: a saved edit reaches the open page by itself; a bad edit shows a banner and keeps the page."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import copy_project, edit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@pytest.fixture
def preview(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "submissions" / "k1.yaml").write_text("id: k1\ntitle: K1 の確認\ndate: 2026-01-01\nfigures: [K1]\n",
                                                     encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "regenpolicy", "--project", str(project), "preview",
                             "--submission", "k1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "CI": "1"})
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(proc.stdout or []), daemon=True).start()
    yield project, f"http://127.0.0.1:{port}", proc, log
    if proc.poll() is None:
        proc.kill()


def test_a_saved_table_reaches_the_open_page_and_a_bad_one_shows_a_banner(preview, browser):
    project, url, proc, log = preview
    page = browser.new_page()
    deadline = time.monotonic() + 600
    while page.locator("text=30,850点").count() == 0:  # the first build of the session
        assert proc.poll() is None and time.monotonic() < deadline, "".join(log[-40:])
        try:
            page.goto(f"{url}/notebooks/k1_fee_gap.html", wait_until="load")
        except Exception:
            time.sleep(1)
    assert not list((project / "_build" / "current" / "figures").glob("K1.*png")), "downloads are drawn when asked"
    png = page.request.get(f"{url}/_static/figures/K1.png")  # the first request draws it
    assert png.ok and png.body().startswith(b"\x89PNG")
    page.evaluate("window.regenNotReloaded = true")
    fees = project / "data" / "fee_schedule.csv"
    edit(fees, "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850", "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000")
    page.wait_for_function("() => !!document.body && document.body.innerText.includes('40,000点')", timeout=180000)
    assert page.evaluate("window.regenNotReloaded === true"), "the changed page is swapped in place, not reloaded"
    page.wait_for_function("() => !!document.querySelector('#fig-k1-chart svg, #fig-k1-chart canvas')",
                           timeout=60000)  # the swapped page's chart is drawn again

    edit(fees, ",40000,", ",forty thousand,")  # a careless edit
    banner = page.locator("#regen-preview-banner")
    banner.wait_for(state="visible", timeout=180000)
    page.wait_for_function(
        "() => (document.getElementById('regen-preview-banner') || {innerText: ''}).innerText.includes('fee_schedule.csv')",
        timeout=180000)
    text = banner.inner_text()
    assert "data/fee_schedule.csv, line" in text and "column 'points'" in text and "'forty thousand' is not valid" in text
    assert "40,000点" in page.inner_text("body")  # the last good page stays

    edit(fees, ",forty thousand,", ",41000,")  # fixing the file clears the banner
    page.wait_for_function("() => !!document.body && document.body.innerText.includes('41,000点')", timeout=180000)
    assert page.locator("#regen-preview-banner").count() == 0 or not banner.is_visible()

    children = descendants(proc.pid)
    assert children, "the preview keeps warm kernels and Sphinx running"
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(timeout=60) == 0

    def left() -> dict[int, str]:
        return {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
                for p in children if Path(f"/proc/{p}/cmdline").exists() and Path(f"/proc/{p}/cmdline").read_bytes()}

    deadline = time.monotonic() + 10  # children that were told to stop are gone within seconds
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left() == {}, f"processes left behind: {left()}"
    assert "preview: stopped" in "".join(log)

"""``make preview``: a saved edit reaches the open page by itself; a bad edit shows a banner and keeps the page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import cli_args, copy_project, edit, wait_for_exit


class Log:
    """The preview's output, read as it comes; tests wait on what it says, not on time."""

    def __init__(self, proc: subprocess.Popen[str]):
        self.proc, self.lines, self.changed = proc, [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout or []:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def text(self) -> str:
        with self.changed:
            return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 600) -> re.Match[str]:
        """The first match of ``pattern`` in the output; fails if the preview exits first."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: re.search(pattern, "".join(self.lines)) or self.proc.poll() is not None, timeout=timeout)
            match = re.search(pattern, "".join(self.lines))
        assert match, f"{pattern!r} never appeared (found={found!r}):\n{self.text()[-3000:]}"
        return match


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
    # port 0: the server binds a free port and prints it
    proc = subprocess.Popen(cli_args(project, "preview", "--submission", "k1", "--port", "0"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "CI": "1"})
    log = Log(proc)
    url = log.wait_for(r"preview of 'k1' at (http://127\.0\.0\.1:\d+)/").group(1)
    yield project, url, proc, log
    if proc.poll() is None:
        proc.kill()


def test_a_saved_table_reaches_the_open_page_and_a_bad_one_shows_a_banner(preview, browser):
    project, url, proc, log = preview
    page = browser.new_page()
    log.wait_for(r"\[build\] (done in|up to date)")  # the first build of the session is published
    page.goto(f"{url}/notebooks/k1_fee_gap.html", wait_until="load")
    page.wait_for_function("() => !!document.body && document.body.innerText.includes('30,850点')")
    figures = project / "_build" / "preview" / "current" / "figures"
    assert (figures / "K1.figure.json").exists()  # what they are drawn from
    assert not list(figures.glob("K1*.png")), "downloads are drawn when asked"
    png = page.request.get(f"{url}/_static/figures/K1.png")  # the first request draws it
    assert png.ok and png.body().startswith(b"\x89PNG")
    page.evaluate("window.regenNotReloaded = true")
    fees = project / "data" / "fee_schedule.csv"
    edit(fees, "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850", "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000")
    page.wait_for_function("() => !!document.body && document.body.innerText.includes('40,000点')", timeout=180000,
                           polling=250)  # (read every 250 ms while it builds, not every frame)
    assert page.evaluate("window.regenNotReloaded === true"), "the changed page is swapped in place, not reloaded"
    page.locator("#fig-k1-chart").scroll_into_view_if_needed()  # charts are drawn as they near the screen
    page.wait_for_function("() => !!document.querySelector('#fig-k1-chart svg, #fig-k1-chart canvas')",
                           timeout=60000)  # the swapped page's chart is drawn again

    edit(fees, ",40000,", ",forty thousand,")  # a careless edit
    banner = page.locator("#regen-preview-banner")
    banner.wait_for(state="visible", timeout=180000)
    page.wait_for_function(
        "() => (document.getElementById('regen-preview-banner') || {innerText: ''}).innerText.includes('fee_schedule.csv')",
        timeout=180000, polling=250)
    text = banner.inner_text()
    assert "data/fee_schedule.csv の" in text and "行目（列「points」）" in text and "'forty thousand' is not valid" in text
    assert text.startswith("ビルドできません")
    assert "40,000点" in page.inner_text("body")  # the last good page stays

    edit(fees, ",forty thousand,", ",41000,")  # fixing the file clears the banner
    page.wait_for_function("() => !!document.body && document.body.innerText.includes('41,000点')", timeout=180000,
                           polling=250)
    assert page.locator("#regen-preview-banner").count() == 0 or not banner.is_visible()

    children = descendants(proc.pid)
    assert children, "the preview keeps warm kernels and Sphinx running"
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        assert proc.wait(timeout=60) == 0
    except subprocess.TimeoutExpired:
        pytest.fail(f"the preview did not stop within 60 s of Ctrl-C; its output:\n{log.text()[-3000:]}")

    def left() -> dict[int, str]:
        return {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
                for p in children if Path(f"/proc/{p}/cmdline").exists() and Path(f"/proc/{p}/cmdline").read_bytes()}

    wait_for_exit(children, 10)  # children that were told to stop are gone within seconds
    assert left() == {}, f"processes left behind: {left()}"
    assert "preview: stopped" in log.text()

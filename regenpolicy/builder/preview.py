"""``make preview``: the report served on 127.0.0.1, rebuilt and reloaded as its author saves.

- Watches ``data/``, ``notebooks/``, ``book/``, ``submissions/``, ``_config.yml``, ``_toc.yml`` and
  the package. Saves are coalesced; a save during a rebuild triggers one more rebuild.
- A rebuild is the ordinary build (validation first, then only the notebooks and pages that
  changed) without the PDF, with kernels kept warm between rebuilds (a fork server and a pool)
  and Sphinx kept imported. A change to the package's code restarts both.
- Open pages reload by themselves when a rebuild is published (a small script, added to pages
  only as they are served, listens to server-sent events; no browser extension). When a rebuild
  fails (bad data, a failing cell), a banner on the open page shows the error — file, line,
  column, or notebook and cell — and the last good pages stay; fixing the file clears it.
- The PDF is printed only when asked: the banner's link, or ``make report``.
- Ctrl-C stops the watcher, the server, the kernels and Sphinx; nothing is left running.
"""

from __future__ import annotations

import http.server
import json
import mimetypes
import signal
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regenpolicy.builder.book import SphinxWorker
from regenpolicy.builder.execute import KERNEL
from regenpolicy.builder.kernels import WarmKernels
from regenpolicy.builder.pipeline import BuildError, Options, Session, build, log
from regenpolicy.builder.profile import ProfileError, load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.publish import published_key
from regenpolicy.builder.registry import StepError, load_registry
from regenpolicy.data import DataValidationError, printable

WATCHED = ("data", "notebooks", "book", "submissions", "_config.yml", "_toc.yml")
LIVE = "/__preview__/"
SCRIPT = """(function () {
  var banner = null;
  function show(state) {
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "regen-preview-banner";
      banner.setAttribute("role", "status");
      banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:10000;max-height:45vh;overflow:auto;" +
        "padding:.6rem 1rem;font:13px/1.5 monospace;white-space:pre-wrap;box-shadow:0 -2px 6px rgba(0,0,0,.25)";
      document.body.appendChild(banner);
    }
    banner.textContent = "";
    var text = document.createElement("div");
    text.textContent = state.message;  // text, never markup: the message quotes the data
    banner.appendChild(text);
    if (state.state === "error") { banner.style.background = "#fde8e8"; banner.style.color = "#7a1010"; }
    else { banner.style.background = "#eef4fb"; banner.style.color = "#123"; }
    var pdf = document.createElement("a");
    pdf.href = "#";
    pdf.textContent = state.pdf ? "PDF（作成済み、開く）" : "PDF を作成";
    pdf.onclick = function (e) {
      if (state.pdf) { window.open("/pdf/report.pdf"); return false; }
      e.preventDefault(); fetch("/__preview__/pdf", {method: "POST"}); return false;
    };
    banner.appendChild(pdf);
  }
  function hide() { if (banner) { banner.remove(); banner = null; } }
  var version = null;
  var source = new EventSource("/__preview__/events");
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (version !== null && state.version !== version) { location.reload(); return; }
    version = state.version;
    if (state.state === "ok" && !state.pdf_busy) { hide(); } else { show(state); }
  };
})();
"""


@dataclass
class Status:
    state: str = "building"  # building | ok | error
    message: str = "ビルド中…"
    version: int = 0  # published rebuilds; a page reloads when it moves
    pdf: bool = False  # the published release has a PDF
    pdf_busy: bool = False

    def payload(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


class Preview:
    def __init__(self, project: Project, submission: str, port: int, out: Path):
        self.project, self.submission, self.port, self.out = project, submission, port, out
        self.status = Status()
        self.changed = threading.Condition()
        self.dirty = True  # build once at start
        self.pdf_wanted = False
        self.stopping = threading.Event()
        self.session = Session(book=out / ".book")
        self.code_changed = False

    # --- building -------------------------------------------------------------------------------
    def _publish_status(self, **values: Any) -> None:
        if "message" in values:  # the banner quotes the data: its control characters shown as escapes
            values["message"] = printable(values["message"], lines=True)
        with self.changed:
            for k, v in values.items():
                setattr(self.status, k, v)
            self.changed.notify_all()

    def _start_session(self) -> None:
        workers = 2
        self.session.kernels = WarmKernels(workers, KERNEL)
        self.session.sphinx = SphinxWorker()

    def _stop_session(self) -> None:
        if self.session.kernels is not None:
            self.session.kernels.close()
            self.session.kernels = None
        if self.session.sphinx is not None:
            self.session.sphinx.close()
            self.session.sphinx = None

    def builder(self) -> None:
        self._start_session()
        while not self.stopping.is_set():
            with self.changed:
                while not (self.dirty or self.pdf_wanted) and not self.stopping.is_set():
                    self.changed.wait(0.5)
                if self.stopping.is_set():
                    return
                pdf, self.dirty, self.pdf_wanted = self.pdf_wanted, False, False
                restart, self.code_changed = self.code_changed, False
            if restart:  # the package's code changed: warm kernels and Sphinx hold the old one
                self._stop_session()
                self._start_session()
            self._publish_status(pdf_busy=pdf)
            started = time.monotonic()
            before = published_key(self.out)
            try:
                registry = load_registry(self.project)
                profile = load_profile(self.submission, self.project, registry)
                build(self.project, profile, self.out, Options(pdf=pdf, workers=2),
                      cache=self.project.root / "_build" / ".cache", session=self.session)
            except (DataValidationError, ProfileError, StepError, BuildError) as exc:
                self._publish_status(state="error", message=f"ビルドできません（前のページを表示しています）:\n{exc}",
                                     pdf_busy=False)
                log(f"preview: the build failed; the page shows the error:\n{exc}")
                continue
            except Exception:
                self._publish_status(state="error", message=traceback.format_exc(), pdf_busy=False)
                continue
            moved = published_key(self.out) != before  # a new release: open pages reload
            self._publish_status(state="ok", message=f"更新しました（{time.monotonic() - started:.1f} 秒）",
                                 version=self.status.version + moved, pdf=pdf or self._has_pdf(), pdf_busy=False)

    def _has_pdf(self) -> bool:
        return (self.out / "pdf" / "report.pdf").exists()

    def watcher(self) -> None:
        from watchfiles import watch

        import regenpolicy

        package = Path(regenpolicy.__file__).parent
        paths = [self.project.root / p for p in WATCHED if (self.project.root / p).exists()] + [package]
        for changes in watch(*paths, debounce=150, step=50, stop_event=self.stopping, yield_on_timeout=False,
                             raise_interrupt=False):
            files = {Path(p) for _, p in changes if not Path(p).name.startswith((".", "~")) and "__pycache__" not in p}
            if not files:
                continue
            with self.changed:
                self.dirty = True
                if any(f.is_relative_to(package) for f in files):
                    self.code_changed = True
                self.status.state, self.status.message = "building", "変更を反映しています…"
                self.changed.notify_all()

    def request_pdf(self) -> None:
        with self.changed:
            self.pdf_wanted = True
            self.status.message, self.status.pdf_busy = "PDF を作成しています…", True
            self.changed.notify_all()

    # --- serving --------------------------------------------------------------------------------
    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        preview = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_HEAD(self) -> None:
                self.do_GET(body=False)

            def do_POST(self) -> None:
                if self.path == LIVE + "pdf":
                    preview.request_pdf()
                    self.send_response(202)
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_GET(self, body: bool = True) -> None:
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                if path == LIVE + "events":
                    return self.events()
                if path == LIVE + "live.js":
                    return self.send(SCRIPT.encode(), "text/javascript; charset=utf-8", body)
                root = (preview.out / "current").resolve()
                folder = root / ("pdf" if path.startswith("/pdf/") else "html")
                rel = path.removeprefix("/pdf/") if path.startswith("/pdf/") else path.lstrip("/")
                target = (folder / rel).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_relative_to(folder) or not target.is_file():
                    return self.send_error(404)
                content = target.read_bytes()
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                if target.suffix == ".html":
                    tag = f'<script src="{LIVE}live.js"></script>'.encode()
                    content = content.replace(b"</body>", tag + b"</body>", 1)
                    kind += "; charset=utf-8"
                self.send(content, kind, body)

            def send(self, content: bytes, kind: str, body: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if body:
                    self.wfile.write(content)

            def events(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                last = None
                try:
                    while not preview.stopping.is_set():
                        with preview.changed:
                            payload = preview.status.payload()
                            if payload == last:
                                preview.changed.wait(15)
                                payload = preview.status.payload()
                        if payload != last:
                            self.wfile.write(f"data: {payload}\n\n".encode())
                            last = payload
                        else:
                            self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler

    def run(self) -> None:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler())
        server.daemon_threads = True
        threads = [threading.Thread(target=self.builder, daemon=True), threading.Thread(target=self.watcher, daemon=True)]
        for t in threads:
            t.start()
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        log(f"preview of '{self.submission}' at http://127.0.0.1:{server.server_address[1]}/ "
            "(saved changes rebuild and reload the page; Ctrl-C stops)")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            log("preview: stopping")
            self.stopping.set()
            with self.changed:
                self.changed.notify_all()
            server.shutdown()
            server.server_close()
            for t in threads:
                t.join(timeout=60)
            self._stop_session()
            log("preview: stopped")


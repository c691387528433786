"""``make preview``: the report served on 127.0.0.1, rebuilt and reloaded as its author saves.

- Watches ``data/``, ``notebooks/``, ``book/``, ``submissions/``, ``_config.yml``, ``_toc.yml`` and
  the package. Saves are coalesced; a save during a rebuild triggers one more rebuild.
- A rebuild is the ordinary build (validation first, then only the notebooks and pages that
  changed) without the PDF, with kernels kept warm between rebuilds (a fork server and a pool),
  one Sphinx application kept warm (``book.WarmSphinx``: it reads and writes only the changed pages),
  and the validation and the code's hashes reused while the files they read are unchanged. A change
  to the package's code restarts them all.
- The page its author has open comes first: each page's script names its page on its event stream,
  and the page opened last among the open ones is the one looked at. When its notebook changed, a
  first pass runs that notebook alone (the others keep their last runs for the moment), draws no print
  SVG and publishes; the page is swapped in at once. The ordinary build follows and makes every page,
  print SVG and download right. A save during that build stops it at its next step and is built first.
- A notebook's prose edit runs no kernel: the notebook cache's key covers its code cells, and the
  stored run's outputs are put into the current text (``execute.with_text``).
- An open page that a published rebuild changed is swapped in place (a small script, added to pages
  only as they are served, listens to server-sent events naming the changed pages, fetches its page
  and replaces its ``<main>``: no reload of the theme or of the charts' scripts; no browser extension). When a rebuild
  fails (bad data, a failing cell), a banner on the open page shows the error — file, line,
  column, or notebook and cell — and the last good pages stay; fixing the file clears it.
- The PDF is printed, and the figures' downloads drawn, only when asked: the banner's link, or the
  first request of a download (drawn from the figure's frame, kept in the build cache by content).
- Ctrl-C stops the watcher, the server, the kernels and Sphinx; nothing is left running.
- Only its author can reach it: it binds 127.0.0.1 and answers only ``Host: 127.0.0.1:PORT``,
  ``localhost:PORT`` or ``[::1]:PORT`` (421 otherwise, so a site that rebinds its DNS name to
  127.0.0.1 reads no draft); work (``POST /__preview__/pdf``) is started only by a same-origin
  request (``Origin``, else ``Sec-Fetch-Site``); every response forbids framing and sniffing. A
  malformed address gets 400, a silent connection is closed after ``CONNECTION_TIMEOUT`` seconds,
  and at most ``MAX_CONNECTIONS`` connections are served at once.
"""

from __future__ import annotations

import hashlib
import http.server
import itertools
import json
import mimetypes
import re
import signal
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regenpolicy.builder.book import SphinxWorker
from regenpolicy.builder.execute import KERNEL
from regenpolicy.builder.kernels import WarmKernels
from regenpolicy.builder.pipeline import BuildError, Options, Session, Superseded, build, log
from regenpolicy.builder.profile import ProfileError, load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.publish import published_key
from regenpolicy.builder.registry import StepError, load_registry
from regenpolicy.data import DataValidationError, printable
from regenpolicy.presentation.draw import Drawer, draw_file

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
  function scripts(doc) {
    return Array.prototype.map.call(doc.querySelectorAll("script[src]"), function (s) {
      return s.getAttribute("src").split("?")[0];
    }).filter(function (src) { return src.indexOf("/__preview__/") !== 0; }).sort().join(" ");
  }
  // The rebuilt page swapped in place: its <main> only, without reloading the theme or the charts'
  // scripts; a page whose scripts changed (it gained its first chart) is reloaded instead.
  function swap() {
    fetch(location.pathname, {cache: "no-store"}).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.text();
    }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      var fresh = doc.querySelector("main"), old = document.querySelector("main");
      if (!fresh || !old || scripts(doc) !== scripts(document)) { location.reload(); return; }
      old.replaceWith(document.importNode(fresh, true));
      document.title = doc.title;
      var charts = document.querySelector('script[src*="regen-charts.js"]');
      if (charts) {  // draws the charts of the new <main>
        var again = document.createElement("script");
        again.src = charts.src.split("?")[0] + "?swap=" + Date.now();
        if (charts.hasAttribute("data-vega")) { again.setAttribute("data-vega", charts.getAttribute("data-vega")); }  // where the chart library is
        document.body.appendChild(again);
      }
    }).catch(function () { location.reload(); });
  }
  function page() {
    var path = location.pathname;
    return path.charAt(path.length - 1) === "/" ? path + "index.html" : path;
  }
  var version = null;
  // the page it is open on goes with it: a rebuild makes this page first
  var source = new EventSource("/__preview__/events?page=" + encodeURIComponent(page()));
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (version !== null && state.version !== version && (state.changed || []).indexOf(page()) >= 0) { swap(); }
    version = state.version;
    if (state.state === "ok" && !state.pdf_busy) { hide(); } else { show(state); }
  };
})();
"""


MAX_PATH = 4096  # characters of a request's address
CONNECTION_TIMEOUT = 10.0  # seconds a connection may stay silent (a page's event stream writes every 15 s)
MAX_CONNECTIONS = 32  # connections served at once (each open page holds one for its events)
SECURITY_HEADERS = (
    ("X-Frame-Options", "DENY"),  # no other page may frame the draft (clickjacking the PDF link)
    ("Content-Security-Policy", "frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cross-Origin-Resource-Policy", "same-origin"),  # no other site may load the draft's files
    ("Referrer-Policy", "no-referrer"),
)


# What a reader of the preview sees when a request fails: Japanese, whatever the request (the
# status line keeps HTTP's English reason; the command line's log stays English).
ERRORS_JA = {
    400: ("アドレスが正しくありません", "このアドレスは読み取れません。"),
    403: ("この操作はできません", "PDF の作成は、このプレビューのページからだけ頼めます。"),
    404: ("ページが見つかりません", "このプレビューに、そのアドレスのページやファイルはありません。"),
    414: ("アドレスが長すぎます", "このアドレスは長すぎて読み取れません。"),
    421: ("このアドレスでは表示しません",
          "このプレビューは http://127.0.0.1:ポート番号/ か http://localhost:ポート番号/ で開いてください。"),
}
PDF_NOT_MADE = ("PDF はまだ作成されていません。プレビューは速さを優先して PDF を作りません。"
                "ページ下の「PDF を作成」を押すと作成します（数分かかります）。"
                "コマンドラインでは make report で作成できます。")
ERROR_PAGE = ('<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{title}</title></head>'
              '<body style="font-family:\'BIZ UDPGothic\',sans-serif;max-width:40em;margin:2em auto;padding:0 1em">'
              '<h1>{title}</h1><p>{text}</p><p><a href="/">表紙に戻る</a></p><p style="color:#555">（HTTP {code}）</p>'
              '</body></html>')


def error_page(code: int, text: str | None = None) -> bytes:
    """The page of a failed request, in Japanese: what went wrong and what to do."""
    from html import escape

    title, default = ERRORS_JA.get(code, ("表示できません", "このページは表示できません。"))
    return ERROR_PAGE.format(title=escape(title), text=escape(text or default), code=code).encode("utf-8")


def banner_text(exc: BaseException) -> str:
    """A refused build as the preview's banner says it: Japanese around the problems, each at its
    file, line and column (行・列); the problems' own words are the checks'."""
    from regenpolicy.data.problems import Problem, ProblemsError

    lead = "ビルドできません（前の版のページを表示しています）。"
    if not isinstance(exc, ProblemsError):
        return f"{lead}\n{exc}"

    def where(p: Any) -> str:
        if not isinstance(p, Problem):
            return str(p)
        place = p.file + (f" の {p.line} 行目" if p.line is not None else "")
        if isinstance(p.column, int):
            place += f" {p.column} 文字目"
        elif p.column is not None:
            place += f"（列「{p.column}」）"
        return f"{place}：{p.message}"

    lines = [f"{lead}直す必要のある箇所が {len(exc.problems) + exc.omitted:,} 件あります："]
    lines += [f"・{where(p)}" for p in exc.problems]
    if exc.omitted:
        lines.append(f"（ほかに {exc.omitted:,} 件。最初の {len(exc.problems)} 件を表示しています）")
    return "\n".join(lines)


class PreviewServer(http.server.ThreadingHTTPServer):
    """A thread per connection, at most ``max_connections`` at once: beyond that a connection is
    closed at once; every connection times out when silent (the handler's ``timeout``). A failed
    request is one line in the log, never a traceback."""

    daemon_threads = True
    request_queue_size = 128  # connections waiting to be accepted (socketserver's default is 5)

    def __init__(self, address: tuple[str, int], handler: type[http.server.BaseHTTPRequestHandler],
                 max_connections: int):
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(max_connections)
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0  # the most connections served at once (for the tests)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self.lock:
            self.active -= 1
        self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        kind, exc, _ = sys.exc_info()
        if not isinstance(exc, OSError):  # a closed connection is no news
            log(f"preview: a request failed: {kind.__name__ if kind else 'error'}: {exc}")


def until_signalled(signals: tuple[int, ...], tick: float = 0.25) -> int:
    """Wait, in the main thread, until one of ``signals`` arrives (Ctrl-C, say); return it.

    The wait is a series of short ones. The kernel hands a signal sent to the process to any of its
    threads, and Python runs the handler in the main thread only once that thread runs Python code
    again: a main thread in one untimed wait never does when another thread took the signal, and the
    preview never stopped (5 busy threads beside it: 6 of 60 Ctrl-Cs lost; timed waits: 0 of 60)."""
    got: list[int] = []
    arrived = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        got.append(signum)
        arrived.set()

    for sig in signals:
        signal.signal(sig, handler)
    while not arrived.wait(tick):
        pass
    return got[0]


def page_hashes(html: Path) -> dict[str, str]:
    """Each built page (its address on the preview, ``/notebooks/k1_fee_gap.html``) → the hash of its content."""
    if not html.is_dir():
        return {}
    return {"/" + p.relative_to(html).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in html.rglob("*.html") if not p.name.startswith("_")}


def changed_pages(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The pages a rebuild changed or added (the open ones are swapped in place); the others stay."""
    return sorted(page for page, digest in after.items() if before.get(page) != digest)


OPEN_NOTEBOOK = re.compile(r"/notebooks/([A-Za-z0-9_]{1,100})\.html")


def notebook_of(page: str | None) -> str | None:
    """The notebook whose page is at ``page`` (``/notebooks/k1_fee_gap.html`` → ``k1_fee_gap``), else None."""
    match = OPEN_NOTEBOOK.fullmatch(page or "")
    return match.group(1) if match else None


def kind_of_change(files: set[Path], root: Path, package: Path) -> str | None:
    """What saved ``files`` ask of the preview: ``"code"`` (the package changed: warm kernels and
    Sphinx hold the old code, restart them, then rebuild), ``"content"`` (a watched input: rebuild;
    the build's cache keys pick the notebooks and pages), or None (editor droppings, caches, outputs)."""
    kind = None
    for f in files:
        if f.name.startswith((".", "~")) or f.name.endswith(("~", ".swp", ".pyc")) or "__pycache__" in f.parts:
            continue
        if f.is_relative_to(package):
            return "code"
        if f.is_relative_to(root):
            rel = f.relative_to(root)
            if rel.parts and rel.parts[0] in WATCHED and "_build" not in rel.parts:
                kind = "content"
    return kind


@dataclass
class Status:
    state: str = "building"  # building | ok | error
    message: str = "ビルド中…"
    version: int = 0  # published rebuilds; an open page among ``changed`` is swapped when it moves
    changed: list[str] = field(default_factory=list)  # the pages the last published rebuild changed
    pdf: bool = False  # the published release has a PDF
    pdf_busy: bool = False

    def payload(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


class Preview:
    def __init__(self, project: Project, submission: str, port: int, out: Path, cache: Path | None = None):
        self.project, self.submission, self.port, self.out = project, submission, port, out
        self.cache = cache or project.root / "_build" / ".cache"
        self.status = Status()
        self.changed = threading.Condition()
        self.dirty = True  # build once at start
        self.pdf_wanted = False
        self.stopping = threading.Event()
        self.session = Session(book=out / ".book")
        self.code_changed = False
        self.session.superseded = lambda: self.dirty or self.code_changed or self.stopping.is_set()
        self.connection_timeout = CONNECTION_TIMEOUT
        self.max_connections = MAX_CONNECTIONS
        # the pages open in a browser, each with its event stream: stream → (when it opened, page address)
        self.open_pages: dict[int, tuple[int, str]] = {}
        self._opened = itertools.count()
        self._pages_lock = threading.Lock()

    def page_opened(self, page: str) -> int:
        """A page's event stream opened (``page``: its address, as its script says it); the stream's id."""
        with self._pages_lock:
            stream = next(self._opened)
            self.open_pages[stream] = (stream, page)
            return stream

    def page_closed(self, stream: int) -> None:
        with self._pages_lock:
            self.open_pages.pop(stream, None)

    def open_notebook(self) -> str | None:
        """The notebook of the page opened last among those still open (the one its author looks at), if any."""
        with self._pages_lock:
            pages = sorted(self.open_pages.values(), reverse=True)
        return next((n for n in (notebook_of(p) for _, p in pages) if n is not None), None) if pages else None

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
        self.session.drawer = Drawer(self.cache, workers=1, text=self.project.chart_text)  # print SVGs of changed charts, warm
        self.session.drawer.warm()

    def _stop_session(self) -> None:
        self.session.prepared = None  # validated by the old code
        self.session.close()

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
            # The page its author has open first (its notebook alone, no print drawing), when an
            # earlier build left the other notebooks' results to keep meanwhile; then the ordinary build.
            first = None if restart or pdf or self.session.results is None else self.open_notebook()
            if first is not None:
                if not self._build(Options(pdf=False, workers=2, downloads=False, deck=False, first=first), started,
                                   last=False):
                    continue
                with self.changed:
                    if self.dirty:  # saved again meanwhile: that save's first pass comes before the rest
                        continue
            self._build(Options(pdf=pdf, workers=2, downloads=pdf, deck=pdf), started, last=True)

    def _build(self, options: Options, started: float, last: bool) -> bool:
        """One build; the open pages it changed are swapped (``last``: the status is ok after it). False when
        it failed (the banner says why)."""
        before = published_key(self.out)
        pages_before = page_hashes(self.out / "current" / "html")
        try:
            registry = load_registry(self.project)
            profile = load_profile(self.submission, self.project, registry)
            build(self.project, profile, self.out, options, cache=self.cache, session=self.session)
        except Superseded:  # saved again: the next round builds that save
            log("preview: saved again; building that save instead")
            return False
        except (DataValidationError, ProfileError, StepError, BuildError) as exc:
            self._publish_status(state="error", message=banner_text(exc), pdf_busy=False)
            log(f"preview: the build failed; the page shows the error:\n{exc}")
            return False
        except Exception:
            self._publish_status(state="error", message="予期しないエラーでビルドが止まりました（前の版のページを"
                                 "表示しています）。開発者向けの詳細：\n" + traceback.format_exc(), pdf_busy=False)
            return False
        moved = published_key(self.out) != before  # a new release: the open pages it changed are swapped
        changed = changed_pages(pages_before, page_hashes(self.out / "current" / "html")) if moved else []
        seconds = time.monotonic() - started
        if last:
            self._publish_status(state="ok", message=f"更新しました（{seconds:.1f} 秒）",
                                 version=self.status.version + moved, changed=changed,
                                 pdf=options.pdf or self._has_pdf(), pdf_busy=False)
        elif moved:
            log(f"preview: the open page's notebook ({options.first}) published first ({seconds:.1f} s)")
            # the open page is right: no banner over it while the other pages are made (a failure there shows one)
            self._publish_status(state="ok", message=f"開いているページを更新しました（{seconds:.1f} 秒）。"
                                 "ほかのページを更新しています…", version=self.status.version + 1, changed=changed)
        return True

    def _has_pdf(self) -> bool:
        return (self.out / "pdf" / "report.pdf").exists()

    def watcher(self) -> None:
        from watchfiles import watch

        import regenpolicy

        package = Path(regenpolicy.__file__).parent
        paths = [self.project.root / p for p in WATCHED if (self.project.root / p).exists()] + [package]
        for changes in watch(*paths, debounce=150, step=50, stop_event=self.stopping, yield_on_timeout=False,
                             raise_interrupt=False):
            kind = kind_of_change({Path(p) for _, p in changes}, self.project.root, package)
            if kind is None:
                continue
            with self.changed:
                self.dirty = True
                if kind == "code":
                    self.code_changed = True
                self.status.state, self.status.message = "building", "変更を反映しています…"
                self.changed.notify_all()

    def request_pdf(self) -> None:
        with self.changed:
            self.pdf_wanted = True
            self.status.message, self.status.pdf_busy = "PDF を作成しています…", True
            self.changed.notify_all()

    def drawn(self, target: Path) -> bytes | None:
        """A figure's download (CSV, Excel, SVG, PNG) drawn on its first request from the frame the
        kernel saved beside it; kept in the build cache by content, so asked again it is a file read."""
        try:
            return draw_file(target.parent, target.name, self.cache)
        except OSError:  # a name too long for the file system, say
            return None

    # --- serving --------------------------------------------------------------------------------
    def hosts(self, port: int) -> frozenset[str]:
        """The Host headers this preview answers: its own address and port, nothing a DNS name can rebind."""
        return frozenset(f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]"))

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        preview = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = preview.connection_timeout  # an idle or slow connection is closed after this (seconds)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def end_headers(self) -> None:
                for name, value in SECURITY_HEADERS:  # on every response, errors included
                    self.send_header(name, value)
                super().end_headers()

            def send_error(self, code: int, message: str | None = None, explain: str | None = None,
                           *, text: str | None = None) -> None:
                """A failed request's page in Japanese (``error_page``; ``text`` says what to do)."""
                content = error_page(code, text)
                self.send_response(code, message)
                self.send_header("Connection", "close")
                self.close_connection = True
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                    self.wfile.write(content)

            def _host_ok(self) -> bool:
                """Only 127.0.0.1:PORT / localhost:PORT / [::1]:PORT: a page of another site that
                rebinds its name to 127.0.0.1 sends its own name, and gets no draft."""
                host = (self.headers.get("Host") or "").strip().lower()
                if host in preview.hosts(self.server.server_port):  # type: ignore[attr-defined]
                    return True
                self.send_error(421, "Misdirected Request",
                                "This preview answers only to http://127.0.0.1:PORT/ or http://localhost:PORT/.")
                return False

            def _same_origin(self) -> bool:
                """A request that starts work must come from the preview's own pages (Origin, else Sec-Fetch-Site)."""
                origin = self.headers.get("Origin")
                if origin is not None:
                    return origin.strip().lower() == f"http://{(self.headers.get('Host') or '').strip().lower()}"
                return (self.headers.get("Sec-Fetch-Site") or "").strip().lower() == "same-origin"

            def _path(self) -> str | None:
                """The request's path, decoded; None (after a 400 or 414) when it is malformed."""
                raw = self.path
                if len(raw) > MAX_PATH:
                    self.send_error(414)
                    return None
                raw = raw.split("#", 1)[0].split("?", 1)[0]
                try:
                    path = urllib.parse.unquote(raw, errors="strict")
                except UnicodeDecodeError:
                    path = None
                if (path is None or not path.startswith("/") or "\\" in path
                        or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in path)
                        or any(part in (".", "..") for part in path.split("/"))):
                    self.send_error(400, "Bad Request", "The address is malformed.")
                    return None
                return path

            def do_HEAD(self) -> None:
                self.do_GET(body=False)

            def do_POST(self) -> None:
                if not self._host_ok():
                    return
                path = self._path()
                if path is None:
                    return
                if path != LIVE + "pdf":
                    self.send_error(404)
                    return
                if not self._same_origin():
                    self.send_error(403, "Forbidden", "Only the preview's own pages may ask for the PDF.")
                    return
                preview.request_pdf()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self, body: bool = True) -> None:
                if not self._host_ok():
                    return
                path = self._path()
                if path is None:
                    return
                if path == LIVE + "events":
                    query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, max_num_fields=4)
                    return self.events((query.get("page") or [""])[0][:MAX_PATH])
                if path == LIVE + "live.js":
                    return self.send(SCRIPT.encode(), "text/javascript; charset=utf-8", body)
                root = (preview.out / "current").resolve()
                folder = root / ("pdf" if path.startswith("/pdf/") else "html")
                rel = path.removeprefix("/pdf/") if path.startswith("/pdf/") else path.lstrip("/")
                try:
                    target = (folder / rel).resolve()
                    if target.is_dir():
                        target = target / "index.html"
                    inside = target.is_relative_to(folder)
                    found = inside and target.is_file()
                except (OSError, ValueError):  # a name too long for the file system, say
                    inside = found = False
                if not inside:
                    return self.send_error(404)
                if not found:
                    drawn = preview.drawn(target)  # a download not drawn yet: drawn now, once
                    if drawn is None:
                        return self.send_error(404, text=PDF_NOT_MADE if path.startswith("/pdf/") else None)
                    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                    return self.send(drawn, kind, body)
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

            def events(self, page: str) -> None:
                """The status, as it changes, to a page (``page``: its address, which rebuilds make first)."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                last = None
                stream = preview.page_opened(page)
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
                except OSError:  # the page was closed, or stopped reading for longer than the timeout
                    return
                finally:
                    preview.page_closed(stream)

        return Handler

    def server(self, port: int | None = None) -> PreviewServer:
        """The preview's HTTP server on 127.0.0.1 (``port`` 0: any free port), not yet serving."""
        return PreviewServer(("127.0.0.1", self.port if port is None else port), self.handler(),
                             self.max_connections)

    def run(self) -> None:
        server = self.server()
        threads = [threading.Thread(target=self.builder, daemon=True), threading.Thread(target=self.watcher, daemon=True)]
        for t in threads:
            t.start()
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        log(f"preview of '{self.submission}' at http://127.0.0.1:{server.server_address[1]}/ "
            "(saved changes rebuild and reload the page; Ctrl-C stops)")
        try:
            until_signalled((signal.SIGINT, signal.SIGTERM))
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


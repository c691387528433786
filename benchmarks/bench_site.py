"""Site benchmark: what a phone gets from the published site, and how big the published folder is.

    .venv/bin/python benchmarks/bench_site.py [--site DIR] [--drafts N] [--lighthouse DIR] [--runs N] [--pages P ...]

- Lighthouse 12.2.3 (mobile preset: simulated slow 4G and a slow phone CPU) on several kinds of page
  (front page, chapter, chart page, appendix, editions index), served by a static server that
  compresses (npm ``serve``): performance and accessibility scores, first and largest contentful
  paint, total blocking time, the bytes transferred, and the bytes transferred before the first paint
  (every request that started before it). Each page's median of ``--runs`` runs. Targets:
  performance >= 90, accessibility 100, <= 500 KB before the first paint.
- the published folder (``--site``, a ``make site`` output): its size, each edition's and the shared
  folder's, each split into the downloads (the report's PDF, the deck's PDF and PPTX, the data zip),
  the precompressed copies (``.gz``/``.br``) and the rest (pages, scripts, figure files).
- with ``--drafts N``, the same for a site built in a scratch copy of the project (``--scratch``):
  first the shipped editions, then with N drafts of each (copies of its profile with another id and
  date; 4 shipped + 3 drafts each = 16 editions), and what each added edition adds to the published
  folder: (size with all − size with the shipped ones) / drafts added, with and without the
  precompressed copies. The drafts' figures are those of their edition, so what they share is
  published once, as a real draft would be.

Lighthouse and serve are npm packages, installed once where ``--lighthouse`` points
(``npm i -E lighthouse@12.2.3 serve@14`` in that folder); Debian's chromium runs the pages
(``CHROME_PATH``). Nothing here is a test: it prints figures.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"front page": "{e}book/index.html", "chapter": "{e}book/ch5_reimbursement.html",
         "chart page (K1)": "{e}notebooks/k1_fee_gap.html", "appendix": "{e}book/appendix.html",
         "editions index": "index.html"}
TARGETS = {"performance": 90, "accessibility": 100, "before_paint_kb": 500}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(lighthouse: Path, folder: Path, port: int) -> subprocess.Popen[bytes]:
    config = Path(tempfile.mkdtemp()) / "serve.json"
    config.write_text(json.dumps({"cleanUrls": False}), encoding="utf-8")
    proc = subprocess.Popen([str(lighthouse / "node_modules" / ".bin" / "serve"), "-c", str(config), "-l",
                             str(port), str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("serve did not start")


def lighthouse_run(lighthouse: Path, url: str, keep: Path | None = None) -> dict[str, float] | None:
    """One Lighthouse run of ``url``: its figures, or None (with the reason on stderr) when it failed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        proc = subprocess.run([str(lighthouse / "node_modules" / ".bin" / "lighthouse"), url, "--quiet",
                               "--only-categories=performance,accessibility", "--form-factor=mobile",
                               "--chrome-flags=--headless=new --no-sandbox", "--output=json", f"--output-path={out}"],
                              env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
        if proc.returncode != 0 or not out.is_file():
            print(f"  Lighthouse failed on {url} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}", file=sys.stderr)
            return None
        report = json.loads(out.read_text(encoding="utf-8"))
        if report.get("runtimeError") or report["categories"]["performance"]["score"] is None:
            print(f"  Lighthouse could not measure {url}: {report.get('runtimeError')}", file=sys.stderr)
            return None
        if keep is not None:
            save_report(report, keep)
    audits = report["audits"]
    fcp = audits["first-contentful-paint"]["numericValue"]
    requests = audits["network-requests"]["details"]["items"]
    # bytes of the requests that started before the first paint (observed timeline of the load)
    paint = next((i for i in audits["metrics"]["details"]["items"]), {}).get("observedFirstContentfulPaint", fcp)
    early = sum(r.get("transferSize", 0) for r in requests if r.get("networkRequestTime", r.get("startTime", 0)) <= paint)
    return {"performance": 100 * report["categories"]["performance"]["score"],
            "accessibility": 100 * report["categories"]["accessibility"]["score"],
            "fcp_s": fcp / 1000, "lcp_s": audits["largest-contentful-paint"]["numericValue"] / 1000,
            "tbt_ms": audits["total-blocking-time"]["numericValue"], "cls": audits["cumulative-layout-shift"]["numericValue"],
            "transferred_kb": audits["total-byte-weight"]["numericValue"] / 1024, "before_paint_kb": early / 1024,
            # Lighthouse's measure of the machine's speed at the time (higher is faster; a loaded machine scores low)
            "benchmark_index": float(report.get("environment", {}).get("benchmarkIndex", 0))}


def save_report(report: dict[str, Any], keep: Path) -> None:
    """Lighthouse's report (JSON) and its filmstrip: the page as the throttled phone showed it while it
    loaded (``screenshot-thumbnails``, JPEG frames named by milliseconds) and at the end."""
    keep.mkdir(parents=True, exist_ok=True)
    (keep / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    frames = report["audits"].get("screenshot-thumbnails", {}).get("details", {}).get("items", [])
    final = report["audits"].get("final-screenshot", {}).get("details", {})
    for frame in [*frames, {"timing": "final", **final}]:
        data = str(frame.get("data", ""))
        if data.startswith("data:image/"):
            name = f"{frame['timing']:05d}ms" if isinstance(frame["timing"], int | float) else str(frame["timing"])
            (keep / f"{name}.jpg").write_bytes(base64.b64decode(data.split(",", 1)[1]))


PACKED = (".gz", ".br")
DOWNLOADS = re.compile(r"report\.pdf|.+-deck\.(?:pdf|pptx)|.+-data\.zip")  # an edition's own downloads, at its top


# Lighthouse's mobile profile as DevTools applies it (its "devtools" throttling): slow 4G and a 4× slower CPU
PHONE = {"latency": 562.5, "download": 1474.56 * 1024 / 8, "upload": 675 * 1024 / 8, "cpu": 4,
         "width": 412, "height": 823, "scale": 1.75}


def filmstrip(url: str, out: Path, wait_for: str, settle_ms: int = 1500) -> list[tuple[float, Path]]:
    """The page as a throttled phone shows it while it loads (``PHONE``: Chromium's own network and CPU
    throttling through the DevTools protocol, not Lighthouse's simulation): every frame the browser
    paints (``Page.startScreencast``) as ``<out>/<ms>ms.png``, ms from the start of navigation, until
    ``wait_for`` (a JavaScript expression) holds and ``settle_ms`` more have passed; the frames' list."""
    from playwright.sync_api import sync_playwright

    from regenpolicy.builder.pdf import CHROMIUM_ARGS, chromium_path

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*ms.png"):
        old.unlink()
    frames: list[tuple[float, bytes]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": PHONE["width"], "height": PHONE["height"]},
                                      device_scale_factor=PHONE["scale"], is_mobile=True, has_touch=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": PHONE["latency"],
                                                      "downloadThroughput": PHONE["download"],
                                                      "uploadThroughput": PHONE["upload"]})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE["cpu"]})

        def frame(event: dict[str, Any]) -> None:
            frames.append((time.monotonic(), base64.b64decode(event["data"])))
            cdp.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})

        cdp.on("Page.screencastFrame", frame)
        cdp.send("Page.startScreencast", {"format": "png", "everyNthFrame": 1})
        started = time.monotonic()
        page.goto(url, wait_until="commit")
        page.wait_for_function(wait_for, timeout=120_000)
        page.wait_for_timeout(settle_ms)
        cdp.send("Page.stopScreencast")
        browser.close()
    saved = []
    for when, data in frames:
        ms = max(0.0, (when - started) * 1000)
        path = out / f"{ms:06.0f}ms.png"
        path.write_bytes(data)
        saved.append((ms, path))
    return saved


def folder_size(folder: Path, suffixes: tuple[str, ...] = ()) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and not p.is_symlink() and (not suffixes or p.suffix in suffixes))


def split_size(folder: Path) -> dict[str, int]:
    """A folder's bytes: all, the downloads at its top (PDF, deck, data zip), the .gz/.br copies."""
    downloads = sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and DOWNLOADS.fullmatch(p.name))
    return {"all": folder_size(folder), "downloads": downloads, "packed": folder_size(folder, PACKED)}


def report_folder(site: Path) -> dict[str, int]:
    """Print the published folder's size, each edition's and the shared folder's; return the site's split."""
    total = split_size(site)
    editions = sorted(p for p in site.iterdir() if p.is_dir())
    print(f"\npublished folder {site}: {len(editions) - (site / '_shared').is_dir()} editions, "
          f"{total['all'] / 1e6:.2f} MB ({total['packed'] / 1e6:.2f} MB of it .gz/.br copies); MB = 10^6 bytes")
    print(f"  {'folder':<24} {'MB':>7} {'KiB':>7}  {'downloads':>9} {'.gz/.br':>7} {'rest':>7}  (downloads: PDF, deck, data zip)")
    for child in editions:
        s = split_size(child)
        print(f"  {child.name:<24} {s['all'] / 1e6:7.2f} {s['all'] / 1024:7.0f}  {s['downloads'] / 1e6:9.2f} "
              f"{s['packed'] / 1e6:7.2f} {(s['all'] - s['downloads'] - s['packed']) / 1e6:7.2f}")
    top = total["all"] - sum(folder_size(c) for c in editions)
    print(f"  {'(files at the top)':<24} {top / 1e6:7.2f} {top / 1024:7.0f}")
    return {**total, "editions": len(editions) - (site / "_shared").is_dir()}


def add_drafts(project: Path, drafts: int) -> int:
    """``drafts`` copies of every shipped profile: ``<id>-draft<k>``, a day later when dated to the
    day, its title marked; return how many were added."""
    shipped = sorted(p for p in (project / "submissions").glob("*.yaml") if "-draft" not in p.stem)
    added = 0
    for profile in shipped:
        text = profile.read_text(encoding="utf-8")
        ident = re.search(r"^id: *(\S+)", text, re.M)
        assert ident is not None, f"{profile} has no id: line"
        for k in range(1, drafts + 1):
            copy = re.sub(r"^id: .*$", f"id: {ident.group(1)}-draft{k}", text, count=1, flags=re.M)
            copy = re.sub(r"^title: (.*)$", rf"title: \g<1>（草稿{k}）", copy, count=1, flags=re.M)
            day = re.search(r"^date: *\"?(\d{4}-\d{2}-\d{2})\"?", copy, re.M)
            if day:
                later = dt.date.fromisoformat(day.group(1)) + dt.timedelta(days=k)
                copy = copy[:day.start()] + f"date: {later.isoformat()}" + copy[day.end():]
            (project / "submissions" / f"{ident.group(1)}-draft{k}.yaml").write_text(copy, encoding="utf-8")
            added += 1
    return added


def build_site(project: Path, cache: Path | None) -> Path:
    """``python -m regenpolicy site`` on the scratch project (its output in the scratch's _build/site)."""
    out = project / "_build" / "site"
    cmd = [sys.executable, "-m", "regenpolicy", "--project", str(project), "site", "--out", str(out)]
    if cache is not None:
        cmd += ["--cache-dir", str(cache)]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    (project / "_build" / "site.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise SystemExit(f"make site failed in {project} (log: {project / '_build' / 'site.log'}):\n"
                         f"{(proc.stdout + proc.stderr)[-3000:]}")
    print(f"  (built in {time.monotonic() - started:.0f} s)", flush=True)
    return out.resolve()


def drafted_sites(scratch: Path, drafts: int, cache: Path | None) -> Path:
    """The shipped editions' site and the site with ``drafts`` drafts of each, both built in a
    scratch copy of the project and measured; return the first (for Lighthouse)."""
    from bench_build import copy_project  # the project as git sees it (benchmarks/ is the script's folder)

    for name in ("data", "notebooks", "book", "submissions"):
        shutil.rmtree(scratch / name, ignore_errors=True)  # inputs afresh; _build (editions, cache) kept
    project = copy_project(scratch)
    print(f"\nmake site in a scratch copy of the project ({scratch}): the shipped editions, then {drafts} drafts of each")
    shipped = report_folder(build_site(project, cache))
    copy = scratch / "_build" / "site-shipped"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(scratch / "_build" / "site", copy, symlinks=False)
    added = add_drafts(project, drafts)
    every = report_folder(build_site(project, cache))
    print(f"\nper added edition ({shipped['editions']} → {every['editions']} editions; (size with all − size with "
          f"the shipped ones) / {added}):")
    for label, key in (("everything (downloads and .gz/.br copies included)", ()),
                       ("without the .gz/.br copies", ("packed",)),
                       ("without the downloads (PDF, deck, data zip) and the .gz/.br copies", ("packed", "downloads"))):
        grow = [s["all"] - sum(s[k] for k in key) for s in (shipped, every)]
        print(f"  {label:<70} {(grow[1] - grow[0]) / added / 1e6:6.2f} MB")
    return copy


def first_edition(site: Path, edition: str) -> str:
    return edition or ("" if (site / "book" / "index.html").is_file() else next(
        (p.name + "/" for p in sorted(site.iterdir()) if (p / "book" / "index.html").is_file()), ""))


def film(site: Path, lighthouse: Path, edition: str, out: Path) -> None:
    """K1's chart page loading on a throttled phone, from the top and at its chart (``filmstrip``)."""
    port = free_port()
    server = serve(lighthouse, site, port)
    page = f"http://127.0.0.1:{port}/" + PAGES["chart page (K1)"].format(e=first_edition(site, edition))
    try:
        print(f"\nK1's chart page on a throttled phone ({PHONE['latency']:.0f} ms, "
              f"{PHONE['download'] * 8 / 1e6:.2f} Mbit/s, CPU ×{PHONE['cpu']}), frames as PNG:")
        for name, url, wait in (("top", page, "document.readyState === 'complete'"),
                                ("chart", page + "#fig-k1", "!!document.querySelector('#fig-k1-chart[data-regen-drawn]')")):
            frames = filmstrip(url, out / name, wait)
            print(f"  {name:<6} {len(frames)} frames in {out / name}: "
                  + ", ".join(f"{ms / 1000:.1f} s" for ms, _ in frames[:12]) + (" …" if len(frames) > 12 else ""))
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "site", help="a make site output")
    parser.add_argument("--edition", default="", help="the edition folder the pages are in (default: the first)")
    parser.add_argument("--lighthouse", type=Path, default=Path(os.environ.get("LIGHTHOUSE_DIR", ROOT / "_build" / "lighthouse")),
                        help="folder where lighthouse@12.2.3 and serve are installed (npm)")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs of each page (the median is printed)")
    parser.add_argument("--pages", nargs="*", default=list(PAGES), help="which pages (names of PAGES)")
    parser.add_argument("--reports", type=Path, default=None,
                        help="keep each page's last Lighthouse report and filmstrip (JPEG frames) in this folder")
    parser.add_argument("--drafts", type=int, default=0,
                        help="also build the site in a scratch copy with the shipped editions and with N drafts of each "
                             "(3: 16 editions), and measure both (slow: each edition is built with its PDF and deck)")
    parser.add_argument("--scratch", type=Path, default=ROOT / "_build" / "bench-site",
                        help="the scratch project for --drafts (kept: a second run reuses its editions' builds)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="notebook cache for --drafts (default: the scratch's own)")
    parser.add_argument("--no-lighthouse", action="store_true", help="only the published folder's size")
    parser.add_argument("--filmstrip", type=Path, default=None,
                        help="save in this folder what a throttled phone shows while K1's chart page loads (PNG "
                             "frames): top/ from the top of the page, chart/ opened at the chart (#fig-k1)")
    args = parser.parse_args()
    site = args.site.resolve()
    if site.is_dir():
        report_folder(site)
    if args.drafts:
        scratch_site = drafted_sites(args.scratch.resolve(), args.drafts, args.cache_dir)
        if not site.is_dir():
            site = scratch_site
    if not site.is_dir():
        raise SystemExit(f"no site at {site}: run make site first (or --drafts N)")
    if args.filmstrip is not None:
        film(site, args.lighthouse, args.edition, args.filmstrip)
    if args.no_lighthouse:
        return
    if not (args.lighthouse / "node_modules" / ".bin" / "lighthouse").exists():
        print(f"\nLighthouse is not installed in {args.lighthouse}: "
              f"(mkdir -p {args.lighthouse} && cd {args.lighthouse} && npm i -E lighthouse@12.2.3 serve@14)")
        return
    edition = first_edition(site, args.edition)
    pages = [n for n in args.pages if (site / PAGES[n].format(e=edition)).is_file()]
    port = free_port()
    server = serve(args.lighthouse, site, port)
    try:
        # one run thrown away first: the first Chromium start and the server's first answers are slower
        # than any later ones (the first page measured had twice the blocking time of the same page later)
        lighthouse_run(args.lighthouse, f"http://127.0.0.1:{port}/" + PAGES["front page"].format(e=edition))
        print(f"\nLighthouse 12.2.3, mobile, served compressed ({edition or 'the site'}; median of {args.runs} "
              f"after one run thrown away); targets: performance >= {TARGETS['performance']}, accessibility "
              f"{TARGETS['accessibility']}, <= {TARGETS['before_paint_kb']} KB before the first paint")
        print(f"{'page':<18} {'perf':>5} {'a11y':>5} {'FCP s':>6} {'LCP s':>6} {'TBT ms':>7} {'CLS':>5} {'KB':>7} {'KB<paint':>8} "
              f"{'CPU':>5}  (CPU: Lighthouse's benchmark index of the machine then; higher is faster; "
              f"below about 500 the machine is too busy for the scores to mean much)")
        for name in pages:
            url = f"http://127.0.0.1:{port}/" + PAGES[name].format(e=edition)
            keep = args.reports / name.replace(" ", "-").replace("(", "").replace(")", "") if args.reports else None
            runs = [r for r in (lighthouse_run(args.lighthouse, url, keep) for _ in range(args.runs)) if r is not None]
            if not runs:
                print(f"{name:<18} (no run succeeded)")
                continue
            m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            met = all((m[k] >= v) if k != "before_paint_kb" else (m[k] <= v) for k, v in TARGETS.items())
            print(f"{name:<18} {m['performance']:5.0f} {m['accessibility']:5.0f} {m['fcp_s']:6.1f} {m['lcp_s']:6.1f} "
                  f"{m['tbt_ms']:7.0f} {m['cls']:5.2f} {m['transferred_kb']:7.0f} {m['before_paint_kb']:8.0f} {m['benchmark_index']:5.0f}  "
                  f"{'met' if met else 'NOT met'}")
            sys.stdout.flush()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

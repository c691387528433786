"""Site benchmark: what a phone gets from the published site, and how big the published folder is.

    .venv/bin/python benchmarks/bench_site.py [--site DIR] [--lighthouse DIR] [--runs N] [--pages P ...]

- Lighthouse 12.2.3 (mobile preset: simulated slow 4G and a slow phone CPU) on several kinds of page
  (front page, chapter, chart page, appendix, editions index), served by a static server that
  compresses (npm ``serve``): performance and accessibility scores, first and largest contentful
  paint, total blocking time, the bytes transferred, and the bytes transferred before the first paint
  (every request that started before it). Each page's median of ``--runs`` runs. Targets:
  performance >= 90, accessibility 100, <= 500 KB before the first paint.
- the published folder (``--site``, a ``make site`` output): its size, each edition's and the shared
  folder's, and the precompressed copies' share.

Lighthouse and serve are npm packages, installed once where ``--lighthouse`` points
(``npm i -E lighthouse@12.2.3 serve@14`` in that folder); Debian's chromium runs the pages
(``CHROME_PATH``). Nothing here is a test: it prints figures.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
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


def lighthouse_run(lighthouse: Path, url: str, keep: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run([str(lighthouse / "node_modules" / ".bin" / "lighthouse"), url, "--quiet",
                        "--only-categories=performance,accessibility", "--form-factor=mobile",
                        "--chrome-flags=--headless=new --no-sandbox", "--output=json", f"--output-path={out}"],
                       check=True, env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = json.loads(out.read_text(encoding="utf-8"))
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
            "tbt_ms": audits["total-blocking-time"]["numericValue"],
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


def folder_size(folder: Path, suffixes: tuple[str, ...] = ()) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and not p.is_symlink() and (not suffixes or p.suffix in suffixes))


def report_folder(site: Path) -> None:
    total = folder_size(site)
    packed = folder_size(site, (".gz", ".br"))
    print(f"\npublished folder {site}: {total / 1e6:.1f} MB ({packed / 1e6:.1f} MB of it .gz/.br copies)")
    for child in sorted(p for p in site.iterdir() if p.is_dir()):
        print(f"  {child.name:<24} {folder_size(child) / 1e6:7.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "site", help="a make site output")
    parser.add_argument("--edition", default="", help="the edition folder the pages are in (default: the first)")
    parser.add_argument("--lighthouse", type=Path, default=Path(os.environ.get("LIGHTHOUSE_DIR", ROOT / "_build" / "lighthouse")),
                        help="folder where lighthouse@12.2.3 and serve are installed (npm)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pages", nargs="*", default=list(PAGES), help="which pages (names of PAGES)")
    parser.add_argument("--reports", type=Path, default=None,
                        help="keep each page's last Lighthouse report and filmstrip (JPEG frames) in this folder")
    args = parser.parse_args()
    site = args.site.resolve()
    if not site.is_dir():
        raise SystemExit(f"no site at {site}: run make site first")
    report_folder(site)
    if not (args.lighthouse / "node_modules" / ".bin" / "lighthouse").exists():
        print(f"\nLighthouse is not installed in {args.lighthouse}: "
              f"(mkdir -p {args.lighthouse} && cd {args.lighthouse} && npm i -E lighthouse@12.2.3 serve@14)")
        return
    edition = args.edition or ("" if (site / "book" / "index.html").is_file() else next(
        (p.name + "/" for p in sorted(site.iterdir()) if (p / "book" / "index.html").is_file()), ""))
    pages = [n for n in args.pages if (site / PAGES[n].format(e=edition)).is_file()]
    port = free_port()
    server = serve(args.lighthouse, site, port)
    try:
        print(f"\nLighthouse 12.2.3, mobile, served compressed (median of {args.runs}):")
        print(f"{'page':<18} {'perf':>5} {'a11y':>5} {'FCP s':>6} {'LCP s':>6} {'TBT ms':>7} {'KB':>7} {'KB<paint':>8} "
              f"{'CPU':>5}  (CPU: Lighthouse's benchmark index of the machine then; higher is faster)")
        for name in pages:
            url = f"http://127.0.0.1:{port}/" + PAGES[name].format(e=edition)
            keep = args.reports / name.replace(" ", "-").replace("(", "").replace(")", "") if args.reports else None
            runs = [lighthouse_run(args.lighthouse, url, keep) for _ in range(args.runs)]
            m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            met = all((m[k] >= v) if k != "before_paint_kb" else (m[k] <= v) for k, v in TARGETS.items())
            print(f"{name:<18} {m['performance']:5.0f} {m['accessibility']:5.0f} {m['fcp_s']:6.1f} {m['lcp_s']:6.1f} "
                  f"{m['tbt_ms']:7.0f} {m['transferred_kb']:7.0f} {m['before_paint_kb']:8.0f} {m['benchmark_index']:5.0f}  "
                  f"{'met' if met else 'NOT met'}")
            sys.stdout.flush()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

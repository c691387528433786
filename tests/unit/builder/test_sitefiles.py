"""The published site's files: unread files left out, shared files once, gzip copies beside."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from regenpolicy.builder import sitefiles

BUNDLE = b"/* vega */ var x = 1;" * 100


def edition(site: Path, name: str, page_text: str = "") -> Path:
    root = site / name
    for path, data in {
        "_static/vega-bundle.js": BUNDLE,
        "_static/scripts/bootstrap.js": b"var b;\n//# sourceMappingURL=bootstrap.js.map",
        "_static/scripts/bootstrap.js.map": b"{}",
        "_static/scripts/fontawesome.js": b"x" * 5000,
        "_static/locales/de/LC_MESSAGES/booktheme.mo": b"x",
        "_static/styles/theme.css": b"@font-face{src:url(../vendor/fa.woff2)}",
        "_static/vendor/fa.woff2": b"font",
        "_static/pygments.css": b'@import "basic.css";',
        "_static/figures/K1.csv": b"a,b\n" * 400,
        "_static/figures/K1.png": b"png" * 1000,
        "notebooks/k1.html": ('<script defer data-vega="../_static/vega-bundle.js?v=1" src="../_static/x.js"></script>'
                              '<a href="../_static/figures/K1.csv">K1</a><a href="../_static/figures/K1.png" download>K1</a>' + page_text * 600).encode(),
        "index.html": b'<script src="_static/vega-bundle.js"></script>',
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_unread_files_go_shared_files_are_published_once_and_pages_link_there(tmp_path):
    a, b = edition(tmp_path, "a", "甲"), edition(tmp_path, "b", "乙")
    done = sitefiles.prepare(tmp_path, ["a", "b"])
    for e in (a, b):
        assert not (e / "_static/locales").exists() and not (e / "_static/scripts/fontawesome.js").exists()
        assert not (e / "_static/scripts/bootstrap.js.map").exists()
        assert not (e / "_static/vega-bundle.js").exists()
        # a stylesheet that loads a file by relative address, that file, and the downloads stay
        assert (e / "_static/styles/theme.css").exists() and (e / "_static/vendor/fa.woff2").exists()
        assert (e / "_static/pygments.css").exists()
        assert (e / "_static/figures/K1.csv").exists()  # its address is printed in the PDF
        assert not (e / "_static/figures/K1.png").exists()  # the same image in both: published once
    (shared,) = (tmp_path / sitefiles.SHARED).rglob("vega-bundle.js")
    assert shared.read_bytes() == BUNDLE
    rel = shared.relative_to(tmp_path).as_posix()
    page = (a / "notebooks/k1.html").read_text(encoding="utf-8")
    assert f'data-vega="../../{rel}?v=1"' in page and 'href="../_static/figures/K1.csv"' in page
    (png,) = (tmp_path / sitefiles.SHARED).rglob("K1.png")
    assert f'href="../../{png.relative_to(tmp_path).as_posix()}" download' in page
    assert f'src="../{rel}"' in (b / "index.html").read_text(encoding="utf-8")
    (script,) = (tmp_path / sitefiles.SHARED).rglob("bootstrap.js")
    assert script.read_bytes() == b"var b;"  # without the comment naming its source map
    assert done["shared"] >= len(BUNDLE) and done["dropped"] >= 5000
    # gzip copies beside the text files, the same bytes each time
    packed = a / "notebooks/k1.html.gz"
    assert gzip.decompress(packed.read_bytes()).decode("utf-8") == page
    again = gzip.compress(page.encode("utf-8"), compresslevel=9, mtime=0)
    assert packed.read_bytes() == again


def test_a_file_only_one_edition_has_stays_in_it(tmp_path):
    a = edition(tmp_path, "a")
    sitefiles.prepare(tmp_path, ["a"])
    assert (a / "_static/vega-bundle.js").exists() and not (tmp_path / sitefiles.SHARED).exists()


def test_brotli_copies_beside_the_gzip_ones_the_same_bytes_each_time(tmp_path):
    import brotli

    a = edition(tmp_path, "a", "甲")
    sitefiles.prepare(tmp_path, ["a"])
    page = (a / "notebooks/k1.html").read_bytes()
    packed = (a / "notebooks/k1.html.br").read_bytes()
    assert brotli.decompress(packed) == page and packed == brotli.compress(page, quality=10)
    assert len(packed) <= len((a / "notebooks/k1.html.gz").read_bytes())
    assert not (a / "index.html.br").exists()  # under 1 KB: served as it is


def test_compressed_copies_only_for_what_a_browser_loads_and_only_where_they_save(tmp_path):
    import os

    a = edition(tmp_path, "a", "甲")
    (a / "_static/noise.js").write_bytes(os.urandom(4000))  # does not compress: no copy
    sitefiles.prepare(tmp_path, ["a"])
    assert (a / "notebooks/k1.html.gz").exists() and (a / "notebooks/k1.html.br").exists()
    assert (a / "_static/figures/K1.csv").stat().st_size >= 1024  # a download: no copies
    assert not list((a / "_static/figures").glob("K1.csv.*"))
    assert not list((a / "_static").glob("noise.js.*"))


def test_the_root_favicon_ico_is_drawn_from_the_svg(tmp_path):
    from PIL import Image

    a = edition(tmp_path, "a")
    (a / "_static/favicon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f5f8b"/>'
        '<rect x="21" y="6" width="5" height="20" fill="#e8a36f"/></svg>', encoding="utf-8")
    sitefiles.prepare(tmp_path, ["a"])
    icon = Image.open(tmp_path / "favicon.ico")
    assert icon.format == "ICO" and {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
    icon.size = (32, 32)
    image = icon.convert("RGBA")
    icon.close()

    def near(xy: tuple[int, int], rgb: tuple[int, int, int]) -> bool:  # scaled down from 192 px: edges blend
        return all(abs(a - b) <= 4 for a, b in zip(image.getpixel(xy)[:3], rgb, strict=True))

    assert near((16, 3), (0x1F, 0x5F, 0x8B)) and near((23, 16), (0xE8, 0xA3, 0x6F))
    assert image.getpixel((0, 0))[3] < 255  # the rounded corner
    with pytest.raises(ValueError, match="only <rect>"):
        sitefiles.favicon_ico(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle r="3"/></svg>')


def test_a_pages_stylesheets_are_one_file_in_their_order(tmp_path):
    e = tmp_path / "a"
    for path, data in {"_static/styles/theme.css": '@import "../basic.css";\n.a{color:red}', "_static/basic.css": ".s{background:url(file.png)}",
                       "_static/file.png": "PNG", "_static/report.css": ".b{color:blue}",
                       "_static/print.css": ".c{}", "_static/fonts.css": "@font-face{src:url(f.woff2)}"}.items():
        (e / path).parent.mkdir(parents=True, exist_ok=True)
        (e / path).write_text(data, encoding="utf-8")
    links = ('<link href="../_static/styles/theme.css?digest=1" rel="stylesheet" />\n'
             '<link rel="stylesheet" type="text/css" href="../_static/report.css?v=2" />')
    (e / "notebooks").mkdir()
    (e / "notebooks/k1.html").write_text(f"<html><head>{links}<title>K1</title></head><body></body></html>", encoding="utf-8")
    (e / "index.html").write_text("<html><head>" + links.replace("../", "") + "</head></html>", encoding="utf-8")
    (e / "fonts.html").write_text('<head><link rel="stylesheet" href="_static/fonts.css" />'
                                  '<link rel="stylesheet" href="_static/print.css" /></head>', encoding="utf-8")
    assert sitefiles.bundle_styles(e) == 2
    (bundle,) = (e / "_static/styles").glob("bundle-*.css")
    # what theme.css imports in the place of its @import, the small image it loads inside it
    assert bundle.read_text(encoding="utf-8") == '.s{background:url("data:image/png;base64,UE5H")}\n.a{color:red}\n.b{color:blue}'
    assert not sitefiles.RELATIVE_URL.search(bundle.read_bytes())  # nothing loaded by relative address: shareable
    page = (e / "notebooks/k1.html").read_text(encoding="utf-8")
    assert f'<link rel="stylesheet" href="../_static/styles/{bundle.name}" />' in page and "report.css" not in page
    assert page.index("bundle-") < page.index("<title>")
    assert f'href="_static/styles/{bundle.name}"' in (e / "index.html").read_text(encoding="utf-8")
    assert not (e / "_static/report.css").exists() and not (e / "_static/styles/theme.css").exists()
    # a stylesheet that loads a file by relative address stays as it was, with those of its page
    assert (e / "_static/fonts.css").exists() and "print.css" in (e / "fonts.html").read_text(encoding="utf-8")


def test_a_file_counts_as_named_in_code_exactly_where_the_pattern_finds_it():
    """``_mentioned`` is the search for the name right after a quote, a slash or a parenthesis, by the
    bytes' own search: it agrees with that pattern on names at the start, the end, inside other names
    and after every other byte."""
    import random
    import re

    from regenpolicy.builder.sitefiles import _mentioned

    rng = random.Random(7)
    names = [b"a.js", b"fonts.css", b"x.woff2", b"a.js.map"]
    alphabet = b"\"'/( .ajsx\n"
    texts = [b"", b"a.js", b"/a.js", b"xa.js", b"'a.js'", b"url(x.woff2)", b"(fonts.css", b"a.js/a.js", b"\"a.js.map"]
    texts += [bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))) for _ in range(3000)]
    for text in texts:
        for name in names:
            assert _mentioned(text, name) == bool(re.search(rb"[\"'/(]" + re.escape(name), text)), (text, name)


def test_a_file_compressed_by_an_earlier_build_is_not_compressed_again_and_gets_the_same_copies(tmp_path, monkeypatch):
    import os

    noise = os.urandom(4000)

    def site(name: str, page: str) -> tuple[Path, Path]:
        root = tmp_path / name
        a = edition(root, "a", page)
        (a / "_static/noise.js").write_bytes(noise)  # does not shrink: no copy, and none from the store
        return root, a

    plain, a0 = site("plain", "甲")
    sitefiles.prepare(plain, ["a"])
    cache = tmp_path / "cache"
    first, a1 = site("first", "甲")
    sitefiles.prepare(first, ["a"], cache)
    packed = {p.relative_to(a0): p.read_bytes() for p in a0.rglob("*") if p.suffix in (".gz", ".br")}
    assert packed and {p.relative_to(a1): p.read_bytes() for p in a1.rglob("*") if p.suffix in (".gz", ".br")} == packed
    calls: list[int] = []
    real = sitefiles.brotli.compress
    monkeypatch.setattr(sitefiles.brotli, "compress", lambda data, **kw: calls.append(len(data)) or real(data, **kw))
    second, a2 = site("second", "甲")
    (a2 / "notebooks/k1.html").write_text((a2 / "notebooks/k1.html").read_text(encoding="utf-8") + "乙" * 600,
                                          encoding="utf-8")  # an edited page
    sitefiles.prepare(second, ["a"], cache)
    assert len(calls) == 1  # only the edited page was compressed again
    again = {p.relative_to(a2): p.read_bytes() for p in a2.rglob("*") if p.suffix in (".gz", ".br")}
    assert set(again) == set(packed) and not (a2 / "_static/noise.js.br").exists()
    assert {k: v for k, v in again.items() if "k1.html" not in str(k)} == {k: v for k, v in packed.items() if "k1.html" not in str(k)}
    assert brotli_text(again[Path("notebooks/k1.html.br")]) == (a2 / "notebooks/k1.html").read_text(encoding="utf-8")


def test_the_store_forgets_only_entries_no_build_used_for_a_week(tmp_path):
    import os
    import time

    store = sitefiles.PackedStore(tmp_path / "compressed")
    for text in (b"used", b"recent", b"old"):
        store.packed(text * 1000)
    entries = list((tmp_path / "compressed").glob("*/*"))
    assert len(entries) == 3 and all((e / "done").is_file() for e in entries)
    week = 7 * 24 * 3600
    by_text = {t: next(e for e in store.used if e.name == sitefiles.hashlib.sha256(
        sitefiles.PACKERS.encode() + b"\0" + t * 1000).hexdigest()) for t in (b"used", b"recent", b"old")}
    for text in (b"used", b"old"):
        os.utime(by_text[text], (time.time() - week - 60, time.time() - week - 60))
    later = sitefiles.PackedStore(tmp_path / "compressed")
    later.packed(b"used" * 1000)  # this build used it: kept, however old
    later.prune()
    assert by_text[b"used"].is_dir() and by_text[b"recent"].is_dir() and not by_text[b"old"].exists()


def brotli_text(data: bytes) -> str:
    import brotli

    return brotli.decompress(data).decode("utf-8")

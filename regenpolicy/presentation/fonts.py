"""The charts' font cut down to the characters a build can draw, for vl-convert.

vl-convert 1.9 (its fontdb) maps the font file afresh each time it reads a glyph: to measure a label
and again to draw it (K1's download SVG: 6,400 maps of the file; its PNG: 8,000). With the charts' 4.6 MB
Japanese gothic, half of a drawing worker's CPU was the kernel's, mapping pages of that file. The same
glyphs in a file of 380 KB (the 957 characters of the default edition's charts) drew its 22 charts (SVG and
PNG, download and print) in 13.0 s instead of 18.2 in one process (CPU 13.9 s instead of 18.9, of which the
kernel's 4.9 s instead of 9.3), byte-identical. (How
much depends on how the kernel holds the file in its page cache: with both files read back from disk
afresh, K1 took 1.6 s instead of 2.0.) The shipped project's subset holds 1,405 characters in 520 KB.

A subset is made once per set of characters and fonts (kept in the build's cache) under a family name
of its own (``alias``), so that it stands beside the system's full font instead of replacing it: a
chart is drawn with the subset only when every character it holds and every character of its drawn
text is in it (``draw.py``), otherwise with the full font, as before.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path

# The report's Japanese gothic: charts (figures.py), slides (deck.py). BIZ UDPGothic (Morisawa, Debian
# fonts-morisawa-bizud-gothic) is a TrueType font with a real bold weight: Chromium embeds it in the PDF as
# text. CFF fonts such as Noto CJK, and any font made bold synthetically (IPAex has no bold), are embedded
# as Type 3 glyphs instead.
FONT = "BIZ UDPGothic"
# Where fontdb looks for the system's fonts when fontconfig names no folder (and where Debian puts them).
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
FONT_SUFFIXES = (".ttf", ".otf")  # (collections, .ttc, are left to the full font)
# What Vega writes besides the text of a chart's specification: numbers and dates as d3 formats them
# (ASCII, the minus sign U+2212, µ), the ellipsis of a label cut at its limit, spaces and punctuation.
DRAWN_BESIDES = frozenset(map(chr, [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2000, 0x2070), 0x2212]))
SUBSET_VERSION = "2"  # bump when what a subset holds changes


def font_files(dirs: Iterable[str] = FONT_DIRS) -> list[tuple[str, int, int]]:
    """The system's font files, each as (path, size, modification time in ns), in a stable order."""
    found = []
    for top in dirs:
        for folder, subdirs, names in os.walk(Path(top).expanduser()):  # (Path.walk: Python 3.12)
            subdirs.sort()
            for name in sorted(names):
                if name.lower().endswith(FONT_SUFFIXES):
                    path = Path(folder, name)
                    try:
                        st = path.stat()
                    except OSError:
                        continue
                    found.append((str(path), st.st_size, st.st_mtime_ns))
    return found


def families(path: str) -> set[str]:
    """A font file's family names, in every language it gives them (name IDs 1 and 16)."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, lazy=True) as font:
            return {str(rec.toUnicode()) for rec in font["name"].names if rec.nameID in (1, 16)}
    except Exception:  # not a font fontTools reads: not one of ours
        return set()


def subset_font(path: str, chars: Iterable[str], alias: str) -> bytes:
    """The font at ``path`` holding only ``chars`` (and what its layout needs to draw them as the full font
    does), its family renamed ``alias``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]  # every substitution the full font would make
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.hinting = False  # vl-convert's renderer does not hint
    options.drop_tables += ["meta"]  # (which fontTools cannot subset, and says so)
    # Subsetting moves no point of any glyph (taking the hinting out neither), so each glyph's bounds are as
    # stored and the font's maxima stay true of the subset: not recomputed from every glyph as fontTools
    # writes it (the two subsets of the report: 1.25 s with it, 0.54 s now; every chart drawn with them, SVG
    # and PNG, is the same bytes)
    font = TTFont(path, recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(chars))))
    subsetter.subset(font)
    style = font["name"].getDebugName(2) or "Regular"
    for rec in font["name"].names:
        if rec.nameID in (1, 16):
            rec.string = alias
        elif rec.nameID in (4, 6):
            rec.string = f"{alias}-{style}".replace(" ", "")
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def subset_key(family: str, chars: str, files: list[tuple[str, int, int]]) -> str:
    from fontTools import version as fonttools_version

    head = json.dumps([SUBSET_VERSION, fonttools_version, family, chars, files], ensure_ascii=False)
    return hashlib.sha256(head.encode("utf-8")).hexdigest()[:32]


def alias_for(key: str) -> str:
    """The subset's family name: unique to its characters and fonts, never a name a chart asks for."""
    return f"RegenSubset{key[:16]}"

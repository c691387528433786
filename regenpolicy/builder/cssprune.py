"""Only the CSS that applies: the published site's stylesheets without the rules no page can use.

The theme's stylesheet (pydata-sphinx-theme, ~400 KB) and those of sphinx-design and MyST-NB style
every component they offer; a page of the report uses a few. Every stylesheet blocks the first paint
until it has loaded, so what a phone waits for is mostly rules that never match.

What is kept is decided the way PurgeCSS decides it (its default extractor): the site's words are
every run of ``[A-Za-z0-9_-]`` in its pages *and in its scripts* (a class a script adds — the phone
menu's ``show``, Bootstrap's ``collapsing``, the theme's dark mode — is named in the script), and a
selector is kept when every class, id and element name at its top level is one of those words
(or a class a script composes from parts: ``COMPOSED``).
What a selector holds inside ``:not()``, ``:is()``, ``:where()``, ``:has()`` or an attribute test
(``html[data-theme=dark]``) does not decide; at-rules are kept (``@media``, ``@supports``,
``@container`` and ``@layer`` blocks are pruned inside and dropped when empty; ``@font-face``,
``@keyframes``, ``@page`` and the rest are kept whole). So dark mode, print and the phone menu keep
their rules: they are named in the pages or their scripts.

The theme's icon fonts are not published (the pages draw its icons as inline SVG), but its stylesheet
still draws a few icons as text: an admonition's title (⚠ before "原資料と異なる点"), a download link,
the search's "hide matches" link, each a ``::before`` or ``::after`` whose content is a character of
Font Awesome's private-use area in its solid face. So that face stays, inline: its ``@font-face`` rule
gets a WOFF2 subset of the font with only the private-use characters the site's pruned stylesheets
hold (``icon_face``, fontTools), as a ``data:`` URL, so the stylesheet still loads nothing by relative
address and is shared and joined as before. Without it each of those icons was an empty box (tofu).

Stylesheets are parsed and written with tinycss2 (the CSS Syntax Level 3 tokenizer of the
WeasyPrint project): a rule is written back token for token, runs of white space as one space,
comments left out. The same pages give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import tinycss2
from tinycss2 import ast

WORD = re.compile(rb"[A-Za-z0-9_-]+")
PRUNED_AT = {"media", "supports", "container", "layer", "document", "-moz-document", "scope"}
CONTENT = {".html", ".js"}
# the pages draw the theme's icons as inline SVG (sphinx_ext.light_page): the icon fonts' @font-face rules
# go (and with them the stylesheet's last file loaded by relative address, so it can be shared and
# joined), and sitefiles leaves the font files out ...
UNUSED_FONTS = ("Font Awesome",)
# ... except the face the theme's stylesheet draws its text icons in (``--fa-font-solid``): put back by
# prune_site, inline, with only the private-use characters the site's pruned stylesheets hold (``icon_face``)
ICON_FACE = ("Font Awesome 6 Free", "900")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
CSS_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{1,6})\s?")
# classes a script builds from parts, so no page or script has the whole name: Bootstrap's
# `bs-${this.constructor.NAME}-auto` (the tooltips' and popovers' placement: their arrows)
COMPOSED = ("bs-tooltip-", "bs-popover-")


def site_words(files: Iterable[Path]) -> set[str]:
    """Every word (``[A-Za-z0-9_-]+``) of the given pages and scripts."""
    found: set[bytes] = set()
    for path in files:
        found.update(WORD.findall(path.read_bytes()))
    return {w.decode() for w in found}  # each distinct word decoded once (the site has millions, a few thousand distinct)


def _split_selectors(prelude: list[ast.Node]) -> list[list[ast.Node]]:
    parts: list[list[ast.Node]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _needs(selector: list[ast.Node]) -> set[str] | None:
    """The names a selector needs in the site's words (top level only); ``None`` if it cannot be read
    as plain names (an escaped or non-ASCII name: kept)."""
    names: set[str] = set()
    previous: ast.Node | None = None
    for token in selector:
        if token.type == "ident":
            value = str(token.value)
            after_colon = previous is not None and previous.type == "literal" and previous.value in (":", "::")
            after_dot = previous is not None and previous.type == "literal" and previous.value == "."
            if after_colon:
                pass  # a pseudo-class or element (:hover, ::before)
            elif not re.fullmatch(r"[A-Za-z0-9_-]+", value):
                return None
            elif after_dot or previous is None or previous.type in ("whitespace", "literal"):
                names.add(value)
        elif token.type == "hash":
            value = str(token.value)
            if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
                return None
            names.add(value)
        if token.type not in ("comment",):
            previous = token
    return names


def _keep_selectors(prelude: list[ast.Node], words: set[str]) -> list[ast.Node] | None:
    kept = []
    for selector in _split_selectors(prelude):
        needs = _needs(selector)
        if needs is None or all(n in words or n.startswith(COMPOSED) for n in needs):
            kept.append(selector)
    if not kept:
        return None
    out: list[ast.Node] = []
    for i, selector in enumerate(kept):
        if i:
            out.append(ast.LiteralToken(0, 0, ","))
        out.extend(selector)
    return out


def _squeeze(tokens: list[ast.Node]) -> str:
    """Tokens as CSS text: runs of white space as one space, comments left out, no space at the ends."""
    out: list[ast.Node] = []
    for token in tokens:
        if token.type == "comment":
            continue
        if token.type == "whitespace":
            if out and out[-1].type != "whitespace":
                out.append(ast.WhitespaceToken(0, 0, " "))
            continue
        out.append(token)
    while out and out[-1].type == "whitespace":
        out.pop()
    while out and out[0].type == "whitespace":
        out.pop(0)
    return str(tinycss2.serialize(out))


def _font_face(rule: ast.Node) -> dict[str, list[ast.Node]] | None:
    """An ``@font-face`` rule's declarations by name (the last of a name, as the browser reads them);
    None for another rule."""
    if rule.lower_at_keyword != "font-face" or rule.content is None:
        return None
    return {d.lower_name: d.value for d in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True,
                                                                          skip_comments=True)
            if d.type == "declaration"}


def _unused_font(face: dict[str, list[ast.Node]], fonts: tuple[str, ...]) -> bool:
    """A face of one of ``fonts`` (its family names one of them)."""
    return "font-family" in face and any(name in tinycss2.serialize(face["font-family"]) for name in fonts)


def _icon_source(face: dict[str, list[ast.Node]]) -> str | None:
    """The address of the WOFF2 file of a face of ``ICON_FACE`` (without query or fragment); None for
    another face."""
    family = tinycss2.serialize(face.get("font-family", [])).strip().strip("\"'").replace("\\", "")
    weight = tinycss2.serialize(face.get("font-weight", [])).strip()
    if (family, weight) != ICON_FACE:
        return None
    for token in face.get("src", []):
        url = token.value if token.type == "url" else (
            token.arguments[0].value if token.type == "function" and token.lower_name == "url" and token.arguments
            and token.arguments[0].type == "string" else None)
        address = url.split("?")[0].split("#")[0] if isinstance(url, str) else ""
        if address.endswith(".woff2"):
            return address
    return None


def _prune_rules(rules: list[ast.Node], words: set[str], fonts: tuple[str, ...] = (),
                 icon_sources: list[str] | None = None) -> str:
    parts: list[str] = []
    for rule in rules:
        if rule.type == "qualified-rule":
            prelude = _keep_selectors(rule.prelude, words)
            if prelude is not None:
                parts.append(_squeeze(prelude) + "{" + _squeeze(rule.content) + "}")
        elif rule.type == "at-rule":
            face = _font_face(rule)
            if face is not None and _unused_font(face, fonts):
                source = _icon_source(face)
                if source is not None and icon_sources is not None:
                    icon_sources.append(source)
                continue
            head = "@" + rule.at_keyword + (" " + _squeeze(rule.prelude) if _squeeze(rule.prelude) else "")
            if rule.content is None:
                parts.append(head + ";")
            elif rule.lower_at_keyword in PRUNED_AT:
                inner = _prune_rules(tinycss2.parse_rule_list(rule.content, skip_whitespace=True,
                                                              skip_comments=True), words, fonts, icon_sources)
                if inner:
                    parts.append(head + "{" + inner + "}")
            else:
                parts.append(head + "{" + _squeeze(rule.content) + "}")
        elif rule.type == "error":
            raise ValueError(f"unreadable CSS at line {rule.source_line}, column {rule.source_column}: {rule.message}")
    return "".join(parts)


def prune(css: str, words: set[str], fonts: tuple[str, ...] = UNUSED_FONTS,
          icon_sources: list[str] | None = None) -> str:
    """``css`` without the rules whose every selector names something not in ``words``, and without
    the ``@font-face`` rules of ``fonts``; the font file of a dropped ``ICON_FACE`` rule is added to
    ``icon_sources`` (``prune_site`` puts the face back, inline)."""
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    return _prune_rules(rules, words, fonts, icon_sources)


def private_use(css: str) -> set[str]:
    """The private-use characters (icon fonts' glyphs) ``css`` holds, written as they are or escaped."""
    found = set(PRIVATE_USE.findall(css))
    found.update(chr(int(h, 16)) for h in CSS_ESCAPE.findall(css) if 0xE000 <= int(h, 16) <= 0xF8FF)
    return found


def icon_face(font: bytes, chars: set[str]) -> bytes:
    """An ``@font-face`` rule for ``ICON_FACE`` whose source is ``font`` (TrueType or WOFF2) cut to
    ``chars``, as a WOFF2 ``data:`` URL. The font's names (its copyright and licence among them) are
    kept; the same font and characters give the same bytes."""
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    ttf = TTFont(io.BytesIO(font), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(ttf)
    ttf.flavor = "woff2"
    out = io.BytesIO()
    ttf.save(out)
    family, weight = ICON_FACE
    return (f'@font-face{{font-display:block;font-family:"{family}";font-style:normal;font-weight:{weight};'
            f'src:url(data:font/woff2;base64,{base64.b64encode(out.getvalue()).decode()}) format("woff2")}}').encode()


def prune_site(site: Path, editions: list[str]) -> int:
    """Prune every stylesheet of every edition against the words of all the site's pages and scripts
    (one set for the whole site, so an edition's copy of a stylesheet stays byte for byte the same as
    another's and is published once); return the bytes removed."""
    content = sorted(p for p in site.rglob("*") if p.suffix in CONTENT and p.is_file())
    words = site_words(content)
    removed = 0
    pruned: dict[bytes, tuple[bytes, list[str]]] = {}  # the editions' copies of a stylesheet are mostly the same bytes: parsed once
    icon_sources: dict[Path, str] = {}  # a stylesheet whose ICON_FACE rule was dropped → that rule's font file
    for edition in editions:
        static = site / edition / "_static"
        for path in sorted(static.rglob("*.css")) if static.is_dir() else []:
            before = path.read_bytes()
            if before not in pruned:
                sources: list[str] = []
                pruned[before] = (prune(before.decode("utf-8"), words, icon_sources=sources).encode("utf-8"), sources)
            after, sources = pruned[before]
            if len(after) < len(before):
                path.write_bytes(after)
                removed += len(before) - len(after)
                if sources:
                    icon_sources[path] = sources[0]
    chars = set().union(*(private_use(after.decode("utf-8")) for after, _ in pruned.values()))
    faces: dict[bytes, bytes] = {}  # the font file's bytes → its face (every edition's copy is the same font)
    for path, source in sorted(icon_sources.items()) if chars else []:
        font = (path.parent / source).resolve()
        if not font.is_relative_to(site.resolve()) or not font.is_file():
            raise ValueError(f"{path}: the icon font of its @font-face rule for {ICON_FACE[0]} ({source}) is not in "
                             f"the site: its icons would show as empty boxes")
        data = font.read_bytes()
        if data not in faces:
            faces[data] = icon_face(data, chars)
        with path.open("ab") as out:
            out.write(faces[data])
        removed -= len(faces[data])
    return removed

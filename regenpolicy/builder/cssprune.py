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
# the pages draw the theme's icons as inline SVG (sphinx_ext.light_page), so its icon fonts are never
# loaded: their @font-face rules go (and with them the stylesheet's last file loaded by relative
# address, so it can be shared and joined), and sitefiles leaves the font files out
UNUSED_FONTS = ("Font Awesome",)
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


def _unused_font(rule: ast.Node, fonts: tuple[str, ...]) -> bool:
    """An ``@font-face`` rule for one of ``fonts`` (its family names one of them)."""
    if rule.lower_at_keyword != "font-face" or rule.content is None:
        return False
    for declaration in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True):
        if declaration.type == "declaration" and declaration.lower_name == "font-family":
            family = tinycss2.serialize(declaration.value)
            return any(name in family for name in fonts)
    return False


def _prune_rules(rules: list[ast.Node], words: set[str], fonts: tuple[str, ...] = ()) -> str:
    parts: list[str] = []
    for rule in rules:
        if rule.type == "qualified-rule":
            prelude = _keep_selectors(rule.prelude, words)
            if prelude is not None:
                parts.append(_squeeze(prelude) + "{" + _squeeze(rule.content) + "}")
        elif rule.type == "at-rule":
            if _unused_font(rule, fonts):
                continue
            head = "@" + rule.at_keyword + (" " + _squeeze(rule.prelude) if _squeeze(rule.prelude) else "")
            if rule.content is None:
                parts.append(head + ";")
            elif rule.lower_at_keyword in PRUNED_AT:
                inner = _prune_rules(tinycss2.parse_rule_list(rule.content, skip_whitespace=True,
                                                              skip_comments=True), words, fonts)
                if inner:
                    parts.append(head + "{" + inner + "}")
            else:
                parts.append(head + "{" + _squeeze(rule.content) + "}")
        elif rule.type == "error":
            raise ValueError(f"unreadable CSS at line {rule.source_line}, column {rule.source_column}: {rule.message}")
    return "".join(parts)


def prune(css: str, words: set[str], fonts: tuple[str, ...] = UNUSED_FONTS) -> str:
    """``css`` without the rules whose every selector names something not in ``words``, and without
    the ``@font-face`` rules of ``fonts``."""
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    return _prune_rules(rules, words, fonts)


def prune_site(site: Path, editions: list[str]) -> int:
    """Prune every stylesheet of every edition against the words of all the site's pages and scripts
    (one set for the whole site, so an edition's copy of a stylesheet stays byte for byte the same as
    another's and is published once); return the bytes removed."""
    content = sorted(p for p in site.rglob("*") if p.suffix in CONTENT and p.is_file())
    words = site_words(content)
    removed = 0
    pruned: dict[bytes, bytes] = {}  # the editions' copies of a stylesheet are mostly the same bytes: parsed once
    for edition in editions:
        static = site / edition / "_static"
        for path in sorted(static.rglob("*.css")) if static.is_dir() else []:
            before = path.read_bytes()
            if before not in pruned:
                pruned[before] = prune(before.decode("utf-8"), words).encode("utf-8")
            after = pruned[before]
            if len(after) < len(before):
                path.write_bytes(after)
                removed += len(before) - len(after)
    return removed

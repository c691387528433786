"""Escaping by construction: one helper for each place a string from data or a profile lands.

- ``text``: HTML text and attribute values (tables, captions, labels, the site's own pages);
- ``lines``: HTML text whose line breaks are kept (columns of type ``text``);
- ``link``: an ``<a>`` element, made only for an absolute http(s) address without user-info, bidi or
  invisible characters (``regenpolicy.data.text.is_web_url``); anything else is text;
- ``script_json``: a value as JSON inside ``<script>``, unable to close the element or open a comment;
- ``csv_cell``: a text cell of a spreadsheet download (``<ID>.csv``, ``.xlsx``), unable to become a
  formula (``regenpolicy.data.text.formula_like``: ``=``, ``+``, ``-``, ``@``, ``|`` and their
  full-width forms, also after spaces or invisible characters);
- ``terminal``: a value printed in a message (``regenpolicy.data.text.printable``).

The data zip carries the tables exactly as validated, byte for byte (its stamp can be checked with
``sha256sum``); validation refuses formula-like text in every text column, so that no cell of it
can run in a spreadsheet either (``regenpolicy.data.tables``).

Chart labels and tooltips are data values inside the Vega-Lite spec (``script_json``) and are
drawn as text by Vega; generated pages (what changed, the stamp) are built as docutils nodes by the
report's Sphinx extension, so no data is ever written into MyST source.
"""

from __future__ import annotations

import html
import json
from typing import Any

from regenpolicy.data import formula_like, is_web_url, printable

terminal = printable


def text(value: Any) -> str:
    """Any value as HTML text (also safe inside a double- or single-quoted attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def lines(value: Any) -> str:
    """Text whose line breaks are shown as line breaks, everything else escaped."""
    return "<br>".join(text(part) for part in ("" if value is None else str(value)).splitlines())


def web_url(value: Any) -> bool:
    """An absolute http(s) address, the only kind the report makes a link of (templates: ``is web_url``)."""
    return isinstance(value, str) and is_web_url(value)


def link(url: Any, label: Any = None, *, classes: str = "") -> str:
    """A link to an http(s) address; any other address (javascript:, file:, data:…) stays text."""
    shown = text(url if label is None else label)
    if not isinstance(url, str) or not is_web_url(url):
        return shown
    cls = f' class="{text(classes)}"' if classes else ""
    return f'<a{cls} href="{text(url)}" rel="noopener noreferrer">{shown}</a>'


def script_json(value: Any) -> str:
    """JSON for inside ``<script>``: ``<``, ``>``, ``&`` and the JS line separators as escapes."""
    out = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(char, escape)
    return out


def csv_cell(value: Any) -> Any:
    """A cell of a spreadsheet download: text that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def bibtex(value: Any) -> str:
    """Text for a BibTeX field: its special characters escaped, braces balanced."""
    out = str(value).replace("\\", "\\textbackslash{}")
    for char in "{}%#&$_~^":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", " ")

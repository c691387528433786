"""Escaping that a template's autoescape cannot do, one helper for each place a string lands.

HTML is written by Jinja2 templates with autoescape (``regenpolicy.presentation.templating``): every
value a template prints is escaped unless it is markup made by our own templates. What is left here:

- ``web_url``: the only addresses the report makes a link of (absolute http(s), without user-info,
  bidi or invisible characters: ``regenpolicy.data.text.is_web_url``); any other address
  (javascript:, file:, data:…) stays text (the templates' ``link`` macro asks ``is web_url``);
- ``attribute``: a value written into an attribute of markup that is rewritten, not templated (the
  print edition's links, ``regenpolicy.builder.pdf``);
- ``script_json``: a value as JSON inside ``<script>``, unable to close the element or open a comment;
- ``csv_cell``: a text cell of a spreadsheet download (``<ID>.csv``, ``.xlsx``), unable to become a
  formula (``regenpolicy.data.text.formula_like``: ``=``, ``+``, ``-``, ``@``, ``|`` and their
  full-width forms, also after spaces or invisible characters);
- ``bibtex``: text for a BibTeX field;
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
import re
from typing import Any

from regenpolicy.data import formula_like, is_web_url, printable

terminal = printable


def web_url(value: Any) -> bool:
    """An absolute http(s) address, the only kind the report makes a link of (templates: ``is web_url``)."""
    return isinstance(value, str) and is_web_url(value)


def attribute(value: Any) -> str:
    """A value for a double- or single-quoted attribute of rewritten markup (as the templates escape it)."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(value: Any, *, compact: bool = False) -> str:
    """JSON for inside ``<script>``: ``<``, ``>``, ``&`` and the JS line separators as escapes
    (``compact``: without the spaces after ``,`` and ``:``)."""
    out = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":") if compact else None)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(char, escape)
    return out


def csv_cell(value: Any) -> Any:
    """A cell of a spreadsheet download: text that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


BIBTEX = {"\\": "\\textbackslash{}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
          **{char: "\\" + char for char in "{}%#&$_"}}


def bibtex(value: Any) -> str:
    """Text for a BibTeX field: its special characters escaped (in one pass, so that the braces of
    ``\\textbackslash{}`` stay braces), braces balanced, on one line."""
    return re.sub(r"[\\{}%#&$_~^]", lambda m: BIBTEX[m.group(0)], str(value)).replace("\n", " ")

"""A published page without the bytes that nothing reads (``make site``, before the pages are compressed).

Chart pages carried each chart three times — its Vega-Lite specification with the data inline (drawn
on screen), its print drawing (inline SVG, shown only when the page is printed) and its data table —
and each carried more than any reader gets from it:

- the print SVG is Vega's SVG output, which wraps every mark in attributes for assistive technology
  (``role``, ``aria-roledescription``, ``aria-label="Title text '…'"``) and in empty background and
  hidden foreground paths. On screen the drawing is not shown (``display: none``), so no screen
  reader meets it; in print those attributes and paths draw nothing. They are left out; what is drawn
  (every path, line, rectangle and text with its attributes) stays as it was. The PDF is printed from
  the edition's own pages, not from these (its charts are Figures with their own alternative text).
- the specification's data rows carried every column of the figure's frame, also those that no
  encoding, transform, tooltip or expression names: a column whose name appears nowhere in the
  specification outside its data (nor in any row as a value) cannot be read by Vega-Lite nor by the
  chart script (which reads the fields the encodings name), so it is left out of every row. The
  rest is written without the spaces after ``,`` and ``:`` and escaped for ``<script>`` as before.

Nothing else in a page changes. A page that does not parse as expected is left as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from regenpolicy.presentation.escape import script_json

PRINT_SVG = re.compile(r'(<div class="regen-print">)(<svg\b.*?</svg>)(</div>)', re.S)
SPEC = re.compile(r'(<script type="application/json" id="[A-Za-z0-9_-]+-spec">)(.*?)(</script>)', re.S)
# a start tag whose attribute values are double-quoted (Vega's SVG output)
TAG = re.compile(r'<([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(/?)>')
ATTR = re.compile(r'\s+([\w:-]+)="([^"]*)"')
UNREAD_ATTRS = frozenset({"role", "aria-roledescription", "aria-label", "aria-hidden", "pointer-events"})
DEFAULTS = {"opacity": "1", "transform": "translate(0,0)"}  # attributes whose value SVG assumes without them
GROUP = re.compile(r"<g\b[^>]*>|</g>")
# a path that draws nothing: Vega's group backgrounds of no height or width and hidden foregrounds
EMPTY_PATH = re.compile(r'<path(?: class="(?:background|foreground)")?((?:\s+[\w:-]+="[^"]*")*)\s*/>')
NO_AREA = re.compile(r'M0,0h-?[\d.]+v0h-?[\d.]+Z|M0,0h0v-?[\d.]+h0Z|')


def _empty_path(m: re.Match[str]) -> str:
    """'' for a path that draws nothing (no area and no stroke, or not displayed), else the path."""
    attrs = dict(ATTR.findall(m.group(1)))
    if attrs.get("display") == "none":
        return ""
    if NO_AREA.fullmatch(attrs.get("d", "x")) and not {"stroke", "stroke-width", "marker-start", "marker-end"} & attrs.keys():
        return ""
    return m.group(0)


def slim_svg(svg: str) -> str:
    """Vega's SVG without the attributes no reader meets (see the module) and the paths that draw nothing."""
    svg = EMPTY_PATH.sub(_empty_path, svg)

    def tag(m: re.Match[str]) -> str:
        kept = [f' {k}="{v}"' for k, v in ATTR.findall(m.group(2))
                if k not in UNREAD_ATTRS and DEFAULTS.get(k) != v and not (k == "class" and v.startswith(("mark-", "background", "foreground")))]
        return f"<{m.group(1)}{''.join(kept)}{m.group(3)}>"

    return _unwrap_groups(TAG.sub(tag, svg))


def _unwrap_groups(svg: str) -> str:
    """``<g>…</g>`` without attributes is its content (a group that sets nothing draws as its children)."""
    out: list[str] = []
    bare: list[bool] = []
    pos = 0
    for m in GROUP.finditer(svg):
        out.append(svg[pos:m.start()])
        pos = m.end()
        token = m.group(0)
        if token == "</g>":
            if not bare:
                return svg  # not the nesting expected: left as it was
            if not bare.pop():
                out.append(token)
        elif token.endswith("/>"):
            if token != "<g/>":
                out.append(token)
        else:
            bare.append(token == "<g>")
            if token != "<g>":
                out.append(token)
    out.append(svg[pos:])
    return "".join(out) if not bare else svg


def _named(value: Any, out: set[str]) -> None:
    """Every string in ``value`` (keys and values)."""
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _named(v, out)
    elif isinstance(value, list):
        for v in value:
            _named(v, out)
    elif isinstance(value, str):
        out.add(value)


def _whole_rows_shown(value: Any) -> bool:
    """A tooltip that shows every field of a row (``tooltip: true``, ``{"content": "data"}``)."""
    if isinstance(value, dict):
        tip = value.get("tooltip")
        if tip is True or (isinstance(tip, dict) and tip.get("content") == "data"):
            return True
        return any(_whole_rows_shown(v) for k, v in value.items() if k != "datasets")
    if isinstance(value, list):
        return any(_whole_rows_shown(v) for v in value)
    return False


def slim_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The specification with each named dataset's rows holding only the columns that the rest of
    the specification (or a row's values) names; as it was when a tooltip shows whole rows."""
    datasets = spec.get("datasets")
    if (not isinstance(datasets, dict) or not all(isinstance(rows, list) for rows in datasets.values())
            or _whole_rows_shown(spec)):
        return spec
    rest = {k: v for k, v in spec.items() if k != "datasets"}
    strings: set[str] = set()
    _named(rest, strings)
    text = json.dumps(rest, ensure_ascii=False)
    for rows in datasets.values():
        for row in rows:
            if isinstance(row, dict):
                strings.update(v for v in row.values() if isinstance(v, str))
    columns = {c for rows in datasets.values() for row in rows if isinstance(row, dict) for c in row}
    # a column is read when its name is a string of the specification or appears inside one
    # (``datum.man``, ``datum['man']``, a calculate or filter expression)
    read = {c for c in columns if c in strings or c in text}
    if read == columns:
        return spec
    slim = {name: [{c: v for c, v in row.items() if c in read} if isinstance(row, dict) else row for row in rows]
            for name, rows in datasets.items()}
    return {**spec, "datasets": slim}


def slim_page(html: str) -> str:
    """A published page with its print SVGs and chart specifications slimmed (see the module)."""
    html = PRINT_SVG.sub(lambda m: m.group(1) + slim_svg(m.group(2)) + m.group(3), html)

    def spec(m: re.Match[str]) -> str:
        try:
            value = json.loads(m.group(2))
        except ValueError:
            return m.group(0)
        if not isinstance(value, dict):
            return m.group(0)
        return m.group(1) + script_json(slim_spec(value), compact=True) + m.group(3)

    return SPEC.sub(spec, html)


def slim_pages(edition: Path) -> int:
    """Every page of an edition slimmed in place; return the bytes saved."""
    saved = 0
    for page in sorted(edition.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if "regen-print" not in text and "-spec\">" not in text:
            continue
        new = slim_page(text)
        if new != text:
            saved += len(text.encode("utf-8")) - len(new.encode("utf-8"))
            page.write_text(new, encoding="utf-8")
    return saved

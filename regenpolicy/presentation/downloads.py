"""A figure's downloads for readers, like a statistical publisher's figure panel.

- ``<ID>.csv``: UTF-8 with a BOM (Excel on Japanese Windows reads it as UTF-8), Japanese column
  names with the unit in the header, coded values in words as on the page, no raw floats; text
  that a spreadsheet would run as a formula is neutralised (``escape.csv_cell``);
- ``<ID>.xlsx``: the same table (sheet データ) and the figure's title, unit, source, notes and
  citation (sheet 説明); every text cell is stored as text, never as a formula;
- ``<ID>.svg`` and ``<ID>.png`` (2×): the chart with its number and title above and its source and
  notes below, so that a copied image still says where it comes from;
- ``<ID>.data.csv``: the plotted numbers as the models computed them (column names of the code,
  units in the header): for programs and for checking.

Every file is written byte for byte the same from the same inputs (zip entries and document
properties carry a fixed date).
"""

from __future__ import annotations

import csv
import io
import json
import math
import numbers
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from regenpolicy.presentation import escape, labels

FIXED_DATE = (2000, 1, 1, 0, 0, 0)
FIXED_ISO = "2000-01-01T00:00:00Z"


def clean_number(value: Any, decimals: int | None = None) -> Any:
    """A number as a reader reuses it: integers without ``.0``, at most 6 decimals and 10 significant
    digits, or rounded to ``decimals`` digits after the point (a column's declared ``decimals``)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return None
        value = float(f"{round(value, 6 if decimals is None else decimals):.10g}")
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    return value


def significant(value: Any) -> Any:
    """A float to 10 significant digits (integers without ``.0``), for the machine-readable CSV; NaN → None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = float(f"{float(value):.10g}")
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def decimals_of(table: pd.DataFrame) -> dict[str, int]:
    """Column → declared digits after the point, for the columns of a reader table that declare them."""
    return dict(table.attrs.get("decimals", {}))


def shown_number(value: float, decimals: int | None = None, *, grouped: bool = False) -> str:
    """A cleaned number as text: ``decimals`` digits after the point when declared, else as many as it
    has up to 6 (never an exponent, never 0.30000000000000004); thousands separated when ``grouped``."""
    comma = "," if grouped else ""
    if decimals is not None:
        return f"{value:{comma}.{decimals}f}"
    value = clean_number(value)
    if isinstance(value, int):
        return f"{value:{comma}d}"
    return f"{value:{comma}.6f}".rstrip("0").rstrip(".")


def reader_table(data: pd.DataFrame, units: Mapping[str, str],
                 values: Mapping[str, Mapping[Any, str]] | None = None,
                 names: Mapping[str, str] | None = None,
                 decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """The figure's data as a reader reads it: Japanese headers (``names``, from the figure's
    declaration) with units, coded values in words, numbers rounded to the declared ``decimals``
    (kept in ``attrs["decimals"]`` by header for the CSV text, the xlsx number formats and the page)."""
    out = pd.DataFrame(index=range(len(data)))
    declared = {}
    for col in data.columns:
        series = data[col].reset_index(drop=True)
        digits = (decimals or {}).get(col)
        shown = [clean_number(labels.value_label(col, v, values), digits) for v in series.astype(object)]
        header = labels.column_label(col, units.get(col), names)
        out[header] = pd.Series(shown, dtype=object)
        if digits is not None:
            declared[header] = digits
    if declared:
        out.attrs["decimals"] = declared
    return out


def reader_csv(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, CRLF (what Excel writes), formulas neutralised, numbers as cleaned (rounded to the
    declared digits after the point; an integral value without ``.0``, as a spreadsheet shows it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape.csv_cell(str(c)) for c in table.columns])
    for record in table.itertuples(index=False, name=None):
        writer.writerow(["" if v is None else escape.csv_cell(v) if isinstance(v, str) else v for v in record])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def write_reader_csv(table: pd.DataFrame, path: Path) -> None:
    """``reader_csv`` written to ``path``."""
    path.write_bytes(reader_csv(table))


def number_format(decimals: int) -> str:
    """The xlsx number format of a column with ``decimals`` digits after the point: #,##0 / #,##0.0 …"""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text_cell(cell: Any, value: str) -> None:
    cell.value = _ILLEGAL.sub("", value)
    cell.data_type = "s"  # text, never a formula, whatever it starts with


def write_xlsx(table: pd.DataFrame, path: Path, about: Sequence[tuple[str, str]]) -> None:
    """The table (sheet データ) and what it is (sheet 説明: title, unit, source, notes, citation)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "データ"
    for j, name in enumerate(table.columns, start=1):
        cell = sheet.cell(row=1, column=j)
        _text_cell(cell, str(name))
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = min(40, max(8, 2 * len(str(name))))
    formats = [decimals_of(table).get(str(c)) for c in table.columns]
    for i, record in enumerate(table.itertuples(index=False, name=None), start=2):
        for j, value in enumerate(record, start=1):
            cell = sheet.cell(row=i, column=j)
            if isinstance(value, str):
                _text_cell(cell, value)
                cell.alignment = Alignment(wrap_text="\n" in value, vertical="top")
            elif value is not None:
                cell.value = value
                digits = formats[j - 1]
                if digits is not None and not isinstance(value, bool):
                    cell.number_format = number_format(digits)
    sheet.freeze_panes = "B2"
    info = book.create_sheet("説明")
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 100
    for i, (key, text) in enumerate(about, start=1):
        _text_cell(info.cell(row=i, column=1), key)
        info.cell(row=i, column=1).font = Font(bold=True)
        _text_cell(info.cell(row=i, column=2), text)
        info.cell(row=i, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    book.properties.creator = "regenpolicy"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(stable_zip(buffer.getvalue()))


def stable_zip(data: bytes) -> bytes:
    """A zip (xlsx, pptx) rewritten with fixed dates, so that the same content gives the same bytes; a
    workbook inside it (a PowerPoint chart's data) is rewritten the same way."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename.endswith(".xlsx"):
                content = stable_zip(content)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + FIXED_ISO.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def write_zip(files: Mapping[str, bytes], path: Path) -> None:
    """A zip of ``name → bytes`` in name order, with fixed dates."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(files):
            entry = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, files[name])
    path.write_bytes(out.getvalue())


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 1


# Japanese line breaking (kinsoku, JIS X 4051): characters a line may not start with (closing
# brackets, punctuation, small kana, the long-vowel mark, middle dots) and may not end with (opening brackets).
NO_START = frozenset("、。，．,.:;!?）)]｝}〕〉》」』】〙〗〟’”｠»・：；！？ー～‐゠–〜ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻ゝゞヽヾ%％‰℃")
NO_END = frozenset("（([｛{〔〈《「『【〘〖〝‘“｟«")
OPEN_CLOSE = {"（": "）", "(": ")", "［": "］", "[": "]"}
UNIT_AFTER_NUMBER = frozenset("万億兆千百十円件人年月日回倍歳点品目号条項名社例床台枚％%")
HELD_GROUP = 24  # a parenthesised group up to this width (half-width columns) is never broken


def _atoms(text: str) -> list[str]:
    """The pieces a line may break between: a run of half-width letters, digits and signs (a word,
    a number such as 1,800 or 20/25, an address) with the unit characters that follow a number
    (1,800億円), a short parenthesised group (（20/25）), each other character alone, and a space;
    a character a line may not start with joins the piece before it, one it may not end with the
    piece after it."""
    atoms: list[str] = []
    for char in text:
        word = atoms and char.isascii() and not char.isspace() and atoms[-1][-1].isascii() \
            and not atoms[-1][-1].isspace()
        unit = atoms and char in UNIT_AFTER_NUMBER and any(c.isdigit() for c in atoms[-1]) \
            and (atoms[-1][-1].isdigit() or atoms[-1][-1] in UNIT_AFTER_NUMBER)  # 1,800億円, 第54号
        if word or unit or (atoms and char.isdigit() and atoms[-1][-1] == "第"):
            atoms[-1] += char
        else:
            atoms.append(char)
    held: list[str] = []
    i = 0
    while i < len(atoms):
        closing = OPEN_CLOSE.get(atoms[i], "")
        end = None
        for j in range(i + 1, len(atoms)) if closing else ():
            if atoms[j].isspace() or _text_width("".join(atoms[i:j + 1])) > HELD_GROUP:
                break
            if closing in atoms[j]:
                end = j
                break
        if end is None:
            held.append(atoms[i])
            i += 1
        else:
            held.append("".join(atoms[i:end + 1]))
            i = end + 1
    glued: list[str] = []
    for atom in held:
        if glued and (atom[0] in NO_START or glued[-1][-1] in NO_END) and not glued[-1].isspace():
            glued[-1] += atom
        else:
            glued.append(atom)
    return glued


def _text_width(text: str) -> int:
    return sum(_width(c) for c in text)


def wrap(text: str, columns: int = 100) -> list[str]:
    """Lines of at most ``columns`` half-width columns (a Japanese character counts two), broken
    the way Japanese text is set: never inside a number, a word or a short parenthesised group, no
    line starting with a closing bracket or punctuation (。、）」…) nor ending with an opening one
    (（「…), spaces at a break dropped. A piece wider than a line (a long address) is cut by width."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for atom in _atoms(paragraph):
            size = _text_width(atom)
            if used + size > columns and line.strip():
                lines.append(line.rstrip())
                line, used = "", 0
            if not line and atom.isspace():
                continue
            while size > columns:  # wider than a line on its own: cut by width
                cut, width = 0, 0
                while width + _width(atom[cut]) <= columns - used:
                    width += _width(atom[cut])
                    cut += 1
                lines.append(line + atom[:cut])
                line, used, atom = "", 0, atom[cut:]
                size = _text_width(atom)
            line += atom
            used += size
        lines.append(line.rstrip())
    return lines


def export_spec(spec: Mapping[str, Any], heading: str, footer: Sequence[str], font: str) -> dict[str, Any]:
    """The chart for an image download: its number and title above, its source and notes below."""
    top = {k: spec[k] for k in ("$schema", "config", "datasets") if k in spec}
    body = {k: v for k, v in spec.items() if k not in top and k not in ("title", "description")}
    lines = [line for text in footer for line in wrap(text)]
    note = {
        "data": {"values": [{"i": i, "t": t} for i, t in enumerate(lines)]},
        "mark": {"type": "text", "align": "left", "baseline": "middle", "fontSize": 11, "color": "#333", "font": font},
        "encoding": {"y": {"field": "i", "type": "ordinal", "axis": None},
                     "x": {"value": 0}, "text": {"field": "t", "type": "nominal"}},
        "width": 560, "height": 17 * len(lines), "view": {"stroke": None},
    }
    return {**top, "vconcat": [body, note], "spacing": 18,
            "title": {"text": wrap(heading, 90), "anchor": "start", "fontSize": 15, "font": font, "offset": 14},
            "background": "white", "padding": 16}


def spec_json(spec: Mapping[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False)

"""Rules for text from data and profiles, shared by every layer: what may be a link, what a
spreadsheet would run as a formula, and how any value is printed in a message.

- ``is_web_url``: an absolute http(s) address with a host, no user-info (``user@host``,
  ``a:b@host``), no white space, no control or invisible formatting characters (bidi overrides
  such as U+202E, which make ``…/\u202egnp.exe`` display as ``…/exe.png``; zero-width characters);
- ``formula_like``: text that a spreadsheet could run as a formula — after any spaces or invisible
  characters (tab, CR, LF, U+0085, U+00A0, U+3000, U+200B, U+202E, U+FEFF…) it begins with ``=``,
  ``+``, ``-``, ``@`` or ``|`` or a full-width or small form of one (``＝``, ``﹦``, ``－``, U+2212…),
  and is not a plain number;
- ``printable``: any value as it may be printed on a terminal or in the preview's banner: control
  characters (C0, C1, DEL, so ESC sequences), bidi controls and line separators shown as escapes
  (``\\x1b``, ``\\u202e``); line breaks kept only where a message is several lines.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FORMULA_STARTERS = frozenset("=+-@|\u2212")  # also after NFKC: ＝ ﹦ ＋ ﹢ － ﹣ ＠ ﹫ ｜
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + BIDI_CONTROLS + "]")
_UNPRINTABLE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029" + BIDI_CONTROLS + "]")


def _invisible(char: str) -> bool:
    """White space, control and formatting characters: what a reader (or a spreadsheet) does not see."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def formula_like(value: str) -> bool:
    """Text a spreadsheet could run as a formula (see the module's docstring)."""
    rest = value
    while rest and _invisible(rest[0]):
        rest = rest[1:]
    if not rest:
        return False
    first = rest[0]
    if first not in FORMULA_STARTERS and unicodedata.normalize("NFKC", first) not in FORMULA_STARTERS:
        return False
    if rest == value and _NUMBER.fullmatch(value):
        return False  # a plain number (-5, +1.5e3, -3%): a spreadsheet reads it as a number
    return any(not _invisible(c) for c in rest[1:])  # a lone '-' (「なし」) is no formula


def is_web_url(value: str) -> bool:
    """An absolute http(s) address: the only kind of link the report ever makes."""
    if not isinstance(value, str) or "\\" in value:
        return False
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return "@" not in parts.netloc  # user-info: http://www.mhlw.go.jp@127.0.0.1/ goes to 127.0.0.1


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, *, lines: bool = False) -> str:
    """``value`` as text safe to print: controls, bidi controls and line separators as visible escapes.

    ``lines=True`` keeps line feeds (a message of several lines); a value quoted inside one line of a
    message is printed with ``lines=False`` so that it cannot start a line that looks like another.
    """
    return (_UNPRINTABLE_KEEP_LINES if lines else _UNPRINTABLE).sub(_escape, str(value))

"""A corpus of hostile and careless strings, as a partner's spreadsheet or a pasted document may hold.

Each one tries a place a string can land: HTML (elements, attributes, entities), a script, a link,
MyST (substitutions that Jinja2 would evaluate, roles, directives, fences, targets), Markdown,
Vega expressions, a CSV cell opened in a spreadsheet, the PDF printer (frames and objects of local
files). ``CANARY`` names a file that no page may ever contain; ``WRITE_CANARY`` a file no build
may ever create.
"""

from __future__ import annotations

CANARY = "/tmp/regenpolicy-canary-secret.txt"
CANARY_TEXT = "CANARY-5f1c0d-NEVER-PUBLISH"
WRITE_CANARY = "/tmp/regenpolicy-canary-written.txt"
JINJA_RESULT = "7777777"  # 7 * 1111111: must never appear evaluated

ONE_LINE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    '"><svg onload="window.__pwned=1">',
    "'><iframe src=\"javascript:window.__pwned=1\"></iframe>",
    f'<iframe src="file://{CANARY}"></iframe>',
    f'<object data="file://{CANARY}"></object>',
    f'<link rel="stylesheet" href="file://{CANARY}">',
    '<a href="javascript:window.__pwned=1">click</a>',
    "{{ 7*1111111 }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    f"{{{{ ''.__class__.__mro__[1].__subclasses__() }}}} {{% include '{CANARY}' %}}",
    f"{{{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch {WRITE_CANARY}') }}}}",
    "{glue:text}`m1_cagr` {ref}`fig-m1` {download}`/etc/passwd`",
    f"{{include}}`{CANARY}` {{raw}}`html` <b>",
    "[link](javascript:window.__pwned=1) ![img](file:///etc/passwd)",
    "*emphasis* **strong** `code` _under_ | pipe | # heading",
    "&lt;b&gt; &amp;amp; &#60;script&#62;",
    "(datum.x) || alert(1) ${window.__pwned=1}",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\u202eRTL override\u202c 全角　スペース ",
    "a" * 300,
    "\\<script\\> \\\\ \\{\\{",
]
MULTI_LINE = [
    f"{{{{ 7*1111111 }}}}\n\n:::{{include}} {CANARY}\n:::\n",
    f"x\n\n```{{include}} {CANARY}\n```\n",
    "x\n\n```{raw} html\n<script>window.__pwned=1</script>\n```\n",
    f"x\n\n.. include:: {CANARY}\n",
    "x\n\n(target)=\n# Heading from data\n\n---\n",
    "x\n\n<script>window.__pwned=1</script>\n\n",
]
CORPUS = ONE_LINE + MULTI_LINE


def payload(multiline: bool) -> str:
    """Every string of the corpus in one cell (a one-line column gets the one-line strings)."""
    return " ¦ ".join(ONE_LINE) if not multiline else "\n".join(CORPUS)


def short_payload(n: int, multiline: bool) -> str:
    """A short hostile cell, the ``n``-th of a column: the markup and the template that would run if
    this cell's text were not escaped, and one more string of the corpus, in turn (a one-line column gets
    the one-line strings)."""
    strings = CORPUS if multiline else ONE_LINE
    return f'<img src=x onerror="window.__pwned=1"> {{{{ 7*1111111 }}}} ¦ {strings[n % len(strings)]}'


# Every character that starts a formula in a spreadsheet, with its full-width and small forms.
FORMULA_STARTERS = ["=", "+", "-", "@", "|", "＝", "﹦", "＋", "﹢", "－", "﹣", "＠", "﹫", "｜", "\u2212"]
# Every kind of prefix a reader does not see, and a spreadsheet (or a CSV reader) may drop.
INVISIBLE_PREFIXES = ["", " ", "  ", "\t", "\r", "\n", "\r\n", "\u0085", "\u00a0", "\u3000", "\u2005", "\u200b", "\u200c",
            "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029", "\x00", "\x1b", "\x7f", "\x9b",
            *"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", " \t\u200b\ufeff\u202e"]
FORMULA_BODIES = ["1+1", "cmd|' /C calc'!A0", 'HYPERLINK("http://evil.example","x")', "SUM(A1:A9)", "x"]

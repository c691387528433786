"""Sphinx extension for the report's site.

- Equations are rendered to MathML at build time (latex2mathml), which browsers draw natively:
  no MathJax, so nothing is fetched from a CDN, and the printed PDF keeps them as text.
- Jupyter Book 1 always loads sphinx-thebe, which injects a script naming a CDN (unpkg) and,
  on notebook pages, declares its globals twice (a console error). The report runs no live
  code, so its scripts are dropped from every page.
- The edition's title (from a profile) is escaped in every page's context: the theme prints it
  into the navbar without escaping.
- The generated pages (what changed since the previous edition, the reproducibility stamp) are
  written by the build as JSON and turned into docutils nodes here (``regen-changes``,
  ``regen-stamp``): every value is text to docutils, escaped by its HTML writer, so no value from
  data or a profile can form markup, a role, a directive or a substitution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    kept = []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body", "") if hasattr(js, "attributes") else ""
        if "thebe" in str(js).lower() or "THEBE_JS_URL" in body:
            continue
        kept.append(js)
    scripts[:] = kept


# Values of the page context that come from the profile (the edition's title) or the
# configuration, and that the theme's templates print without escaping ({{ docstitle }} in the
# navbar). As Markup, the templates that do escape them (|e) leave them as they are.
UNESCAPED_BY_THEME = ("docstitle", "project", "author", "copyright", "shorttitle")


def _escape_context(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    from markupsafe import Markup, escape

    for key in UNESCAPED_BY_THEME:
        value = context.get(key)
        if isinstance(value, str) and not isinstance(value, Markup):
            context[key] = escape(value)


def _mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    return str(convert(latex, display=display))


def _visit_inline(self: Any, node: Any) -> None:
    self.body.append(f'<span class="math">{_mathml(node.astext(), "inline")}</span>')
    raise nodes.SkipNode


def _visit_block(self: Any, node: Any) -> None:
    equations = [part for part in node.astext().split("\n\n") if part.strip()]
    label = f'<span class="eqno">({node["number"]})</span>' if node.get("number") else ""
    anchor = f' id="{node["ids"][0]}"' if node.get("ids") else ""
    mathml = "".join(_mathml(eq, "block") for eq in equations)
    self.body.append(f'<div class="math notranslate nohighlight"{anchor}>{label}{mathml}</div>')
    raise nodes.SkipNode


# --- generated pages as nodes ----------------------------------------------------------------------
def para(text: str) -> nodes.paragraph:
    return nodes.paragraph(text, text)


def table(header: list[str], rows: list[list[str]], classes: tuple[str, ...] = ()) -> nodes.table:
    """A docutils table of plain text cells."""
    tbl = nodes.table(classes=["regen-table", *classes])
    group = nodes.tgroup(cols=len(header))
    tbl += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for cell in header:
        row += nodes.entry("", para(cell))
    head += row
    body = nodes.tbody()
    group += body
    for values in rows:
        row = nodes.row()
        for cell in values:
            row += nodes.entry("", para(str(cell)))
        body += row
    return tbl


def section(directive: SphinxDirective, title: str, *children: nodes.Node) -> nodes.section:
    """A subsection (h2 under the page's title) holding ``children``."""
    node = nodes.section(ids=[f"regen-section-{directive.env.new_serialno('regen-section')}"])
    node += nodes.title(title, title)
    for child in children:
        node += child
    return node


class _JsonDirective(SphinxDirective):
    required_arguments = 1

    def data(self) -> Any:
        path = Path(self.env.doc2path(self.env.docname)).parent / self.arguments[0]
        self.env.note_dependency(str(path))
        return json.loads(path.read_text(encoding="utf-8"))


class ChangesDirective(_JsonDirective):
    """「前の版からの変更点」 from the JSON the build wrote (``regenpolicy.build.editions.changes``)."""

    def run(self) -> list[nodes.Node]:
        c = self.data()
        prev = c["previous"]
        out: list[nodes.Node] = [para(
            f"前の版「{prev['title']}」（{prev['date']}、{prev['id']}）と比べて、この版で変わった設定、パラメータ、"
            "収録図、データ、見出しの数値を示す。このページはビルドが生成する。")]
        rows = c["settings"] + c["parameters"]
        out.append(section(self, "設定とパラメータ",
                           table(["図・範囲", "項目", "前の版", "この版"], rows) if rows else para("変更なし。")))
        figures: list[nodes.Node] = []
        if c["figures_added"]:
            figures.append(para("この版で加わった図表：" + "、".join(c["figures_added"])))
        if c["figures_removed"]:
            figures.append(para("この版で除いた図表：" + "、".join(c["figures_removed"])))
        if c["vintage"]:
            figures.append(table(["表", "前の版のデータ", "この版のデータ"], c["vintage"]))
        out.append(section(self, "収録図とデータの版", *(figures or [para("変更なし。")])))
        data: list[nodes.Node] = []
        for t in c["data"]:
            items = nodes.bullet_list()
            if t["table"] == "added":
                items += nodes.list_item("", para("この版で加わった表"))
            if t["table"] == "removed":
                items += nodes.list_item("", para("この版でなくなった表"))
            for k in t["added"]:
                items += nodes.list_item("", para(f"追加：{k}"))
            for k in t["removed"]:
                items += nodes.list_item("", para(f"削除：{k}"))
            for k, col, a, b, src in t["revised"]:
                items += nodes.list_item("", para(f"改訂：{k} の {col}：{a} → {b}（出所 {src}）"))
            data.append(section(self, f"{t['title']}（{t['file']}）", items))
        out.append(section(self, "データ", *(data or [para("変更なし。")])))
        moved = c["headlines"]
        out.append(section(self, "見出しの数値",
                           table(["図", "数値", "前の版", "この版"], moved) if moved
                           else para("両方の版にある図で、動いた数値はない。")))
        return out


class StampDirective(_JsonDirective):
    """「再現性スタンプ」 from the edition's stamp."""

    def run(self) -> list[nodes.Node]:
        s = self.data()
        packages = "、".join(f"{k} {v}" for k, v in s["packages"].items())
        items = nodes.bullet_list()
        for text in (f"版：{s['edition']}", f"コミット：{s['commit']}",
                     f"プロファイル：submissions/{s['profile']['file']}（SHA-256 {s['profile']['sha256'][:16]}）",
                     f"Python {s['python']}、{packages}"):
            items += nodes.list_item("", para(text))
        rows = [[f, h[:16]] for f, h in s["data"].items()]
        return [para("この版は次の入力から作られた。同じスタンプ（コミット、プロファイル、データのハッシュ、パッケージ）から"
                     "作り直すと、図のデータ（CSV）はバイト単位で同じになる。"), items,
                table(["データファイル", "SHA-256（先頭16桁）"], rows)]


def setup(app: Any) -> dict[str, Any]:
    app.add_html_math_renderer("mathml", inline_renderers=(_visit_inline, None),
                               block_renderers=(_visit_block, None))
    app.config.html_math_renderer = "mathml"
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _escape_context, priority=100)
    app.add_directive("regen-changes", ChangesDirective)
    app.add_directive("regen-stamp", StampDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension for the report's site.

- Equations are rendered to MathML at build time (latex2mathml), which browsers draw natively:
  no MathJax, so nothing is fetched from a CDN, and the printed PDF keeps them as text.
- Jupyter Book 1 always loads sphinx-thebe, which injects a script naming a CDN (unpkg) and,
  on notebook pages, declares its globals twice (a console error). The report runs no live
  code, so its scripts are dropped from every page.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    kept = []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body", "") if hasattr(js, "attributes") else ""
        name = str(js)
        if "thebe" in name.lower() or "THEBE_JS_URL" in body:
            continue
        kept.append(js)
    scripts[:] = kept


def _mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    return convert(latex, display=display)


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


def setup(app: Any) -> dict[str, Any]:
    app.add_html_math_renderer("mathml", inline_renderers=(_visit_inline, None),
                               block_renderers=(_visit_block, None))
    app.config.html_math_renderer = "mathml"
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension for the report's site.

Jupyter Book 1 always loads sphinx-thebe, which injects a script naming a CDN (unpkg) and,
on notebook pages, declares its globals twice (a console error). The report runs no live code,
so its scripts are dropped from every page.
"""

from __future__ import annotations

from typing import Any


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


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

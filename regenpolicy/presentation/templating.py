"""Generated HTML comes from Jinja2 templates: the code passes data, the templates hold the markup.

Every environment escapes by default (``autoescape``): each ``{{ value }}`` is escaped for HTML
text and quoted attributes, unless it is ``Markup`` (the output of one of our own templates or
macros). A name a template uses but is not given fails loudly (``StrictUndefined``).

Values are escaped as :func:`html.escape` does (``&quot;``, ``&#x27;``: the entities the site has
always had), not as MarkupSafe does (``&#34;``, ``&#39;``), by the environment's ``finalize``;
``None`` shows as nothing. The templates of a package are its ``templates/*.html.j2`` (shipped
as package data); the builder's environment also finds the presentation's, for the shared macros
(``_macros.html.j2``: links only to http(s) addresses, text that keeps its line breaks).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from regenpolicy.presentation import escape

PRESENTATION = "regenpolicy.presentation"


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` output: markup stays, anything else is escaped as html.escape(quote=True) does."""
    if hasattr(value, "__html__"):
        return value
    return Markup(escape.attribute(value))


@cache
def environment(package: str = PRESENTATION) -> Environment:
    """The environment of ``package``'s templates (and the presentation's, for the shared macros)."""
    loaders = [PackageLoader(package, "templates")]
    if package != PRESENTATION:
        loaders.append(PackageLoader(PRESENTATION, "templates"))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined,
                      finalize=_finalize, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      auto_reload=False)
    env.tests["web_url"] = escape.web_url
    env.filters["script_json"] = lambda value: Markup(escape.script_json(value))
    return env


def render(name: str, package: str = PRESENTATION, /, **context: Any) -> Markup:
    """The template ``name`` of ``package`` rendered with ``context``: markup, safe to nest."""
    return Markup(environment(package).get_template(name).render(**context))


def macros(name: str, package: str = PRESENTATION, /) -> Any:
    """The macros of template ``name`` of ``package``, to call from Python (each returns markup)."""
    return environment(package).get_template(name).module

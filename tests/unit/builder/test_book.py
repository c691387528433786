"""The preview's warm Sphinx process builds as a fresh process would."""

from __future__ import annotations

from sphinx.config import Config

from regenpolicy.builder import book


def test_the_themes_appends_to_sphinxs_shared_templates_path_are_undone_before_a_build():
    # pydata-sphinx-theme appends its components to the default list in place: in a process that
    # builds again and again, the configuration's hash changed every build and every page was rewritten
    Config().templates_path.append("/site-packages/pydata_sphinx_theme/theme/components")
    assert Config().templates_path != []
    book._fresh_sphinx_defaults()
    assert Config().templates_path == []

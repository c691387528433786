"""Only the CSS that applies: rules whose selectors name nothing of the site's pages or scripts go."""

from __future__ import annotations

from pathlib import Path

import pytest

from regenpolicy.builder import cssprune

CSS = """
/* the theme */
html[data-theme=dark] .bd-sidebar { color: #fff; }
.unused-widget, .bd-sidebar > a:hover::before { color: red; }
.sd-card .sd-card-body { margin: 0 }
#main-content p:not(.skip) { margin: 1em }
#nowhere { margin: 2em }
table.dataframe td { padding: 0 }
video { width: 100% }
.bs-tooltip-auto[data-popper-placement^=top] .tooltip-arrow { bottom: 0 }
@media print { .bd-header { display: none } .never { display: none } }
@media (max-width: 960px) { .only-unused { display: none } }
@supports (display: grid) { .bd-sidebar.show { display: grid } }
@font-face { font-family: X; src: url(data:font/woff2;base64,AA==) }
@font-face { font-family: "Font Awesome 6 Free"; src: url("../vendor/fontawesome/webfonts/fa-solid-900.woff2") }
@keyframes spin { from { transform: rotate(0) } to { transform: rotate(360deg) } }
.sd-\\:escaped { color: blue }
"""


def words(*texts: str) -> set[str]:
    return {w.decode() for t in texts for w in cssprune.WORD.findall(t.encode())}


def test_rules_naming_only_what_pages_or_scripts_have_are_kept():
    page = ('<html><body><div class="bd-sidebar"><a href="#">x</a></div><header class="bd-header"></header>'
            '<main id="main-content"><p>text</p><table class="dataframe"><td>1</td></table></main></body></html>')
    script = 'el.classList.add("show")'
    out = cssprune.prune(CSS, words(page, script))
    assert "html[data-theme=dark] .bd-sidebar{color: #fff;}" in out  # dark mode: the attribute does not decide
    assert ".unused-widget" not in out and ".bd-sidebar > a:hover::before{color: red;}" in out  # only the used selector
    assert ".sd-card" not in out and "#nowhere" not in out and "video" not in out
    assert ".bs-tooltip-auto" not in out  # its .tooltip-arrow is in no page nor script here
    assert ".bs-tooltip-auto" in cssprune.prune(CSS, words(page, script, "tooltip-arrow"))  # composed by Bootstrap
    assert "#main-content p:not(.skip){" in out  # what :not() names does not decide
    assert "table.dataframe td{" in out
    assert "@media print{.bd-header{display: none}}" in out and ".never" not in out
    assert "max-width: 960px" not in out  # an emptied @media block goes with its rules
    assert "@supports (display: grid){.bd-sidebar.show{" in out  # a class a script adds is kept
    assert "@font-face{font-family: X;" in out and "@keyframes spin{" in out
    assert "Font Awesome" not in out and "url(\"../" not in out  # the icons are inline SVG: no icon font
    assert "escaped" in out  # an escaped name is not read: kept
    assert "/*" not in out
    assert cssprune.prune(CSS, words(page, script)) == out  # same input, same bytes


def test_without_the_script_the_class_it_adds_is_not_kept():
    out = cssprune.prune(CSS, words('<div class="bd-sidebar"></div>'))
    assert ".bd-sidebar.show" not in out and "@supports" not in out


def test_unreadable_css_is_an_error_with_its_place():
    with pytest.raises(ValueError, match="line 2"):
        cssprune.prune(".a { color: red }\n.b", {"a", "b"})


def test_a_site_is_pruned_against_all_its_editions(tmp_path: Path):
    for edition, cls in (("a", "only-in-a"), ("b", "only-in-b")):
        (tmp_path / edition / "_static").mkdir(parents=True)
        (tmp_path / edition / "_static" / "theme.css").write_text(
            ".only-in-a{color:red}.only-in-b{color:blue}.in-none{color:green}", encoding="utf-8")
        (tmp_path / edition / "index.html").write_text(f'<p class="{cls}">x</p>', encoding="utf-8")
    removed = cssprune.prune_site(tmp_path, ["a", "b"])
    a, b = ((tmp_path / e / "_static" / "theme.css").read_text(encoding="utf-8") for e in ("a", "b"))
    assert a == b == ".only-in-a{color:red}.only-in-b{color:blue}"  # the same bytes: shareable
    assert removed == 2 * len(".in-none{color:green}")

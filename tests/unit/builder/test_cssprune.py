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


def theme_font() -> bytes:
    """The theme's own Font Awesome solid font (what its stylesheet's @font-face rule loads)."""
    import pydata_sphinx_theme

    folder = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    return (folder / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2").read_bytes()


# as the theme's stylesheet has them: the faces, an icon's character in a variable, escaped and as itself
ICON_CSS = (
    '@font-face{font-display:block;font-family:Font Awesome\\ 6 Free;font-style:normal;font-weight:900;'
    'src:url(../vendor/fontawesome/webfonts/fa-solid-900.woff2) format("woff2"),'
    'url(../vendor/fontawesome/webfonts/fa-solid-900.ttf) format("truetype")}'
    '@font-face{font-display:block;font-family:Font Awesome\\ 6 Brands;font-weight:400;'
    'src:url(../vendor/fontawesome/webfonts/fa-brands-400.woff2) format("woff2")}'
    'html{--pst-icon-bell:"\uf0f3";font-size:1rem}'
    '.admonition.warning>.admonition-title:after{content:"\uf071";font:var(--fa-font-solid)}'
    'a.reference.download:before{content:"\\f019";font:var(--fa-font-solid)}'
    '.never-on-a-page:before{content:"\\f00d"}'
)
PAGE = '<html><div class="admonition warning"><p class="admonition-title">x</p></div><a class="reference download">d</a></html>'


def icon_site(root: Path, font: bytes | None) -> Path:
    for edition in ("a", "b"):
        static = root / edition / "_static"
        (static / "styles").mkdir(parents=True)
        (static / "styles" / "theme.css").write_text(ICON_CSS, encoding="utf-8")
        (root / edition / "k1.html").write_text(PAGE, encoding="utf-8")
        if font is not None:
            (static / "vendor" / "fontawesome" / "webfonts").mkdir(parents=True)
            (static / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2").write_bytes(font)
    return root


def test_the_icons_the_stylesheet_draws_as_text_keep_their_font_inline_with_only_their_glyphs(tmp_path: Path):
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    site = icon_site(tmp_path / "one", theme_font())
    cssprune.prune_site(site, ["a", "b"])
    a, b = ((site / e / "_static" / "styles" / "theme.css").read_text(encoding="utf-8") for e in ("a", "b"))
    assert a == b  # the same bytes: shareable
    assert "Brands" not in a and "url(../" not in a  # loads nothing by relative address: shared and joined
    (face,) = re.findall(r"@font-face\{[^}]*\}", a)
    assert 'font-family:"Font Awesome 6 Free"' in face and "font-weight:900" in face
    m = re.search(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\) format\(\"woff2\"\)", face)
    assert m is not None
    font = TTFont(io.BytesIO(base64.b64decode(m.group(1))))
    assert font.flavor == "woff2"
    cmap = font.getBestCmap()
    # the warning sign, the bell of the variable and the escaped download arrow; not the pruned rule's ✕
    assert set(cmap) == {0xF071, 0xF0F3, 0xF019}
    glyf = font["glyf"]
    assert all(glyf[name].numberOfContours != 0 for name in cmap.values())  # drawn, not empty
    assert "Font Awesome" in font["name"].getDebugName(0)  # its copyright kept
    assert len(m.group(1)) < 4000  # three glyphs, not the whole font (~150 KB)
    again = icon_site(tmp_path / "two", theme_font())
    cssprune.prune_site(again, ["a", "b"])
    assert (again / "a" / "_static" / "styles" / "theme.css").read_text(encoding="utf-8") == a  # same bytes


def test_a_missing_icon_font_is_an_error_naming_the_stylesheet(tmp_path: Path):
    site = icon_site(tmp_path, None)
    with pytest.raises(ValueError, match=r"theme\.css.*fa-solid-900\.woff2.*empty boxes"):
        cssprune.prune_site(site, ["a", "b"])


def test_without_a_text_icon_on_any_page_no_icon_font_is_kept(tmp_path: Path):
    site = icon_site(tmp_path, theme_font())
    for edition in ("a", "b"):
        (site / edition / "_static" / "styles" / "theme.css").write_text(
            ICON_CSS.replace('html{--pst-icon-bell:"\uf0f3";font-size:1rem}', ""), encoding="utf-8")
        (site / edition / "k1.html").write_text("<html><p>no icons</p></html>", encoding="utf-8")
    cssprune.prune_site(site, ["a", "b"])
    assert "@font-face" not in (site / "a" / "_static" / "styles" / "theme.css").read_text(encoding="utf-8")

"""The menu (☰) and the page-contents button open what they say, at phone, tablet and desktop widths.

The themes bind both buttons to the first `.primary-toggle` / `.secondary-toggle` on the page, a
navbar button the book theme hides; `regen-nav.js` hands each visible button's click to it. These
tests click the button a reader sees, as a reader would, and look at what opened.
"""

from __future__ import annotations

import pytest

PAGE_WITH_CONTENTS = "notebooks/d1_drug_loss.html"  # a page long enough to have its own contents


def visible_button(page, selector: str):
    button = page.locator(f"{selector}:visible")
    assert button.count() == 1, f"{selector}: {button.count()} visible buttons"
    return button.first


@pytest.mark.parametrize("width", [360, 390, 800])
def test_the_menu_opens_and_closes_on_phones_and_tablets(served, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{served}/{PAGE_WITH_CONTENTS}", wait_until="load")
    assert not page.locator("#pst-primary-sidebar-modal").evaluate("d => d.open")
    visible_button(page, ".primary-toggle").click()
    page.wait_for_function("() => document.getElementById('pst-primary-sidebar-modal').open")
    links = page.locator("#pst-primary-sidebar-modal a.reference.internal")
    shown = links.count()
    assert shown >= 10  # the book's chapters and pages, not an empty dialog
    box = links.first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width  # on screen
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('pst-primary-sidebar-modal').open")
    # the sidebar's contents go back where they came from (the theme moves them when the dialog's close event fires)
    page.wait_for_function("n => document.querySelectorAll('#pst-primary-sidebar a.reference.internal').length === n",
                           arg=shown)
    page.close()


@pytest.mark.parametrize("width", [360, 800])
def test_the_page_contents_button_opens_the_page_contents(served, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{served}/{PAGE_WITH_CONTENTS}", wait_until="load")
    visible_button(page, ".secondary-toggle").click()
    page.wait_for_function("() => document.getElementById('pst-secondary-sidebar-modal').open")
    assert page.locator("#pst-secondary-sidebar-modal a.nav-link").count() >= 1
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('pst-secondary-sidebar-modal').open")
    page.close()


def test_the_menu_button_hides_and_shows_the_sidebar_on_a_desktop(served, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.goto(f"{served}/{PAGE_WITH_CONTENTS}", wait_until="load")
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    button = visible_button(page, ".primary-toggle")
    assert button.get_attribute("aria-expanded") == "true"
    button.click()
    page.wait_for_function("() => getComputedStyle(document.getElementById('pst-primary-sidebar')).visibility"
                           " === 'hidden'")
    assert button.get_attribute("aria-expanded") == "false"
    assert not page.locator("#pst-primary-sidebar-modal").evaluate("d => d.open")  # no dialog on a desktop
    button.click()
    page.wait_for_function("() => getComputedStyle(document.getElementById('pst-primary-sidebar')).visibility"
                           " === 'visible'")
    assert button.get_attribute("aria-expanded") == "true"
    page.close()


def test_a_table_wider_than_its_box_shows_that_it_scrolls(served, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.goto(f"{served}/notebooks/k1_fee_gap.html", wait_until="load")
    boxes = page.evaluate("""() => [...document.querySelectorAll('.regen-table-scroll')].map(e => ({
        label: e.getAttribute('aria-label'), scrolls: e.scrollWidth > e.clientWidth + 1,
        cue: getComputedStyle(e).backgroundImage, focusable: e.tabIndex === 0}))""")
    scrolling = [b for b in boxes if b["scrolls"]]
    assert scrolling, "K1-1 is wider than the desktop column: the case this test is about"
    for box in scrolling:  # a shadow at the hidden edge, and the box takes the keyboard's arrows
        assert box["cue"].count("radial-gradient") == 2 and box["focusable"], box
    page.close()

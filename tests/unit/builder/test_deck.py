"""regenpolicy.builder.deck: the slides as the printer gets them, several in one document."""

import lxml.html

from regenpolicy.builder.deck import slide_html, slides_html
from regenpolicy.presentation import deck
from tests.unit.presentation.test_deck import EDITION, NUMBERS, info

SIZE = (13.333, 7.5)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" id="fig-m1-a"></svg>'


def _slides() -> list[deck.Slide]:
    form = deck.DeckFile.model_validate({"meeting": "m", "slides": [
        {"slide": "title"}, {"slide": "section", "title": "市場"}, {"slide": "figure", "figure": "M1", "chart": "picture"},
        {"slide": "figure", "figure": "T1"}, {"slide": "closing", "text": "以上"}]})
    return deck.slides(form, EDITION, {"M1": info("M1"), "T1": info("T1", table=True)}, NUMBERS)


def test_slides_share_one_document_a_page_each_in_order():
    slides = _slides()
    html = slides_html([(s, SVG if s.picture else "") for s in slides], SIZE, "白書 <版>")
    doc = lxml.html.document_fromstring(html)
    assert doc.findtext(".//title") == "白書 <版>"  # escaped text, not markup
    assert len(doc.findall(".//style")) == 1  # one head for all the slides
    assert "break-after: page" in doc.findtext(".//style")  # each slide ends its page
    sections = doc.findall(".//section")
    assert [s.get("aria-label") for s in sections] == [f"スライド {s.number}" for s in slides]
    assert [len(s.findall(".//svg")) for s in sections] == [int(bool(s.picture)) for s in slides]  # the chart, as markup, on its slide
    assert [len(s.findall(".//table")) for s in sections] == [int(s.table is not None) for s in slides]
    assert [s.findtext(".//h1") for s in sections] == [
        next(t.text for t in s.texts if t.role in ("headline", "title")) for s in slides]  # a bookmark each


def test_one_slide_is_the_same_document_of_one():
    s = _slides()[2]
    assert slide_html(s, SIZE, SVG) == slides_html([(s, SVG)], SIZE, s.title)

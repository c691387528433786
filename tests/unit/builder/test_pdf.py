"""The print edition's front matter and documents, as the printer gets them."""

from __future__ import annotations

import json

import lxml.html

from regenpolicy.builder import pdf


def entries() -> list[pdf.Entry]:
    return [pdf.Entry("index", 0, "表紙"), pdf.Entry("a", 1, "序章"), pdf.Entry("b", 1, "市場", part="第I部"),
            pdf.Entry("c", 2, "M1"), pdf.Entry("d", 1, "価格"), pdf.Entry("e", 1, "付録", part="第II部")]


def test_the_contents_nest_parts_chapters_and_sections():
    def shape(items):
        return [(i["title"], None if i["kids"] is None else shape(i["kids"])) for i in items]

    assert shape(pdf.contents(entries())) == [
        ("表紙", None), ("序章", []),
        ("第I部", [("市場", [("M1", None)]), ("価格", [])]),
        ("第II部", [("付録", [])])]


def test_a_part_whose_one_chapter_has_its_title_is_one_line_of_the_contents():
    """市場と産業 > 市場と産業 was two lines (and two bookmarks): the part is its chapter."""
    book = [pdf.Entry("index", 0, "表紙"), pdf.Entry("b", 1, "市場と産業", part="市場と産業", alone=True),
            pdf.Entry("c", 2, "M1"), pdf.Entry("d", 1, "価格", part="価格制度", alone=True), pdf.Entry("e", 2, "P1")]
    items = pdf.contents(book)
    assert [(i["title"], i["part"]) for i in items] == [("表紙", False), ("市場と産業", True), ("価格制度", True)]
    assert [k["title"] for k in items[1]["kids"]] == ["M1"] and items[1]["id"] == "page-b"
    assert [k["title"] for k in items[2]["kids"]] == ["価格"]  # a chapter titled otherwise stays under its part
    assert book[1].is_part and not book[3].is_part
    assert not pdf.Entry("f", 1, "市場", part="市場", alone=False).is_part  # one of several chapters


def test_a_part_that_is_its_chapter_prints_one_heading_and_its_sections_one_level_up(tmp_path):
    def page(name, heading):
        (tmp_path / f"{name}.html").write_text(f'<html><head><title>x</title></head><body><article class="bd-article">'
                                               f"<h1>{heading}</h1><h2>小見出し</h2></article></body></html>",
                                               encoding="utf-8")
    page("index", "表紙")
    page("ch", "市場と産業")
    page("m1", "世界市場")
    toc = tmp_path / "_toc.yml"
    toc.write_text(json.dumps({"root": "index", "parts": [{"caption": "市場と産業", "chapters": [
        {"file": "ch", "sections": [{"file": "m1"}]}]}]}), encoding="utf-8")
    _, docs = pdf.print_documents(tmp_path, toc, {"title": "白書"}, "")
    body = docs[2].body
    headings = [(h.tag, h.text_content()) for h in lxml.html.fragment_fromstring(body, create_parent="div").iter(
        "h1", "h2", "h3", "h4")]
    assert headings == [("h1", "市場と産業"), ("h2", "小見出し"), ("h2", "世界市場"), ("h3", "小見出し")]
    assert "regen-part-title" not in body and "regen-print-part" in body


def test_the_front_matter_links_each_line_to_its_page():
    front = pdf._front(entries(), {"title": "白書", "date": "2026-01-01", "id": "e1", "version": "0.2.0"}, "委員会",
                       '<div id="fig-m1" data-regen-kind="図" data-regen-id="M1" data-regen-title="市場 &lt;規模&gt;">',
                       {"page-b": 4, "fig-m1": 5})
    tree = lxml.html.fragment_fromstring(front, create_parent="div")
    lines = {a.get("href"): (a.text, a.getnext().text) for a in tree.iterfind(".//span[@class='regen-toc-line']/a")}
    assert lines["#page-b"] == ("市場", "4") and lines["#page-d"] == ("価格", None)
    assert lines["#fig-m1"] == ("図 M1　市場 <規模>", "5")
    assert tree.find(".//li[@class='regen-toc-part']/span/a").text == "第I部"
    assert tree.findtext(".//p[@class='regen-cover-title']") == "白書" and "ウェブ版" not in front


def test_the_edition_title_is_printed_as_written(tmp_path):
    """A backslash or \\g<0> in the title once went through re.sub's replacement template."""
    (tmp_path / "index.html").write_text('<html><head><title>x</title></head><body><article class="bd-article">'
                                         "<h1>表紙</h1></article></body></html>", encoding="utf-8")
    toc = tmp_path / "_toc.yml"
    toc.write_text(json.dumps({"root": "index"}), encoding="utf-8")
    title = r"白書 \g<0> \\ <b>"
    head, docs = pdf.print_documents(tmp_path, toc, {"title": title}, "")
    assert lxml.html.fromstring(f"<html><head>{head}</head></html>").findtext(".//title") == title
    header = lxml.html.fragment_fromstring(str(pdf.PRINT.header(title)))
    assert header.text == title
    document = pdf._html_document(head, docs[1].body)
    assert document.startswith('<!DOCTYPE html>\n<html lang="ja"><head>') and document.endswith("</html>\n")


CHART_HTML = ('<figure class="regen-figure" id="fig-k1" data-regen-kind="図" data-regen-id="K1" '
              'data-regen-title="費用 &amp; 点数"><figcaption><h2>図 K1 費用</h2></figcaption>'
              '<div class="regen-chart"></div><div class="regen-print"><svg xmlns="http://www.w3.org/2000/svg" '
              'width="10" height="10"><text>1</text></svg></div>'
              '<p class="regen-alt" id="fig-k1-alt">図 K1は、費用（万円）を示す棒グラフ。値は 0〜44.2。'
              '各値は下の「データ（表）」に示す。</p><details class="regen-data"><summary>図 K1 のデータ（表）</summary>'
              '<div class="regen-table-scroll"><table class="regen-data-table"><caption>図 K1 のデータ</caption>'
              '<thead><tr><th scope="col">年</th><th scope="col">費用</th></tr></thead>'
              '<tbody><tr><th scope="row">2022</th><td>44.2</td></tr></tbody></table></div></details></figure>')


def test_a_chart_prints_as_one_image_whose_alt_is_its_title_and_description():
    import base64

    printed = lxml.html.fromstring(pdf.print_charts(CHART_HTML))
    assert printed.tag == "div" and printed.get("role") == "group" and not printed.xpath("//figure|//figcaption")
    (img,) = printed.xpath("//img")
    assert img.get("alt") == "図 K1「費用 & 点数」。費用（万円）を示す棒グラフ。値は 0〜44.2。"
    assert base64.b64decode(img.get("src").split(",", 1)[1]).startswith(b"<svg")
    assert not printed.xpath("//svg")
    # the data table follows the chart, shown (not in a closed <details>), with its header cells
    assert not printed.xpath("//details|//summary")
    (table,) = printed.xpath("//div[@class='regen-print-table']//table")
    assert [c.tag for c in table.iter("th", "td")] == ["th", "th", "th", "td"]
    assert printed.xpath("//img/following::table")
    rows = "".join(f"<tr><th>{y}</th><td>1</td></tr>" for y in range(pdf.PRINT_TABLE_ROWS + 1))
    long = lxml.html.fromstring(pdf.print_charts(CHART_HTML.replace("<tr><th scope=\"row\">2022</th><td>44.2</td></tr>", rows)))
    assert not long.xpath("//div[@class='regen-print-table']") and long.xpath("//details")  # pages of numbers: left to its file


def test_the_links_targets_are_named_by_their_titles():
    doc = pdf.PrintDocument("part-1", '<section id="page-x"><h2>第1章 市場<a>#</a></h2>'
                            '<tr id="src-a"><td>厚生労働省「告示」</td></tr>' + CHART_HTML + "</section>", set())
    labels = pdf.destination_labels([doc])
    assert labels == {"fig-k1": "図 K1　費用 & 点数", "page-x": "第1章 市場", "src-a": "厚生労働省「告示」",
                      "fig-k1-alt": labels["fig-k1-alt"]}

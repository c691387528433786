"""What the preview says to its reader is Japanese: the pages of failed requests (the PDF link
before a PDF exists says how one is made) and the banner around a refused build's problems, each
at its file, line and column."""

from __future__ import annotations

import re

from regenpolicy.builder.preview import PDF_NOT_MADE, banner_text
from regenpolicy.data.problems import DataValidationError, Problem
from tests.unit.builder.test_preview_security import own, request, running  # noqa: F401 (a fixture)

ENGLISH_WORDS = re.compile(r"\b(?:Error|error|Not Found|not found|problem|Bad Request|Message|Nothing)\b")


def test_the_pdf_link_before_a_pdf_exists_says_in_japanese_how_one_is_made(running):  # noqa: F811
    response = request(running.port, "GET", "/pdf/report.pdf", host=own(running.port))
    body = response.body.decode("utf-8")
    assert response.status == 404 and response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert '<html lang="ja">' in body and "make report" in body and "PDF を作成" in body
    assert PDF_NOT_MADE.split("。")[0] in body
    assert not ENGLISH_WORDS.search(body), body


def test_a_missing_page_and_a_malformed_address_are_answered_in_japanese(running):  # noqa: F811
    missing = request(running.port, "GET", "/nowhere.html", host=own(running.port))
    text = missing.body.decode("utf-8")
    assert missing.status == 404 and "ページが見つかりません" in text and "make report" not in text
    malformed = request(running.port, "GET", "/%ff", host=own(running.port))
    assert malformed.status == 400 and "アドレスが正しくありません" in malformed.body.decode("utf-8")
    other_host = request(running.port, "GET", "/", host="evil.example:80")
    page = other_host.body.decode("utf-8")
    assert other_host.status == 421 and "127.0.0.1" in page and not ENGLISH_WORDS.search(page)


def test_the_banner_says_in_japanese_where_each_problem_is():
    problems = [Problem("data/market_global_total.csv", "the modality segments do not add up", 3, "total_oku_yen"),
                Problem("notebooks/m1_market.yml", "no such printed headline", 30, 19),
                Problem("data/sources.csv", "empty file")]
    text = banner_text(DataValidationError(problems))
    lines = text.splitlines()
    assert lines[0].startswith("ビルドできません") and "3 件" in lines[0]
    assert lines[1] == "・data/market_global_total.csv の 3 行目（列「total_oku_yen」）：the modality segments do not add up"
    assert lines[2] == "・notebooks/m1_market.yml の 30 行目 19 文字目：no such printed headline"
    assert lines[3] == "・data/sources.csv：empty file"
    assert "problem(s)" not in text and not re.search(r"\bline \d", text)
    more = banner_text(DataValidationError(problems[:1], omitted=1200))
    assert "ほかに 1,200 件" in more and "1,201 件" in more

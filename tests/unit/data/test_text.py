"""The shared text rules: formula-like text, web addresses, printable messages — each as a class."""

from __future__ import annotations

import itertools

import pytest

from regenpolicy.data.text import BIDI_CONTROLS, formula_like, is_web_url, printable
from tests.hostile import FORMULA_BODIES as BODIES
from tests.hostile import FORMULA_STARTERS as STARTERS
from tests.hostile import INVISIBLE_PREFIXES as PREFIXES


@pytest.mark.parametrize("starter", STARTERS)
def test_every_formula_starter_after_every_invisible_prefix_is_formula_like(starter):
    missed = [repr(p + starter + b) for p, b in itertools.product(PREFIXES, BODIES)
              if not formula_like(p + starter + b)]
    assert missed == []


@pytest.mark.parametrize("value", ["-5", "+1.5", "-3e4", "-12%", "abc", "α=β", "", " ", "\u200b", "-", " － ", "+",
                                   "1-2", "東京=大阪", "a@b", "'=1+1", "マイナス5"])
def test_plain_text_and_numbers_are_not_formula_like(value):
    assert not formula_like(value)


@pytest.mark.parametrize("value", [" -5", "\u200b-5", "\t+1", "-5-5", "-inf", "-nan", "+81-3-1234-5678"])
def test_numbers_behind_a_prefix_or_with_more_after_them_are_formula_like(value):
    assert formula_like(value)


GOOD_URLS = ["https://www.mhlw.go.jp/content/12404000/001230000.pdf", "http://example.com", "https://x.jp/a?b=1&c=2#d",
             "https://例え.jp/パス", "https://example.com:8443/x", "https://example.com/%E2%80%AE"]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_web_addresses_are_accepted(url):
    assert is_web_url(url)


@pytest.mark.parametrize("char", [*BIDI_CONTROLS, "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
                                  "\x00", "\x1b", "\x7f", "\x85", "\x9b", " ", "\t", "\n", "\u3000", "\u2028"])
@pytest.mark.parametrize("where", ["https://example.com/{c}gnp.exe", "https://exa{c}mple.com/", "{c}https://example.com/",
                                   "https://example.com/?q={c}", "https://example.com/#{c}"])
def test_an_address_with_a_bidi_control_or_an_invisible_character_is_refused(char, where):
    assert not is_web_url(where.format(c=char))


@pytest.mark.parametrize("url", ["http://www.mhlw.go.jp@127.0.0.1:9/x", "https://user@example.com/", "https://a:b@example.com/",
                                 "https://:@example.com/", "https://@example.com", "http://www.mhlw.go.jp%40evil@evil.example/",
                                 "https://example.com:abc/", "https://example.com:99999/", "https://:80/", "https:///x",
                                 "javascript:alert(1)", "//evil.example/x", "file:///etc/passwd", "https:\\\\evil.example"])
def test_an_address_with_user_info_a_bad_port_or_no_host_is_refused(url):
    assert not is_web_url(url)


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0x20), *range(0x7f, 0xa0)]] + list(BIDI_CONTROLS)
                         + ["\u2028", "\u2029"])
def test_printable_shows_every_control_and_bidi_character_as_an_escape(char):
    out = printable(f"a{char}b")
    assert out == f"a\\x{ord(char):02x}b" if ord(char) < 0x100 else out == f"a\\u{ord(char):04x}b"
    assert out.isprintable()


def test_printable_keeps_line_breaks_only_when_asked_and_leaves_text_alone():
    assert printable("a\nb") == "a\\x0ab"
    assert printable("a\nb\x1b]0;x\x07", lines=True) == "a\nb\\x1b]0;x\\x07"
    assert printable("全角　スペース 'x' \\ é") == "全角　スペース 'x' \\ é"
    assert printable(5) == "5"

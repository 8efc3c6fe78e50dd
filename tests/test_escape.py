"""The one escaping function: repository text cannot break or inject into the document."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from infrascan.escape import escape_md


def test_html_comments_and_links_are_inert() -> None:
    out = escape_md("<script>alert(1)</script> --> [click](https://evil) <!-- x")
    assert "<" not in out.replace("\\<", "") and "-->" not in out
    assert "](" not in out.replace("\\](", "")


def test_line_breaks_cannot_forge_fields_or_headings() -> None:
    out = escape_md("value\n## Fake heading\n- **Production**:\r\n  - URL: evil")
    assert "\n" not in out and "\r" not in out


def test_code_spans_for_safe_values_and_escaping_for_unsafe_ones() -> None:
    assert escape_md("postgres:16", code=True) == "`postgres:16`"
    assert escape_md("a`b", code=True) == "a\\`b"
    assert escape_md("x | y", code=True) == "x \\| y"
    assert escape_md("<b>", code=True) == "\\<b\\>"


def test_identifiers_stay_readable() -> None:
    assert escape_md("LOG_LEVEL-style variables") == "LOG_LEVEL-style variables"
    assert escape_md("_private_") == "\\_private\\_"


def test_values_are_redacted_before_escaping() -> None:
    assert "sk_live" not in escape_md("sk_live_4eC39HqLyjWDarjtT1zdp7dc", code=True)


@given(st.text())
def test_any_text_stays_on_one_line_without_raw_html(text: str) -> None:
    for code in (False, True):
        out = escape_md(text, code=code)
        assert "\n" not in out and "\r" not in out
        stripped = out.replace("\\<", "").replace("\\>", "")
        assert "<" not in stripped and ">" not in stripped


def test_an_image_digest_is_shown_by_its_first_twelve_digits() -> None:
    # opentelemetry-demo pins every stage by digest: six 64-digit digests made one build step unreadable
    digest = "d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43"
    assert escape_md(f"node:24.19.0-alpine@sha256:{digest}", code=True) == "`node:24.19.0-alpine@sha256:d32cdf619f63…`"
    assert escape_md("acme/app@sha256:0123", code=True) == "`acme/app@sha256:0123`"  # not a full digest: as written

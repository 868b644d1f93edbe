"""Markdown to HTML and to the text part."""

from __future__ import annotations

from newsletter.render.markdown import md_to_both


def test_text_rendering_of_paragraphs_links_and_lists() -> None:
    source = (
        "India and *Russia* signed [the agreement](https://www.indiawrites.org/a/) on Tuesday, after talks that "
        "lasted two days.\n\n- first point\n- second point\n\n1. one\n2. two\n\nLine one  \nLine two"
    )
    html, text = md_to_both(source, width=40)
    assert text == (
        "India and Russia signed the agreement\n"
        "(https://www.indiawrites.org/a/) on\n"
        "Tuesday, after talks that lasted two\n"
        "days.\n"
        "\n"
        "- first point\n"
        "- second point\n"
        "\n"
        "1. one\n"
        "2. two\n"
        "\n"
        "Line one\n"
        "Line two"
    )
    assert '<a href="https://www.indiawrites.org/a/">the agreement</a>' in html
    assert "<em>Russia</em>" in html


def test_raw_html_and_javascript_links_are_not_rendered() -> None:
    html, text = md_to_both("<script>alert(1)</script> [x](javascript:alert(1)) <b>bold</b>")
    assert html == ("<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) &lt;b&gt;bold&lt;/b&gt;</p>")
    assert text == "<script>alert(1)</script> [x](javascript:alert(1)) <b>bold</b>"


def test_a_link_whose_text_is_its_address_is_written_once() -> None:
    assert md_to_both("<https://www.indiawrites.org/>")[1] == "https://www.indiawrites.org/"

"""The render pipeline: what each stage must keep, escape and refuse."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import DATA, ROOT, SAMPLE_ISSUE
from golden_files import assert_golden
from newsletter.config import load_config
from newsletter.errors import RenderError
from newsletter.issue.load import load_issue
from newsletter.message.personalize import NAME, NAME_TEXT, UNSUBSCRIBE_URL
from newsletter.render.html import inline_css, mjml_to_html, render_issue


@pytest.fixture
def rendered():  # type: ignore[no-untyped-def]
    return render_issue(load_issue(SAMPLE_ISSUE), load_config(ROOT / "newsletter.toml"))


def test_html_structure(rendered) -> None:  # type: ignore[no-untyped-def]
    html = rendered.html
    assert html.startswith("<!doctype html>")
    assert re.search(r"<html[^>]* lang=\"en\"", html)
    assert len(re.findall(r"<h1[ >]", html)) == 1
    tables = re.findall(r"<table\b[^>]*>", html)
    assert tables and all('role="presentation"' in table for table in tables)
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert "@media only screen and (max-width: 479px)" in html
    # The preheader is present, hidden, and padded so the body does not leak into the inbox preview.
    assert "display:none" in html and "Russia seeks closer ties with Beijing" in html
    for placeholder in (NAME, UNSUBSCRIBE_URL):
        assert placeholder in html
    assert NAME_TEXT in rendered.text and UNSUBSCRIBE_URL in rendered.text
    # iOS Mail would scale the text down; Outlook.com's dark mode needs its own selectors.
    assert '<meta name="x-apple-disable-message-reformatting">' in html
    assert "[data-ogsc] .t-body p" in html and "[data-ogsb] .card" in html


def test_digest_layout(rendered) -> None:  # type: ignore[no-untyped-def]
    html = rendered.html
    # Four stories: the issue opens with their headlines.
    contents = html[html.index(">In this issue</h2>") : html.index("LEAD STORY") if "LEAD STORY" in html else None]
    assert contents.count("<li>") == 4
    # The lead is a card whose headline is the link, with the source line after it and a link saying where it goes.
    lead = "Putin to meet top aide to Chinese president"
    headline = html.index(f'text-decoration:none;">{lead}</a></h3>')
    assert html.index("India Writes Network</div>", headline) > headline
    assert ">Read the full story at indiawrites.org</a>" in html
    assert "Read more" not in html and "Read more" not in rendered.text
    # The three briefs share one block; each headline is its link, and no brief has a second one.
    briefs = re.findall(r'<div class="brief".*?</h3>', html, re.DOTALL)
    assert len(briefs) == 3
    for url in ("https://www.indiawrites.org/about/", "https://www.indiawrites.org/diplomacy/"):
        assert html.count(f'href="{url}"') == 1
    # The sign-off is a block of its own after the last section, outside every card.
    signoff = html.index("Thank you for reading.")
    block = html.rfind('<div class="signoff"', 0, signoff)
    assert block > html.rindex('class="brief"') and html.rfind('class="card"', block, signoff) == -1


def test_text_part_follows_the_layout(rendered) -> None:  # type: ignore[no-untyped-def]
    text = rendered.text
    assert text.index("IN THIS ISSUE") < text.index("LEAD STORY") < text.index("ABOUT INDIA WRITES NETWORK")
    assert "\n* Connecting India and the World\n  indiawrites.org\n  Why the portal was founded" in text
    assert "Read the full story at indiawrites.org:\nhttps://www.indiawrites.org/diplomacy/" in text
    assert "\n-- \n" in text
    assert [line for line in text.splitlines() if len(line) >= 78 and not line.startswith("https://")] == []


def test_web_copy_has_no_view_in_browser_line() -> None:
    config = load_config(ROOT / "newsletter.toml")
    web = render_issue(load_issue(SAMPLE_ISSUE), config, web_copy=True)
    assert "in your browser" not in web.html and "in your browser" not in web.text
    assert "in your browser" in render_issue(load_issue(SAMPLE_ISSUE), config).html


def test_every_image_has_alt_a_width_and_its_own_height(rendered) -> None:  # type: ignore[no-untyped-def]
    # A height attribute or an inline pixel height stretches the image wherever the <style> block is dropped, and
    # holds an empty box of that size when images are off: the width alone, and height:auto inline.
    images = re.findall(r"<img\b[^>]*>", rendered.html)
    assert len(images) == 1
    for image in images:
        assert re.search(r'alt="[^"]+"', image)
        assert 'width="600"' in image and "height=" not in image
        style = re.search(r'style="([^"]*)"', image)
        assert style is not None
        assert "height:auto" in style.group(1) and "max-width:600px" in style.group(1)
        assert not re.search(r"(?<![-\w])height:\s*\d", style.group(1))


def test_every_mjml_padding_has_a_unit(rendered) -> None:  # type: ignore[no-untyped-def]
    paddings = re.findall(r'padding="([^"]*)"', rendered.mjml)
    assert paddings
    for value in paddings:
        for part in value.split():
            assert re.fullmatch(r"\d+(?:\.\d+)?(?:px|%)", part), f"padding {value!r} needs a unit on {part!r}"


def test_summary_html_is_escaped(tmp_path: Path) -> None:
    source = SAMPLE_ISSUE.read_text(encoding="utf-8").replace(
        "India Writes Network is a think tank", "<script>alert('x')</script> India Writes Network is a think tank"
    )
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(source, encoding="utf-8")
    rendered = render_issue(load_issue(path), load_config(ROOT / "newsletter.toml"))
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert('x')&lt;/script&gt; India Writes Network" in rendered.html
    assert "<script>alert('x')</script> India Writes Network" in rendered.text


def test_title_markup_is_escaped(tmp_path: Path) -> None:
    source = SAMPLE_ISSUE.read_text(encoding="utf-8").replace(
        'title: "International affairs and the India Story"', 'title: "Trade & <b>tariffs</b>"'
    )
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(source, encoding="utf-8")
    rendered = render_issue(load_issue(path), load_config(ROOT / "newsletter.toml"))
    assert "Trade &amp; &lt;b&gt;tariffs&lt;/b&gt;" in rendered.html


def _publication_with_template(tmp_path: Path, name: str, text: str) -> Path:
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "templates" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    root = _publication_with_template(tmp_path, "profile.mjml.j2", "<p>line one</p>\n<p>{{ publisher.motto }}</p>\n")
    with pytest.raises(RenderError) as caught:
        render_issue(load_issue(SAMPLE_ISSUE), load_config(root / "newsletter.toml"))
    message = str(caught.value)
    assert message.startswith(str(root / "templates" / "profile.mjml.j2") + ":2: ")
    assert "'publisher' is undefined" in message
    assert message.endswith("fix the template or the issue's data.")


def test_jinja_syntax_error_names_template_and_line(tmp_path: Path) -> None:
    root = _publication_with_template(tmp_path, "profile.txt.j2", "ok\n{% if %}\n")
    with pytest.raises(RenderError) as caught:
        render_issue(load_issue(SAMPLE_ISSUE), load_config(root / "newsletter.toml"))
    assert str(caught.value) == (
        f"{root / 'templates' / 'profile.txt.j2'}:2: Expected an expression, got 'end of statement block': "
        "fix the template there."
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-text>Hi\n</mj-column>\n</mj-section></mj-body></mjml>",
            "issue.mjml.j2: MJML error at line 6 of the generated MJML: </mj-column> found where <mj-text> "
            "(opened at line 5) must be closed: fix the template.",
        ),
        (
            "<mjml>\n<mj-body>\n<mj-section>\n<mj-colum>\n</mj-colum></mj-section></mj-body></mjml>",
            "issue.mjml.j2: MJML error at line 4 of the generated MJML: <mj-colum> is not an MJML tag: fix the template.",
        ),
        (
            "<mjml>\n<mj-body>\n<mj-section>\n",
            "issue.mjml.j2: MJML error at line 3 of the generated MJML: <mj-section> is never closed: fix the template.",
        ),
        (
            "<mjml><mj-body><mj-section <<< ></mj-section></mj-body></mjml>",
            "issue.mjml.j2: MJML error (unable to parse next template in root template): fix the template there.",
        ),
    ],
)
def test_mjml_errors_name_template_and_line(source: str, message: str) -> None:
    with pytest.raises(RenderError) as caught:
        mjml_to_html(source, "issue.mjml.j2")
    assert str(caught.value) == message


def test_inline_css_inlines_marked_css_and_keeps_the_rest() -> None:
    html = (
        "<!doctype html><html><head>"
        '<link href="https://fonts.googleapis.com/css?family=Merriweather" rel="stylesheet" type="text/css">'
        "<style>/* inline */ p { color: #123456; }</style>"
        "<style>body { margin: 0; } @media (prefers-color-scheme: dark) { p { color: #fff !important; } }</style>"
        "</head><body><p>Hello</p></body></html>"
    )
    out = inline_css(html)  # no network here: premailer must not try to download the font stylesheet
    assert out.startswith("<!doctype html>")
    assert '<p style="color:#123456">Hello</p>' in out
    assert (
        "<style>body { margin: 0; } @media (prefers-color-scheme: dark) { p { color: #fff !important; } }</style>"
        in out
    )
    assert "/* inline */" not in out and "data-premailer" not in out
    assert "<body>" in out  # the kept block was not inlined
    assert 'href="https://fonts.googleapis.com/css?family=Merriweather"' in out


def test_content_hash_changes_with_content(tmp_path: Path) -> None:
    config = load_config(ROOT / "newsletter.toml")
    first = render_issue(load_issue(SAMPLE_ISSUE), config)
    assert render_issue(load_issue(SAMPLE_ISSUE), config).content_hash == first.content_hash
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(SAMPLE_ISSUE.read_text(encoding="utf-8").replace("looking east", "looking East"), encoding="utf-8")
    assert render_issue(load_issue(path), config).content_hash != first.content_hash


def test_a_25_story_digest_stays_far_from_gmail_clipping() -> None:
    # One lead card and four sections of six briefs: under 60 KB, so Gmail (which clips at 102 KB) shows it whole.
    rendered = render_issue(load_issue(DATA / "issues" / "2015-03-23.yaml"), load_config(ROOT / "newsletter.toml"))
    assert len(load_issue(DATA / "issues" / "2015-03-23.yaml").articles) == 25
    assert len(rendered.html.encode("utf-8")) < 60 * 1024
    assert rendered.html.count('class="brief"') == 24
    assert_golden("2015-03-23.txt", rendered.text.encode("utf-8"))

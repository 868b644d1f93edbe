"""Reading article metadata from pages and saved text: pure functions, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.desk.articles import (
    ArticleDraft,
    escape_markdown,
    parse_html_page,
    parse_text_article,
    read_article,
    split_sentences,
    trim_summary,
)
from newsletter.desk.fetch import MAX_BYTES, decode_html
from newsletter.errors import FetchError

PAGES = Path(__file__).resolve().parent / "data" / "pages"
PAGE_URL = "https://www.indiawrites.org/diplomacy/putin/"
SEED_TITLE = "Putin to meet top aide to Chinese president"
SEED_FIRST_SENTENCE = (
    "Russian President Vladimir Putin will meet a close aide to Chinese President Xi Jinping on March 19, in Moscow, "
    "the Kremlin said, underlining Russia’s increased effort to establish closer ties with Beijing in the face of "
    "souring relations with the West."
)

# One value per field per source, so each test can see exactly which source won.
OPENGRAPH = """
<meta property="og:title" content="OG title">
<meta property="og:description" content="OG description.">
<meta property="og:image" content="/og.jpg">
<meta property="og:image:alt" content="OG alt">
<meta property="og:site_name" content="OG site">
<meta property="article:author" content="OG Author">
"""
TWITTER = """
<meta name="twitter:title" content="Twitter title">
<meta name="twitter:description" content="Twitter description.">
<meta name="twitter:image" content="/twitter.jpg">
<meta name="twitter:image:alt" content="Twitter alt">
<meta name="twitter:creator" content="@handle">
<meta name="twitter:site" content="@site">
"""
JSONLD = """
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "LD title", "description": "LD description.",
 "image": {"@type": "ImageObject", "url": "/ld.jpg", "caption": "LD alt"},
 "author": {"@type": "Person", "name": "LD Author"}, "publisher": {"@type": "Organization", "name": "LD site"}}
</script>
"""
PLAIN = """
<title>Plain title</title>
<meta name="description" content="Plain description.">
<meta name="author" content="Plain Author">
<link rel="image_src" href="/plain.jpg">
"""
BODY = "<body><p>The first paragraph of the article has more than six words in it.</p></body>"


def page(*heads: str, body: str = BODY) -> str:
    return f"<!DOCTYPE html><html><head>{''.join(heads)}</head>{body}</html>"


def fields(draft: ArticleDraft) -> tuple[str, str, str, str, str, str]:
    return draft.title, draft.summary, draft.image, draft.image_alt, draft.author, draft.source


def test_opengraph_is_trusted_first() -> None:
    draft = parse_html_page(page(PLAIN, JSONLD, TWITTER, OPENGRAPH), PAGE_URL)
    assert fields(draft) == (
        "OG title",
        "OG description.",
        "https://www.indiawrites.org/og.jpg",
        "OG alt",
        "OG Author",
        "OG site",
    )


def test_twitter_card_comes_second_and_handles_are_not_bylines() -> None:
    draft = parse_html_page(page(PLAIN, JSONLD, TWITTER), PAGE_URL)
    assert fields(draft) == (
        "Twitter title",
        "Twitter description.",
        "https://www.indiawrites.org/twitter.jpg",
        "Twitter alt",
        "LD Author",
        "LD site",
    )


def test_jsonld_comes_third() -> None:
    draft = parse_html_page(page(PLAIN, JSONLD), PAGE_URL)
    assert fields(draft) == (
        "LD title",
        "LD description.",
        "https://www.indiawrites.org/ld.jpg",
        "LD alt",
        "LD Author",
        "LD site",
    )


def test_plain_html_comes_last() -> None:
    draft = parse_html_page(page(PLAIN), PAGE_URL)
    assert fields(draft) == (
        "Plain title",
        "Plain description.",
        "https://www.indiawrites.org/plain.jpg",
        "",
        "Plain Author",
        "indiawrites.org",
    )
    assert draft.notes == ("no site name on the page: used its host 'indiawrites.org' as the source",)


def test_first_paragraph_is_the_summary_when_nothing_describes_the_page() -> None:
    draft = parse_html_page(page("<title>Plain title</title>"), PAGE_URL)
    assert draft.summary == "The first paragraph of the article has more than six words in it."


def test_alt_text_of_one_image_is_never_given_to_another() -> None:
    # The OpenGraph image has no alt; the Twitter alt describes the Twitter image, not this one.
    og_image_only = '<meta property="og:image" content="https://cdn.example.org/a.jpg">'
    draft = parse_html_page(page(og_image_only, TWITTER), PAGE_URL)
    assert (draft.image, draft.image_alt) == ("https://cdn.example.org/a.jpg", "")
    same_image = (
        '<meta name="twitter:image" content="https://cdn.example.org/a.jpg"><meta name="twitter:image:alt" content="A">'
    )
    draft = parse_html_page(page(og_image_only, same_image), PAGE_URL)
    assert (draft.image, draft.image_alt) == ("https://cdn.example.org/a.jpg", "A")


def test_relative_images_resolve_against_the_page_or_its_base() -> None:
    image = '<meta property="og:image" content="../img/a.jpg">'
    assert parse_html_page(page(image), PAGE_URL).image == "https://www.indiawrites.org/diplomacy/img/a.jpg"
    base = '<base href="https://static.indiawrites.org/2015/">'
    assert parse_html_page(page(image, base), PAGE_URL).image == "https://static.indiawrites.org/img/a.jpg"
    protocol_relative = '<meta property="og:image" content="//cdn.indiawrites.org/a.jpg">'
    assert parse_html_page(page(protocol_relative), PAGE_URL).image == "https://cdn.indiawrites.org/a.jpg"


def test_a_relative_image_in_a_file_without_address_is_reported() -> None:
    draft = parse_html_page(page('<meta property="og:image" content="img/a.jpg"><title>T</title>'), "")
    assert draft.image == ""
    assert draft.notes == (
        "the page names the image 'img/a.jpg' without its address: pass --url with the page's address",
    )


def test_non_http_images_are_dropped() -> None:
    data = '<meta property="og:image" content="data:image/png;base64,iVBORw0KGgo=">'
    assert parse_html_page(page(data, PLAIN), PAGE_URL).image == "https://www.indiawrites.org/plain.jpg"


def test_canonical_address_is_used_on_the_same_site_only() -> None:
    same = '<link rel="canonical" href="https://indiawrites.org/diplomacy/putin-canonical/">'
    assert parse_html_page(page(same, PLAIN), PAGE_URL).url == "https://indiawrites.org/diplomacy/putin-canonical/"
    other = '<link rel="canonical" href="https://aggregator.example.com/copied/">'
    assert parse_html_page(page(other, PLAIN), PAGE_URL).url == PAGE_URL


def test_site_name_is_stripped_from_titles() -> None:
    head = '<title>Headline here | India Writes Network</title><meta property="og:site_name" content="India Writes Network">'
    assert parse_html_page(page(head), PAGE_URL).title == "Headline here"
    h1_body = "<body><h1>Headline here</h1><p>Six words at least in this one.</p></body>"
    draft = parse_html_page(page("<title>Headline here – Some Site</title>"), PAGE_URL)
    assert (draft.title, draft.source) == ("Headline here – Some Site", "indiawrites.org")
    draft = parse_html_page(page("<title>Headline here – Some Site</title>", body=h1_body), PAGE_URL)
    assert (draft.title, draft.source) == ("Headline here", "Some Site")


def test_jsonld_graph_with_references_and_several_authors() -> None:
    script = """<script type="application/ld+json">{"@graph": [
      {"@type": "WebPage", "@id": "#page", "name": "Not the article"},
      {"@type": ["Article"], "headline": "The headline", "author": [{"@id": "#a"}, {"@id": "#b"}, "C. Writer"],
       "publisher": {"@id": "#org"}, "image": ["https://x.org/1.jpg", "https://x.org/2.jpg"]},
      {"@type": "Person", "@id": "#a", "name": "A. Writer"}, {"@type": "Person", "@id": "#b", "name": "B. Writer"},
      {"@type": "Organization", "@id": "#org", "name": "The Site"}]}</script>
      <script type="application/ld+json">{not json</script>"""
    draft = parse_html_page(page(script), PAGE_URL)
    assert (draft.title, draft.author, draft.source, draft.image) == (
        "The headline",
        "A. Writer, B. Writer and C. Writer",
        "The Site",
        "https://x.org/1.jpg",
    )


def test_jsonld_values_of_the_wrong_kind_are_ignored() -> None:
    script = """<script type="application/ld+json">{"@type": "NewsArticle", "url": {"@id": "https://x.org/"},
      "headline": ["a", "list"], "description": {"a": 1}, "author": 7, "image": {"url": 3}}</script>"""
    draft = parse_html_page(page(script, "<title>Plain title</title>"), PAGE_URL)
    assert fields(draft) == (
        "Plain title",
        "The first paragraph of the article has more than six words in it.",
        "",
        "",
        "",
        "indiawrites.org",
    )
    assert draft.url == PAGE_URL


@pytest.mark.parametrize(
    "ld",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than json.loads recurses: RecursionError, not ValueError
        '{"@type": "NewsArticle", "headline": "LD title", "author": ' + "[" * 900 + '"A"' + "]" * 900 + "}",
        '{"@type": "NewsArticle", "headline": "LD title", "about": ' + "[" * 900 + "1" + "]" * 900 + "}",
        '{"@graph": ' * 900 + '{"@type": "NewsArticle", "headline": "LD title"}' + "}" * 900,
        '{"@type": "NewsArticle", "headline": "LD title", "publisher": {"name": ["x"]}, '
        '"image": {"url": "/ld.jpg", "caption": {"@value": "x"}}, "author": {"@id": ["x"]}}',
    ],
)
def test_hostile_jsonld_is_passed_over(ld: str) -> None:
    """Deep nesting made `add` end in RecursionError; values of the wrong kind must not turn into text."""
    script = f'<script type="application/ld+json">{ld}</script>'
    draft = parse_html_page(page(script, "<title>Plain title</title>"), PAGE_URL)
    assert draft.summary == "The first paragraph of the article has more than six words in it."
    assert draft.author == ""
    assert draft.source == "indiawrites.org"
    assert draft.image_alt == ""


@pytest.mark.parametrize(
    "tail",
    [
        # Unterminated at the very end: html.parser rescans it from every '<' (CVE-2025-6069); 35 s for this.
        "<p>" + "<a " * 20_000,
        # '<![' before junk: AssertionError from _markupbase, here with the rest of the page after it.
        "<![<p>Too late to be read: the parser gave up at the '<![' before it.</p></html>",
    ],
)
def test_markup_that_breaks_html_parser_is_cut_or_survived(tail: str) -> None:
    draft = parse_html_page(page("<title>Plain title</title>") + tail, PAGE_URL)
    assert (draft.title, draft.summary) == (
        "Plain title",
        "The first paragraph of the article has more than six words in it.",
    )


def test_page_text_passes_the_boundary_and_bad_addresses_are_dropped() -> None:
    """A page's title can carry terminal escapes, NUL, bidi overrides and line separators; they would reach the
    YAML, the terminal and readers' mail. Addresses with spaces, control characters or a broken host are not used."""
    head = (
        '<meta property="og:title" content="Putin\x1b[2J to meet\u2028top aide\u202e\x00 to Chinese president">'
        '<meta property="og:site_name" content="India&#x202E; Writes\x07">'
        '<meta name="author" content="A.&#0; Writer">'
        '<meta property="og:image" content="/img/a b.jpg">'
        '<meta name="twitter:image" content="http://www.indiawrites.org:99999/x.jpg">'
        '<link rel="image_src" href="http://[www.indiawrites.org/y.jpg">'
        '<base href="http://[broken/">'
    )
    draft = parse_html_page(page(head), PAGE_URL)
    assert fields(draft) == (
        "Putin [2J to meet top aide to Chinese president",
        "The first paragraph of the article has more than six words in it.",
        "",
        "",
        "A.\ufffd Writer",
        "India Writes",
    )


def test_author_profile_urls_are_not_bylines() -> None:
    head = (
        '<meta property="article:author" content="https://facebook.com/someone"><meta name="author" content="R. Name">'
    )
    assert parse_html_page(page(head, PLAIN), PAGE_URL).author == "R. Name"


def test_menus_and_footers_are_not_the_first_paragraph() -> None:
    body = (
        "<body><nav><p>Home, World, Diplomacy, Economy, Opinion and more sections</p></nav>"
        "<p>Short one.</p><article><p>The article itself starts with this sentence here.</p></article>"
        "<footer><p>Copyright and all the rights reserved by the publisher.</p></footer></body>"
    )
    assert parse_html_page(page("<title>T</title>", body=body), PAGE_URL).summary == (
        "The article itself starts with this sentence here."
    )


def test_seed_article_text_file() -> None:
    text = (PAGES / "seed-article.txt").read_text(encoding="utf-8")
    draft = parse_text_article(text)
    assert draft == ArticleDraft(
        title=SEED_TITLE,
        url="",
        summary=SEED_FIRST_SENTENCE,
        author="India Writes Network",
        notes=("the text names the image 'china_russia_economy_ap_img_0': put that image's address in 'image'",),
    )
    assert "china_russia" not in draft.summary


def test_text_file_with_crlf_bom_and_no_profile() -> None:
    text = "\ufeffA title\r\n\r\nFirst sentence of the text. Second sentence of the text.\r\n"
    draft = parse_text_article(text, "https://example.org/a")
    assert draft == ArticleDraft(
        title="A title",
        url="https://example.org/a",
        summary="First sentence of the text. Second sentence of the text.",
    )


def test_sentences_keep_abbreviations_and_initials() -> None:
    text = "Mr. Putin met Mr. Xi in the U.S. on Monday. He said “yes.” Then J. Smith left! Did he? Yes"
    assert split_sentences(text) == [
        "Mr. Putin met Mr. Xi in the U.S. on Monday.",
        "He said “yes.”",
        "Then J. Smith left!",
        "Did he?",
        "Yes",
    ]


def test_summary_is_whole_sentences_up_to_sixty_words() -> None:
    sentence = "Word " + " ".join(["word"] * 24) + "."
    assert trim_summary(f"{sentence} {sentence} {sentence}") == f"{sentence} {sentence}"
    long_sentence = " ".join(f"w{i}" for i in range(100)) + "."
    assert trim_summary(long_sentence) == " ".join(f"w{i}" for i in range(60)) + " …"
    assert trim_summary("") == ""


def test_markdown_is_escaped() -> None:
    assert escape_markdown("1. a *b* snake_case _e_ [x](y) <b> &amp; AT&T `c` \\") == (
        "1\\. a \\*b\\* snake_case \\_e\\_ \\[x\\](y) \\<b> \\&amp; AT&T \\`c\\` \\\\"
    )
    assert [escape_markdown(t) for t in ("> q", "- x", "# h", "#tag", "-5%")] == [
        "\\> q",
        "\\- x",
        "\\# h",
        "#tag",
        "-5%",
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("Russia’s".encode("cp1252"), "text/html; charset=windows-1252", "Russia’s"),
        ("Russia’s".encode("cp1252"), "text/html; charset=ISO-8859-1", "Russia’s"),  # browsers read it as cp1252
        (b'<meta charset="windows-1252">' + "’".encode("cp1252"), "text/html", '<meta charset="windows-1252">’'),
        (b"\xef\xbb\xbfRussia\xe2\x80\x99s", "", "Russia’s"),
        ("Russia’s".encode(), "text/html; charset=no-such-charset", "Russia’s"),
        (b"bad \xff byte", "", "bad \ufffd byte"),
        # Codecs no browser reads a page with: idna and undefined raised UnicodeError whatever `errors` said.
        (b"a" * 70 + b".\xff", "text/html; charset=idna", "a" * 70 + ".\ufffd"),
        (b"a\xff", "text/html; charset=undefined", "a\ufffd"),
        (b"\\x3cscript", "text/html; charset=unicode_escape", "\\x3cscript"),
        (b"+ADw-script", "text/html; charset=UTF-7", "+ADw-script"),
        (b"a\xff", "text/html; charset=rot13", "a\ufffd"),
    ],
)
def test_decode_html(body: bytes, content_type: str, expected: str) -> None:
    assert decode_html(body, content_type) == expected


def test_saved_files(tmp_path: Path) -> None:
    draft = read_article(str(PAGES / "jsonld-graph.html"), url="https://www.indiawrites.org/diplomacy/putin/")
    assert fields(draft) == (
        SEED_TITLE,
        SEED_FIRST_SENTENCE,
        "https://www.indiawrites.org/diplomacy/img/china_russia_economy_ap_img_0.jpg",
        "Vladimir Putin and Xi Jinping (AP photograph)",
        "India Writes Network",
        "India Writes Network",
    )
    assert draft.url == "https://www.indiawrites.org/diplomacy/putin/"
    assert read_article(str(PAGES / "windows-1252.html")).title == "Russia’s turn to the east"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", b"%PDF", "{path}: not a web address or a .html, .htm or .txt file: give an https:// URL or a saved page."),
        ("missing.html", None, "{path}: cannot read the file (No such file or directory)."),
        ("latin.txt", "Título\n\nTexto.".encode("latin-1"), "{path}: the file is not UTF-8 text: save it as UTF-8 and add it again."),
        ("empty.txt", b"", "{path}: found no title in it (is it the article itself, not a log-in or cookie page?)."),
    ],
)  # fmt: skip
def test_unreadable_sources(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FetchError) as caught:
        read_article(str(path))
    assert str(caught.value) == message.format(path=path)


def test_a_saved_page_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<title>x</title>" + b" " * MAX_BYTES)
    with pytest.raises(FetchError) as caught:
        read_article(str(path))
    assert str(caught.value) == (
        f"{path}: the file is larger than 5 MB, which no article page is: check that it is the article's saved page."
    )


def test_the_address_given_for_a_saved_file_must_be_a_web_address() -> None:
    with pytest.raises(FetchError) as caught:
        read_article(str(PAGES / "seed-article.txt"), url="www.indiawrites.org/putin")
    assert (
        str(caught.value)
        == "--url 'www.indiawrites.org/putin' is not a web address: give the article's full https:// address."
    )


def test_other_schemes_are_refused_before_any_request() -> None:
    def no_fetch(url: str) -> None:
        raise AssertionError("must not fetch")

    with pytest.raises(FetchError) as caught:
        read_article("ftp://example.org/a.html", fetch=no_fetch)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "'ftp://example.org/a.html' is not a web address: give an http:// or https:// URL, or a saved .html/.txt file."
    )

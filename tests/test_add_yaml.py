"""Appending an article to issue YAML: everything the editor wrote stays byte for byte; only the article is new."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from newsletter.errors import IssueError
from newsletter.issue.edit import add_article, insert_article, strip_tracking, wrap_markdown
from newsletter.issue.model import ArticleDraft, normalise_url
from newsletter.issue.yamltext import MAX_ISSUE_BYTES

DRAFT = ArticleDraft(
    title="New: an article",
    url="https://example.org/new/?utm_source=x&id=7",
    summary="One sentence from the article.",
    image="https://example.org/new.jpg",
    image_alt="A photograph",
    author="A. Writer",
    source="Example",
)
PLAIN_ARTICLE = """\
    -   title: 'New: an article'
        url: https://example.org/new/?id=7
        summary: One sentence from the article.
        image: https://example.org/new.jpg
        image_alt: A photograph
        author: A. Writer
        source: Example
"""

# Four-space mappings, dashes flush with their key, plain scalars, comments everywhere.
PLAIN_ISSUE = """\
subject: Plain style   # no quotes anywhere
number: 2
date: 2015-03-23
preheader: x
intro: >
    Folded intro
    here.
sections:
-   heading: World
    articles:
    -   title: First
        url: http://Example.org/first/
        summary: One sentence.
    # comment after the last article of World
-   heading: Empty
    articles: []
# comment before sign_off
sign_off: bye
"""


def test_plain_style_is_kept_and_the_comment_after_the_last_article_stays_after_the_new_one() -> None:
    edit = insert_article(PLAIN_ISSUE, DRAFT, None, "plain.yaml")
    head, tail = PLAIN_ISSUE.split("    # comment after")
    assert edit.text == head + PLAIN_ARTICLE + "    # comment after" + tail
    assert (edit.section, edit.created_section, edit.line, edit.exact) == ("World", False, 14, True)


def test_an_empty_flow_list_becomes_a_block_list() -> None:
    edit = insert_article(PLAIN_ISSUE, DRAFT, "empty", "plain.yaml")
    assert edit.text == PLAIN_ISSUE.replace("    articles: []\n", "    articles:\n" + PLAIN_ARTICLE)
    assert (edit.section, edit.created_section, edit.line) == ("Empty", False, 17)


def test_a_new_section_goes_last_after_a_blank_line() -> None:
    edit = insert_article(PLAIN_ISSUE, DRAFT, "Opinion", "plain.yaml")
    new_section = "\n-   heading: Opinion\n    articles:\n" + PLAIN_ARTICLE
    assert edit.text == PLAIN_ISSUE.replace("# comment before", new_section + "# comment before")
    assert (edit.section, edit.created_section, edit.line) == ("Opinion", True, 20)


def test_quotes_follow_the_files_own_and_long_summaries_wrap_in_a_literal_block() -> None:
    text = (
        "sections:\n"
        "  - heading: 'One'\n"
        "    articles:\n"
        "      - title: 'First'  # end-of-line comment kept on its line\n"
        "        url: 'https://example.org/1'\n"
        "        summary: |\n"
        "          Short.\n"
        "\n"
        "sign_off: 'x'\n"
    )
    summary = "- starts like a list item, " + "and goes on for a long while " * 4 + "- 1. # > all at line starts"
    draft = ArticleDraft(title="T", url="https://example.org/2", summary=summary)
    edit = insert_article(text, draft, None, "q.yaml")
    assert edit.text == text.replace(
        "          Short.\n",
        "          Short.\n"
        "      - title: 'T'\n"
        "        url: 'https://example.org/2'\n"
        "        summary: |\n"
        "          - starts like a list item, and goes on for a long while and goes on for a long while and\n"
        "          goes on for a long while and goes on for a long while - 1. # > all at line starts\n"
        "        image: '' # not found: add the image's https:// address, or remove this line\n"
        "        image_alt: '' # not found: describe the image for readers who cannot see it\n"
        "        author: '' # not found: add the byline, or remove this line\n"
        "        source: '' # not found: add the publication's name, or remove this line\n",
    )


def test_windows_line_ends_and_bom_are_kept() -> None:
    text = "\ufeff" + PLAIN_ISSUE.replace("\n", "\r\n")
    edit = insert_article(text, DRAFT, None, "crlf.yaml")
    expected = insert_article(PLAIN_ISSUE, DRAFT, None, "crlf.yaml").text
    assert edit.text == "\ufeff" + expected.replace("\n", "\r\n")


def test_mixed_indentation_is_reported() -> None:
    text = "sections:\n  - heading: A\n    articles:\n    - title: x\n      url: https://e.org/x\n      summary: s\n"
    edit = insert_article(text, DRAFT, None, "mixed.yaml")
    assert not edit.exact
    assert "title: 'New: an article'" in edit.text


@pytest.mark.parametrize("text", ["subject: x\n", "subject: x\nsections:\n"])
def test_sections_are_created_when_the_key_is_missing_or_empty(text: str) -> None:
    edit = insert_article(text, DRAFT, "World", "s.yaml")
    assert edit.text == (
        "subject: x\n"
        "sections:\n"
        "- heading: World\n"
        "  articles:\n"
        "  - title: 'New: an article'\n"
        "    url: https://example.org/new/?id=7\n"
        "    summary: |\n"
        "      One sentence from the article.\n"
        "    image: https://example.org/new.jpg\n"
        "    image_alt: A photograph\n"
        "    author: A. Writer\n"
        "    source: Example\n"
    )
    assert (edit.created_section, edit.line) == (True, 5)


@pytest.mark.parametrize(
    ("text", "section", "message"),
    [
        ("- a\n- b\n", None, "i.yaml:1:1: the issue must be a mapping of keys (subject, date, sections, ...)."),
        ("sections: nope\n", None, "i.yaml:1:11: 'sections' must be a list of sections to add to."),
        ("subject: x\nsections: []\n", None, "i.yaml: the issue has no sections yet: pass --section NAME to create one."),
        ("a: [\n", None, "i.yaml:2:1: invalid YAML (expected the node content, but found '<stream end>'): fix the syntax at this place."),
        (
            "x: &a {title: T}\nsections:\n- heading: World\n  articles: [*a, *a]\n", None,
            "i.yaml:4:14: '*a' is a YAML alias, which an issue file never needs (aliases can make a small file expand "
            "without end): write the value out in full.",
        ),
        (
            "sections:\n- heading: " + "[" * 600 + "]" * 600 + "\n", None,
            "i.yaml:2:19: the YAML is nested more than 10 levels deep, and an issue needs five (sections, a section, "
            "articles, an article): remove the extra nesting.",
        ),
        ("sections: []\n" + "#" * MAX_ISSUE_BYTES, None,
         "i.yaml: the file is larger than 1 MB, and an issue is a few kilobytes: check that this is the issue file."),
        (
            PLAIN_ISSUE, None,
            "i.yaml:12:14: https://EXAMPLE.org/first?utm_medium=mail is already in this issue (section 'World'): "
            "nothing was added.",
        ),
    ],
)  # fmt: skip
def test_refusals(text: str, section: str | None, message: str) -> None:
    draft = DRAFT
    if "already" in message:
        draft = ArticleDraft(title="x", url="https://EXAMPLE.org/first?utm_medium=mail")
    with pytest.raises(IssueError) as caught:
        insert_article(text, draft, section, "i.yaml")
    assert caught.value.problems == [message]


def test_normalise_url() -> None:
    same = [
        "https://www.IndiaWrites.org/a/b/?utm_source=x&id=1#top",
        "http://www.indiawrites.org:80/a/b?id=1",
        "HTTPS://www.indiawrites.org:443/a/b?id=1&utm_campaign=y",
    ]
    assert {normalise_url(url) for url in same} == {"http://www.indiawrites.org/a/b?id=1"}
    assert normalise_url("https://www.indiawrites.org/a/B") != normalise_url("https://www.indiawrites.org/a/b")
    assert normalise_url("https://indiawrites.org:8443/a") == "http://indiawrites.org:8443/a"
    assert strip_tracking("https://e.org/a?utm_source=x&id=1&utm_medium=y#f") == "https://e.org/a?id=1#f"
    assert strip_tracking("https://e.org/a?b=%20c") == "https://e.org/a?b=%20c"


def test_wrap_never_starts_a_line_with_a_block_marker() -> None:
    words = ("alpha " * 17 + "- beta 1. gamma # delta > epsilon * zeta 2) eta + theta ") * 3
    wrapped = wrap_markdown(words, width=40)
    lines = wrapped.splitlines()
    assert " ".join(lines) == " ".join(words.split())
    assert all(line.split()[0] not in {"-", "1.", "#", ">", "*", "2)", "+"} for line in lines)
    assert all(len(line) <= 40 or line.split()[-1] in {"-", "1.", "#", ">", "*", "2)", "+"} for line in lines)


def test_adds_at_the_same_time_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "issue.yaml"
    path.write_text(PLAIN_ISSUE, encoding="utf-8")
    drafts = [ArticleDraft(title=f"Article {n}", url=f"https://example.org/{n}", summary="S.") for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        edits = list(pool.map(lambda draft: add_article(path, draft), drafts))
    assert len(edits) == 6
    text = path.read_text(encoding="utf-8")
    assert sorted(line.strip() for line in text.splitlines() if "title: Article" in line) == [
        f"-   title: Article {n}" for n in range(6)
    ]
    assert sorted(edit.line for edit in edits) == [14, 21, 28, 35, 42, 49]

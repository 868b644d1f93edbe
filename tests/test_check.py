"""`newsletter check`: each lint rule fires on the mistake it is for, with the exact message, and not otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ONE_CLICK_MESSAGE, ONE_CLICK_WARNING, SAMPLE_ISSUE
from newsletter.cli import cli

ARTICLE = """
      - title: "Article {n}"
        url: "https://www.indiawrites.org/article-{n}/"
        summary: |
          {summary}
        image: "https://www.indiawrites.org/img/{n}.jpg"
        image_alt: "Photograph {n}"
"""


def _run(publication: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def _edit(publication: Path, old: str, new: str) -> str:
    path = publication / "issues" / "2015-03-16.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return "issues/2015-03-16.yaml"


def test_sample_passes(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _run(publication, monkeypatch, "issues/2015-03-16.yaml")
    assert (code, out, err) == (0, f"{ONE_CLICK_WARNING}\nissues/2015-03-16.yaml: 0 error(s), 1 warning(s).\n", "")


@pytest.mark.parametrize(
    ("old", "new"),
    [("# base_url = ", "base_url = "), ('url = ""', 'url = "https://www.indiawrites.org/newsletter/unsubscribe"')],
    ids=["web base_url", "deprecated [unsubscribe] url"],
)
def test_no_warning_once_readers_have_one_click(
    publication: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    settings = publication / "newsletter.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    code, out, err = _run(publication, monkeypatch, "issues/2015-03-16.yaml")
    assert (code, out, err) == (0, "issues/2015-03-16.yaml: 0 error(s), 0 warning(s).\n", "")


def test_json_report(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _edit(publication, 'subject: "Putin to meet top aide to Chinese president"', 'subject: "Putin"')
    code, out, _ = _run(publication, monkeypatch, path, "--json")
    assert code == 1
    assert json.loads(out) == {
        "ok": False,
        "errors": 1,
        "warnings": 1,
        "findings": [
            {
                "severity": "error",
                "code": "subject-length",
                "message": "the subject is 5 characters: keep it between 10 and 78 so inboxes show it whole.",
                "location": "issues/2015-03-16.yaml:6:10",
            },
            {"severity": "warning", "code": "one-click", "message": ONE_CLICK_MESSAGE, "location": "newsletter.toml"},
        ],
    }


def test_json_report_of_an_invalid_file(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _edit(publication, "number: 1", "number: one")
    code, out, _ = _run(publication, monkeypatch, path, "--json")
    assert code == 1
    assert json.loads(out)["findings"] == [
        {
            "severity": "error",
            "code": "invalid",
            "message": "'number' must be a whole number, not 'one'.",
            "location": "issues/2015-03-16.yaml:7:9",
        },
        {"severity": "warning", "code": "one-click", "message": ONE_CLICK_MESSAGE, "location": "newsletter.toml"},
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'preheader: "Russia seeks closer ties with Beijing: Vladimir Putin meets Xi Jinping\'s aide Li Zhanshu in Moscow on March 19."',
            'preheader: "Russia looks east."',
            "issues/2015-03-16.yaml:10:12: warning: the preheader is 18 characters: 40 to 130 fill the inbox preview without being cut.",
        ),
        (
            'image_alt: "Associated Press photograph for the story on China and Russia\'s economic ties"',
            "",
            "issues/2015-03-16.yaml:33:16: error: the image of 'Putin to meet top aide to Chinese president' has no image_alt: describe it for readers who see no images.",
        ),
        (
            'image: "https://www.indiawrites.org/wp-content/',
            'image: "http://www.indiawrites.org/wp-content/',
            "issues/2015-03-16.yaml:33:16: error: the image http://www.indiawrites.org/wp-content/uploads/2015/03/china_russia_economy_ap_img_0.jpg is not https: mail clients block or warn on insecure images.",
        ),
        (
            "Russia is looking east.",
            "Russia is looking east. TK add the Kremlin quote.",
            "issues/2015-03-16.yaml:14:29: error: leftover placeholder 'TK': replace it with the final text.",
        ),
        (
            "The editors, India Writes Network",
            "The editors, India Writes Network. Lorem ipsum dolor.",
            "issues/2015-03-16.yaml:65:38: error: leftover placeholder 'Lorem ipsum': replace it with the final text.",
        ),
        (
            'url: "https://www.indiawrites.org/"',
            'url: "http://www.indiawrites.org/"',
            "issues/2015-03-16.yaml:45:14: warning: the link http://www.indiawrites.org/ is not https: use the https address if the site has one.",
        ),
    ],
)
def test_each_rule(publication: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, expected: str) -> None:
    path = _edit(publication, old, new)
    code, out, err = _run(publication, monkeypatch, path)
    lines = (err + out).splitlines()
    assert expected in lines
    assert code == (1 if ": error: " in expected else 0)


def _big_issue(publication: Path, articles: int, words: int) -> str:
    summary = " ".join(["Diplomacy between Moscow and Beijing deepens."] * words)
    extra = "".join(ARTICLE.format(n=n, summary=summary) for n in range(articles))
    return _edit(publication, "\nsign_off:", '\n  - heading: "More stories"\n    articles:' + extra + "\nsign_off:")


def test_html_size_warning(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _big_issue(publication, 13, 8)
    code, out, err = _run(publication, monkeypatch, path)
    assert (code, err) == (0, ""), err
    assert any(
        "warning: the HTML is" in line and "close to Gmail's 102 KB clipping" in line for line in out.splitlines()
    )


def test_html_size_error(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _big_issue(publication, 40, 12)
    code, _, err = _run(publication, monkeypatch, path)
    assert code == 1
    assert any("error: the HTML is" in line and "Gmail clips messages near 102 KB" in line for line in err.splitlines())


def test_unsubscribe_and_empty_links_in_templates(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (publication / "templates" / "issue.txt.j2").write_text("{{ issue.subject }}\n", encoding="utf-8")
    (publication / "templates" / "profile.mjml.j2").write_text(
        '<p><a href="">Our site</a> <a href="https://x.org/"></a></p>', encoding="utf-8"
    )
    code, _, err = _run(publication, monkeypatch, "issues/2015-03-16.yaml")
    assert code == 1
    assert err.splitlines() == [
        "issues/2015-03-16.yaml: error: a link with the text 'Our site' goes nowhere: give it an address.",
        "issues/2015-03-16.yaml: error: the link to https://x.org/ has no text: readers cannot see or click it.",
        "issues/2015-03-16.yaml: error: the text part has no unsubscribe link: keep %%unsubscribe_url%% in the text template.",
    ]


def test_sample_issue_is_in_the_repository() -> None:
    assert SAMPLE_ISSUE.is_file()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "          Reporting and analysis from the section this week's lead story comes from.\n",
            "          " + "Reporting and analysis from the section this week's lead story comes from. " * 5 + "\n",
            "issues/2015-03-16.yaml:58:18: warning: the brief 'More from our diplomacy desk' has a 374-character "
            "summary: a brief is one or two sentences (under 320 characters); shorten it, or give it a section of "
            "cards.",
        ),
        (
            "Write to us with your views",
            "Write to us [here](https://www.indiawrites.org/contact/) with your views",
            "issues/2015-03-16.yaml:63:38: warning: the link text 'here' does not say what it opens: link the words "
            "that name it.",
        ),
        (
            "  **Also in this issue:**",
            "  **Write the lead-in here.** Then a sentence or two on what this issue is about.\n\n  **Also:**",
            "issues/2015-03-16.yaml:17:5: error: 'Write the lead-in here.' is the text 'newsletter new' wrote: "
            "replace it with your own.",
        ),
        (
            "    layout: briefs\n",
            "    layout: brief\n",
            "issues/2015-03-16.yaml:42:13: error: 'layout' is 'brief' (did you mean 'briefs'?): use cards (the "
            "default) or briefs.",
        ),
    ],
)
def test_digest_rules(publication: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, expected: str) -> None:
    path = _edit(publication, old, new)
    code, out, err = _run(publication, monkeypatch, path)
    assert expected in (err + out).splitlines()
    assert code == (1 if ": error: " in expected else 0)


# --- everything at once: validation, rendering and lint in one run, each problem once, in the file's order ------


def test_validation_render_and_lint_findings_come_together(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Four kinds of mistakes in one file: a mistyped key (validation), a leftover TK (lint), a link that is not https
    # (a warning), an image without its alt text (lint, once: the image is no longer a link with no text), and a
    # template that fails to render (the publication's profile names a variable that does not exist).
    _edit(publication, "Russia is looking east.", "Russia is looking east. TK")
    _edit(publication, 'url: "https://www.indiawrites.org/about/"', 'url: "http://www.indiawrites.org/about/"')
    _edit(publication, "        summary: |\n          Reporting and analysis", "        sumary: |\n          Reporting")
    path = _edit(
        publication,
        '        image_alt: "Associated Press photograph for the story on China and Russia\'s economic ties"\n',
        "",
    )
    (publication / "templates" / "profile.mjml.j2").write_text("<p>{{ publisher.motto }}</p>\n", encoding="utf-8")
    code, out, err = _run(publication, monkeypatch, path)
    profile = publication / "templates" / "profile.mjml.j2"
    assert code == 1
    # Errors go to standard error, warnings and the count to standard output, each stream in the file's order.
    assert out.splitlines() == [
        "issues/2015-03-16.yaml:50:14: warning: the link http://www.indiawrites.org/about/ is not https: use the "
        "https address if the site has one.",
        ONE_CLICK_WARNING,
        "issues/2015-03-16.yaml: 5 error(s), 2 warning(s).",
    ]
    assert err.splitlines() == [
        "issues/2015-03-16.yaml:14:29: error: leftover placeholder 'TK': replace it with the final text.",
        "issues/2015-03-16.yaml:33:16: error: the image of 'Putin to meet top aide to Chinese president' has no "
        "image_alt: describe it for readers who see no images.",
        "issues/2015-03-16.yaml:55:9: error: missing required key 'summary' in an article: add a short summary "
        "(Markdown) written from the article.",
        "issues/2015-03-16.yaml:57:9: error: unknown key 'sumary' (did you mean 'summary'?).",
        f"{profile}:1: error: 'publisher' is undefined: fix the template or the issue's data.",
    ]


def test_an_article_with_a_validation_error_is_reported_once(
    publication: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A javascript: image is invalid, and also not https: one mistake, one finding, at the image.
    path = _edit(
        publication,
        'image: "https://www.indiawrites.org/wp-content/uploads/2015/03/china_russia_economy_ap_img_0.jpg"',
        'image: "javascript:alert(1)"',
    )
    code, out, _ = _run(publication, monkeypatch, path, "--json")
    assert code == 1
    assert json.loads(out)["findings"] == [
        {
            "severity": "error",
            "code": "invalid",
            "message": "'image' uses the 'javascript:' scheme: only http:// and https:// addresses are allowed.",
            "location": "issues/2015-03-16.yaml:33:16",
        },
        {"severity": "warning", "code": "one-click", "message": ONE_CLICK_MESSAGE, "location": "newsletter.toml"},
    ]


def test_the_scaffold_and_a_typo_are_reported_together(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    assert (
        CliRunner().invoke(cli, ["new", "--date", "2015-03-23", "--title", "India and the Gulf this week"]).exit_code
        == 0
    )
    path = publication / "issues" / "2015-03-23.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("number: 2", "numbr: 2"), encoding="utf-8")
    code, _, err = _run(publication, monkeypatch, "issues/2015-03-23.yaml")
    assert code == 1
    assert err.splitlines() == [
        "issues/2015-03-23.yaml:5:1: error: missing required key 'number' in the issue: add the issue number, "
        "e.g. number: 12.",
        "issues/2015-03-23.yaml:6:1: error: unknown key 'numbr' (did you mean 'number'?).",
        "issues/2015-03-23.yaml:9:1: error: 'preheader' is empty: write the preheader.",
        "issues/2015-03-23.yaml:13:5: error: 'Write the lead-in here.' is the text 'newsletter new' wrote: replace "
        "it with your own.",
        "issues/2015-03-23.yaml:13:31: error: 'Then a sentence or two on what this issue is about.' is the text "
        "'newsletter new' wrote: replace it with your own.",
        "issues/2015-03-23.yaml:19:5: error: section 'Lead story' has no articles: add one or remove the section.",
        "issues/2015-03-23.yaml:34:5: error: section 'In brief' has no articles: add one or remove the section.",
    ]

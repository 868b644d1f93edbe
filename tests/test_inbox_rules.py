"""The inbox corpus: 52 raw messages (tests/data/inbox/*.eml) with the exact decision and outcome expected for each
(tests/data/inbox/expected.csv), plus the Authentication-Results and text rules they rest on."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest

from conftest import DATA, ROOT, TEST_SECRET
from newsletter.config import load_config
from newsletter.inbox.authres import is_aligned, judge_sender, parse_authentication_results, strip_comments
from newsletter.inbox.rules import classify
from newsletter.inbox.run import apply_decision, rules_for
from newsletter.inbox.text import decode_words, html_to_text, new_text
from newsletter.subscribers.csvfile import safe_cell
from newsletter.subscribers.listfile import read_subscribers

CORPUS = DATA / "inbox"
EXPECTED = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
CONFIG = load_config(ROOT / "newsletter.toml")
RULES = rules_for(CONFIG, TEST_SECRET)


def test_the_corpus_is_complete() -> None:
    assert len(EXPECTED) >= 30
    assert sorted(row["file"] for row in EXPECTED) == sorted(p.name for p in CORPUS.glob("*.eml"))


@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_each_message_gets_exactly_its_expected_outcome(row: dict[str, str]) -> None:
    decision = classify((CORPUS / row["file"]).read_bytes(), RULES)
    assert decision.action == row["action"]
    if decision.action != "ignore":
        assert decision.email == row["email"]
    assert decision.name == row["name"]
    assert decision.authenticated == (row["authenticated"] == "yes")
    subscribers = read_subscribers(CORPUS / "subscribers.csv")
    outcome = apply_decision(subscribers, decision, datetime(2015, 3, 26, tzinfo=UTC), CONFIG)
    assert outcome.result == row["result"]
    assert " ".join(reply.kind for reply in outcome.replies) == row["replies"]
    found = subscribers.find(decision.email) if decision.action != "ignore" else None
    assert (found.status if found else "") == row["status_after"]


def test_consent_record_holds_message_id_date_from_verdict_and_how_the_words_were_read() -> None:
    decision = classify((CORPUS / "01_gmail_subscribe_hindi.eml").read_bytes(), RULES)
    assert decision.consent == (
        '{"auth": "mx.indiawrites.org: dkim=pass header.d=gmail.com (aligned with gmail.com)", '
        '"date": "Tue, 17 Mar 2015 10:01:47 +0530", '
        '"evidence": "Please add me to India and the World.", '
        '"from": "प्रिया शर्मा <priya.sharma.delhi@gmail.com>", '
        '"message_id": "<CAHm2xA9Vq1sT8e3Z7=uW0rk+J4d1Pn@mail.gmail.com>", '
        '"reading": "request to subscribe (\'Please add me\')"}'
    )
    assert (decision.reading, decision.evidence) == (
        "request to subscribe ('Please add me')",
        "Please add me to India and the World.",
    )


def test_message_without_message_id_is_known_by_its_digest() -> None:
    raw = (CORPUS / "37_no_message_id.eml").read_bytes()
    assert classify(raw, RULES).message_id.startswith("sha256:")
    assert classify(raw, RULES).message_id == classify(raw, RULES).message_id


def test_a_different_secret_refuses_every_token() -> None:
    other = rules_for(CONFIG, b"another-secret")
    decision = classify((CORPUS / "16_list_unsubscribe_token.eml").read_bytes(), other)
    assert (decision.action, decision.reason) == (
        "refuse",
        "an invalid unsubscribe token (the token's signature does not match: it was altered or not made by this "
        "newsletter)",
    )


def test_without_a_trusted_server_nobody_is_authenticated() -> None:
    config = load_config(ROOT / "newsletter.toml")
    rules = rules_for(config, TEST_SECRET)
    untrusting = type(rules)(rules.own_addresses, "", rules.secret)
    decision = classify((CORPUS / "01_gmail_subscribe_hindi.eml").read_bytes(), untrusting)
    assert (decision.authenticated, decision.proof) == (
        False,
        "not authenticated: no [inbox] authserv_id is configured to trust",
    )


def test_parse_authentication_results_with_comments_version_and_quotes() -> None:
    value = (
        'mx.indiawrites.org 1; dkim=pass (2048-bit key; unprotected) header.d=Example.ORG header.i="@example.org"'
        " header.b=abc; spf=pass (sender (nested) ok) smtp.mailfrom=a@example.org; dmarc=pass header.from=example.org"
    )
    parsed = parse_authentication_results(value)
    assert parsed is not None
    assert parsed.authserv_id == "mx.indiawrites.org"
    assert [(r.method, r.result, r.properties) for r in parsed.results] == [
        ("dkim", "pass", {"header.d": "Example.ORG", "header.i": "@example.org", "header.b": "abc"}),
        ("spf", "pass", {"smtp.mailfrom": "a@example.org"}),
        ("dmarc", "pass", {"header.from": "example.org"}),
    ]
    assert strip_comments('a (b (c) d) "e (f)" g') == 'a   "e (f)" g'
    none = parse_authentication_results("mx.indiawrites.org; none")
    assert none is not None and none.results == ()


@pytest.mark.parametrize(
    ("auth", "sender", "aligned"),
    [
        ("example.org", "example.org", True),
        ("EXAMPLE.org", "example.ORG", True),
        ("example.org", "mail.example.org", True),
        ("bounce.example.org", "example.org", True),
        ("mailer.example.net", "example.com", False),
        ("co.in", "victim.co.in", False),
        ("org", "example.org", False),
        ("news.example.org", "mail.example.org", False),  # siblings: not provable without the suffix list
        ("example.org.evil.net", "example.org", False),
        ("", "example.org", False),
    ],
)
def test_relaxed_alignment(auth: str, sender: str, aligned: bool) -> None:
    assert is_aligned(auth, sender) is aligned


def test_only_the_topmost_header_of_our_own_server_counts() -> None:
    ours = "mx.indiawrites.org; dkim=pass header.d=example.org"
    theirs = "mx.other.example; dkim=pass header.d=example.org"
    assert judge_sender([ours, theirs], "example.org", "mx.indiawrites.org").authenticated
    verdict = judge_sender([theirs, ours], "example.org", "mx.indiawrites.org")
    assert verdict.summary == (
        "not authenticated: the topmost Authentication-Results is from mx.other.example, not mx.indiawrites.org"
    )
    failed = judge_sender(["mx.indiawrites.org; dkim=fail header.d=example.org; spf=pass smtp.mailfrom=x@other.net"],
                          "example.org", "mx.indiawrites.org")  # fmt: skip
    assert failed.summary == (
        "not authenticated: mx.indiawrites.org: dkim=fail header.d=example.org, spf=pass smtp.mailfrom=other.net "
        "(not aligned)"
    )


def test_adjacent_encoded_words_lose_the_space_between_them() -> None:
    assert decode_words("=?UTF-8?B?4KSq4KWN4KSw4KS/?=\r\n =?UTF-8?B?4KSv4KS+?=") == "प्रिया"
    assert decode_words("=?UTF-8?Q?Jos=C3=A9?= Martinez") == "José Martinez"


def test_new_text_stops_at_quote_and_forward_markers() -> None:
    gmail = "Yes please.\n\nOn Tue, 17 Mar 2015 at 10:00, Editor <editor@indiawrites.org>\nwrote:\n> subscribe"
    assert new_text(gmail) == "Yes please."
    outlook = "Remove me.\r\n\r\n________________________________\r\nFrom: India and the World\r\nSent: Monday"
    assert new_text(outlook) == "Remove me."
    assert new_text("Hi\n-----Original Message-----\nsubscribe") == "Hi"
    assert new_text('Привет\n\n16.03.2015, 9:00, "Editor" пишет:\n> subscribe') == "Привет"


def test_html_text_skips_quotes_styles_and_scripts() -> None:
    markup = (
        "<html><head><style>p{}</style></head><body><p>Please&nbsp;add me</p><script>x()</script>"
        '<blockquote>subscribe</blockquote><div class="gmail_quote">On Mon wrote: unsubscribe</div></body></html>'
    )
    assert html_to_text(markup).split() == ["Please", "add", "me"]


def test_display_names_cannot_become_spreadsheet_formulas() -> None:
    assert safe_cell('=HYPERLINK("http://x","y")') == "'=HYPERLINK(http://x,y)"
    assert safe_cell("  Asha\r\n  Pillai ") == "Asha Pillai"

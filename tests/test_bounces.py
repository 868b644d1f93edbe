"""Bounces and complaints: every message of the real-world corpus in tests/data/bounces read to its exact
expected outcome, the signed feedback token, the soft-bounce rule, and hostile input."""

from __future__ import annotations

import csv
import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, TEST_SECRET
from newsletter.clean import find_unsafe
from newsletter.errors import TokenError
from newsletter.inbox.bounces import (
    COMPLAINT,
    HARD,
    SOFT,
    Feedback,
    decide_feedback,
    kind_of,
    read_feedback,
    status_after,
)
from newsletter.tokens import make_feedback_token, make_token, read_feedback_token, read_token

CORPUS = DATA / "bounces"
# The readers on the list for the corpus's decisions: the addresses of the verified variants, except the one in
# variant-not-listed-lhost-exim-05.eml.
LISTED = frozenset(
    {
        "kijitora@example.net",
        "kijitora@neko.example.jp",
        "userunknown@example.jp",
        "kijitora@example.onmicrosoft.com",
        "this-local-part-does-not-exist-on-yahoo@yahoo.com",
        "kijitora@example.com",
        "kijitora@example.org",
    }
)
WRONG_SECRET = b"a-forger-guessing-the-newsletter-secret!!"


def expected_rows() -> list[dict[str, str]]:
    with (CORPUS / "expected.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_corpus_file_has_an_expected_row() -> None:
    listed = sorted(row["file"] for row in expected_rows())
    assert listed == sorted(path.name for path in CORPUS.glob("*.eml"))
    assert len(listed) >= 25


@pytest.mark.parametrize("row", expected_rows(), ids=lambda row: row["file"])
def test_corpus_message_reads_as_expected(row: dict[str, str]) -> None:
    feedback = read_feedback((CORPUS / row["file"]).read_bytes(), secret=TEST_SECRET)
    if row["kind"] == "none":
        assert feedback is None
        return
    assert feedback is not None
    assert feedback.kind == row["kind"]
    assert ";".join(recipient.email for recipient in feedback.recipients) == row["recipient"]
    assert ";".join(recipient.status for recipient in feedback.recipients) == row["status"]
    assert feedback.format == row["format"]
    assert (" ".join(feedback.verified) if feedback.verified else "") == row["verified"]
    decision = decide_feedback(feedback, listed=LISTED, history=[])
    assert decision.outcome == row["outcome"]


def read(name: str, secret: bytes | None = TEST_SECRET) -> Feedback:
    feedback = read_feedback((CORPUS / name).read_bytes(), secret=secret)
    assert feedback is not None
    return feedback


def test_a_dsn_gives_the_reporting_mta_diagnostic_and_returned_headers() -> None:
    feedback = read("lhost-postfix-06.eml")
    assert feedback.reporter == "vagrant-centos65.vagrantup.com"
    assert feedback.recipients[0].action == "failed"
    assert feedback.diagnostic == (
        "Host or domain name not found. Name service error for name=neko.example.jp type=AAAA: Host not found"
    )
    assert feedback.original_message_id == "<20141024104625.9C81E2203D@vagrant-centos65.vagrantup.com>"
    assert ("Subject", "TEST") in feedback.original_headers


def test_a_qmail_bounce_gives_each_recipient_its_own_diagnostic() -> None:
    feedback = read("lhost-qmail-02.eml")
    assert [(r.email, r.kind, r.status, r.diagnostic) for r in feedback.recipients] == [
        (
            "userunknown@example.jp",
            HARD,
            "5.1.1",
            "192.0.2.153 does not like recipient. Remote host said: 550 5.1.1 <userunknown@example.jp>... "
            "User Unknown Giving up on 192.0.2.153.",
        ),
        (
            "filtered@example.jp",
            HARD,
            "5.2.1",
            "192.0.2.153 does not like recipient. Remote host said: 550 5.2.1 <filtered@example.jp>... "
            "User Unknown Giving up on 192.0.2.153.",
        ),
    ]
    assert feedback.original_headers[-2:] == (("Subject", "TEST #4"), ("From", "shironeko@example.jp"))


def test_a_complaint_names_its_type_and_reporter() -> None:
    feedback = read("variant-verified-arf-02.eml")
    assert (feedback.kind, feedback.feedback_type, feedback.reporter) == (
        COMPLAINT,
        "abuse",
        "Yahoo!-Mail-Feedback/1.0",
    )
    assert feedback.original_message_id == "<000000000000000000000000.smtp@example.com>"
    jmrp = read("variant-verified-arf-22.eml")
    assert (jmrp.format, jmrp.feedback_type, jmrp.reporter) == ("jmrp", "abuse", "staff@hotmail.com")


def test_the_token_is_found_but_not_trusted_without_the_secret() -> None:
    feedback = read("variant-verified-lhost-postfix-06.eml", secret=None)
    assert feedback.token == make_feedback_token(TEST_SECRET, "2015-03-16", "kijitora@neko.example.jp")
    assert (feedback.verified, feedback.token_problem) == (None, "")
    assert decide_feedback(feedback, listed=LISTED, history=[]).outcome == "reported"


def test_a_forged_bounce_is_refused_and_changes_nobody() -> None:
    feedback = read("variant-forged-lhost-yahoo-01.eml")
    assert feedback.verified is None
    assert feedback.token_problem == (
        "the feedback token's signature does not match: it was altered or not made by this newsletter."
    )
    decision = decide_feedback(feedback, listed=LISTED, history=[])
    assert dataclasses.astuple(decision) == (
        "reported",
        "kijitora@example.org",
        "",
        HARD,
        "hard_bounce (refused token: the feedback token's signature does not match: it was altered or not made "
        "by this newsletter.)",
    )


def test_a_bounce_without_a_token_is_only_reported() -> None:
    decision = decide_feedback(read("lhost-gmail-01.eml"), listed=LISTED, history=[])
    assert dataclasses.astuple(decision) == (
        "reported",
        "userunknown@example.jp",
        "",
        HARD,
        "hard_bounce (no valid feedback token)",
    )


def test_a_valid_token_for_an_address_not_on_the_list_changes_nothing() -> None:
    decision = decide_feedback(read("variant-not-listed-lhost-exim-05.eml"), listed=LISTED, history=[])
    assert dataclasses.astuple(decision) == (
        "not listed",
        "kijitora@neko.example.co.jp",
        "2015-03-16",
        HARD,
        "hard_bounce for an address not on the list",
    )


def test_a_delay_on_the_third_issue_bounces_the_reader() -> None:
    feedback = read("variant-verified-rfc3464-07.eml")
    earlier = [("2015-03-02", SOFT), ("2015-03-09", SOFT)]
    assert decide_feedback(feedback, listed=LISTED, history=earlier[:1]).outcome == "counted"
    decision = decide_feedback(feedback, listed=LISTED, history=earlier)
    assert dataclasses.astuple(decision) == (
        "bounced",
        "kijitora@example.net",
        "2015-03-16",
        SOFT,
        "soft_bounce on 2015-03-16 (signed token)",
    )


# The soft-bounce rule.


def test_soft_bounces_on_three_different_issues_bounce_a_reader() -> None:
    assert status_after([("2015-03-02", SOFT), ("2015-03-09", SOFT), ("2015-03-16", SOFT)]) == "bounced"


def test_soft_bounces_on_two_issues_do_not_however_many_there_are() -> None:
    events = [("2015-03-02", SOFT)] * 5 + [("2015-03-09", SOFT)] * 5
    assert status_after(events) == ""
    assert status_after([]) == ""


def test_one_hard_bounce_bounces_and_a_complaint_outranks_it() -> None:
    assert status_after([("2015-03-02", HARD)]) == "bounced"
    assert status_after([("2015-03-02", HARD), ("2015-03-09", COMPLAINT)]) == "complained"
    assert status_after([("2015-03-09", COMPLAINT), ("2015-03-16", SOFT)]) == "complained"


@pytest.mark.parametrize(
    ("action", "status", "diagnostic", "kind"),
    [
        ("failed", "5.1.1", "", HARD),
        ("failed", "5.1.10", "", HARD),
        ("failed", "5.2.1", "", HARD),
        ("failed", "5.1.7", "bad sender", SOFT),  # about our address, not the reader's
        ("failed", "5.1.0", "sender SPF fail", SOFT),
        ("failed", "5.1.0", "550 user unknown", HARD),
        ("failed", "5.2.2", "mailbox full", SOFT),
        ("failed", "5.7.1", "user unknown", SOFT),  # a policy code: its words do not make it hard
        ("failed", "4.1.1", "user unknown", SOFT),
        ("delayed", "5.1.1", "", SOFT),
        ("failed", "5.0.0", "550 No such user here", HARD),
        ("failed", "", "The recipient name is not recognized", HARD),
        ("failed", "", "retry timeout exceeded", SOFT),
        ("complained", "", "", COMPLAINT),
    ],
)
def test_kind_of(action: str, status: str, diagnostic: str, kind: str) -> None:
    assert kind_of(action, status, diagnostic) == kind


# The signed feedback token.


def test_feedback_token_round_trip() -> None:
    token = make_feedback_token(TEST_SECRET, "2015-03-16", " Reader@Example.ORG ")
    assert read_feedback_token(TEST_SECRET, token) == ("2015-03-16", "reader@example.org")
    assert make_feedback_token(TEST_SECRET, "2015-03-16", "reader@example.org") == token


def test_a_token_from_another_secret_is_refused() -> None:
    token = make_feedback_token(WRONG_SECRET, "2015-03-16", "reader@example.org")
    with pytest.raises(TokenError) as error:
        read_feedback_token(TEST_SECRET, token)
    assert str(error.value) == (
        "the feedback token's signature does not match: it was altered or not made by this newsletter."
    )


def test_a_token_moved_to_another_issue_or_reader_is_refused() -> None:
    genuine = make_feedback_token(TEST_SECRET, "2015-03-16", "reader@example.org")
    signature = genuine.partition(".")[2]
    for issue, email in (("2015-03-23", "reader@example.org"), ("2015-03-16", "other@example.org")):
        forged_body = make_feedback_token(WRONG_SECRET, issue, email).partition(".")[0]
        with pytest.raises(TokenError, match="signature does not match"):
            read_feedback_token(TEST_SECRET, f"{forged_body}.{signature}")


def test_tokens_of_other_purposes_do_not_cross() -> None:
    with pytest.raises(TokenError) as error:
        read_feedback_token(TEST_SECRET, make_token(TEST_SECRET, "unsubscribe", "reader@example.org"))
    assert str(error.value) == "the token is for 'unsubscribe', not 'feedback'."
    with pytest.raises(TokenError) as error:
        read_token(TEST_SECRET, make_feedback_token(TEST_SECRET, "2015-03-16", "reader@example.org"), "unsubscribe")
    assert str(error.value) == "the token is for 'feedback', not 'unsubscribe'."


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "the feedback token is malformed: it must be two base64url parts joined by a dot."),
        ("abc", "the feedback token is malformed: it must be two base64url parts joined by a dot."),
        ("a" * 700 + ".b", "the feedback token is malformed: it must be two base64url parts joined by a dot."),
        ("ab+/.cd", "the feedback token is malformed: it is not base64url text."),
        ("Zm9v.YmFy", "the feedback token's signature does not match: it was altered or not made by this newsletter."),
    ],
)
def test_malformed_tokens_are_refused(token: str, message: str) -> None:
    with pytest.raises(TokenError) as error:
        read_feedback_token(TEST_SECRET, token)
    assert str(error.value) == message


def test_an_issue_slug_that_could_split_the_payload_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="issue slug"):
        make_feedback_token(TEST_SECRET, "2015:03", "reader@example.org")


def test_a_secret_too_short_to_sign_with_is_refused() -> None:
    with pytest.raises(TokenError, match="NEWSLETTER_SECRET is 5 bytes long"):
        read_feedback(b"", secret=b"short")


# What is not feedback, and hostile input.

_SUCCESS_DSN = b"""From: MAILER-DAEMON@mx.example.net
To: editor@example.org
Subject: Successful Mail Delivery Report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message was successfully delivered to the destination(s) listed below.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; reader@example.org
Action: relayed
Status: 2.0.0

--b--
"""


def test_a_dsn_of_success_only_is_not_feedback() -> None:
    assert read_feedback(_SUCCESS_DSN) is None
    assert read_feedback(_SUCCESS_DSN.replace(b"Action: relayed", b"Action: failed").replace(b"2.0.0", b"5.1.1"))


def test_a_huge_returned_message_and_an_unknown_charset_are_read() -> None:
    raw = (CORPUS / "lhost-exim-05.eml").read_bytes()
    raw = raw.replace(b"Nyaan\n", b"Nyaan\n" + b"x" * 76 * 200_000 + b"\n")
    raw = raw.replace(
        b"This message was created", b"Content-Type: text/plain; charset=x-no-such\n\nThis message was created", 1
    )
    feedback = read_feedback(raw)
    assert feedback is not None
    assert (feedback.kind, feedback.emails) == (HARD, ("kijitora@neko.example.co.jp",))


def _assert_clean(feedback: Feedback | None) -> None:
    if feedback is None:
        return
    for value in dataclasses.astuple(feedback):
        for text in _strings(value):
            assert find_unsafe(text) == "", text


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [text for item in value for text in _strings(item)]
    return []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    _assert_clean(read_feedback(raw, secret=TEST_SECRET))


_SAMPLES = sorted(CORPUS.glob("*.eml"))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_SAMPLES),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=40)), max_size=6),
    st.floats(0.05, 1),
)
def test_damaged_corpus_messages_never_raise(path: Path, edits: list[tuple[float, bytes]], keep: float) -> None:
    """Real reports cut short and with bytes spliced in (control characters, CR, NUL, 8-bit text, boundaries)."""
    raw = path.read_bytes()
    for where, junk in edits:
        at = int(where * len(raw))
        raw = raw[:at] + junk + raw[at + len(junk) // 2 :]
    _assert_clean(read_feedback(raw[: max(1, int(keep * len(raw)))], secret=TEST_SECRET))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["Diagnostic-Code: smtp; ", "Final-Recipient: rfc822; ", "Status: "]))
def test_hostile_report_fields_come_out_clean(value: str, field: str) -> None:
    raw = _SUCCESS_DSN.replace(b"Action: relayed", b"Action: failed").replace(
        b"Status: 2.0.0", field.encode() + value.encode("utf-8", "surrogatepass")
    )
    _assert_clean(read_feedback(raw, secret=TEST_SECRET))


def test_every_corpus_message_comes_out_clean() -> None:
    rng = random.Random(11)
    for path in _SAMPLES:
        raw = path.read_bytes()
        _assert_clean(read_feedback(raw, secret=TEST_SECRET))
        _assert_clean(read_feedback(raw.replace(b"\n", b"\r"), secret=TEST_SECRET))  # old Mac line ends
        cut = rng.randrange(1, len(raw))
        _assert_clean(read_feedback(raw[:cut], secret=TEST_SECRET))

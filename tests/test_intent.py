"""Reading what a reader's message asks (newsletter/intent.py): the development corpus (tests/data/intents/dev),
short sentences with their exact outcome and reason, the parts it rests on, and a fuzz test."""

from __future__ import annotations

import csv
from email import message_from_bytes
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import newsletter.inbox.intent as intent_module
from conftest import DATA
from newsletter.inbox.intent import OUTCOMES, Intent, read_intent
from newsletter.inbox.intent_cues import WILD, fold, quote_words, tag_cues, worth_reading
from newsletter.inbox.intent_sentences import TEXT_LIMIT, readable_part, split_sentences
from newsletter.inbox.text import body_text, decode_words, new_text, raw_header, sender

DEV = DATA / "intents" / "dev"
EXPECTED = list(csv.DictReader((DEV / "expected.csv").open(encoding="utf-8")))


def read_message(path: Path) -> tuple[str, str, str]:
    """Subject, new text and sender address, read as `newsletter inbox` reads them."""
    message = message_from_bytes(path.read_bytes())
    subject = decode_words(" ".join(raw_header(message, "Subject")[:1]))
    found = sender(message)
    return subject, new_text(body_text(message)), found[1] if found else ""


def test_the_dev_corpus_is_complete_and_shaped_like_real_mail() -> None:
    assert len(EXPECTED) >= 60
    assert sorted(row["file"] for row in EXPECTED) == sorted(path.name for path in DEV.glob("*.eml"))
    assert {row["expected"] for row in EXPECTED} == set(OUTCOMES)
    non_requests = [row for row in EXPECTED if row["expected"] in ("ignore", "unsure")]
    assert len(non_requests) * 3 >= len(EXPECTED)
    for row in EXPECTED:
        raw = (DEV / row["file"]).read_bytes()
        message = message_from_bytes(raw)
        address = sender(message)
        assert address is not None, row["file"]
        domain = address[1].rpartition("@")[2]
        first = raw.split(b"\n", 1)[0].decode()
        assert first == (
            f"Authentication-Results: mx.indiawrites.org; dkim=pass header.d={domain}; "
            f"spf=pass smtp.mailfrom={address[1]}"
        ), row["file"]
        assert domain.endswith(("example.org", "example.com", "example.net")), row["file"]


@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_each_dev_message_gets_exactly_its_expected_outcome(row: dict[str, str]) -> None:
    subject, text, address = read_message(DEV / row["file"])
    found = read_intent(subject, text, address)
    assert found.outcome == row["expected"], found.reason
    assert found.evidence in (subject, text) or found.evidence in subject or found.evidence in text
    if found.outcome != "ignore":
        assert found.evidence and found.reason


# (subject, new text, outcome, reason): the sender is reader@example.org.
SENTENCES = [
    (
        "",
        "Kindly add my email id to India and the World newsletter.",
        "subscribe",
        "request to subscribe ('Kindly add my email id')",
    ),
    ("", "Please include me in your mailing list.", "subscribe", "request to subscribe ('Please include me')"),
    ("", "I wish to receive India and the World regularly.", "subscribe", "request to subscribe ('I wish to receive')"),
    ("", "pls add me to ur newsletter", "subscribe", "request to subscribe ('pls add me')"),
    (
        "",
        "I shall be grateful if you could include my name in the mailing list.",
        "subscribe",
        "request to subscribe ('I shall be grateful if you could include my name')",
    ),
    ("", "Could you send me your newsletter every week?", "subscribe", "request to subscribe ('Could you send me')"),
    ("Subscribe", "", "subscribe", "request to subscribe ('Subscribe')"),
    ("", "कृपया मेरा ईमेल सूची में जोड़ दें।", "subscribe", "request to subscribe (Hindi: 'जोड़ दें')"),
    ("", "தயவுசெய்து என்னை பட்டியலில் சேர்க்கவும்.", "subscribe", "request to subscribe (Tamil: 'சேர்க்கவும்')"),
    ("", "আমি নিউজলেটারটি পেতে চাই।", "subscribe", "request to subscribe (Bengali: 'পেতে চাই')"),
    ("", "براہ کرم مجھے میلنگ لسٹ میں شامل کر دیں۔", "subscribe", "request to subscribe (Urdu: 'شامل کر دیں')"),
    ("", "mujhe newsletter bhej dijiye", "subscribe", "request to subscribe (Hindi (romanised): 'bhej dijiye')"),
    (
        "",
        "Je souhaite m'abonner à votre lettre d'information.",
        "subscribe",
        "request to subscribe (French: 'Je souhaite m'abonner')",
    ),
    ("", "unsubscribe", "unsubscribe", "request to unsubscribe ('unsubscribe')"),
    (
        "",
        "I would like to stop receiving these emails.",
        "unsubscribe",
        "request to unsubscribe ('I would like to stop receiving')",
    ),
    (
        "",
        "Kindly remove my mail id from your mailing list.",
        "unsubscribe",
        "request to unsubscribe ('Kindly remove my mail id')",
    ),
    ("", "कृपया मुझे इस सूची से हटा दें।", "unsubscribe", "request to unsubscribe (Hindi: 'हटा दें')"),
    ("", "இனி இந்த செய்திமடலை அனுப்ப வேண்டாம்.", "unsubscribe", "request to unsubscribe (Tamil: 'அனுப்ப வேண்டாம்')"),
    ("", "আমাকে আর নিউজলেটার পাঠাবেন না।", "unsubscribe", "request to unsubscribe (Bengali: 'পাঠাবেন না')"),
    (
        "",
        "I no longer wish to receive India and the World.",
        "unsubscribe",
        "request to unsubscribe ('no longer wish to receive')",
    ),
    ("", "I did not ask to subscribe.", "unsure", "negated: 'I did not ask to subscribe'"),
    ("", "Please don't unsubscribe me.", "ignore", "asks to stay subscribed ('Please don't unsubscribe me')"),
    ("", "No need to add me, I'm already on your list.", "ignore", "negated: 'No need to add me'"),
    ("", "My colleague wants to subscribe.", "unsure", "about someone else: 'My colleague'"),
    ("", "Please add rahul@example.net to your list.", "unsure", "about another address: rahul@example.net"),
    ("", "Please add reader@example.org to your list.", "subscribe", "request to subscribe ('Please add')"),
    ("", "I'll subscribe later.", "unsure", "an intention, not a request: 'I'll subscribe'"),
    (
        "",
        "If the newsletter is free, please add me.",
        "unsure",
        "conditional: 'If the newsletter is free, please add me'",
    ),
    ("", "How do I unsubscribe?", "unsure", "a question, not a request: 'How do I unsubscribe'"),
    (
        "",
        "Your unsubscribe link leads to an error page.",
        "unsure",
        "about the unsubscribe link: 'Your unsubscribe link'",
    ),
    (
        "",
        "I subscribe to the view that India should engage China.",
        "ignore",
        "another sense of the words: 'I subscribe to the view'",
    ),
    (
        "",
        "I have recommended India and the World to my students.",
        "ignore",
        "another sense of the words: 'have recommended India and the World to'",
    ),
    (
        "",
        "Please consider publishing my article in India and the World.",
        "ignore",
        "another sense of the words: 'consider publishing my article'",
    ),
    (
        "",
        "I would like to join the webinar on Friday. Please register me.",
        "ignore",
        "about something else: 'webinar'",
    ),
    ("", "Please add me to the guest list for the book launch.", "ignore", "about something else: 'guest list'"),
    (
        "",
        "Please stop sending me event invitations, but keep me on India and the World.",
        "ignore",
        "about something else: 'event'",
    ),
    (
        "",
        "If you no longer wish to receive these emails, unsubscribe here.",
        "ignore",
        "an opt-out footer or notice, not a request: 'If you no longer wish to receive'",
    ),
    (
        "",
        "Thank you for subscribing to The Example Review.",
        "ignore",
        "an opt-out footer or notice, not a request: 'Thank you for subscribing'",
    ),
    (
        "",
        "Please unsubscribe my old address anita.old@example.com and add this one instead.",
        "unsure",
        "about another address: anita.old@example.com",
    ),
    ("", "Please unsubscribe me and add my wife.", "unsure", "about someone else: 'add my wife'"),
    ("", "Please unsubscribe me. Please add me.", "unsure", "asks both to subscribe and to unsubscribe"),
    (
        "",
        "Please remove me. Just kidding, keep me on the list.",
        "unsure",
        "asks to unsubscribe, but also: asks to stay subscribed ('keep me on')",
    ),
    ("", "Why am I receiving this?", "unsure", "a complaint, not a request: 'Why am I receiving'"),
    ("India and the World", "", "unsure", "mentions the newsletter, asks nothing: 'India and the World'"),
    ("", "Lunch on Friday?", "ignore", "not about the newsletter"),
    ("", "Great piece on Putin, thank you!", "ignore", "not about the newsletter"),
    ("Subscribe?", "Not right now.", "unsure", "mentions subscribing, asks nothing: 'Subscribe'"),
    ("Re: Unsubscribe", "Thanks.", "unsure", "only the subject of a reply mentions it: 'Re: Unsubscribe'"),
    ("Fwd: Subscribe", "", "unsure", "only the subject of a reply mentions it: 'Fwd: Subscribe'"),
]


@pytest.mark.parametrize(
    ("subject", "text", "outcome", "reason"), SENTENCES, ids=[row[1][:40] or row[0] for row in SENTENCES]
)
def test_short_messages_get_exactly_their_outcome_and_reason(
    subject: str, text: str, outcome: str, reason: str
) -> None:
    found = read_intent(subject, text, "reader@example.org")
    assert (found.outcome, found.reason) == (outcome, reason)
    assert found.evidence in subject or found.evidence in text


SENTENCE_ROWS = list(csv.DictReader((DATA / "intents" / "sentences.csv").open(encoding="utf-8")))


@pytest.mark.parametrize(
    "row", SENTENCE_ROWS, ids=[f"{n}:{row['text'][:30]}" for n, row in enumerate(SENTENCE_ROWS, 2)]
)
def test_sentences_get_their_outcome_and_known_misses_stay_harmless(row: dict[str, str]) -> None:
    found = read_intent(row["subject"], row["text"], "reader@example.org")
    if row["note"].startswith("known miss: "):
        # Listed so that a change of either kind shows: the miss is never an action, and stays what it was.
        assert found.outcome == row["note"].removeprefix("known miss: ")
        assert found.outcome not in ("subscribe", "unsubscribe")
    else:
        assert found.outcome == row["expected"], found.reason


def test_evidence_is_the_deciding_sentence_as_written() -> None:
    text = "Dear Sir,\n\nI teach at JNU.  Kindly   add my\nmail id to your mailing list.\n\nRegards,\nAnanya"
    found = read_intent("", text, "ananya@example.org")
    assert found == Intent(
        "subscribe", "Kindly   add my\nmail id to your mailing list.", "request to subscribe ('Kindly add my mail id')"
    )


def test_the_sender_may_name_their_own_address_and_the_publications() -> None:
    text = "Please add me, Reader@Example.org, to the list. I found editor@indiawrites.org in your article."
    assert read_intent("", text, "reader@example.org", own_addresses={"editor@indiawrites.org"}).outcome == "subscribe"
    assert read_intent("", text, "reader@example.org").reason == "about another address: editor@indiawrites.org"


def test_a_request_in_quoted_text_the_inbox_missed_is_not_read() -> None:
    text = "Thanks, great issue.\n\n-----Original Message-----\nFrom: Someone\nPlease unsubscribe me."
    assert read_intent("Re: India and the World", text, "reader@example.org").outcome == "ignore"


def test_sentences_end_at_indian_and_urdu_stops_and_at_short_lines() -> None:
    text = (
        "नमस्ते संपादक जी।कृपया जोड़ दें। براہ کرم۔ شامل کریں۔\nDear Sir,\nthis line is long enough to have been wrapped "
        "by a mail client and\ngoes on here. Kindly add my\nmail id.\nThanks\nAsha"
    )
    pieces = [text[span.start : span.end] for span in split_sentences(text)]
    assert pieces == [
        "नमस्ते संपादक जी।",
        "कृपया जोड़ दें।",
        "براہ کرم۔",
        "شامل کریں۔",
        "Dear Sir,",
        "this line is long enough to have been wrapped by a mail client and\ngoes on here.",
        "Kindly add my\nmail id.",
        "Thanks",
        "Asha",
    ]
    titles = "Dr. Rao and Mr. Sen. Please add me."
    assert [titles[span.start : span.end] for span in split_sentences(titles)] == [
        "Dr. Rao and Mr. Sen.",
        "Please add me.",
    ]


def test_readable_part_stops_at_quote_markers_and_at_the_limit() -> None:
    assert readable_part("Add me.\nOn Mon, 16 Mar 2015, Editor wrote:\n> Unsubscribe") == "Add me.\n"
    assert readable_part("Add me.\n\nFrom: Editor\nSent: Monday\nTo: me\n\nUnsubscribe") == "Add me.\n\n"
    assert readable_part("Add me.\nFrom: my desk in Delhi.\nThanks") == "Add me.\nFrom: my desk in Delhi.\nThanks"
    assert len(readable_part("x" * (TEXT_LIMIT * 2))) == TEXT_LIMIT


def test_folding_makes_spellings_one_and_quotes_keep_the_readers_words() -> None:
    assert fold("जोड़ दें") == fold("जोड़ दें")  # nukta precomposed and not
    assert fold("हूँ") == fold("हूं")
    assert fold("ی") == fold("ي")
    assert fold("ർ") == fold("ര്‍")
    raw = "Kindly  ADD my Mail-ID"
    folded = fold(raw)
    start = folded.index("add")
    assert quote_words(raw, folded, start, start + len("add my mail-id")) == "ADD my Mail-ID"


def test_every_phrase_table_entry_can_be_found_by_its_first_words() -> None:
    assert WILD == []
    assert not worth_reading(fold("Let me know when you are free for lunch."))  # the quick test is on
    assert worth_reading(fold("Kindly enrol my mail id"))


def test_the_quick_test_only_skips_sentences_that_say_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [read_message(DEV / row["file"]) for row in EXPECTED] + [
        (s, t, "reader@example.org") for s, t, _, _ in SENTENCES
    ]
    quick = [read_intent(*case) for case in cases]
    monkeypatch.setattr(intent_module, "worth_reading", lambda folded: True)
    assert [read_intent(*case) for case in cases] == quick


def test_cues_are_found_in_order_without_overlap() -> None:
    cues = tag_cues(fold("Please do not send me the newsletter; my colleague wants it."))
    assert [(cue.tag, cue.text) for cue in cues] == [
        ("FRAME", "please"),
        ("UNSUB", "do not send me"),
        ("OBJ", "newsletter"),
        ("THIRD", "my colleague"),
        ("OBJ", "it"),
    ]


FRAGMENTS = [
    "please",
    "add me",
    "unsubscribe",
    "subscribe",
    "don't",
    "not",
    "if",
    "my colleague",
    "newsletter",
    "India and the World",
    "mailing list",
    "remove me",
    "जोड़ दें",
    "नहीं",
    "।",
    "۔",
    "சேர்க்கவும்",
    "?",
    ".",
    "\n",
    "\n\n",
    " ",
    "a@b.org",
    "reader@example.org",
    "http://x.example/u",
    "On Mon, 16 Mar 2015, Editor wrote:",
    "> quoted",
    "-- ",
    "\u200d",
    "\u093c",
    "ര്‍",
    "Re: ",
    "Fwd: ",
    "'",
    "I'd like to",
    "stop sending",
    "webinar",
    "keep me on",
    "👍",
    "\ufeff",
]
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=30).map(" ".join),
)


@settings(max_examples=400, deadline=None)
@given(subject=texts, text=texts, address=st.one_of(st.just("reader@example.org"), st.text(max_size=40)))
def test_read_intent_never_raises_and_quotes_its_input(subject: str, text: str, address: str) -> None:
    found = read_intent(subject, text, address)
    assert found.outcome in OUTCOMES
    assert found.evidence in subject or found.evidence in text
    assert found.reason

"""Reading what a reader's message asks (newsletter/intent.py): both corpora (tests/data/intents/dev, and holdout,
which was held out while the rules were first written), short sentences with their exact outcome and reason, the
parts it rests on, and a fuzz test."""

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
from newsletter.inbox.text import body_text, decode_words, raw_header, sender, split_reply

DEV = DATA / "intents" / "dev"
HOLDOUT = DATA / "intents" / "holdout"
EXPECTED = list(csv.DictReader((DEV / "expected.csv").open(encoding="utf-8")))
HOLDOUT_EXPECTED = list(csv.DictReader((HOLDOUT / "expected.csv").open(encoding="utf-8")))
CORPUS = [(DEV, row) for row in EXPECTED] + [(HOLDOUT, row) for row in HOLDOUT_EXPECTED]
OWN = ("editor@indiawrites.org",)
# Quoted below a reader's short answer: the editor's offer it says yes to
OFFER = "On Mon, Editor <editor@indiawrites.org> wrote:\n> Shall we add you to India and the World, our weekly digest?"


def read_message(path: Path) -> tuple[str, str, str, str]:
    """Subject, new text, sender address and quoted text, read as `newsletter inbox` reads them."""
    message = message_from_bytes(path.read_bytes())
    subject = decode_words(" ".join(raw_header(message, "Subject")[:1]))
    found = sender(message)
    text, quoted = split_reply(body_text(message))
    return subject, text, found[1] if found else "", quoted


def read_case(subject: str, text: str, address: str, quoted: str = "") -> Intent:
    return read_intent(subject, text, address, own_addresses=OWN, quoted=quoted)


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


def test_the_holdout_corpus_is_complete() -> None:
    assert len(HOLDOUT_EXPECTED) == 128
    assert sorted(row["file"] for row in HOLDOUT_EXPECTED) == sorted(path.name for path in HOLDOUT.glob("*.eml"))
    assert {row["expected"] for row in HOLDOUT_EXPECTED} == set(OUTCOMES)


# The holdout's answers the rules do not give, each with what they give and why: all four are non-requests sent to
# the editor (unsure), none an action. An intention, even a conditional one ("I'll subscribe once my exams are
# over"), goes to the editor as the dev corpus has it (dev 072, 081, 086), where the holdout's author says ignore;
# and a department that wants to subscribe is someone else until a rule can tell "I told them to write themselves".
KNOWN_MISSES = {
    "holdout/007_hindi_conditional_africa.eml": ("unsure", "conditional about the newsletter: 'अगर'"),
    "holdout/015_department_wants_to_subscribe_told_them.eml": ("unsure", "about someone else: 'my whole department'"),
    "holdout/076_ill_subscribe_later.eml": ("unsure", "about someone else: 'they're'"),
    "holdout/093_gujarati_will_subscribe_after_return.eml": ("unsure", "intention about the newsletter: 'પછી'"),
}


@pytest.mark.parametrize(("folder", "row"), CORPUS, ids=[f"{folder.name}/{row['file']}" for folder, row in CORPUS])
def test_each_message_of_both_corpora_gets_exactly_its_expected_outcome(folder: Path, row: dict[str, str]) -> None:
    subject, text, address, quoted = read_message(folder / row["file"])
    found = read_case(subject, text, address, quoted)
    known = KNOWN_MISSES.get(f"{folder.name}/{row['file']}")
    if known:
        assert (found.outcome, found.reason) == known
        assert row["expected"] == "ignore"
    else:
        assert found.outcome == row["expected"], found.reason
    assert found.evidence in subject or found.evidence in text
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
    # issue 14, after the holdout: phrasings and decisions the rules learnt from it, in other words than its own
    ("", "STOP.", "unsubscribe", "request to unsubscribe ('STOP')"),
    (
        "",
        "I'd prefer not to get these emails any more.",
        "unsubscribe",
        "request to unsubscribe ('I'd prefer not to get')",
    ),
    (
        "",
        "This mailbox closes next week. Kindly remove it from your mailing list.",
        "unsubscribe",
        "request to unsubscribe ('Kindly remove it from')",
    ),
    (
        "",
        "My husband passed away in May. Please remove it from your list.",
        "unsure",
        "asks to unsubscribe 'it', and is about someone else: 'My husband'",
    ),
    (
        "",
        "Could I come back on board? I'd like to get back on your list.",
        "subscribe",
        "request to subscribe ('Could I come back on board')",
    ),
    ("", "Please pause the newsletter until I return in August.", "unsure", "asks to pause, not to stop: 'pause'"),
    ("", "Please unsubscribe me temporarily.", "unsure", "asks to pause, not to stop: 'temporarily'"),
    (
        "",
        "Please delete all my personal data and unsubscribe me.",
        "unsure",
        "about the reader's personal data: 'delete all my personal data and unsubscribe me'",
    ),
    (
        "",
        "Many subscribers would love to unsubscribe after that editorial.",
        "ignore",
        "about readers in general: 'Many subscribers would love to unsubscribe'",
    ),
    (
        "",
        "I clicked unsubscribe by accident. Please keep me on the list.",
        "subscribe",
        "request to stay subscribed ('Please keep me on'), after unsubscribing by mistake",
    ),
    (
        "",
        "The unsubscribe link doesn't work, but don't worry, I'm not leaving.",
        "ignore",
        "asks to stay subscribed ('I'm not leaving')",
    ),
    (
        "",
        "Please stop sending me the daily news alerts.",
        "unsure",
        "asks to stop something else, says nothing of the newsletter: about something else: 'news alerts'",
    ),
    ("", "Do you run a Telegram channel? If so, please add me.", "ignore", "about something else: 'Telegram'"),
    ("", "कृपया मेरा नाम सूची में जोड़ने का कष्ट करें।", "subscribe", "request to subscribe (Hindi: 'जोड़ने का कष्ट करें')"),
    ("", "कृपया मला दर आठवड्याला न्यूजलेटर पाठवावे.", "subscribe", "request to subscribe (Marathi: 'पाठवावे')"),
    ("", "મને ન્યૂઝલેટર મોકલશો?", "subscribe", "request to subscribe (Gujarati: 'મોકલશો')"),
    ("", "എന്നെ ലിസ്റ്റിൽ ചേർക്കണം.", "subscribe", "request to subscribe (Malayalam: 'ചേർക്കണം')"),
    ("", "ഞാൻ ഇതിനകം ലിസ്റ്റിലുണ്ട്.", "ignore", "already a reader: 'ലിസ്റ്റിലുണ്ട്'"),
    ("", "আমি আপনাদের নিয়মিত গ্রাহক, খুব ভালো লাগে।", "ignore", "already a reader: 'নিয়মিত গ্রাহক'"),
    ("", "¿Podrían agregarme a su lista de correo?", "subscribe", "request to subscribe (Spanish: 'agregarme')"),
    (
        "",
        "Les ruego que me den de baja del boletín.",
        "unsubscribe",
        "request to unsubscribe (Spanish: 'me den de baja')",
    ),
    (
        "",
        "Pourriez-vous m'inscrire à votre lettre d'information ?",
        "subscribe",
        "request to subscribe (French: 'm'inscrire')",
    ),
    (
        "",
        "Je vous prie de retirer mon adresse de votre liste.",
        "unsubscribe",
        "request to unsubscribe (French: 'retirer mon adresse')",
    ),
    (
        "",
        "Bitte nehmen Sie meine Adresse aus dem Verteiler.",
        "unsubscribe",
        "request to unsubscribe (German: 'nehmen Sie meine Adresse aus')",
    ),
    (
        "Subscription",
        "My subscription is working fine, but the pictures look broken in Outlook.",
        "ignore",
        "already a reader: 'My subscription is working'",
    ),
    (
        "Out of office: Please add me to India and the World",
        "I am away until Monday.",
        "ignore",
        "not about the newsletter",
    ),
    (
        "Fwd: India and the World",
        "Forwarding this for my colleague, who would like your newsletter.",
        "unsure",
        "about someone else: 'Forwarding this for my colleague'",
    ),
    (
        "",
        "I have asked my students to subscribe to India and the World.",
        "ignore",
        "another sense of the words: 'I have asked my students to subscribe'",
    ),
    ("", "Please add her email to your list.", "unsure", "about someone else: 'add her'"),
    (
        "",
        "Je souhaiterais recevoir votre lettre « India and the World ».",
        "subscribe",
        "request to subscribe (French: 'Je souhaiterais recevoir')",
    ),
    (
        "",
        "I bought the print quarterly but have not received an invoice.",
        "ignore",
        "about something else: 'quarterly'",
    ),
    ("", "நான் உங்கள் வாசகராக இருக்கிறேன்.", "ignore", "already a reader: 'வாசகராக இருக்கிறேன்'"),
    ("", "مجھے مہمانوں کی فہرست میں شامل کریں۔", "ignore", "about something else: 'مہمانوں کی فہرست'"),
    (
        "",
        "India and the World is great. Could it also go to ravi@example.net?",
        "unsure",
        "about another address: ravi@example.net",
    ),
    (
        "",
        "I would rather not receive India and the World.",
        "unsubscribe",
        "request to unsubscribe ('I would rather not receive')",
    ),
    (
        "",
        "What personal data do you hold about me?",
        "unsure",
        "about the reader's personal data: 'What personal data'",
    ),
    (
        "",
        "Is your unsubscribe link one-click?",
        "unsure",
        "a question about the unsubscribe link: 'your unsubscribe link'",
    ),
    # issue 14, after 20 fresh messages: more Indian languages, a script no table reads, a request in unknown words
    ("", "ଦୟାକରି ମୋତେ ତାଲିକାରେ ଯୋଡନ୍ତୁ।", "subscribe", "request to subscribe (Odia: 'ଯୋଡନ୍ତୁ')"),
    ("", "অনুগ্ৰহ কৰি মোক তালিকাত যোগ কৰক।", "subscribe", "request to subscribe (Assamese: 'যোগ কৰক')"),
    ("", "කරුණාකර මාව ඔබේ ලැයිස්තුවට එකතු කරන්න.", "unsure", "written in a script the rules cannot read (Sinhala)"),
    (
        "",
        "Kindly let India and the World reach me every Monday.",
        "unsure",
        "asks something about the newsletter: 'Kindly let India and the World'",
    ),
    (
        "",
        "Any chance I could get on your mailing list?",
        "subscribe",
        "request to subscribe ('Any chance I could get')",
    ),
    (
        "",
        "Would it be OK to cancel me? Too much mail these days.",
        "unsubscribe",
        "request to unsubscribe ('cancel me')",
    ),
    (
        "",
        "I subscribe entirely to your reading of the Gulf talks.",
        "ignore",
        "another sense of the words: 'I subscribe entirely to your reading'",
    ),
    (
        "",
        "My name may kindly be entered in the list of recipients.",
        "subscribe",
        "request to subscribe ('kindly be entered')",
    ),
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
    cases = [read_message(folder / row["file"]) for folder, row in CORPUS] + [
        (s, t, "reader@example.org", "") for s, t, _, _ in SENTENCES
    ]
    quick = [read_case(*case) for case in cases]
    monkeypatch.setattr(intent_module, "worth_reading", lambda folded: True)
    assert [read_case(*case) for case in cases] == quick


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
@given(
    subject=texts,
    text=texts,
    address=st.one_of(st.just("reader@example.org"), st.text(max_size=40)),
    quoted=st.one_of(st.just(""), texts, st.just(OFFER)),
)
def test_read_intent_never_raises_and_quotes_its_input(subject: str, text: str, address: str, quoted: str) -> None:
    found = read_intent(subject, text, address, quoted=quoted)
    assert found.outcome in OUTCOMES
    assert found.evidence in subject or found.evidence in text
    assert found.reason


def test_a_postscript_below_the_signature_is_new_text_and_quotes_are_kept_apart() -> None:
    body = (
        "Thanks for the piece.\n\n-- \nDr. A. Rao\nDept. of History\n\nPS: please add me to the list.\n\n"
        "On Mon, 3 Feb 2025, Editor <editor@indiawrites.org> wrote:\n> India and the World, 3 February"
    )
    new, quoted = split_reply(body)
    assert new == "Thanks for the piece.\n\nPS: please add me to the list."
    assert quoted == "On Mon, 3 Feb 2025, Editor <editor@indiawrites.org> wrote:\n> India and the World, 3 February"
    assert split_reply("Thanks.\n-- \nDr. A. Rao\nDept. of History") == ("Thanks.", "")
    assert split_reply("Add me.\n\n> Unsubscribe") == ("Add me.", "> Unsubscribe")
    assert read_case("", new, "rao@example.org").outcome == "subscribe"


@pytest.mark.parametrize(
    ("text", "quoted", "outcome", "reason"),
    [
        (
            "Yes, please!\n\nAsha",
            OFFER,
            "subscribe",
            "yes to the quoted offer ('Shall we add you to India and the World, our weekly digest?')",
        ),
        (
            "Sure, why not.",
            OFFER,
            "subscribe",
            "yes to the quoted offer ('Shall we add you to India and the World, our weekly digest?')",
        ),
        ("Yes please!", "> Would you like a seat at the panel on Friday?", "ignore", "not about the newsletter"),
        (
            "Yes.",
            "> India and the World goes out on Mondays.",
            "unsure",
            "a short yes to a quoted message about the newsletter ('India and the World goes out on Mondays.')",
        ),
        ("Yes please, but only after my exams.", OFFER, "ignore", "not about the newsletter"),
        (
            "Yes please!",
            "> Shall we add your colleague ravi@example.net to India and the World?",
            "unsure",
            "a short yes to a quoted message about the newsletter ('Shall we add your colleague ravi@example.net to "
            "India and the World?')",
        ),
        ("Yes please!", "", "ignore", "not about the newsletter"),
    ],
)
def test_a_short_yes_is_read_by_the_quoted_offer_it_answers(text: str, quoted: str, outcome: str, reason: str) -> None:
    found = read_case("Re: India and the World", text, "asha@example.org", quoted)
    assert (found.outcome, found.reason) == (outcome, reason)
    assert found.evidence in text


def test_a_short_yes_with_nothing_quoted_answers_the_request_in_the_subject_it_replies_to() -> None:
    assert read_case("Re: subscribe", "Yes please, I'd like to join.", "kavya@example.org") == Intent(
        "subscribe", "Yes please, I'd like to join.", "yes in reply to 'subscribe'"
    )
    assert read_case("RE: Unsubscribe", "Yes, please.\n\nTom", "tom@example.org") == Intent(
        "unsubscribe", "Yes, please.", "yes in reply to 'Unsubscribe'"
    )
    # Not a yes, or a subject that asks nothing: the subject of a reply is someone else's words
    assert read_case("Re: Unsubscribe", "Thanks.", "tom@example.org").outcome == "unsure"
    assert read_case("Subscribe?", "Yes, but only after my exams.", "tom@example.org").outcome == "unsure"
    assert read_case("Re: Lunch", "Yes please!", "tom@example.org").outcome == "ignore"

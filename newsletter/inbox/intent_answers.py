"""A short "yes" is a request only by what it answers: "Yes please!" in reply to the editor's "Would you like us to
add you to India and the World?" asks to subscribe; the same words under anything else ask nothing. The offer is
read from the text the reader quoted below their answer (the inbox keeps it apart from the new text, which is the
only text requests are otherwise read from), or, when nothing is quoted, from the subject replied to when that is
a request itself ("Re: subscribe").
"""

from __future__ import annotations

import re
from collections.abc import Collection

from newsletter.inbox.intent_cues import fold
from newsletter.inbox.intent_judge import GREETING, judge
from newsletter.inbox.intent_model import ACT, SUBSCRIBE, UNSURE, Intent, Sentence
from newsletter.inbox.intent_sentences import split_sentences

QUOTED_LIMIT = 3_000  # characters of the quoted text read: the offer is at its top
# Words that say yes, in the languages readers write in; one of them must be in the answer.
_YES = (
    "yes yeah yep yup sure absolutely certainly definitely gladly ok okay indeed haan han ji हाँ हां जी ஆம் ஆமாம் "
    "হ্যাঁ ہاں ہاں جی అవును హా होय હા ಹೌದು അതെ ਹਾਂ oui sí si ja да"
)
# Words an answer may hold besides: courtesy and the verb of the offer said back.
_COURTESY = (
    "please pls plz kindly do that would be great lovely love like to it thank thanks you very much i i'd id sir madam"
    " of course by all means add me sign up subscribe include count in definitely will why not dear editor that's"
    " sounds good wonderful thats join receive get be added on board list"
)
_ASSENT = set(fold(_YES).split())
_ALLOWED = _ASSENT | set(_COURTESY.split())
_WORD = re.compile(r"[^\W\d_][\w']*|\S", re.UNICODE)
_MAX_WORDS = 12
_REPLY = re.compile(r"^\s*(?:(?:re|aw|sv|antw|res|rif)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)


def _is_assent(text: str) -> str:
    """The sentence of `text` that says yes, when the reader's text says nothing else ('' when it does)."""
    said = ""
    for span in split_sentences(text):
        raw = text[span.start : span.end]
        folded = fold(raw)
        words = [word for word in _WORD.findall(folded) if word[0].isalnum()]
        if not said and words and len(words) <= _MAX_WORDS and set(words) <= _ALLOWED and set(words) & _ASSENT:
            said = raw  # "Yes." before "Dear Editor": a greeting says yes too
        elif not words or GREETING.match(folded.strip()):
            continue
        elif not said or len(words) > 3:
            return ""  # a name under the answer is all that may follow it
    return said


def _answered_subject(assent: str, subject: str, sender: str, own: Collection[str]) -> Intent | None:
    """A yes in reply to a subject that is a request: 'Re: subscribe' and 'Yes please, I'd like to join'."""
    prefix = _REPLY.match(subject)
    if not prefix:
        return None
    asked = subject[prefix.end() :].strip()
    findings = judge(Sentence(asked, fold(asked), sender, own))
    if len(findings) == 1 and findings[0].weight == ACT:
        return Intent(findings[0].direction, assent, f"yes in reply to '{asked[:200]}'")
    return None


def answered_offer(text: str, quoted: str, sender: str, own: Collection[str], subject: str = "") -> Intent | None:
    """Subscribe when `text` only says yes and `quoted` offers to add the reader to the newsletter, or what a
    replied-to subject asks when nothing is quoted; unsure when it says yes to quoted text that names the
    newsletter without such an offer; None otherwise."""
    assent = _is_assent(text)
    if not assent:
        return None
    if not quoted.strip():
        return _answered_subject(assent, subject, sender, own)
    quoted = "\n".join(line.lstrip("> ") for line in quoted[:QUOTED_LIMIT].splitlines())
    named = ""
    for span in split_sentences(quoted):
        raw = quoted[span.start : span.end]
        sentence = Sentence(raw, fold(raw), sender, own)
        if not any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues):
            continue
        named = named or raw
        offer = sentence.first("OFFER")
        if offer and "OTHER" not in sentence.tags and not sentence.addresses:
            shown = " ".join(raw.split())[:200]
            return Intent(SUBSCRIBE, assent, f"yes to the quoted offer ('{shown}')")
    if named:
        shown = " ".join(named.split())[:200]
        return Intent(UNSURE, assent, f"a short yes to a quoted message about the newsletter ('{shown}')")
    return None

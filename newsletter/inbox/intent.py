"""What a reader's message asks of the newsletter, read from the words they wrote: a pure function from a
subject, the reader's new text and their address to an Intent (subscribe, unsubscribe, ignore or unsure), the
sentence that decided it, and why, in words the editor can check.

It acts only on a clear request from the sender about the sender's own address. Each sentence is tagged with
the phrase tables (intent_phrases for English, intent_languages and intent_foreign for the others; intent_cues
finds them) and judged (intent_judge): a request verb ("add me", "unsubscribe", "जोड़ दें") counts when something
makes it a request (please, I would like to, the imperative) and nothing takes it back (a negation, a condition,
an intention, a question, someone else, another address, another object or sense of the word, an opt-out
footer). The message is then decided as a whole: one clear request with nothing against it is acted on; a
request with something against it, or words about the newsletter that are neither a request nor clearly not one,
is unsure and goes to the editor; everything else is ignored. When in doubt between acting and not: unsure.

Two answers need more than the reader's new text: "Yes please!" under a quoted offer to add them (intent_answers
reads the quoted text for the offer), and "please keep sending it" from a reader who says they unsubscribed by
mistake (a request to come back).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from newsletter.inbox.intent_answers import answered_offer
from newsletter.inbox.intent_cues import fold, unread_script, worth_reading
from newsletter.inbox.intent_judge import GREETING, judge, judge_reply_subject
from newsletter.inbox.intent_model import (
    ACT,
    IGNORE,
    SOFT,
    SUBSCRIBE,
    UNSUBSCRIBE,
    UNSURE,
    Finding,
    Intent,
    Sentence,
    make_finding,
)
from newsletter.inbox.intent_sentences import readable_part, split_sentences

OUTCOMES = (SUBSCRIBE, UNSUBSCRIBE, IGNORE, UNSURE)
__all__ = ["OUTCOMES", "Intent", "read_intent"]


# Which unsure finding explains a message best, most telling first.
_PRIORITY = (
    "address",
    "third",
    "data",
    "mixed",
    "conditional",
    "pause",
    "negated",
    "intention",
    "question",
    "complaint",
    "link",
    "oneoff",
    "other_mixed",
    "mention",
    "topic",
    "asked",
    "reply",
    "past",
    "name",
)

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:\[[^\]]{0,40}\]\s*)|(?:re|fwd?|fw|aw|wg|tr|sv|antw|rif|res|enc|ref|réf|回复|答复|转发|回覆|轉寄)\s*"
    r"(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(
    r"(?:re|fwd?|fw|aw|wg|tr|sv|antw|rif|res|enc|ref|réf|回复|答复|转发|回覆|轉寄)\s*(?:\[\d+\])?\s*[:：]", re.I
)


# An automatic reply repeats the subject it answers: those words are not the sender's.
_AUTOMATIC_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office"
    r"|réponse automatique|respuesta automática|abwesenheitsnotiz|automatische antwort|risposta automatica"
    r"|resposta automática|автоматический ответ|自动回复|自動回覆|自動応答|स्वचालित उत्तर)\s*[:：]",
    re.IGNORECASE,
)


def read_intent(
    subject: str,
    new_text: str,
    sender_email: str,
    *,
    own_addresses: Collection[str] = (),
    quoted: str = "",
) -> Intent:
    """What the message asks: see the module's docstring. `own_addresses`: the publication's own addresses
    (never "another address" when a reader names them). `quoted`: the text the reader quoted below their own,
    read only for what a short "yes" answers."""
    sender = sender_email.strip().lower()
    own = {address.strip().lower() for address in own_addresses}
    context = _Context(sender, own)
    text = readable_part(new_text)
    if not worth_reading(fold(f"{subject}\n{text}")):
        # most mail: nothing in it is worth a sentence's look, unless it says yes to a quoted offer
        return _unread(subject, text, quoted, sender, own) or Intent(IGNORE, "", "not about the newsletter")
    for position, span in enumerate(split_sentences(text)):
        raw = text[span.start : span.end]
        folded = fold(raw)
        words = len(folded.split())
        if words >= 3 and not GREETING.match(folded.strip()):
            context.words += words  # "Thanks," and a name under it are not what a message says
        if worth_reading(folded):  # a sentence without any phrase that says something alone says nothing here
            sentence = Sentence(raw, folded, sender, own)
            context.add(sentence, judge(sentence), position)
        else:
            context.unread[position] = (raw, folded)
    title = "" if _AUTOMATIC_PREFIX.match(subject) else subject.strip()
    folded = fold(title)
    if title and worth_reading(folded):  # after the body: a request in the reader's own text is the better evidence
        prefix = _SUBJECT_PREFIX.match(title)
        sentence = Sentence(title, folded, sender, own)
        replied = bool(prefix and _REPLY_PREFIX.search(prefix.group()))
        context.add(sentence, judge_reply_subject(sentence) if replied else judge(sentence), -1)
    decided = _decide(context)
    # Nothing said but mentions and a replied-to subject: perhaps a short yes, or words the rules cannot read
    quiet = all(finding.weight in (IGNORE, SOFT) or finding.kind == "reply" for finding in context.findings)
    if quiet and decided.outcome in (IGNORE, UNSURE):
        return _unread(subject, text, quoted, sender, own) or decided
    return decided


def _unread(subject: str, text: str, quoted: str, sender: str, own: Collection[str]) -> Intent | None:
    """For a message in which nothing was found: a short yes to a quoted offer, or a script no table reads."""
    answer = answered_offer(text, quoted, sender, own, subject)
    if answer:
        return answer
    script = unread_script(f"{subject}\n{text}")
    if script:
        first = next((line.strip() for line in text.splitlines() if line.strip()), subject.strip())
        return Intent(UNSURE, first, f"written in a script the rules cannot read ({script.title()})")
    return None


class _Context:
    """What the sentences of a message said, and what the message talks about as a whole."""

    def __init__(self, sender: str, own: Collection[str]) -> None:
        self.sender, self.own = sender, own
        self.unread: dict[int, tuple[str, str]] = {}  # sentences that say nothing alone, looked at only when needed
        self.findings: list[Finding] = []
        self.addresses: list[Finding] = []
        self.others: list[Finding] = []  # sentences about something else: a webinar, the print magazine
        self.named = False  # the newsletter or its list is named somewhere
        self.thirds: list[Finding] = []  # sentences that speak of someone else (for a request about "it")
        self.mistake: Finding | None = None  # "I clicked the unsubscribe link by mistake"
        self.words = 0

    def add(self, sentence: Sentence, findings: list[Finding], position: int) -> None:
        for finding in findings:
            finding.position = position
        self.findings += findings
        if any(finding.kind == "footer" for finding in findings):
            return
        self.addresses += _address_findings(sentence)
        self.named = self.named or any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
        self._note(sentence, position)
        if position < 0:
            return
        unsubscribed = any(
            cue.tag in ("LINK", "UNSUB") or (cue.tag == "PAST" and cue.direction == UNSUBSCRIBE)
            for cue in sentence.cues
        )
        if "MISTAKE" in sentence.tags and unsubscribed and self.mistake is None:
            self.mistake = make_finding(sentence, "mistake", SOFT, "unsubscribed by mistake")

    def _note(self, sentence: Sentence, position: int) -> None:
        """Something else, or someone else, that the sentence speaks of."""
        other = sentence.first("OTHER")
        if other:
            found = make_finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(other)}'")
            found.position = position
            self.others.append(found)
        third = next(
            (cue for cue in sentence.cues if cue.tag in ("THIRD", "REFERRAL") and "general" not in cue.flags), None
        )
        if third and position >= 0:
            reason = f"about someone else: '{sentence.cue_quote(third)}'"
            self.thirds.append(make_finding(sentence, "third", UNSURE, reason))

    def _read(self, positions: Collection[int]) -> None:
        for position in sorted(set(positions) & self.unread.keys()):
            raw, folded = self.unread.pop(position)
            self._note(Sentence(raw, folded, self.sender, self.own), position)

    def someone_else(self) -> Finding | None:
        """The first sentence that speaks of someone else ("My father passed away"), read or not."""
        self._read(list(self.unread))
        return min(self.thirds, key=lambda finding: finding.position, default=None)

    def other_near(self, requests: list[Finding]) -> Finding | None:
        """Something else named in the subject, or in or just before the sentence of a request that names nothing."""
        if not requests or not all(finding.objectless for finding in requests):
            return None
        near = {-1} | {finding.position + step for finding in requests for step in (-1, 0, 1)}
        self._read(near)
        return next((other for other in self.others if other.position in near), None)


def _address_findings(sentence: Sentence) -> list[Finding]:
    return [
        make_finding(sentence, "address", UNSURE, f"about another address: {address}") for address in sentence.addresses
    ]


# Unsure findings that the reader's own "I'm staying" answers: a complaint about the link, a question about how
# unsubscribing works, a word of the subject.
_ANSWERED_BY_KEEP = {"link", "mention", "complaint", "question", "negated", "reply", "topic"}
# What a subject alone may say that the body then explains ("Subscription": "my subscription works fine, but...").
_SUBJECT_LABELS = {"topic", "mention", "name", "reply"}
# What the body says instead, clearly not a request.
_NOT_REQUESTS = {"status", "sense", "other", "offer", "keep", "footer", "general", "negated"}
# Unsure findings of a verb held back by its sentence ("If yes, kindly add me"): about what the message is about.
_HELD_BACK = {"conditional", "question", "intention"}


def _decide(context: _Context) -> Intent:
    findings, addresses, words = context.findings, context.addresses, context.words
    requests = [finding for finding in findings if finding.weight == ACT]
    if requests and all(finding.plain for finding in requests):
        if any(finding.kind == "footer" for finding in findings):
            requests = []  # a bare "Unsubscribe" among other opt-out lines is one of them
        elif words > 25:  # a bare "Unsubscribe" above a long text: the link line of someone's mailing, perhaps
            first = requests[0]
            return Intent(UNSURE, first.evidence, f"a bare '{first.evidence}' in a long message, not clearly a request")
    keeps = [finding for finding in findings if finding.kind == "keep"]
    if not requests and keeps and context.mistake:
        # "I clicked the unsubscribe link by mistake; please keep sending it": the reader asks to come back
        keep = keeps[0]
        reason = f"{keep.reason.replace('asks to stay', 'request to stay', 1)}, after unsubscribing by mistake"
        requests = [Finding("request", ACT, SUBSCRIBE, keep.evidence, reason, position=keep.position)]
    other = context.other_near(requests)
    if other:
        # "I'd like to attend the webinar. Please register me.": the request is about what the message is about
        if (requests[0].direction == SUBSCRIBE or all(finding.plain for finding in requests)) and not context.named:
            return Intent(IGNORE, other.evidence, other.reason)
        return Intent(UNSURE, other.evidence, f"asks to {requests[0].direction}, but also mentions: {other.reason}")
    if requests:
        return _decide_request(requests, findings, addresses, context)
    if any(finding.kind == "footer" for finding in findings):  # "Unsubscribe from all mailings" by the footer
        findings = [finding for finding in findings if finding.kind != "mention"]
    unsure = [finding for finding in findings if finding.weight == UNSURE]
    ignored = [finding for finding in findings if finding.weight == IGNORE]
    if unsure:
        explained = _explained(context, unsure, ignored, keeps)
        if explained:
            return explained
        best = min(unsure + addresses, key=lambda finding: _PRIORITY.index(finding.kind))
        return Intent(UNSURE, best.evidence, best.reason)
    stops = [finding for finding in ignored if finding.kind == "other" and finding.direction == UNSUBSCRIBE]
    if stops and not context.named and not keeps:
        # "Please stop sending me the X alerts" and nothing else: perhaps X is what the reader calls this newsletter
        return Intent(UNSURE, stops[0].evidence, f"asks to stop something else, says nothing of the newsletter: "
                      f"{stops[0].reason}")  # fmt: skip
    if addresses and context.named:  # "my daughter's address is ...; she would like the newsletter too"
        return Intent(UNSURE, addresses[0].evidence, addresses[0].reason)
    if ignored:
        return Intent(IGNORE, ignored[0].evidence, ignored[0].reason)
    soft = [finding for finding in findings if finding.weight == SOFT]
    if soft:
        best = min(soft, key=lambda finding: _PRIORITY.index(finding.kind))
        if best.kind != "name" or words <= 5:
            return Intent(UNSURE, best.evidence, best.reason)
        return Intent(IGNORE, best.evidence, "about the newsletter, asks nothing of it")
    return Intent(IGNORE, "", "not about the newsletter")


def _explained(context: _Context, unsure: list[Finding], ignored: list[Finding], keeps: list[Finding]) -> Intent | None:
    """The message itself answers what made it unsure: a verb held back by a sentence about something else ("Do
    you have a WhatsApp group? If yes, kindly add me"), a reader who says they are staying, a subject the body
    explains."""
    if all(finding.kind in _HELD_BACK for finding in unsure) and not context.named:
        other = context.other_near(unsure)
        if other:
            return Intent(IGNORE, other.evidence, other.reason)
    if keeps and all(finding.kind in _ANSWERED_BY_KEEP for finding in unsure):
        return Intent(IGNORE, keeps[0].evidence, keeps[0].reason)
    body = [finding for finding in ignored if finding.position >= 0 and finding.kind in _NOT_REQUESTS]
    if body and all(finding.position < 0 and finding.kind in _SUBJECT_LABELS for finding in unsure):
        return Intent(IGNORE, body[0].evidence, body[0].reason)
    return None


def _decide_request(
    requests: list[Finding], findings: list[Finding], addresses: list[Finding], context: _Context
) -> Intent:
    directions = {finding.direction for finding in requests}
    first = next((finding for finding in requests if finding.evidence), requests[0])
    if len(directions) > 1:
        return Intent(UNSURE, first.evidence, "asks both to subscribe and to unsubscribe")
    direction = directions.pop()
    third = context.someone_else() if any(finding.pronoun for finding in requests) else None
    if third:
        # "My father passed away. Please remove it from your list.": whose address "it" is, the editor can tell
        return Intent(UNSURE, first.evidence, f"asks to {direction} 'it', and is {third.reason}")
    opposite = UNSUBSCRIBE if direction == SUBSCRIBE else SUBSCRIBE
    for finding in addresses + findings:
        against = (
            finding.kind in ("address", "third", "conditional", "other_mixed", "data", "pause")
            or (finding.kind == "keep" and direction == UNSUBSCRIBE)
            or (finding.kind == "negated" and finding.direction == (direction if direction == SUBSCRIBE else "keep"))
            or (finding.kind in ("intention", "question", "mention") and finding.direction == opposite)
        )
        if against:
            reason = finding.reason
            if finding.kind in ("keep", "negated", "intention", "question", "mention", "data", "pause"):
                reason = f"asks to {direction}, but also: {finding.reason}"
            return Intent(UNSURE, finding.evidence, reason)
    return Intent(direction, first.evidence, first.reason)

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
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from newsletter.inbox.intent_cues import fold, worth_reading
from newsletter.inbox.intent_judge import (
    ACT,
    GREETING,
    IGNORE,
    SOFT,
    SUBSCRIBE,
    UNSUBSCRIBE,
    UNSURE,
    Finding,
    Sentence,
    judge,
    judge_reply_subject,
    make_finding,
)
from newsletter.inbox.intent_sentences import readable_part, split_sentences

OUTCOMES = (SUBSCRIBE, UNSUBSCRIBE, IGNORE, UNSURE)


@dataclass(frozen=True)
class Intent:
    """`outcome`: subscribe, unsubscribe, ignore or unsure. `evidence`: the sentence (or the subject) that
    decided it, exactly as written ('' when nothing did). `reason`: why, in a few words."""

    outcome: str
    evidence: str
    reason: str


# Which unsure finding explains a message best, most telling first.
_PRIORITY = (
    "address",
    "third",
    "mixed",
    "conditional",
    "negated",
    "intention",
    "question",
    "complaint",
    "link",
    "oneoff",
    "other_mixed",
    "mention",
    "topic",
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


def read_intent(subject: str, new_text: str, sender_email: str, *, own_addresses: Collection[str] = ()) -> Intent:
    """What the message asks: see the module's docstring. `own_addresses`: the publication's own addresses
    (never "another address" when a reader names them)."""
    sender = sender_email.strip().lower()
    own = {address.strip().lower() for address in own_addresses}
    context = _Context()
    text = readable_part(new_text)
    if not worth_reading(fold(f"{subject}\n{text}")):
        return Intent(IGNORE, "", "not about the newsletter")  # most mail: nothing in it is worth a sentence's look
    for position, span in enumerate(split_sentences(text)):
        raw = text[span.start : span.end]
        folded = fold(raw)
        words = len(folded.split())
        if words >= 3 and not GREETING.match(folded.strip()):
            context.words += words  # "Thanks," and a name under it are not what a message says
        if worth_reading(folded):  # a sentence without any phrase that says something alone says nothing here
            sentence = Sentence(raw, folded, sender, own)
            context.add(sentence, judge(sentence), position)
    title = subject.strip()
    folded = fold(title)
    if title and worth_reading(folded):  # after the body: a request in the reader's own text is the better evidence
        prefix = _SUBJECT_PREFIX.match(title)
        sentence = Sentence(title, folded, sender, own)
        replied = bool(prefix and _REPLY_PREFIX.search(prefix.group()))
        context.add(sentence, judge_reply_subject(sentence) if replied else judge(sentence), -1)
    return _decide(context)


class _Context:
    """What the sentences of a message said, and what the message talks about as a whole."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.addresses: list[Finding] = []
        self.others: list[Finding] = []  # sentences about something else: a webinar, the print magazine
        self.named = False  # the newsletter or its list is named somewhere
        self.words = 0

    def add(self, sentence: Sentence, findings: list[Finding], position: int) -> None:
        for finding in findings:
            finding.position = position
        self.findings += findings
        if any(finding.kind == "footer" for finding in findings):
            return
        self.addresses += _address_findings(sentence)
        self.named = self.named or any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
        other = sentence.first("OTHER")
        if other:
            found = make_finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(other)}'")
            found.position = position
            self.others.append(found)

    def other_near(self, requests: list[Finding]) -> Finding | None:
        """Something else named in the subject, or in or just before the sentence of a request that names nothing."""
        if not requests or not all(finding.objectless for finding in requests):
            return None
        near = {-1} | {finding.position + step for finding in requests for step in (-1, 0, 1)}
        return next((other for other in self.others if other.position in near), None)


def _address_findings(sentence: Sentence) -> list[Finding]:
    return [
        make_finding(sentence, "address", UNSURE, f"about another address: {address}") for address in sentence.addresses
    ]


def _decide(context: _Context) -> Intent:
    findings, addresses, words = context.findings, context.addresses, context.words
    requests = [finding for finding in findings if finding.weight == ACT]
    if requests and all(finding.plain for finding in requests):
        if any(finding.kind == "footer" for finding in findings):
            requests = []  # a bare "Unsubscribe" among other opt-out lines is one of them
        elif words > 25:  # a bare "Unsubscribe" above a long text: the link line of someone's mailing, perhaps
            first = requests[0]
            return Intent(UNSURE, first.evidence, f"a bare '{first.evidence}' in a long message, not clearly a request")
    other = context.other_near(requests)
    if other:
        # "I'd like to attend the webinar. Please register me.": the request is about what the message is about
        if (requests[0].direction == SUBSCRIBE or all(finding.plain for finding in requests)) and not context.named:
            return Intent(IGNORE, other.evidence, other.reason)
        return Intent(UNSURE, other.evidence, f"asks to {requests[0].direction}, but also mentions: {other.reason}")
    if requests:
        return _decide_request(requests, findings, addresses)
    if any(finding.kind == "footer" for finding in findings):  # "Unsubscribe from all mailings" by the footer
        findings = [finding for finding in findings if finding.kind != "mention"]
    unsure = [finding for finding in findings if finding.weight == UNSURE]
    if unsure:
        best = min(unsure + addresses, key=lambda finding: _PRIORITY.index(finding.kind))
        return Intent(UNSURE, best.evidence, best.reason)
    ignored = [finding for finding in findings if finding.weight == IGNORE]
    if ignored:
        return Intent(IGNORE, ignored[0].evidence, ignored[0].reason)
    soft = [finding for finding in findings if finding.weight == SOFT]
    if soft:
        best = min(soft, key=lambda finding: _PRIORITY.index(finding.kind))
        if best.kind != "name" or words <= 5:
            return Intent(UNSURE, best.evidence, best.reason)
        return Intent(IGNORE, best.evidence, "about the newsletter, asks nothing of it")
    return Intent(IGNORE, "", "not about the newsletter")


def _decide_request(requests: list[Finding], findings: list[Finding], addresses: list[Finding]) -> Intent:
    directions = {finding.direction for finding in requests}
    first = next((finding for finding in requests if finding.evidence), requests[0])
    if len(directions) > 1:
        return Intent(UNSURE, first.evidence, "asks both to subscribe and to unsubscribe")
    direction = directions.pop()
    opposite = UNSUBSCRIBE if direction == SUBSCRIBE else SUBSCRIBE
    for finding in addresses + findings:
        against = (
            finding.kind in ("address", "third", "conditional", "other_mixed")
            or (finding.kind == "keep" and direction == UNSUBSCRIBE)
            or (finding.kind == "negated" and finding.direction == (direction if direction == SUBSCRIBE else "keep"))
            or (finding.kind in ("intention", "question", "mention") and finding.direction == opposite)
        )
        if against:
            reason = finding.reason
            if finding.kind in ("keep", "negated", "intention", "question", "mention"):
                reason = f"asks to {direction}, but also: {finding.reason}"
            return Intent(UNSURE, finding.evidence, reason)
    return Intent(direction, first.evidence, first.reason)

"""What a reader's message asks of the newsletter, read from the words they wrote: a pure function from a
subject, the reader's new text and their address to an Intent (subscribe, unsubscribe, ignore or unsure), the
sentence that decided it, and why, in words the editor can check.

It acts only on a clear request from the sender about the sender's own address. Each sentence is tagged with
the phrase tables (intent_phrases for English, intent_languages for the others; intent_cues finds them) and
judged: a request verb ("add me", "unsubscribe", "जोड़ दें") counts when something makes it a request (please,
I would like to, the imperative) and nothing takes it back (a negation, a condition, an intention, a question,
someone else, another address, another object or sense of the word, an opt-out footer). The message is then
decided as a whole: one clear request with nothing against it is acted on; a request with something against it,
or words about the newsletter that are neither a request nor clearly not one, is unsure and goes to the editor;
everything else is ignored. When in doubt between acting and not, the answer is unsure.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass

from newsletter.intent_cues import Cue, find_addresses, fold, quote_words, tag_cues, token_spans, worth_reading
from newsletter.intent_sentences import readable_part, split_sentences

SUBSCRIBE, UNSUBSCRIBE, IGNORE, UNSURE = "subscribe", "unsubscribe", "ignore", "unsure"
OUTCOMES = (SUBSCRIBE, UNSUBSCRIBE, IGNORE, UNSURE)


@dataclass(frozen=True)
class Intent:
    """`outcome`: subscribe, unsubscribe, ignore or unsure. `evidence`: the sentence (or the subject) that
    decided it, exactly as written ('' when nothing did). `reason`: why, in a few words."""

    outcome: str
    evidence: str
    reason: str


# How much a finding weighs when no clear request is found: UNSURE sends the message to the editor, IGNORE says
# it is clearly not a request, SOFT is unsure only when nothing else in the message says otherwise.
_ACT, _SOFT = "act", "soft"
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
_CLAUSE = re.compile(
    r"\s*(?:[;:]|\s-\s|\b(?:but|however|although|though|whereas|while|and|so|because|also|as well as|mais|pero"
    r"|aber|но)\b|(?<!\S)(?:लेकिन|परंतु|किंतु|और|ஆனால்|மற்றும்|কিন্তু|এবং|لیکن|اور|కానీ|మరియు|पण|आणि|પણ|અને"
    r"|ಆದರೆ|ಮತ್ತು|പക്ഷേ|എന്നാൽ|ਪਰ|ਅਤੇ)(?!\S)|但是|但|,(?= ?(?:i|we|my|our|it|this|they|he|she)\b))\s*"
)
_GREETING = re.compile(
    r"^(?:(?:hi+|hello|hey|dear|respected|sir|sirs|madam|ma'am|mam|editor|editors|team|all|good|morning|afternoon"
    r"|evening|day|namaste|namaskar|namaskaram|vanakkam|greetings|ok|okay|yes|yeah|hlo|also|and|then|so|now|just"
    r"|simply|again|subject|re|fwd?|the|india|world|writes)\W*)*$"
)
_TOO = re.compile(r"\b(?:too|also|as well|as also)\b|भी|கூட|ও\b")
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:\[[^\]]{0,40}\]\s*)|(?:re|fwd?|fw|aw|wg|tr|sv|antw|rif|res|enc|ref|réf|回复|答复|转发|回覆|轉寄)\s*"
    r"(?:\[\d+\])?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(
    r"(?:re|fwd?|fw|aw|wg|tr|sv|antw|rif|res|enc|ref|réf|回复|答复|转发|回覆|轉寄)\s*(?:\[\d+\])?\s*[:：]", re.I
)
_FOOTERISH = re.compile(r"\bclick\b|\bhere\b|\||»|\blink below\b")
# What may follow a bare "Unsubscribe" in a request that is nothing else: its object and courtesy.
_COURTESY_WORDS = (
    "me us my our from to the this that these your list mailing please now thanks thank you immediately asap of on"
    " at with all any emails mails email mail newsletter newsletters digest it them kindly sir madam regards again"
    " too also address id a an for in right away request requested sent iphone android"
)
_COURTESY = set(_COURTESY_WORDS.split())
_PUNCTUATION = re.compile(r"[,;:.!?।۔]")
_PLEASE = re.compile(r"please|pls|plz|plse|plss|kindly|कृपया|प्लीज")


@dataclass(slots=True)
class _Finding:
    kind: str
    weight: str  # _ACT, UNSURE, IGNORE or _SOFT
    direction: str  # subscribe, unsubscribe, keep or ""
    evidence: str
    reason: str
    plain: bool = False  # a request made only by a bare imperative ("Unsubscribe"), as footers are written
    objectless: bool = False  # a request that does not say what it is for ("please register me")
    position: int = 0  # the sentence's number in the body; -1 for the subject


class _Sentence:
    """One sentence, folded and tagged, with what the judgement of its cues needs."""

    def __init__(self, raw: str, folded: str, sender: str, own: Collection[str]) -> None:
        self.raw = raw
        self.folded = folded
        self.cues = tag_cues(folded)
        self.firsts: dict[str, Cue] = {}
        for cue in reversed(self.cues):
            self.firsts[cue.tag] = cue
        self.tags = self.firsts.keys()
        self._cuts: list[int] | None = None
        self._spans: tuple[list[tuple[int, int]], list[tuple[int, int]]] | None = None
        self.addresses = [
            address for address in find_addresses(self.folded) if address != sender and address not in own
        ]

    @property
    def cuts(self) -> list[int]:
        """Where clauses begin ('but', 'and', ';'), except inside a phrase ('India and the World')."""
        if self._cuts is None:
            cuts = [match.start() for match in _CLAUSE.finditer(self.folded)]
            self._cuts = [cut for cut in cuts if not any(cue.start < cut < cue.end for cue in self.cues)]
        return self._cuts

    def clause(self, position: int) -> int:
        return bisect_right(self.cuts, position)

    def quote(self, start: int, end: int, before: int = 0) -> str:
        if self._spans is None:
            self._spans = (token_spans(self.folded), token_spans(self.raw))
        if before:
            words = [token_start for token_start, _ in self._spans[0] if token_start < start]
            start = words[-before] if len(words) >= before else 0
        return quote_words(self.raw, self.folded, start, end, self._spans)

    def cue_quote(self, cue: Cue) -> str:
        return self.quote(cue.start, cue.end)

    def first(self, tag: str, clause: int | None = None) -> Cue | None:
        if clause is None or tag not in self.firsts:
            return self.firsts.get(tag)
        return next((cue for cue in self.cues if cue.tag == tag and self.clause(cue.start) == clause), None)


def _finding(sentence: _Sentence, kind: str, weight: str, reason: str, direction: str = "") -> _Finding:
    return _Finding(kind, weight, direction, sentence.raw, reason)


def _near_object(sentence: _Sentence, action: Cue, objects: list[Cue]) -> bool:
    """For 'send me', 'receive', 'join': the newsletter is what is sent, received or joined. In English it comes
    next ('send me your newsletter', not 'send me your rate card for the newsletter'); in the Indian languages
    the object comes before the verb, anywhere in the clause."""
    if action.language != "English":
        return bool(objects)
    return any(cue.start >= action.end and len(sentence.folded[action.end : cue.start].split()) <= 3 for cue in objects)


def _negation(sentence: _Sentence, action: Cue) -> Cue | None:
    """A negation just before the action, in its clause: 'I did not ask to subscribe', 'मत भेजें'."""
    clause = sentence.clause(action.start)
    reach = 4 if action.language == "English" else 2
    for cue in reversed(sentence.cues):
        if cue.end > action.start or sentence.clause(cue.start) != clause:
            continue
        if cue.tag in ("SUB", "UNSUB", "KEEP"):
            return None
        if cue.tag == "NEG":
            return cue if len(sentence.folded[cue.end : action.start].split()) <= reach else None
    return None


def _imperative(sentence: _Sentence, action: Cue) -> bool:
    """The action opens its clause, after a greeting at most: 'Unsubscribe', 'Hi, subscribe me'."""
    cuts = [cut for cut in sentence.cuts if cut <= action.start]
    start = cuts[-1] if cuts else 0
    return bool(_GREETING.match(sentence.folded[start : action.start].strip()))


def _only_request(sentence: _Sentence, action: Cue) -> bool:
    """Nothing after a bare verb but its object and courtesy: 'Unsubscribe me from this list please', not
    'Unsubscribe not working'."""
    named = [(cue.start, cue.end) for cue in sentence.cues if cue.tag in ("OBJ", "OWN", "FRAME")]
    for match in re.finditer(r"\S+", sentence.folded[action.end :]):
        start = action.end + match.start()
        word = match.group().strip(".,;:!?()'\"-")
        if word and word not in _COURTESY and not any(low <= start < high for low, high in named):
            return False
    return True


def _judge_action(sentence: _Sentence, action: Cue) -> _Finding | None:
    flags = set(action.flags.split())
    direction = action.direction
    clause = sentence.clause(action.start)
    verb = {SUBSCRIBE: "subscribing", UNSUBSCRIBE: "unsubscribing", "keep": "staying subscribed"}[direction]
    in_clause = [cue for cue in sentence.cues if sentence.clause(cue.start) == clause]
    objects = [cue for cue in in_clause if cue.tag == "OBJ"]
    others = [cue for cue in in_clause if cue.tag == "OTHER"]
    if "obj" in flags and not _near_object(sentence, action, objects):
        objects = []  # "send me your rate card for the newsletter": what is sent is not the newsletter
    if others and not any("weak" not in cue.flags for cue in objects):
        return _finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(others[0])}'")
    if others:
        quoted = sentence.cue_quote(others[0])
        return _finding(sentence, "other_mixed", UNSURE, f"about the newsletter and something else: '{quoted}'")
    if "obj" in flags and not objects:
        return None
    negation = _negation(sentence, action)
    framed = bool(flags & {"own", "self"}) or direction == "keep"
    if negation or "neg" in flags:
        past = negation is not None and "past" in negation.flags
        if direction == SUBSCRIBE and "send" in flags and not past:
            direction, framed = UNSUBSCRIBE, True  # "do not send me": a request to stop
        else:
            start = negation.start if negation else action.start
            reason = f"negated: '{sentence.quote(start, action.end, before=1)}'"
            keep = "keep" if direction == UNSUBSCRIBE else direction
            # "I did not ask to subscribe" is a complaint for the editor; "I did not unsubscribe" may only explain
            weight = (
                (_SOFT if direction == UNSUBSCRIBE else UNSURE) if past else UNSURE if direction == "keep" else IGNORE
            )
            return _finding(sentence, "negated", weight, reason, keep)
    blocker = _blocker(sentence, action, clause)
    if blocker:
        kind, cue, text = blocker
        spans_action = cue.start < action.start and kind != "third"
        quoted = text or sentence.quote(cue.start, max(cue.end, action.end) if spans_action else cue.end)
        reasons = {
            "address": f"about another address: {text}" if text else f"about another address: '{quoted}'",
            "third": f"about someone else: '{quoted}'",
            "conditional": f"conditional: '{quoted}'",
            "intention": f"an intention, not a request: '{quoted}'",
            "question": f"a question, not a request: '{quoted}'",
            "complaint": f"a complaint, not a request: '{quoted}'",
            "past": f"about what happened before: '{quoted}'",
        }
        return _finding(sentence, kind, _SOFT if kind == "past" else UNSURE, reasons[kind], direction)
    frame = next((cue for cue in reversed(sentence.cues) if cue.tag == "FRAME" and cue.end <= action.start), None)
    please_after = any(cue.tag == "FRAME" and _PLEASE.fullmatch(cue.text) for cue in sentence.cues[::-1])
    asked = sentence.folded.rstrip().endswith("?")  # "Subscribe?" asks whether, not to
    imperative = "ing" not in flags and not asked and _imperative(sentence, action) and _only_request(sentence, action)
    plain = not framed and frame is None and not please_after and imperative
    if not (framed or frame or please_after or plain):
        if "obj" in flags:
            return None  # "readers get it on Mondays": a description, and the object is judged as a mention
        weight = _SOFT if "ing" in flags else UNSURE  # "Unsubscribing from others made room for yours"
        return _finding(sentence, "mention", weight, f"mentions {verb}, asks nothing: '{sentence.cue_quote(action)}'")
    near = (
        frame is not None
        and action.language == "English"
        and len(sentence.folded[frame.end : action.start].split()) <= 2
    )
    quoted = sentence.quote(frame.start if near and frame else action.start, action.end)
    label = "" if action.language == "English" else f"{action.language}: "
    if direction == "keep":
        return _finding(sentence, "keep", IGNORE, f"asks to stay subscribed ({label}'{quoted}')", "keep")
    finding = _finding(sentence, "request", _ACT, f"request to {direction} ({label}'{quoted}')", direction)
    finding.plain = plain
    finding.objectless = not any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
    return finding


def _blocker(sentence: _Sentence, action: Cue, clause: int) -> tuple[str, Cue, str] | None:
    """What takes a request back, most telling first: (kind, the cue, an address when it is one)."""
    if sentence.addresses:
        return "address", action, sentence.addresses[0]
    other_address = sentence.first("OTHERADDR")
    if other_address:
        return "address", other_address, ""
    third = sentence.first("THIRD")
    if third and "REFERRAL" not in sentence.tags:
        return "third", third, ""
    condition = sentence.first("COND")
    if condition:
        return "conditional", condition, ""
    for tag, kind in (("LATER", "intention"), ("QUESTION", "question")):
        cue = sentence.first(tag, clause)
        if cue:
            return kind, cue, ""
    for tag, kind in (("COMPLAINT", "complaint"), ("PAST", "past")):
        cue = sentence.first(tag, clause)
        # "I tried to unsubscribe", "I asked to be removed": the action is what the complaint or the past is about
        between = sentence.folded[cue.end : action.start] if cue else ""
        reach = 6 if cue and "far" in cue.flags else 3  # "I asked you last week to remove me"
        if cue and cue.start < action.start and len(between.split()) <= reach and not _PUNCTUATION.search(between):
            return kind, cue, ""
    return None


def _judge_mentions(sentence: _Sentence) -> list[_Finding]:
    """A sentence without a request verb: what it says about the newsletter, if anything."""
    first = sentence.first
    for tag, kind, weight, text in (
        ("SENSE", "sense", IGNORE, "another sense of the words"),
        ("COMPLAINT", "complaint", UNSURE, "a complaint, not a request"),
        ("LINK", "link", UNSURE, "about the unsubscribe link"),
        ("ONEOFF", "oneoff", UNSURE, "asks for one issue or article"),
    ):
        cue = first(tag)
        if cue:
            if tag == "COMPLAINT" and "neg" in cue.flags:
                text = "negated"
            return [_finding(sentence, kind, weight, f"{text}: '{sentence.quote(cue.start, cue.end, before=1)}'")]
    question = next((cue for cue in sentence.cues if cue.tag == "QUESTION" and cue.direction), None)
    if question:
        return [_finding(sentence, "question", UNSURE, f"a question: '{sentence.quote(question.start, question.end)}'")]
    change = next((cue for cue in sentence.cues if cue.tag == "OTHERADDR" and cue.direction), None)
    if change:
        return [_finding(sentence, "address", UNSURE, f"about another address: '{sentence.cue_quote(change)}'")]
    third = next((cue for cue in sentence.cues if cue.tag == "THIRD" and cue.direction), None)
    named = any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
    if (
        third is None
        and "REFERRAL" not in sentence.tags
        and (_TOO.search(sentence.folded) or (named and "FRAME" in sentence.tags))
    ):
        third = first("THIRD")  # "My wife too.", "She would like the newsletter."
    if third:
        return [_finding(sentence, "third", UNSURE, f"about someone else: '{sentence.cue_quote(third)}'")]
    objects = [cue for cue in sentence.cues if cue.tag == "OBJ" and "weak" not in cue.flags]
    other = first("OTHER")
    topical = objects or any(cue.tag in ("PAST", "STATUS") and cue.direction for cue in sentence.cues)
    if other and topical and not any("name" in cue.flags for cue in objects):
        return [_finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(other)}'")]
    status = first("STATUS")
    if status:
        return [_finding(sentence, "status", IGNORE, f"already a reader: '{sentence.cue_quote(status)}'")]
    past = next((cue for cue in sentence.cues if cue.tag == "PAST" and (cue.direction or objects)), None)
    if past:
        negation = first("NEG")
        if negation and negation.start < past.start:
            quoted = sentence.quote(negation.start, past.end, before=1)
            return [_finding(sentence, "negated", UNSURE, f"negated: '{quoted}'")]
        return [_finding(sentence, "past", _SOFT, f"about what happened before: '{sentence.cue_quote(past)}'")]
    if not objects:
        return []
    quoted = sentence.cue_quote(objects[0])
    if "FEEDBACK" in sentence.tags:
        return [_finding(sentence, "feedback", IGNORE, f"a comment on the newsletter: '{quoted}'")]
    doubt = first("COND") or first("LATER")
    if doubt:  # "Not sure I want this newsletter", "If the newsletter were weekly..."
        kind = "conditional" if doubt.tag == "COND" else "intention"
        return [_finding(sentence, kind, UNSURE, f"{kind} about the newsletter: '{sentence.cue_quote(doubt)}'")]
    negation = first("NEG")
    if negation:
        quoted = sentence.quote(negation.start, objects[0].end, before=1)
        return [_finding(sentence, "negated", UNSURE if "past" in negation.flags else IGNORE, f"negated: '{quoted}'")]
    if any("strong" in cue.flags for cue in objects):
        return [_finding(sentence, "topic", UNSURE, f"about the subscription, but no clear request: '{quoted}'")]
    return [_finding(sentence, "name", _SOFT, f"mentions the newsletter, asks nothing: '{quoted}'")]


def _judge(sentence: _Sentence) -> list[_Finding]:
    cues, tags = sentence.cues, sentence.tags
    if not cues:
        return []
    actions = [cue for cue in cues if cue.tag in ("SUB", "UNSUB", "KEEP")]
    footer = sentence.first("FOOTER")
    if footer is None and any(cue.tag in ("SUB", "UNSUB") for cue in actions):
        owned = any("own" in cue.flags for cue in actions) or tags & {"OWN", "FRAME"}
        if not owned and ("URL" in tags or _FOOTERISH.search(sentence.folded)):
            footer = actions[0]
    if footer:
        quoted = sentence.cue_quote(footer)
        return [_finding(sentence, "footer", IGNORE, f"an opt-out footer or notice, not a request: '{quoted}'")]
    findings = [finding for action in actions if (finding := _judge_action(sentence, action))]
    return findings or _judge_mentions(sentence)


def _judge_reply_subject(sentence: _Sentence) -> list[_Finding]:
    """The subject of a reply or a forward repeats someone else's words: at most a hint for the editor."""
    if any(cue.tag in ("SUB", "UNSUB", "LINK") or "strong" in cue.flags for cue in sentence.cues):
        return [_finding(sentence, "reply", _SOFT, f"only the subject of a reply mentions it: '{sentence.raw}'")]
    return []


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
        if words >= 3 and not _GREETING.match(folded.strip()):
            context.words += words  # "Thanks," and a name under it are not what a message says
        if worth_reading(folded):  # a sentence without any phrase that says something alone says nothing here
            sentence = _Sentence(raw, folded, sender, own)
            context.add(sentence, _judge(sentence), position)
    title = subject.strip()
    folded = fold(title)
    if title and worth_reading(folded):  # after the body: a request in the reader's own text is the better evidence
        prefix = _SUBJECT_PREFIX.match(title)
        sentence = _Sentence(title, folded, sender, own)
        replied = bool(prefix and _REPLY_PREFIX.search(prefix.group()))
        context.add(sentence, _judge_reply_subject(sentence) if replied else _judge(sentence), -1)
    return _decide(context)


class _Context:
    """What the sentences of a message said, and what the message talks about as a whole."""

    def __init__(self) -> None:
        self.findings: list[_Finding] = []
        self.addresses: list[_Finding] = []
        self.others: list[_Finding] = []  # sentences about something else: a webinar, the print magazine
        self.named = False  # the newsletter or its list is named somewhere
        self.words = 0

    def add(self, sentence: _Sentence, findings: list[_Finding], position: int) -> None:
        for finding in findings:
            finding.position = position
        self.findings += findings
        if any(finding.kind == "footer" for finding in findings):
            return
        self.addresses += _address_findings(sentence)
        self.named = self.named or any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
        other = sentence.first("OTHER")
        if other:
            found = _finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(other)}'")
            found.position = position
            self.others.append(found)

    def other_near(self, requests: list[_Finding]) -> _Finding | None:
        """Something else named in the subject, or in or just before the sentence of a request that names nothing."""
        if not requests or not all(finding.objectless for finding in requests):
            return None
        near = {-1} | {finding.position + step for finding in requests for step in (-1, 0, 1)}
        return next((other for other in self.others if other.position in near), None)


def _address_findings(sentence: _Sentence) -> list[_Finding]:
    return [
        _finding(sentence, "address", UNSURE, f"about another address: {address}") for address in sentence.addresses
    ]


def _decide(context: _Context) -> Intent:
    findings, addresses, words = context.findings, context.addresses, context.words
    requests = [finding for finding in findings if finding.weight == _ACT]
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
    soft = [finding for finding in findings if finding.weight == _SOFT]
    if soft:
        best = min(soft, key=lambda finding: _PRIORITY.index(finding.kind))
        if best.kind != "name" or words <= 5:
            return Intent(UNSURE, best.evidence, best.reason)
        return Intent(IGNORE, best.evidence, "about the newsletter, asks nothing of it")
    return Intent(IGNORE, "", "not about the newsletter")


def _decide_request(requests: list[_Finding], findings: list[_Finding], addresses: list[_Finding]) -> Intent:
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

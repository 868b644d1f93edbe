"""How each sentence of a reader's message is judged (intent.py decides the message from these findings): the
cues intent_cues finds in it (request verbs, negations, conditions, objects...) turned into findings, each with
the sentence as evidence, the reason in the editor's words, and a weight: a clear request (act), clearly not a
request (ignore), something for the editor (unsure), or a hint that counts only when nothing else does (soft).
"""

from __future__ import annotations

import re

from newsletter.inbox.intent_cues import Cue
from newsletter.inbox.intent_model import (
    ACT,
    IGNORE,
    SOFT,
    SUBSCRIBE,
    UNSUBSCRIBE,
    UNSURE,
    Finding,
    Sentence,
    make_finding,
)

GREETING = re.compile(
    r"^(?:(?:hi+|hello|hey|dear|respected|sir|sirs|madam|ma'am|mam|editor|editors|team|all|good|morning|afternoon"
    r"|evening|day|namaste|namaskar|namaskaram|vanakkam|greetings|ok|okay|yes|yeah|hlo|also|and|then|so|now|just"
    r"|simply|again|subject|re|fwd?|the|india|world|writes)\W*)*$"
)
_TOO = re.compile(r"\b(?:too|also|as well|as also)\b|भी|கூட|ও\b")
_FOOTERISH = re.compile(r"\bclick\b|\bhere\b|\||»|\blink below\b")
_GUILLEMETS = re.compile(r"«[^«»]*»")
# What may follow a bare "Unsubscribe" in a request that is nothing else: its object and courtesy.
_COURTESY_WORDS = (
    "me us my our from to the this that these your list mailing please now thanks thank you immediately asap of on"
    " at with all any emails mails email mail newsletter newsletters digest it them kindly sir madam regards again"
    " too also address id a an for in right away request requested sent iphone android"
)
_COURTESY = set(_COURTESY_WORDS.split())
_PUNCTUATION = re.compile(r"[,;:.!?।۔]")
# Capitalised words after "subscribe" or "unsubscribe" that are not someone's name.
_NOT_NAME_WORDS = (
    "i me my us our to from please pls kindly thanks thank india the this all now asap immediately at once"
)
_NOT_NAMES = set(_NOT_NAME_WORDS.split())
_PLEASE = re.compile(r"please|pls|plz|plse|plss|kindly|कृपया|प्लीज")


def _near_object(sentence: Sentence, action: Cue, objects: list[Cue]) -> bool:
    """For 'send me', 'receive', 'join': the newsletter is what is sent, received or joined. In English it comes
    next ('send me your newsletter', not 'send me your rate card for the newsletter'); in the Indian languages
    the object comes before the verb, anywhere in the clause."""
    if action.language != "English":
        return bool(objects)
    return any(cue.start >= action.end and len(sentence.folded[action.end : cue.start].split()) <= 3 for cue in objects)


def _negation(sentence: Sentence, action: Cue) -> Cue | None:
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


def _imperative(sentence: Sentence, action: Cue) -> bool:
    """The action opens its clause, after a greeting at most: 'Unsubscribe', 'Hi, subscribe me'."""
    cuts = [cut for cut in sentence.cuts if cut <= action.start]
    start = cuts[-1] if cuts else 0
    return bool(GREETING.match(sentence.folded[start : action.start].strip()))


def _only_request(sentence: Sentence, action: Cue) -> bool:
    """Nothing after a bare verb but its object and courtesy: 'Unsubscribe me from this list please', not
    'Unsubscribe not working'."""
    named = [(cue.start, cue.end) for cue in sentence.cues if cue.tag in ("OBJ", "OWN", "FRAME")]
    for match in re.finditer(r"\S+", sentence.folded[action.end :]):
        start = action.end + match.start()
        word = match.group().strip(".,;:!?()'\"-")
        if word and word not in _COURTESY and not any(low <= start < high for low, high in named):
            return False
    return True


def _judge_action(sentence: Sentence, action: Cue) -> Finding | None:
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
        # "Please stop sending me the X alerts": about another mailing, the direction stays, for a message that
        # says nothing of this one
        quoted = sentence.cue_quote(others[0])
        mailing = direction if "mailing" in others[0].flags else ""
        return make_finding(sentence, "other", IGNORE, f"about something else: '{quoted}'", mailing)
    if others:
        quoted = sentence.cue_quote(others[0])
        return make_finding(sentence, "other_mixed", UNSURE, f"about the newsletter and something else: '{quoted}'")
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
                (SOFT if direction == UNSUBSCRIBE else UNSURE) if past else UNSURE if direction == "keep" else IGNORE
            )
            return make_finding(sentence, "negated", weight, reason, keep)
    blocker = _blocker(sentence, action, clause)
    if blocker and direction == "keep" and blocker[0] == "intention":
        blocker = None  # "I will keep reading": to stay is what an intention to keep reading says
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
            "general": f"about readers in general: '{quoted}'",
            "data": f"about the reader's personal data: '{quoted}'",
            "pause": f"asks to pause, not to stop: '{quoted}'",
        }
        weight = SOFT if kind == "past" else IGNORE if kind == "general" else UNSURE
        finding = make_finding(sentence, kind, weight, reasons[kind], direction)
        finding.objectless = not any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
        return finding
    frame = next((cue for cue in reversed(sentence.cues) if cue.tag == "FRAME" and cue.end <= action.start), None)
    please_after = any(cue.tag == "FRAME" and _PLEASE.fullmatch(cue.text) for cue in sentence.cues[::-1])
    asked = sentence.folded.rstrip().endswith("?")  # "Subscribe?" asks whether, not to
    plain = (
        not framed
        and frame is None
        and not please_after
        and "ing" not in flags
        and not asked
        and _imperative(sentence, action)
        and _only_request(sentence, action)
    )
    if not (framed or frame or please_after or plain):
        if "obj" in flags:
            return None  # "readers get it on Mondays": a description, and the object is judged as a mention
        weight = SOFT if "ing" in flags else UNSURE  # "Unsubscribing from others made room for yours"
        return make_finding(
            sentence, "mention", weight, f"mentions {verb}, asks nothing: '{sentence.cue_quote(action)}'"
        )
    near = (
        frame is not None
        and action.language == "English"
        and len(sentence.folded[frame.end : action.start].split()) <= 2
    )
    quoted = sentence.quote(frame.start if near and frame else action.start, action.end)
    label = "" if action.language == "English" else f"{action.language}: "
    if direction == "keep":
        return make_finding(sentence, "keep", IGNORE, f"asks to stay subscribed ({label}'{quoted}')", "keep")
    finding = make_finding(sentence, "request", ACT, f"request to {direction} ({label}'{quoted}')", direction)
    finding.plain = plain
    finding.objectless = not any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
    finding.pronoun = "pronoun" in flags
    return finding


def _named_person(sentence: Sentence, action: Cue) -> str:
    """The name right after a bare verb, as the reader wrote it: 'Please subscribe Rohan Mehta' (a capital letter
    is all there is to go by)."""
    if "bare" not in action.flags or action.language != "English":
        return ""
    spans = sentence.token_spans()
    after = [index for index, (start, _) in enumerate(spans[0]) if start >= action.end]
    if not after or len(spans[0]) != len(spans[1]):
        return ""
    start, end = spans[1][after[0]]
    word = sentence.raw[start:end].strip(".,;:!?()'\"")
    return word if word[:1].isupper() and word.lower() not in _NOT_NAMES else ""


def _blocker(sentence: Sentence, action: Cue, clause: int) -> tuple[str, Cue, str] | None:
    """What takes a request back, most telling first: (kind, the cue, an address or a name when it is one)."""
    if sentence.addresses:
        return "address", action, sentence.addresses[0]
    name = _named_person(sentence, action)
    if name:
        return "third", action, name
    other_address = sentence.first("OTHERADDR")
    if other_address:
        return "address", other_address, ""
    third = next((cue for cue in sentence.cues if cue.tag == "THIRD" and "general" not in cue.flags), None)
    if third and "REFERRAL" not in sentence.tags:
        return "third", third, ""
    general = _general_subject(sentence, action, clause)
    if general:
        return "general", general, ""
    data = sentence.first("DATA")
    if data:
        return "data", data, ""
    pause = sentence.first("PAUSE")
    if pause:
        return "pause", pause, ""
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


def _general_subject(sentence: Sentence, action: Cue, clause: int) -> Cue | None:
    """Readers in general as who does the action: 'Many readers would want to unsubscribe after that piece' (an
    opinion about others, not a request); not 'Like many readers, I would like to subscribe'."""
    general = next(
        (
            cue
            for cue in sentence.cues
            if cue.tag == "THIRD"
            and "general" in cue.flags
            and cue.end <= action.start
            and sentence.clause(cue.start) == clause
        ),
        None,
    )
    if general is None:
        return None
    between = [cue for cue in sentence.cues if general.end <= cue.start < action.start]
    return None if any(cue.tag == "OWN" for cue in between) else general


def _judge_mentions(sentence: Sentence) -> list[Finding]:
    """A sentence without a request verb: what it says about the newsletter, if anything."""
    first = sentence.first
    named = any(cue.tag == "OBJ" and "weak" not in cue.flags for cue in sentence.cues)
    asked = sentence.folded.rstrip().endswith("?")
    for tag, kind, weight, text in (
        ("SENSE", "sense", IGNORE, "another sense of the words"),
        ("OFFER", "offer", IGNORE, "an offer to the reader, not a request"),
        ("DATA", "data", UNSURE, "about the reader's personal data"),
        ("COMPLAINT", "complaint", UNSURE, "a complaint, not a request"),
        ("LINK", "link", UNSURE, "about the unsubscribe link"),
        ("ONEOFF", "oneoff", UNSURE, "asks for one issue or article"),
    ):
        cue = first(tag)
        if cue:
            other = first("OTHER")
            if tag == "COMPLAINT" and other and not named:  # "I paid for the quarterly but have no receipt"
                return [make_finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(other)}'")]
            if tag == "COMPLAINT" and "neg" in cue.flags:
                text = "negated"
            if tag == "LINK" and asked and "COMPLAINT" not in sentence.tags:
                weight, text = SOFT, "a question about the unsubscribe link"  # "is your unsubscribe link one-click?"
            return [make_finding(sentence, kind, weight, f"{text}: '{sentence.quote(cue.start, cue.end, before=1)}'")]
    pause = first("PAUSE")
    if pause and (named or any(cue.tag == "OBJ" for cue in sentence.cues) or "send" in sentence.folded):
        return [make_finding(sentence, "pause", UNSURE, f"asks to pause, not to stop: '{sentence.cue_quote(pause)}'")]
    question = next((cue for cue in sentence.cues if cue.tag == "QUESTION" and cue.direction), None)
    if question:
        return [
            make_finding(sentence, "question", UNSURE, f"a question: '{sentence.quote(question.start, question.end)}'")
        ]
    change = next((cue for cue in sentence.cues if cue.tag == "OTHERADDR" and cue.direction), None)
    if change:
        return [make_finding(sentence, "address", UNSURE, f"about another address: '{sentence.cue_quote(change)}'")]
    third = next((cue for cue in sentence.cues if cue.tag == "THIRD" and cue.direction), None)
    if (
        third is None
        and "REFERRAL" not in sentence.tags
        and (_TOO.search(sentence.folded) or (named and "FRAME" in sentence.tags))
    ):
        # "My wife too.", "She would like the newsletter."
        third = next((cue for cue in sentence.cues if cue.tag == "THIRD" and "general" not in cue.flags), None)
    if third:
        return [make_finding(sentence, "third", UNSURE, f"about someone else: '{sentence.cue_quote(third)}'")]
    objects = [cue for cue in sentence.cues if cue.tag == "OBJ" and "weak" not in cue.flags]
    other = first("OTHER")
    topical = objects or any(cue.tag in ("PAST", "STATUS") and cue.direction for cue in sentence.cues)
    if other and topical and not any("name" in cue.flags for cue in objects):
        return [make_finding(sentence, "other", IGNORE, f"about something else: '{sentence.cue_quote(other)}'")]
    status = first("STATUS")
    if status:
        return [make_finding(sentence, "status", IGNORE, f"already a reader: '{sentence.cue_quote(status)}'")]
    past = next((cue for cue in sentence.cues if cue.tag == "PAST" and (cue.direction or objects)), None)
    if past:
        negation = first("NEG")
        if negation and negation.start < past.start:
            quoted = sentence.quote(negation.start, past.end, before=1)
            return [make_finding(sentence, "negated", UNSURE, f"negated: '{quoted}'")]
        return [make_finding(sentence, "past", SOFT, f"about what happened before: '{sentence.cue_quote(past)}'")]
    if not objects:
        return []
    quoted = sentence.cue_quote(objects[0])
    if "FEEDBACK" in sentence.tags:
        return [make_finding(sentence, "feedback", IGNORE, f"a comment on the newsletter: '{quoted}'")]
    doubt = first("COND") or first("LATER")
    if doubt:  # "Not sure I want this newsletter", "If the newsletter were weekly..."
        kind = "conditional" if doubt.tag == "COND" else "intention"
        return [make_finding(sentence, kind, UNSURE, f"{kind} about the newsletter: '{sentence.cue_quote(doubt)}'")]
    negation = first("NEG")
    if negation:
        quoted = sentence.quote(negation.start, objects[0].end, before=1)
        return [
            make_finding(sentence, "negated", UNSURE if "past" in negation.flags else IGNORE, f"negated: '{quoted}'")
        ]
    if any("strong" in cue.flags for cue in objects):
        return [make_finding(sentence, "topic", UNSURE, f"about the subscription, but no clear request: '{quoted}'")]
    clause = sentence.clause(objects[0].start)
    asking = next(
        (
            cue
            for cue in sentence.cues
            if cue.tag == "FRAME" and cue.start < objects[0].start and sentence.clause(cue.start) == clause
        ),
        None,
    )
    if asking and "OWN" in sentence.tags and "OTHER" not in sentence.tags:
        # "Kindly let India and the World reach me weekly": a request about the sender in words no table knows
        quoted = sentence.quote(asking.start, objects[0].end)
        return [make_finding(sentence, "asked", UNSURE, f"asks something about the newsletter: '{quoted}'")]
    return [make_finding(sentence, "name", SOFT, f"mentions the newsletter, asks nothing: '{quoted}'")]


def judge(sentence: Sentence) -> list[Finding]:
    """The findings of one sentence: an opt-out footer, one per request verb, or what it mentions."""
    cues, tags = sentence.cues, sentence.tags
    if not cues:
        return []
    actions = [cue for cue in cues if cue.tag in ("SUB", "UNSUB", "KEEP")]
    footer = sentence.first("FOOTER")
    if footer is None and any(cue.tag in ("SUB", "UNSUB") for cue in actions):
        owned = any("own" in cue.flags for cue in actions) or tags & {"OWN", "FRAME"}
        # French and Spanish quote a title in guillemets; an opt-out line uses » as an arrow
        text = _GUILLEMETS.sub("", sentence.folded) if "«" in sentence.folded else sentence.folded
        if not owned and ("URL" in tags or _FOOTERISH.search(text)):
            footer = actions[0]
    if footer:
        quoted = sentence.cue_quote(footer)
        return [make_finding(sentence, "footer", IGNORE, f"an opt-out footer or notice, not a request: '{quoted}'")]
    findings = [finding for action in actions if (finding := _judge_action(sentence, action))]
    return findings or _judge_mentions(sentence)


def judge_reply_subject(sentence: Sentence) -> list[Finding]:
    """The subject of a reply or a forward repeats someone else's words: at most a hint for the editor."""
    if any(cue.tag in ("SUB", "UNSUB", "LINK") or "strong" in cue.flags for cue in sentence.cues):
        return [make_finding(sentence, "reply", SOFT, f"only the subject of a reply mentions it: '{sentence.raw}'")]
    return []

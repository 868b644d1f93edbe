"""What intent reading works with: the outcomes and weights, the Intent it returns, the Finding a sentence gives,
and the Sentence itself, folded and tagged with its cues (intent_cues), its clauses and the addresses it names.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass

from newsletter.inbox.intent_cues import Cue, find_addresses, quote_words, tag_cues, token_spans

SUBSCRIBE, UNSUBSCRIBE, IGNORE, UNSURE = "subscribe", "unsubscribe", "ignore", "unsure"
# How much a finding weighs when no clear request is found: UNSURE sends the message to the editor, IGNORE says
# it is clearly not a request, SOFT is unsure only when nothing else in the message says otherwise.
ACT, SOFT = "act", "soft"
_CLAUSE = re.compile(
    r"\s*(?:[;:()]|\s-\s|\b(?:but|however|although|though|whereas|while|and|so|because|also|as well as|mais|pero"
    r"|aber|но)\b|(?<!\S)(?:लेकिन|परंतु|किंतु|और|ஆனால்|மற்றும்|কিন্তু|এবং|لیکن|اور|కానీ|మరియు|पण|आणि|પણ|અને"
    r"|ಆದರೆ|ಮತ್ತು|പക്ഷേ|എന്നാൽ|ਪਰ|ਅਤੇ)(?!\S)|但是|但|,(?= ?(?:i|we|my|our|it|this|they|he|she)\b))\s*"
)


@dataclass(frozen=True)
class Intent:
    """`outcome`: subscribe, unsubscribe, ignore or unsure. `evidence`: the sentence (or the subject) that
    decided it, exactly as written ('' when nothing did). `reason`: why, in a few words."""

    outcome: str
    evidence: str
    reason: str


@dataclass(slots=True)
class Finding:
    """What one sentence says about the newsletter: its kind (request, keep, negated, conditional, third, address,
    footer, ...), its weight, the direction it points, the sentence itself and the reason to show the editor."""

    kind: str
    weight: str  # ACT, UNSURE, IGNORE or SOFT
    direction: str  # subscribe, unsubscribe, keep or ""
    evidence: str
    reason: str
    plain: bool = False  # a request made only by a bare imperative ("Unsubscribe"), as footers are written
    objectless: bool = False  # a request that does not say what it is for ("please register me")
    pronoun: bool = False  # a request about "it" ("remove it from the list"): the sender's address, unless
    # the message speaks of someone else
    position: int = 0  # the sentence's number in the body; -1 for the subject


class Sentence:
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

    def token_spans(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where the words of the folded and the raw sentence are (the same words, one for one, as a rule)."""
        if self._spans is None:
            self._spans = (token_spans(self.folded), token_spans(self.raw))
        return self._spans

    def quote(self, start: int, end: int, before: int = 0) -> str:
        spans = self.token_spans()
        if before:
            words = [token_start for token_start, _ in spans[0] if token_start < start]
            start = words[-before] if len(words) >= before else 0
        return quote_words(self.raw, self.folded, start, end, spans)

    def cue_quote(self, cue: Cue) -> str:
        return self.quote(cue.start, cue.end)

    def first(self, tag: str, clause: int | None = None) -> Cue | None:
        if clause is None or tag not in self.firsts:
            return self.firsts.get(tag)
        return next((cue for cue in self.cues if cue.tag == tag and self.clause(cue.start) == clause), None)


def make_finding(sentence: Sentence, kind: str, weight: str, reason: str, direction: str = "") -> Finding:
    return Finding(kind, weight, direction, sentence.raw, reason)

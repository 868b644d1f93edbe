"""A batch's readers, personalised with what they share worked out once: the values and headers of every reader
of a mailing as one template, and per reader only the strings that are theirs.

personalize.make_recipient makes each reader's values and headers one by one, some ten string operations and two
dicts a reader: at a million readers that, and encoding the dicts again as SendGrid's JSON, was half the sender's
CPU. Most readers are plain (an ASCII address and name that nothing escapes, quotes or breaks), and a plain
reader's values and headers are the same text but for three slots: the name as shown, the signed unsubscribe token
and the signed feedback token. The template is found by asking make_recipient itself about two probe readers
(so it follows whatever make_recipient does) and kept only if it makes the second probe's values exactly: anything
else that depends on the reader (an address in a link, say) leaves no template, and every reader is made one by
one as before. A provider that can use the template (sendgrid_payload.encode_batch) asks for the slots; any other
gets each reader as a Recipient, made when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from newsletter.clean import NAME_LIMIT
from newsletter.config import Config
from newsletter.message.content import Recipient
from newsletter.message.personalize import DEFAULT_NAME, make_recipient
from newsletter.tokens import make_feedback_token, make_token, signable_issue

# Plain: what no value, header or JSON string changes, escapes or breaks: no "%" (a placeholder), no quote,
# backslash or HTML special character, nothing clean_line would touch, and (names) nothing SendGrid's header
# writing would encode ("=?") or substitute ("%%").
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+")
_PLAIN_NAME = re.compile(r"(?:[A-Za-z0-9.,()-]+(?: [A-Za-z0-9.,()-]+)*)?")
MAX_ADDRESS = 254
NAME, TOKEN, FEEDBACK = 0, 1, 2  # the slots of a template
PROBES = (("probe.reader@example.invalid", "Probe Reader"), ("second.one@probe.example", ""))

Template = tuple[str | int, ...]  # text, and slot numbers where a reader's own strings go


@dataclass(frozen=True)
class Shape:
    """Every plain reader's values and headers, in make_recipient's order, as templates over the slots."""

    values: tuple[tuple[str, Template], ...]
    headers: tuple[tuple[str, Template], ...]


class Personalizer:
    """make_recipient for the readers of one mailing, and the Shape their values and headers share (None when
    they share none: then every reader is made one by one)."""

    def __init__(self, config: Config, secret: bytes, feedback_issue: str = "") -> None:
        self.config = config
        self.secret = secret
        self.feedback_issue = feedback_issue
        self._feedback = feedback_issue if feedback_issue and signable_issue(feedback_issue) else ""
        self.shape = self._find_shape()

    def recipient(self, email: str, name: str) -> Recipient:
        return make_recipient(self.config, self.secret, email, name, self.feedback_issue)

    def plain(self, email: str, name: str) -> bool:
        """Whether the reader's values are the shape's, filled in with their slots (False without a shape)."""
        return (
            self.shape is not None
            and len(email) <= MAX_ADDRESS
            and _PLAIN_ADDRESS.fullmatch(email) is not None
            and len(name) <= NAME_LIMIT
            and _PLAIN_NAME.fullmatch(name) is not None
        )

    def slots(self, email: str, name: str) -> tuple[str, str, str]:
        """A plain reader's own strings, by slot: the name as shown, the unsubscribe token, the feedback token."""
        feedback = make_feedback_token(self.secret, self._feedback, email) if self._feedback else ""
        return name or DEFAULT_NAME, make_token(self.secret, "unsubscribe", email), feedback

    def _find_shape(self) -> Shape | None:
        try:
            return self._probe()
        except Exception:  # the probes cannot be made: then no reader is plain, and each fails alone as it would
            return None

    def _probe(self) -> Shape | None:
        (email, name), second = PROBES
        probe = self.recipient(email, name)
        slots = self.slots(email, name)
        pattern = re.compile("|".join(re.escape(text) for text in sorted(filter(None, slots), key=len, reverse=True)))
        shape = Shape(
            tuple((key, _template(value, pattern, slots)) for key, value in probe.values.items()),
            tuple((key, _template(value, pattern, slots)) for key, value in probe.headers.items()),
        )
        check = self.recipient(*second)
        filled = self.slots(*second)
        values = {key: fill(template, filled) for key, template in shape.values}
        headers = {key: fill(template, filled) for key, template in shape.headers}
        if (list(values.items()), list(headers.items())) != (list(check.values.items()), list(check.headers.items())):
            return None  # something else in them depends on the reader
        return shape


def _template(value: str, pattern: re.Pattern[str], slots: tuple[str, str, str]) -> Template:
    parts: list[str | int] = []
    at = 0
    for match in pattern.finditer(value):
        if match.start() > at:
            parts.append(value[at : match.start()])
        parts.append(slots.index(match.group()))
        at = match.end()
    if at < len(value) or not parts:
        parts.append(value[at:])
    return tuple(parts)


def fill(template: Template, slots: Sequence[str]) -> str:
    return "".join(part if isinstance(part, str) else slots[part] for part in template)


class Readers(Sequence[Recipient]):
    """The readers of one batch for a provider: each a Recipient when asked for. Readers that are not plain are
    made at once, so that one whose values cannot be made fails alone (`unmade`) and is left out; plain ones,
    whose values the probes showed can be made, only when a provider asks."""

    def __init__(self, personalizer: Personalizer, members: Sequence[tuple[str, str]]) -> None:
        self.personalizer = personalizer
        self.members: list[tuple[str, str]] = []
        self.made: dict[int, Recipient] = {}  # by position in members: the readers that are not plain
        self.unmade: dict[str, tuple[str, Exception]] = {}  # lowercased address -> (the address, why)
        plain = personalizer.plain
        for email, name in members:
            if plain(email, name):
                self.members.append((email, name))
                continue
            try:
                recipient = personalizer.recipient(email, name)
            except Exception as error:  # this reader's address or name only: the batch goes on without them
                self.unmade[email.lower()] = (email, error)
                continue
            self.made[len(self.members)] = recipient
            self.members.append((email, name))

    def __len__(self) -> int:
        return len(self.members)

    @overload
    def __getitem__(self, index: int) -> Recipient: ...
    @overload
    def __getitem__(self, index: slice) -> list[Recipient]: ...
    def __getitem__(self, index: int | slice) -> Recipient | list[Recipient]:
        if isinstance(index, slice):
            return [self[at] for at in range(*index.indices(len(self.members)))]
        at = index + len(self.members) if index < 0 else index
        made = self.made.get(at)
        return made if made is not None else self.personalizer.recipient(*self.members[at])

    def __iter__(self) -> Iterator[Recipient]:
        for at in range(len(self.members)):
            yield self[at]

"""What a message is made of, as plain values: the content every reader of a mailing shares, and one reader.

Nothing here knows the issue model or how the content was rendered: the builder (mime.py) and the providers take
these, so that sending mail never loads the rendering pipeline (Jinja, YAML, Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Content:
    """The same for every reader of one mailing: the subject, the parts with their placeholders, and the headers.

    `key` names the mailing in Message-IDs, file names and provider tags (an issue's slug); `content_hash` seeds the
    MIME boundary, so that a reader's message is byte-stable. A message with no `html` is one text/plain part."""

    subject: str
    text: str
    html: str = ""
    key: str = ""
    content_hash: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """One reader of one mailing, already personalised: placeholder values and their List-Unsubscribe headers."""

    email: str
    name: str
    values: Mapping[str, str]
    headers: Mapping[str, str]

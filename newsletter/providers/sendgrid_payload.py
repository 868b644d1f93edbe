"""The JSON bodies the SendGrid provider posts to /v3/mail/send. Pure: golden-tested, no I/O.

The issue's HTML and text are rendered once; each reader's name and unsubscribe link reach SendGrid as
`substitutions` (SendGrid replaces the placeholders per personalization), so one request carries up to 1000 readers
and the content only once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import getaddresses
from json.encoder import encode_basestring
from typing import Any

from newsletter.config import Config
from newsletter.errors import ProviderError
from newsletter.mime import list_id
from newsletter.providers.base import Mailing, Recipient

MAX_PERSONALIZATIONS = 1000
# Headers SendGrid refuses in `headers` (it sets them itself or takes them from dedicated fields).
FORBIDDEN_HEADERS = frozenset(
    h.lower()
    for h in (
        "To",
        "From",
        "Subject",
        "Reply-To",
        "CC",
        "BCC",
        "Content-Type",
        "Content-Transfer-Encoding",
        "DKIM-Signature",
        "Received",
        "x-sg-id",
        "x-sg-eid",
    )
)
# Headers of a built EmailMessage that SendGrid writes on its own: sending them as `headers` would duplicate them.
DERIVED_HEADERS = frozenset({"message-id", "date", "mime-version"})


def _address(email: str, name: str) -> dict[str, str]:
    # An empty name is left out: SendGrid rejects "name": "".
    return {"email": email, "name": name} if name else {"email": email}


def _sender(config: Config) -> dict[str, Any]:
    fields: dict[str, Any] = {"from": _address(config.newsletter.from_email, config.newsletter.from_name)}
    if config.newsletter.reply_to:
        fields["reply_to"] = {"email": config.newsletter.reply_to}
    return fields


def _settings(config: Config, sandbox: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if config.sendgrid.asm_group_id:
        fields["asm"] = {"group_id": config.sendgrid.asm_group_id}
    if sandbox or config.sendgrid.sandbox:
        fields["mail_settings"] = {"sandbox_mode": {"enable": True}}
    return fields


def _check_recipients(recipients: Sequence[Recipient]) -> None:
    if not recipients:
        raise ValueError("a SendGrid request needs at least one recipient")
    if len(recipients) > MAX_PERSONALIZATIONS:
        raise ValueError(f"{len(recipients)} recipients in one request: SendGrid takes at most 1000")
    seen: set[str] = set()
    for recipient in recipients:
        key = recipient.email.lower()
        if key in seen:  # SendGrid rejects the whole request, so this is a bug upstream, not a reader's problem
            raise ValueError(f"{recipient.email} appears twice in one request")
        seen.add(key)


def personalization(recipient: Recipient) -> dict[str, Any]:
    """One reader: their address, their placeholder values, their tag and their List-Unsubscribe headers."""
    return {
        "to": [_address(recipient.email, recipient.name)],
        "substitutions": dict(recipient.values),
        "custom_args": {"recipient": recipient.email},
        "headers": dict(recipient.headers),
    }


def payload_shell(config: Config, mailing: Mailing, *, subject_prefix: str = "") -> dict[str, Any]:
    """Everything in a request but the personalizations: the same for every batch of a mailing."""
    rendered = mailing.rendered
    slug = rendered.issue.slug
    payload: dict[str, Any] = {
        **_sender(config),
        "subject": f"{subject_prefix}{rendered.subject}",
        # text/plain first: SendGrid requires it, and it is the order of a multipart/alternative.
        "content": [{"type": "text/plain", "value": rendered.text}, {"type": "text/html", "value": rendered.html}],
        "categories": [config.send.category, slug],
        "custom_args": {"issue": slug},
        # The same for every reader, so once per request rather than in each personalization's headers.
        "headers": {"List-Id": list_id(config)},
        **_settings(config, mailing.sandbox),
    }
    if mailing.send_at is not None:
        payload["send_at"] = mailing.send_at
    if mailing.batch_id:
        payload["batch_id"] = mailing.batch_id
    return payload


def build_payload(
    config: Config, mailing: Mailing, recipients: Sequence[Recipient], *, subject_prefix: str = ""
) -> dict[str, Any]:
    """One /v3/mail/send body for up to 1000 distinct recipients of the mailing."""
    _check_recipients(recipients)
    shell = payload_shell(config, mailing, subject_prefix=subject_prefix)
    return {"personalizations": [personalization(r) for r in recipients], **shell}


def encode_shell(shell: Mapping[str, Any]) -> str:
    return json.dumps(shell, ensure_ascii=False, separators=(",", ":"))


def encode_payload(encoded_shell: str, recipients: Sequence[Recipient]) -> str:
    """json.dumps(build_payload(...)) exactly (compact, UTF-8), three times faster.

    At a million readers the generic encoder walking a dict per reader was the largest cost of a send; here each
    reader's object is written from escaped strings (json's own escaping) and the shell, with the issue's HTML,
    is encoded once per mailing. tests/test_providers_sendgrid.py holds the two to byte-equality."""
    _check_recipients(recipients)
    people = ",".join(_encode_personalization(r) for r in recipients)
    return '{"personalizations":[' + people + "]," + encoded_shell[1:]


def _encode_personalization(recipient: Recipient) -> str:
    email = encode_basestring(recipient.email)
    to = f'{{"email":{email},"name":{encode_basestring(recipient.name)}}}' if recipient.name else f'{{"email":{email}}}'
    return (
        f'{{"to":[{to}],"substitutions":{_encode_strings(recipient.values)},'
        f'"custom_args":{{"recipient":{email}}},"headers":{_encode_strings(recipient.headers)}}}'
    )


def _encode_strings(mapping: Mapping[str, str]) -> str:
    return "{" + ",".join(f"{encode_basestring(k)}:{encode_basestring(v)}" for k, v in mapping.items()) + "}"


def payload_from_message(config: Config, message: EmailMessage, *, sandbox: bool = False) -> dict[str, Any]:
    """A single-message body (test copy, welcome email) from a complete EmailMessage."""
    recipients = getaddresses([str(value) for value in message.get_all("To", [])])
    if not recipients:
        raise ProviderError("the message has no To address: SendGrid needs one.")
    senders = getaddresses([str(message.get("From", ""))])
    from_name, from_email = senders[0] if senders and senders[0][1] else ("", config.newsletter.from_email)
    content = []
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))
        if part is not None and part.get_content_type() == f"text/{subtype}":
            content.append({"type": f"text/{subtype}", "value": part.get_content()})
    if not content:
        raise ProviderError("the message has no text/plain or text/html part: SendGrid needs one.")
    if any(True for _ in message.iter_attachments()):
        raise ProviderError("the message has attachments: the SendGrid provider does not send attachments.")
    headers = {
        name: str(value)
        for name, value in message.items()
        if name.lower() not in FORBIDDEN_HEADERS and name.lower() not in DERIVED_HEADERS
    }
    personalization: dict[str, Any] = {"to": [_address(email, name) for name, email in recipients]}
    if headers:
        personalization["headers"] = headers
    payload: dict[str, Any] = {
        "personalizations": [personalization],
        "from": _address(from_email, from_name),
        "subject": str(message.get("Subject", "")),
        "content": content,
        "categories": [config.send.category],
        **_settings(config, sandbox),
    }
    reply_to = getaddresses([str(message.get("Reply-To", ""))])
    if reply_to and reply_to[0][1]:
        payload["reply_to"] = _address(reply_to[0][1], reply_to[0][0])
    elif config.newsletter.reply_to:
        payload["reply_to"] = {"email": config.newsletter.reply_to}
    return payload

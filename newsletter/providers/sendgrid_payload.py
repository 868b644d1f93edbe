"""The JSON bodies the SendGrid provider posts to /v3/mail/send. Pure: golden-tested, no I/O.

The issue's HTML and text are rendered once; each reader's name and unsubscribe link reach SendGrid as
`substitutions` (SendGrid replaces the placeholders per personalization), so one request carries up to 1000 readers
and the content only once.

SendGrid writes the headers itself, from `subject` and the names in `from` and `to`: those go as one clean line
(no CR, LF or other control character), with a WORD JOINER inside every "%%" (SendGrid substitutes tags in the
subject too, and expands tags inside the values it put in) and inside every "=?" (a mail client would decode an
ASCII "=?utf-8?q?...?=" name; with the joiner SendGrid has to encode it, and readers see the text as written).
A reader SendGrid would refuse the whole request for (an address that is not one, more substitution bytes than it
takes) is left out of the request and failed alone: recipient_problem says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import getaddresses
from functools import lru_cache
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any

from newsletter.clean import NAME_LIMIT, clean_line, find_unsafe, show
from newsletter.config import Config
from newsletter.errors import ProviderError
from newsletter.message.content import Recipient
from newsletter.message.personalize import WORD_JOINER, break_placeholders, clean_name
from newsletter.message.readers import PROBES, Personalizer, Readers, Shape, Template
from newsletter.providers.base import Mailing

MAX_PERSONALIZATIONS = 1000
MAX_ADDRESS = 254  # RFC 5321's limit on a path (256) less its angle brackets
SUBSTITUTIONS_LIMIT = 10_000  # bytes of JSON per personalization (SendGrid's documented limit)
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+")
_PLAIN_ADDRESSES = re.compile(r"(?:[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\n)*[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+")
_EMAIL = attrgetter("email")  # map() over a batch at C speed
# Printable ASCII words with single spaces, without "%" or "?": display_name leaves such a name as it is.
_INERT_NAME = re.compile(r"[!-$&->@-~]+(?: [!-$&->@-~]+)*|")
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


def header_text(value: str, limit: int = 998) -> str:
    """A value SendGrid writes into a header (subject, a display name): one clean line that no substitution or mail
    client decoding can turn into something else."""
    text = break_placeholders(clean_line(value, limit))
    return text.replace("=?", "=" + WORD_JOINER + "?") if "=?" in text else text


def display_name(name: str) -> str:
    text = clean_name(name)
    if "%" not in text and "=?" not in text:
        return text  # the common case, per reader: nothing to break
    return header_text(text, NAME_LIMIT)


def _address(email: str, name: str) -> dict[str, str]:
    # An empty name is left out: SendGrid rejects "name": "".
    shown = display_name(name)
    return {"email": email, "name": shown} if shown else {"email": email}


def _sender(config: Config) -> dict[str, Any]:
    fields: dict[str, Any] = {"from": _address(config.newsletter.from_email, config.newsletter.from_name)}
    if config.newsletter.reply_to:
        fields["reply_to"] = {"email": clean_line(config.newsletter.reply_to)}
    return fields


def _settings(config: Config, sandbox: bool, *, tracked: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if config.sendgrid.asm_group_id:
        fields["asm"] = {"group_id": config.sendgrid.asm_group_id}
    if sandbox or config.sendgrid.sandbox:
        fields["mail_settings"] = {"sandbox_mode": {"enable": True}}
    fields["tracking_settings"] = tracking_settings(config, tracked=tracked)
    return fields


def tracking_settings(config: Config, *, tracked: bool = True) -> dict[str, Any]:
    """Open and click tracking as [sendgrid] track_opens and track_clicks say (off for a single message, such as a
    confirmation, whose link must not pass through SendGrid's redirect), stated in every request: SendGrid
    otherwise applies the account's own settings, which may have tracking on. Click tracking leaves the text part
    alone, so its links stay the readable addresses the reader can check."""
    sendgrid = config.sendgrid
    return {
        "click_tracking": {"enable": tracked and sendgrid.track_clicks, "enable_text": False},
        "open_tracking": {"enable": tracked and sendgrid.track_opens},
    }


def _check_recipients(recipients: Sequence[Recipient]) -> None:
    _check_addresses(list(map(_EMAIL, recipients)))


def _check_addresses(emails: Sequence[str]) -> None:
    if not emails:
        raise ValueError("a SendGrid request needs at least one recipient")
    if len(emails) > MAX_PERSONALIZATIONS:
        raise ValueError(f"{len(emails)} recipients in one request: SendGrid takes at most 1000")
    if len({email.lower() for email in emails}) == len(emails):
        return
    seen: set[str] = set()
    for email in emails:
        key = email.lower()
        if key in seen:  # SendGrid rejects the whole request, so this is a bug upstream, not a reader's problem
            raise ValueError(f"{email} appears twice in one request")
        seen.add(key)


def _valid_text(text: str) -> bool:
    """No lone surrogate, which JSON encoded as UTF-8 cannot carry (ASCII at once, else one C-level encode)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def recipient_problem(recipient: Recipient) -> str:
    """Why SendGrid would refuse a request holding this reader (and so every reader in it), or ''."""
    email = recipient.email
    values, headers = recipient.values, recipient.headers
    texts = "".join(values.values())
    lines = "".join(headers.values())
    strings = (email, recipient.name, *values, *values.values(), *headers, *headers.values())
    if len(email) > MAX_ADDRESS:
        return f"{show(email)[:60]}... is longer than {MAX_ADDRESS} characters: it is not an email address"
    if not _PLAIN_ADDRESS.fullmatch(email) and (
        email.count("@") != 1 or find_unsafe(email) or any(ch.isspace() or ch in '<>()[],;:\\"' for ch in email)
    ):
        return f"{show(email)} is not a plain email address: SendGrid would refuse the whole request"
    if "%%" in email:
        # SendGrid substitutes tags in custom_args too, where the address identifies the reader to the webhook.
        return f"{show(email)} holds '%%': SendGrid would substitute a placeholder in it"
    if not all(map(_valid_text, strings)):
        return f"the values for {show(email)} are not valid text (a lone surrogate): they cannot be sent as JSON"
    if not lines.isascii() or "\n" in lines or "\r" in lines:
        for header in headers.values():
            if find_unsafe(header):
                return f"a header for {show(email)} holds {show(find_unsafe(header))}: it would end the header"
    if 6 * (len(texts) + sum(map(len, values))) > SUBSTITUTIONS_LIMIT:
        size = len(encode_strings(values).encode("utf-8"))
        if size > SUBSTITUTIONS_LIMIT:
            return (
                f"the substitutions for {show(email)} take {size} bytes: SendGrid takes at most {SUBSTITUTIONS_LIMIT}"
            )
    return ""


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
    content = mailing.content
    payload: dict[str, Any] = {
        **_sender(config),
        "subject": header_text(f"{subject_prefix}{content.subject}"),
        # text/plain first: SendGrid requires it, and it is the order of a multipart/alternative.
        "content": [{"type": "text/plain", "value": content.text}, {"type": "text/html", "value": content.html}],
        "categories": [config.send.category, content.key],
        "custom_args": {"issue": content.key},
        # The same for every reader (List-Id), so once per request rather than in each personalization's headers.
        "headers": dict(content.headers),
        **_settings(config, mailing.sandbox, tracked=True),
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
    people = ",".join([_encode_personalization(r) for r in recipients])
    return '{"personalizations":[' + people + "]," + encoded_shell[1:]


def encode_batch(encoded_shell: str, recipients: Sequence[Recipient]) -> tuple[str, dict[str, str]]:
    """encode_payload for the readers SendGrid takes, and why each other reader (key: lowercased address) was left
    out (recipient_problem); the body is '' when none is left.

    Run for every batch of a million readers: the common batch (plain addresses, valid text, no escape in any
    value, every reader's JSON far under the substitutions limit) is cleared by a few C-level scans of what was
    encoded anyway; reader by reader only when one of them fails. A batch of Readers whose values share a
    template (message.readers) has each plain reader's JSON written from that template and their own strings."""
    formats = None
    if isinstance(recipients, Readers):
        formats = _reader_formats(recipients.personalizer)
        # The addresses without making every reader (each would be made again for its values).
        addresses = [email for email, _ in recipients.members]
    else:
        addresses = list(map(_EMAIL, recipients))
    _check_addresses(addresses)
    if formats is None:
        people = [_encode_personalization(r) for r in recipients]
    else:
        people = _encode_readers(recipients, formats)  # type: ignore[arg-type]  # a Readers, as checked
    longest = max(map(len, people))
    joined = ",".join(people)
    emails = "\n".join(addresses)
    problems: dict[str, str] = {}
    if not (
        _PLAIN_ADDRESSES.fullmatch(emails)
        and max(map(len, emails.split("\n"))) <= MAX_ADDRESS
        and "%%" not in emails
        and "\\" not in joined  # JSON escapes a line break (or a quote): a header may hold one, so look closer
        and 4 * longest <= SUBSTITUTIONS_LIMIT  # UTF-8 takes at most 4 bytes a character
        and _valid_text(joined)
    ):
        problems = {r.email.lower(): problem for r in recipients if (problem := recipient_problem(r))}
        if problems:
            joined = ",".join(p for p, e in zip(people, addresses, strict=True) if e.lower() not in problems)
    if len(problems) == len(recipients):
        return "", problems
    del people  # the request below is the batch's largest string: do not hold its pieces twice while making it
    return '{"personalizations":[' + joined + "]," + encoded_shell[1:], problems


def _encode_personalization(recipient: Recipient) -> str:
    email = encode_basestring(recipient.email)
    name = recipient.name
    if not (len(name) <= NAME_LIMIT and _INERT_NAME.fullmatch(name)):
        name = display_name(name)  # what is not plainly inert (the common case, tested at once) is made so
    to = f'{{"email":{email},"name":{encode_basestring(name)}}}' if name else f'{{"email":{email}}}'
    return (
        f'{{"to":[{to}],"substitutions":{encode_strings(recipient.values)},'
        f'"custom_args":{{"recipient":{email}}},"headers":{encode_strings(recipient.headers)}}}'
    )


@lru_cache(maxsize=8)  # one personalizer per send, asked once per batch
def _reader_formats(personalizer: Personalizer) -> tuple[str, str] | None:
    """The JSON of a plain reader's personalization as str.format templates (with and without a name in `to`):
    {0} the address, {1} the name, then the slots (message.readers) from {2}. None when the readers share no
    shape, or when its fixed text would make SendGrid refuse a request (a header holding a line break)."""
    shape = personalizer.shape
    if shape is None or recipient_problem(personalizer.recipient(*PROBES[0])):
        return None
    return _formats_of(shape)


def _formats_of(shape: Shape) -> tuple[str, str]:
    """_encode_personalization's JSON with the reader's strings left as format fields: {0} the address, {1} the
    name, {2}... the slots (every one plain text, which JSON writes as it is)."""

    def text(value: str) -> str:  # fixed text, as a format string writes it
        return value.replace("{", "{{").replace("}", "}}")

    def encoded(template: Template) -> str:
        return "".join(
            text(encode_basestring(part)[1:-1]) if isinstance(part, str) else f"{{{part + 2}}}" for part in template
        )

    def strings(pairs: tuple[tuple[str, Template], ...]) -> str:
        items = (text(encode_basestring(key) + ':"') + encoded(template) + '"' for key, template in pairs)
        return text("{") + ",".join(items) + text("}")

    email = '"{0}"'
    rest = (
        text('],"substitutions":')
        + strings(shape.values)
        + text(',"custom_args":{"recipient":')
        + email
        + text('},"headers":')
        + strings(shape.headers)
        + text("}")
    )
    named = text('{"to":[{"email":') + email + text(',"name":') + '"{1}"' + text("}") + rest
    unnamed = text('{"to":[{"email":') + email + text("}") + rest
    return named, unnamed


def _encode_readers(readers: Readers, formats: tuple[str, str]) -> list[str]:
    named, unnamed = formats
    slots, made = readers.personalizer.slots, readers.made
    people = []
    for at, (email, name) in enumerate(readers.members):
        recipient = made.get(at)
        if recipient is not None:
            people.append(_encode_personalization(recipient))
            continue
        person = (named if name else unnamed).format(email, name, *slots(email, name))
        if 4 * len(person) > SUBSTITUTIONS_LIMIT:  # never for a plain reader of sane length; checked the slow way
            person = _encode_personalization(readers[at])
        people.append(person)
    return people


def encode_strings(mapping: Mapping[str, str]) -> str:
    return "{" + ",".join([f"{encode_basestring(k)}:{encode_basestring(v)}" for k, v in mapping.items()]) + "}"


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
        name: clean_line(str(value))
        for name, value in message.items()
        if name.lower() not in FORBIDDEN_HEADERS and name.lower() not in DERIVED_HEADERS
    }
    personalization: dict[str, Any] = {"to": [_address(email, name) for name, email in recipients]}
    if headers:
        personalization["headers"] = headers
    payload: dict[str, Any] = {
        "personalizations": [personalization],
        "from": _address(from_email, from_name),
        "subject": header_text(str(message.get("Subject", ""))),
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

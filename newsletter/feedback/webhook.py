"""SendGrid's Event Webhook: verifying a POST and reading its events. Pure but for the signature check.

A POST is trusted only when its ECDSA P-256 signature, made by SendGrid over the timestamp header's value followed
by the raw body, verifies with the public key SendGrid shows (SENDGRID_WEBHOOK_PUBLIC_KEY), checked by the
`sendgrid` package's own EventWebhook helper on the bytes as received, before any parsing; and only when that
timestamp is within MAX_SKEW of now, so a POST recorded once cannot be replayed later.

What an event does (DESIGN.md "Feedback", issue 11):
- `bounce` of type "bounce" (a hard bounce), `dropped` for a bounced or invalid address: the reader is bounced;
- `spamreport`, `dropped` for a spam-reporting address: complained;
- `unsubscribe`, `group_unsubscribe` (of our ASM group), `dropped` for an unsubscribed address: unsubscribed;
- `bounce` of type "blocked" and `deferred`: counted only, since the next issue may well get through;
- `delivered`, `open`, `click`: kept per issue for `newsletter stats` (an open SendGrid marks sg_machine_open, as
  Apple Mail Privacy Protection's are, apart);
- anything else (processed, group_resubscribe, an event type SendGrid adds later): not kept.
The issue and the reader come from the custom_args each personalization carries (providers/sendgrid_payload.py),
which SendGrid copies into the event as top-level fields `issue` and `recipient`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsletter.clean import clean_line
from newsletter.errors import ConfigError, NewsletterError
from newsletter.feedback.events import (
    BLOCKED,
    BOUNCE,
    CLICK,
    DEFERRED,
    DELIVERED,
    DROPPED,
    GROUP_UNSUBSCRIBE,
    MACHINE_OPEN,
    OPEN,
    SPAMREPORT,
    UNSUBSCRIBE,
    Event,
)
from newsletter.tokens import signable_issue

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
KEY_VARIABLE = "SENDGRID_WEBHOOK_PUBLIC_KEY"
MAX_SKEW = 600  # seconds: SendGrid documents no window; ten minutes allows for clocks and a slow retry queue
MAX_BODY = 10 * 1024 * 1024  # SendGrid batches events: a busy minute of a large send comes to a few megabytes
_MAX_HEADER = 1_000  # a base64 P-256 signature is under 100 characters
_EVENT_ID = re.compile(r"[A-Za-z0-9+/=_.:-]{1,100}")
_ADDRESS = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}")
TEXT_LIMIT = 300  # a bounce reason or status, as kept
URL_LIMIT = 2_000
# dropped: SendGrid's reason, and the status it means for the reader.
DROPPED_STATUS = {
    "bounced address": "bounced",
    "invalid": "bounced",
    "spam reporting address": "complained",
    "unsubscribed address": "unsubscribed",
}
EVENT_STATUS = {
    BOUNCE: "bounced",
    SPAMREPORT: "complained",
    UNSUBSCRIBE: "unsubscribed",
    GROUP_UNSUBSCRIBE: "unsubscribed",
}
_KEPT = frozenset({DELIVERED, OPEN, CLICK, "bounce", DEFERRED, DROPPED, SPAMREPORT, UNSUBSCRIBE, GROUP_UNSUBSCRIBE})


class WebhookRefused(NewsletterError):
    """A POST that is not SendGrid's, or not now (403), or that says nothing readable (400): nothing is kept."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class WebhookVerifier:
    """Checks SendGrid's signature with the sendgrid package's EventWebhook helper."""

    def __init__(self, public_key: str) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec
        from sendgrid.helpers.eventwebhook import EventWebhook

        key = "".join(public_key.split())
        try:
            helper = EventWebhook(key)
        except Exception:  # ValueError from cryptography for anything that is not a key; never shown: a secret
            helper = None
        if helper is None or not isinstance(helper.public_key, ec.EllipticCurvePublicKey):
            raise ConfigError(
                f"{KEY_VARIABLE} is not the verification key SendGrid shows (a base64 ECDSA public key): copy it "
                "again from Settings > Mail Settings > Event Webhook > Signature Verification."
            )
        self._helper = helper

    def verify(self, body: bytes, signature: str, timestamp: str, now: float) -> None:
        """WebhookRefused (403) unless `body` was signed by SendGrid at `timestamp`, within MAX_SKEW of `now`."""
        check_headers(signature, timestamp, now)
        try:
            text = body.decode("utf-8")  # the helper takes text and signs its UTF-8: SendGrid sends UTF-8 JSON
            valid = bool(self._helper.verify_signature(text, signature, timestamp))
        except Exception:  # a signature that is not base64 or DER (binascii.Error, ValueError), a body not UTF-8
            valid = False
        if not valid:
            raise WebhookRefused(403, "the signature does not match the body and timestamp")


def check_headers(signature: str, timestamp: str, now: float) -> None:
    """What can be refused before the body is read (WebhookRefused, 403): signature headers missing or malformed, a
    timestamp more than MAX_SKEW from `now`."""
    if not signature or not timestamp:
        raise WebhookRefused(403, f"the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers are both required")
    if len(signature) > _MAX_HEADER or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRefused(403, "the signature headers are malformed")
    if abs(int(timestamp) - now) > MAX_SKEW:
        raise WebhookRefused(
            403,
            f"the timestamp {timestamp} is more than {MAX_SKEW // 60} minutes off this server's clock: "
            "refused as a replay",
        )


@dataclass(frozen=True)
class StatusChange:
    """A reader's status asked for by one event, with the event as its reason."""

    event_id: str
    email: str
    status: str
    reason: str
    evidence: Mapping[str, str]


@dataclass
class Batch:
    """One POST's events: those to keep, the status changes they ask for, and how many were not kept."""

    events: list[Event] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    ignored: int = 0

    def only(self, new_ids: set[str]) -> Batch:
        """The part of the batch whose events are in `new_ids` (the rest was received before)."""
        return Batch(
            [event for event in self.events if event.id in new_ids],
            [change for change in self.changes if change.event_id in new_ids],
            self.ignored,
        )


def parse_body(body: bytes) -> list[Any]:
    """The JSON array SendGrid posts; WebhookRefused (400) for anything else."""
    try:
        items = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise WebhookRefused(400, "the body is not JSON") from None
    if not isinstance(items, list):
        raise WebhookRefused(400, "the body is not a JSON array of events")
    return items


def _text(item: Mapping[str, Any], key: str, limit: int = TEXT_LIMIT) -> str:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return clean_line(str(value), limit)


def _address(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    text = clean_line(value, 320).lower()
    return text if _ADDRESS.fullmatch(text) else ""


def _event_id(item: Mapping[str, Any]) -> str:
    given = item.get("sg_event_id")
    if isinstance(given, str) and _EVENT_ID.fullmatch(given):
        return f"sg:{given}"
    # SendGrid always sends one; without it the event's own content identifies a retry of it.
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=True, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _moment(value: Any, now: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 2**33:
        return now
    return int(value)


def _detail(fields: Mapping[str, str]) -> str:
    kept = {key: value for key, value in fields.items() if value}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else ""


def _status_of(kind: str, item: Mapping[str, Any], asm_group_id: int) -> str:
    if kind == DROPPED:
        return DROPPED_STATUS.get(_text(item, "reason").lower(), "")
    if kind == GROUP_UNSUBSCRIBE and asm_group_id:
        group = item.get("asm_group_id")
        if isinstance(group, int) and not isinstance(group, bool) and group != asm_group_id:
            return ""  # another group of the account's (transactional mail, say): not a newsletter unsubscribe
    return EVENT_STATUS.get(kind, "")


def _reason(kind: str, issue: str, fields: Mapping[str, str], event_id: str) -> str:
    words = {BOUNCE: "bounce", DROPPED: "dropped", SPAMREPORT: "spam report", UNSUBSCRIBE: "unsubscribe",
             GROUP_UNSUBSCRIBE: "group unsubscribe"}[kind]  # fmt: skip
    said = " ".join(value for key in ("status", "reason") if (value := fields.get(key, "")))
    text = f"SendGrid {words}" + (f" on {issue}" if issue else "") + (f": {said}" if said else "")
    # The event's id goes first where a long reason would cut it: it finds the event again in events.sqlite3.
    return clean_line(f"{text} [{event_id}]" if len(text) < 200 else f"{text[:200]}... [{event_id}]", 320)


def read_event(item: Any, *, asm_group_id: int, now: int) -> tuple[Event | None, StatusChange | None]:
    """One event of the array: what to keep of it and the status it asks for (None, None: not kept)."""
    if not isinstance(item, dict):
        return None, None
    kind = item.get("event")
    if not isinstance(kind, str) or kind not in _KEPT:
        return None, None
    email = _address(item.get("email"))
    reader = _address(item.get("recipient")) or email
    if not reader:
        return None, None
    issue = item.get("issue")
    slug = issue if isinstance(issue, str) and signable_issue(issue) else ""
    event_id = _event_id(item)
    fields: dict[str, str] = {}
    url = ""
    if kind == "bounce":
        fields = {name: _text(item, name) for name in ("type", "status", "reason", "bounce_classification")}
        kind = BLOCKED if fields["type"] == "blocked" else BOUNCE
    elif kind in (DROPPED, DEFERRED):
        fields = {name: _text(item, name) for name in ("reason", "response", "attempt")}
    elif kind == GROUP_UNSUBSCRIBE:
        fields = {"asm_group_id": _text(item, "asm_group_id")}
    elif kind == OPEN and item.get("sg_machine_open") is True:
        kind = MACHINE_OPEN  # Apple Mail Privacy Protection fetched the pixel, not the reader
    elif kind == CLICK:
        url = _text(item, "url", URL_LIMIT)
    at = _moment(item.get("timestamp"), now)
    event = Event(event_id, slug, reader, kind, at, url, "sendgrid", _detail(fields))
    status = _status_of(kind, item, asm_group_id)
    if not status or not email:
        return event, None
    evidence = {
        "how": "SendGrid Event Webhook",
        "event": kind,
        "sg_event_id": event_id.removeprefix("sg:"),
        "issue": slug,
        "at": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return event, StatusChange(event_id, email, status, _reason(kind, slug, fields, event_id), evidence)


def read_batch(body: bytes, *, asm_group_id: int, now: int) -> Batch:
    """Every event of a verified POST; WebhookRefused (400) when the body is not a JSON array. An event that is
    not an object, lacks an address or is of a type not kept counts in `ignored`; the same event twice in one
    batch is kept once."""
    batch = Batch()
    seen: set[str] = set()
    for item in parse_body(body):
        event, change = read_event(item, asm_group_id=asm_group_id, now=now)
        if event is None or event.id in seen:
            batch.ignored += 1
            continue
        seen.add(event.id)
        batch.events.append(event)
        if change is not None:
            batch.changes.append(change)
    return batch

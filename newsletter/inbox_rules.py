"""What a message in the editor's inbox asks of the newsletter: a pure function from raw bytes and rules to a
Decision. Nothing here reads the list, sends mail or touches the mailbox.

Rules, decided in issue 3:
- never acted on, never answered: mail from the editor's own address, X-Spam: Yes, list traffic (List-Id,
  Precedence list/bulk/junk), Auto-Submitted other than 'no', a null Return-Path, mailer-daemon and postmaster;
- the From address is the one concerned, never Reply-To or an address named in the text;
- a request is read from the subject and the first lines of the new text, above any quote or forward marker;
- a signed token in the subject or new text ("confirm <token>", "unsubscribe <token>") is proof of the mailbox
  whoever sent the mail; a forged or altered token is refused;
- otherwise the sender is authenticated only by the topmost Authentication-Results of our own server (authres).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from newsletter.addresses import InvalidAddress, normalize_email
from newsletter.authres import judge_sender
from newsletter.clean import clean_line, find_unsafe
from newsletter.csvfile import safe_cell
from newsletter.errors import TokenError
from newsletter.inbox_text import body_text, decode_words, first_lines, header_text, new_text, raw_header, sender
from newsletter.tokens import read_token

_TOKEN = re.compile(r"\b(confirm|unsubscribe)\s+([A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})(?![A-Za-z0-9_.-])", re.I)
_UNSUBSCRIBE = re.compile(
    r"\bun-?subscribe\b|\bopt[ -]?out\b|\bremove me\b|\btake me off\b|\bstop (?:sending|emailing|mailing)\b"
    r"|\bcancel (?:my |the )?subscription\b|\bno longer (?:wish|want) to (?:receive|get)\b"
    r"|отпиш|отказаться от рассылки|退订|取消订阅|सदस्यता\s*(?:रद्द|समाप्त|खत्म)|अनसब्सक्राइब",
    re.I,
)
_SUBSCRIBE = re.compile(
    r"\bsubscrib(?:e|ing)\b|\bsubscription request\b|\bsign me up\b|\badd me to\b|\bplease add me\b"
    r"|\binclude me in\b|\bput me on\b|\b(?:would|'d) (?:like|love) to (?:receive|get|join)\b"
    r"|подпис|订阅|सदस्यता|सब्सक्राइब",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|never|don'?t|do not|didn'?t|won'?t)\b(?:\W+\w+){0,3}\W*$", re.I)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|tr|wg|рв|转发)\s*:", re.I)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|ответ|回复|答复)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I)
_AUTOMATIC_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
# Caps on what a message's headers may put into subscribers.csv, the consent record and inbox-state.json (names
# are capped at clean.NAME_LIMIT). Real Message-IDs are well under 100 characters, dates about 31.
MESSAGE_ID_LIMIT = 250
DATE_LIMIT = 100
AUTH_RESULTS_LIMIT = 4_000


@dataclass(frozen=True)
class Rules:
    """What classification needs from the settings and the environment (cli.py passes the secret)."""

    own_addresses: frozenset[str]  # lowercased: the editor's from_email and reply_to
    authserv_id: str
    secret: bytes


@dataclass(frozen=True)
class Decision:
    """What to do about one message. `action`: subscribe, unsubscribe, refuse (bad token) or ignore.

    Every text field is one clean line (newsletter/clean.py): nothing from the message reaches a file, a reply or
    the terminal without passing through it, once, where classify reads it."""

    message_id: str
    action: str
    reason: str  # why, in a few words, for the report
    email: str = ""  # the address concerned, normalised
    name: str = ""
    authenticated: bool = False  # proven by an aligned DKIM/SPF pass or by a signed token
    proof: str = ""  # the Authentication-Results verdict, or which token
    consent: str = ""  # JSON: message_id, date, from, auth


def message_key(message: Message, raw: bytes) -> str:
    """The Message-ID that identifies a message across runs (cleaned, capped); a digest of the bytes when it has
    none."""
    return header_text(message, "Message-ID", MESSAGE_ID_LIMIT) or "sha256:" + hashlib.sha256(raw).hexdigest()


def _ignored_because(message: Message, address: str, rules: Rules) -> str:
    if address.lower() in rules.own_addresses:
        return "mail from the editor's own address"
    # Values are quoted in the reason: read them as one clean, short line each.
    headers = {key.lower(): clean_line(str(value)[:1_000], 100).lower() for key, value in message.raw_items()}
    flags = (headers.get("x-spam", "").split(",")[0].split(), headers.get("x-spam-flag", "").split())
    if any(words[:1] in (["yes"], ["true"]) for words in flags):
        return "marked as spam"
    if any(path.strip() == "<>" for path in raw_header(message, "Return-Path")):
        return "a bounce (null Return-Path)"
    if address.rpartition("@")[0].lower() in _AUTOMATIC_LOCAL_PARTS:
        return "a bounce or report (from mailer-daemon or postmaster)"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    for name in ("list-id", "list-unsubscribe", "list-post"):
        if name in headers:
            return f"mailing-list traffic ({name.title()})"
    if headers.get("precedence", "").split(";")[0].strip() in ("list", "bulk", "junk"):
        return f"mailing-list or bulk traffic (Precedence: {headers['precedence']})"
    auto = headers.get("auto-submitted", "no").split(";")[0].strip()
    if auto != "no":
        return f"an automatic message (Auto-Submitted: {auto})"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "an automatic reply"
    return ""


def _find_request(pattern: re.Pattern[str], text: str) -> bool:
    """A match that is not negated ("I do not want to subscribe")."""
    return any(not _NEGATION.search(text[max(0, m.start() - 40) : m.start()]) for m in pattern.finditer(text))


def _request(subject: str, lines: str) -> str:
    """'unsubscribe', 'subscribe' or '' from the subject, else the first lines of the new text."""
    for text in (subject, lines):
        if _find_request(_UNSUBSCRIBE, text):
            return "unsubscribe"
        if _find_request(_SUBSCRIBE, text):
            return "subscribe"
    return ""


def _consent(message: Message, message_id: str, display: str, email: str, verdict: str) -> str:
    """The record of who asked, when and how it was proven; 'from' is written from the cleaned, capped display
    name and the validated address, so a long name can never push the address out of it."""
    record = {
        "message_id": message_id,
        "date": header_text(message, "Date", DATE_LIMIT),
        "from": f"{display} <{email}>" if display else email,
        "auth": verdict,
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def parse_message(raw: bytes) -> Message:
    """The message with its headers as written (compat32): what the rules read is decoded explicitly."""
    return message_from_bytes(raw)


def classify(raw: bytes, rules: Rules) -> Decision:
    """Decide what `raw` (one RFC 5322 message) asks of the newsletter."""
    message = parse_message(raw)
    message_id = message_key(message, raw)
    found = sender(message)
    if found is None:
        return Decision(message_id, "ignore", "no single From address")
    display, address = found
    try:
        email = normalize_email(address)
        if find_unsafe(email):  # email-validator refuses these already; the Decision must never carry one
            raise InvalidAddress(address)
    except InvalidAddress:
        return Decision(message_id, "ignore", f"the From address '{clean_line(address, 100)}' is not valid")
    why = _ignored_because(message, email, rules)
    if why:
        return Decision(message_id, "ignore", why, email)
    name = safe_cell(display)
    subject = decode_words(" ".join(raw_header(message, "Subject")[:1]))
    text = new_text(body_text(message))
    lines = first_lines(text)
    token = _TOKEN.search(subject) or _TOKEN.search(lines)
    if token:
        purpose, value = token.group(1).lower(), token.group(2)
        try:
            target = normalize_email(read_token(rules.secret, value, purpose))
        except (TokenError, InvalidAddress) as error:
            reason = f"an invalid {purpose} token ({str(error).rstrip('.')})"
            return Decision(message_id, "refuse", reason, email, name)
        proof = f"signed {purpose} token"
        action = "subscribe" if purpose == "confirm" else "unsubscribe"
        # The token names the mailbox it was sent to; the display name only counts when that is the sender.
        who = name if target.lower() == email.lower() else ""
        consent = _consent(message, message_id, display, email, proof)
        return Decision(message_id, action, f"{action} ({proof})", target, who, True, proof, consent)
    request = _request("" if _FORWARD_SUBJECT.match(subject) else _REPLY_PREFIX.sub("", subject), lines)
    if not request:
        return Decision(message_id, "ignore", "not about the newsletter", email)
    domain = email.rpartition("@")[2]
    # Only the topmost Authentication-Results counts; it is written by our server, but it quotes the sender's own
    # identities (header.d, smtp.mailfrom), so it is read like every other header.
    topmost = header_text(message, "Authentication-Results", AUTH_RESULTS_LIMIT)
    verdict = judge_sender([topmost] if topmost else [], domain, rules.authserv_id)
    consent = _consent(message, message_id, display, email, verdict.summary)
    reason = f"{request} request ({'authenticated' if verdict.authenticated else 'not authenticated'})"
    return Decision(message_id, request, reason, email, name, verdict.authenticated, verdict.summary, consent)

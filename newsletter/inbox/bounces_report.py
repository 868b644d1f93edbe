"""The standard reports: delivery status notifications (RFC 3464, multipart/report; report-type=delivery-status),
abuse feedback reports (ARF, RFC 5965, report-type=feedback-report) and Microsoft's JMRP complaints, which
attach the complained-of message to a multipart/mixed from staff@hotmail.com instead of writing an ARF report.
"""

from __future__ import annotations

from email.message import Message
from typing import NamedTuple

from newsletter.inbox.bounces_text import (
    Finding,
    diagnostic_line,
    find_address,
    find_status,
    header_value,
    read_headers,
    report_blocks,
    text_of,
    typed_value,
    walk,
)

_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status", "text/delivery-status")
_ARF_TYPES = ("message/feedback-report",)
# RFC 5965's types a person's complaint arrives as; 'other' and types yet unknown count as complaints (RFC 5965
# section 3.1: treat an unknown type as 'other'). 'auth-failure' is a DMARC failure report about the sender's
# own domain (RFC 6591) and 'not-spam' says the opposite of a complaint: neither is about the reader.
NOT_COMPLAINTS = frozenset({"auth-failure", "not-spam"})
# Actions that end a recipient's delivery without it reaching the mailbox; 'delivered', 'relayed' and
# 'expanded' are successes.
_BOUNCE_ACTIONS = frozenset({"failed", "delayed"})


class Report(NamedTuple):
    findings: list[Finding]
    reporter: str
    feedback_type: str  # ARF only


def report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    value = message.get_param("report-type")
    return value.strip().lower() if isinstance(value, str) else ""


def _first_word(value: str) -> str:
    words = value.split()
    return words[0] if words else ""


def _part(message: Message, types: tuple[str, ...]) -> Message | None:
    return next((part for part in walk(message) if part.get_content_type() in types), None)


def has_report_part(message: Message) -> bool:
    """True when `message` holds a machine-readable delivery or feedback report, whatever it says."""
    return _part(message, _DSN_TYPES + _ARF_TYPES) is not None


def read_dsn(message: Message) -> Report | None:
    """The recipients of a delivery status notification whose delivery failed or is delayed; None when it is
    not one, or reports only successes."""
    rtype = report_type(message)
    part = _part(message, _DSN_TYPES)
    if part is None or rtype not in ("delivery-status", "global-delivery-status", ""):
        return None
    blocks = report_blocks(part)
    if not blocks:
        return None
    # The first block is about the message (Reporting-MTA, ...), the others one recipient each; some MTAs
    # run them together, so a first block naming a recipient counts as one too.
    head = blocks[0]
    reporter = diagnostic_line(typed_value(head.get("reporting-mta", "")))
    recipients = [block for block in blocks if "final-recipient" in block or "original-recipient" in block]
    findings = []
    for block in recipients:
        action = _first_word(block.get("action", "")).lower()
        status = _first_word(block.get("status", ""))
        # An Action-less block still fails when its Status says so (some gateways leave Action out).
        if action not in _BOUNCE_ACTIONS and (action or status[:1] not in ("4", "5")):
            continue
        diagnostic = typed_value(block.get("diagnostic-code", ""))
        # We send one message per reader to the address on the list: Original-Recipient, when the reporting
        # MTA kept it, is that address; Final-Recipient may be where an alias or forward led.
        address = find_address(typed_value(block.get("original-recipient", ""))) or find_address(
            typed_value(block.get("final-recipient", ""))
        )
        action = action or ("delayed" if status.startswith("4") else "failed")
        findings.append(Finding(address, action, find_status(status, diagnostic), diagnostic_line(diagnostic)))
    if not findings:
        return None
    return Report(findings, reporter, "")


def read_arf(message: Message) -> Report | None:
    """The complaint in an ARF report; None when it is not one or its Feedback-Type is not a complaint."""
    if report_type(message) not in ("feedback-report", ""):
        return None
    part = _part(message, _ARF_TYPES)
    if part is None:
        return None
    fields: dict[str, str] = {}
    for block in report_blocks(part):
        for key, value in block.items():
            fields.setdefault(key, value)
    feedback_type = (fields.get("feedback-type", "").split() or ["other"])[0].lower()[:40]
    if feedback_type in NOT_COMPLAINTS:
        return None
    # Original-Rcpt-To is the reader; Removal-Recipient is the older Yahoo and AOL name for it.
    address = find_address(fields.get("original-rcpt-to", "")) or find_address(fields.get("removal-recipient", ""))
    if not address:
        returned = returned_message(message)
        address = find_address(header_value(returned, "To")) if returned is not None else ""
    reporter = diagnostic_line(fields.get("user-agent", "") or header_value(message, "From"))
    return Report([Finding(address, "complained", "", "")], reporter, feedback_type)


def read_jmrp(message: Message) -> Report | None:
    """A Microsoft JMRP complaint: the reported message attached whole, the reader in X-HmXmrOriginalRecipient."""
    if message.get_content_type() == "multipart/report":
        return None
    returned = returned_message(message)
    if returned is None:
        return None
    original = header_value(returned, "X-HmXmrOriginalRecipient")
    if not original:
        return None
    reporter = diagnostic_line(header_value(message, "From"))
    return Report([Finding(find_address(original), "complained", "", "")], reporter, "abuse")


def returned_message(message: Message) -> Message | None:
    """The returned original (its headers at least) attached as message/rfc822 or text/rfc822-headers."""
    for part in walk(message):
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            return read_headers(text_of(part))
    return None

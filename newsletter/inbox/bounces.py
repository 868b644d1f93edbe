"""What a bounce or complaint in the editor's mailbox says: a pure function from raw bytes to Feedback.

Recognised: delivery status notifications (RFC 3464), abuse feedback reports (ARF, RFC 5965), Microsoft JMRP
complaints, and the text bounces of qmail, Exim, old Postfix, Exchange/Office 365, Gmail and Yahoo
(bounces_report.py, bounces_legacy.py). Not feedback, so None: read receipts (report-type=
disposition-notification), out-of-office replies, DSNs that report only successful delivery, DMARC failure
reports (Feedback-Type: auth-failure), and anything else.

What a bounce means for the reader, decided here (DESIGN.md "Feedback", issue 11):
- hard_bounce: the address is dead: a permanent failure (5.x.x) whose status names the address or mailbox
  (HARD_STATUSES) or, when the status gives only its class, whose diagnostic says the user is unknown. One hard
  bounce marks the reader bounced.
- soft_bounce: every other failure: 4.x.x, Action: delayed, a full mailbox (5.2.2), a message too large, and
  policy or reputation refusals (5.7.x), which say more about the sender than the address. Counted; soft bounces
  on three different issues mark the reader bounced (status_after).
- complaint: an ARF report (abuse, fraud, virus, other, opt-out) or a JMRP report. Marks the reader complained.

Proof: Feedback.verified is the (issue, email) of a valid X-Newsletter-Feedback token (newsletter/tokens.py)
found in the returned message's headers or, failing that, anywhere in the report's text. Only verified
feedback may change a reader's status, and then only that reader's, whatever address the report names. Feedback
without a valid token (mail sent before the token existed, a bounce that returns no headers, a forgery) is
reported to the editor and changes nothing: its addresses are only the report's word, and its
Original-Message-ID proves nothing either, since mime.make_message_id is an unkeyed hash of the issue slug and
the address that anybody can compute.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from newsletter.clean import clean_line
from newsletter.errors import TokenError
from newsletter.inbox.bounces_legacy import read_legacy
from newsletter.inbox.bounces_report import (
    has_report_part,
    read_arf,
    read_dsn,
    read_jmrp,
    report_type,
    returned_message,
)
from newsletter.inbox.bounces_text import Finding, header_value, returned_headers, text_of, walk
from newsletter.tokens import FEEDBACK_HEADER as HEADER
from newsletter.tokens import check_secret, read_feedback_token

HARD = "hard_bounce"
SOFT = "soft_bounce"
COMPLAINT = "complaint"
KINDS = (HARD, SOFT, COMPLAINT)
# RFC 3463 codes that say the address itself is bad: 5.1.x addressing status (5.1.1 bad mailbox, 5.1.2 bad
# domain, 5.1.3 bad syntax, 5.1.6 moved, 5.1.10 null MX, Exchange's 5.1.351 unknown recipient), 5.2.1 mailbox
# disabled, 5.4.4 unable to route (Postfix: the domain has neither MX nor address). Not 5.1.7 and 5.1.8, which
# are about the sender, nor 5.1.0, which Office 365 also gives for SPF failures of the sender's domain.
HARD_STATUSES = frozenset({"5.2.1", "5.4.4"})
_HARD_ADDRESSING = re.compile(r"5\.1\.(?!0$|7$|8$)\d{1,3}")
# The words mail systems use for a dead address when they give no specific status code.
_UNKNOWN_USER = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|account)|user (?:not found|doesn't exist)"
    r"|mailbox (?:not found|unavailable|does not exist|disabled)|recipient name is not recognized|unknown recipient"
    r"|recipient (?:not found|unknown|does not exist)|address (?:does not exist|not found)|invalid recipient"
    r"|RecipNotFound|no mailbox here by that name|account (?:has been )?disabled|does not exist"
    r"|doesn't have an? [\w.-]{1,60} account",
    re.I,
)
# The raw message is cut here: a report's parts come first, and a returned original of megabytes (an
# attachment) adds nothing but parsing time.
MAX_BYTES = 2_000_000
# Where a token is looked for in the report's text when the returned headers do not carry it.
_TOKEN_IN_TEXT = re.compile(rf"{HEADER}:\s*([A-Za-z0-9_-]{{8,}}\.[A-Za-z0-9_-]{{8,}})", re.I)


@dataclass(frozen=True)
class Recipient:
    email: str  # normalised, lowercased; '' when the report names no valid address
    kind: str  # hard_bounce, soft_bounce or complaint
    status: str  # the status code the report gives ('5.1.1'), '' when none
    action: str  # failed, delayed or complained
    diagnostic: str  # the remote server's words, one clean line


@dataclass(frozen=True)
class Feedback:
    kind: str  # the strongest of the recipients' kinds: complaint, then hard_bounce, then soft_bounce
    recipients: tuple[Recipient, ...]
    format: str  # what named it: rfc3464, arf, jmrp, qmail, exim, postfix, exchange, gmail, yahoo, sendmail, text
    reporter: str  # Reporting-MTA, the ARF User-Agent or the report's From
    feedback_type: str  # ARF Feedback-Type (abuse, fraud, ...); '' for bounces
    original_message_id: str  # the returned message's Message-ID, '' when none came back
    original_headers: tuple[tuple[str, str], ...]  # the returned message's headers, decoded and cleaned
    token: str  # the X-Newsletter-Feedback token found, '' when none
    verified: tuple[str, str] | None  # (issue, email) the token proves; None when absent, unchecked or refused
    token_problem: str  # why the token was refused, '' otherwise

    @property
    def emails(self) -> tuple[str, ...]:
        return tuple(recipient.email for recipient in self.recipients if recipient.email)

    @property
    def status(self) -> str:
        return self.recipients[0].status if self.recipients else ""

    @property
    def diagnostic(self) -> str:
        return self.recipients[0].diagnostic if self.recipients else ""


def kind_of(action: str, status: str, diagnostic: str) -> str:
    """hard_bounce or soft_bounce for one failed recipient (see the module's docstring)."""
    if action == "complained":
        return COMPLAINT
    if action == "delayed" or status.startswith("4"):
        return SOFT
    if status in HARD_STATUSES or _HARD_ADDRESSING.fullmatch(status):
        return HARD
    if status.startswith("5") and status not in ("5.0.0", "5.1.0"):
        return SOFT  # a specific code that is not about the address: full, too large, refused by policy
    return HARD if _UNKNOWN_USER.search(diagnostic) else SOFT


def status_after(events: Iterable[tuple[str, str]]) -> str:
    """A reader's status after their verified feedback events (issue slug, kind): 'complained' after any
    complaint, else 'bounced' after a hard bounce or soft bounces on three different issues, else ''."""
    soft_issues: set[str] = set()
    bounced = False
    for issue, kind in events:
        if kind == COMPLAINT:
            return "complained"
        if kind == HARD:
            bounced = True
        elif kind == SOFT:
            soft_issues.add(issue)
    return "bounced" if bounced or len(soft_issues) >= 3 else ""


@dataclass(frozen=True)
class Decision:
    """What the inbox does about one Feedback. `outcome`: 'bounced' or 'complained' (set the reader's status),
    'counted' (record the soft bounce, nothing else), 'reported' (no valid token: tell the editor, change
    nothing), 'not listed' (a valid token for an address not on the list: nothing to change)."""

    outcome: str
    email: str  # the reader the token names; for 'reported', the addresses the report names, joined by ', '
    issue: str
    kind: str
    reason: str  # a few words for the inbox's report


def decide_feedback(feedback: Feedback, *, listed: Container[str], history: Iterable[tuple[str, str]]) -> Decision:
    """The decision for `feedback`, given the email_keys on the list and the verified reader's earlier events
    (issue slug, kind). The caller records (issue, kind) for a 'counted', 'bounced' or 'complained' outcome, so
    the next soft bounce is counted with it."""
    if feedback.verified is None:
        why = f"refused token: {feedback.token_problem}" if feedback.token_problem else "no valid feedback token"
        return Decision("reported", ", ".join(feedback.emails), "", feedback.kind, f"{feedback.kind} ({why})")
    issue, email = feedback.verified
    if email not in listed:
        return Decision("not listed", email, issue, feedback.kind, f"{feedback.kind} for an address not on the list")
    status = status_after([*history, (issue, feedback.kind)])
    if status:
        return Decision(status, email, issue, feedback.kind, f"{feedback.kind} on {issue} (signed token)")
    return Decision("counted", email, issue, feedback.kind, f"{feedback.kind} on {issue} counted (signed token)")


def _find_token(message: Message, returned: Message | None) -> str:
    if returned is not None:
        value = header_value(returned, HEADER).split()
        if value:
            return value[0][:600]
    for part in walk(message):
        if not part.is_multipart():
            match = _TOKEN_IN_TEXT.search(text_of(part))
            if match:
                return match.group(1)[:600]
    return ""


def _verify(token: str, secret: bytes | None) -> tuple[tuple[str, str] | None, str]:
    if not token or secret is None:
        return None, ""
    try:
        return read_feedback_token(secret, token), ""
    except TokenError as error:
        return None, str(error)


def _strongest(kinds: list[str]) -> str:
    return next((kind for kind in (COMPLAINT, HARD, SOFT) if kind in kinds), SOFT)


def _read(message: Message) -> tuple[list[Finding], str, str, str, Message | None] | None:
    if report_type(message) == "disposition-notification":
        return None  # a read receipt
    for name, reader in (("rfc3464", read_dsn), ("arf", read_arf), ("jmrp", read_jmrp)):
        report = reader(message)
        if report is not None:
            return report.findings, name, report.reporter, report.feedback_type, returned_message(message)
    if has_report_part(message):
        return None  # a report of success only, or of a kind that is not about the reader
    # Not a report, or a multipart/report that lost its machine-readable part: read the text.
    legacy = read_legacy(message)
    if legacy is None:
        return None
    reporter = clean_line(header_value(message, "From"), 200)
    return legacy.findings, legacy.format, reporter, "", legacy.returned or returned_message(message)


def read_feedback(raw: bytes, *, secret: bytes | None = None) -> Feedback | None:
    """The bounce or complaint `raw` reports, or None when it is neither. With `secret` (NEWSLETTER_SECRET), a
    feedback token found in it is checked and `verified` set; a secret too short to sign with is a TokenError.
    Never raises on what the message holds."""
    if secret is not None:
        check_secret(secret)
    message = message_from_bytes(raw[:MAX_BYTES])
    read = _read(message)
    if read is None:
        return None
    findings, name, reporter, feedback_type, returned = read
    recipients = []
    seen: set[tuple[str, str]] = set()
    for finding in findings:
        kind = kind_of(finding.action, finding.status, finding.diagnostic)
        if (finding.address, kind) not in seen:
            seen.add((finding.address, kind))
            recipients.append(Recipient(finding.address, kind, finding.status, finding.action, finding.diagnostic))
    token = _find_token(message, returned)
    verified, problem = _verify(token, secret)
    return Feedback(
        kind=_strongest([recipient.kind for recipient in recipients]),
        recipients=tuple(recipients),
        format=name,
        reporter=reporter,
        feedback_type=feedback_type,
        original_message_id=header_value(returned, "Message-ID") if returned is not None else "",
        original_headers=tuple(returned_headers(returned)) if returned is not None else (),
        token=clean_line(token, 600),
        verified=verified,
        token_problem=problem,
    )

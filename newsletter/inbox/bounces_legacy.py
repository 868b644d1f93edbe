"""Bounces written for people, not machines: qmail's "Hi. This is the qmail-send program", Exim's "This message
was created automatically by mail delivery software", old Postfix, Exchange 2003 and Office 365 text notices,
Gmail's and Yahoo's own wording.

They share a shape: a sentence saying delivery failed (or is delayed), the failed addresses one to a line with
the remote server's answer under or beside each, then a line above a copy of the message. A message counts as
one only when it comes from a mail system (null Return-Path, MAILER-DAEMON or postmaster, X-Failed-Recipients or
a bounce subject) AND says that delivery failed or is delayed: an out-of-office reply sent with a null
Return-Path says neither.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import NamedTuple

from newsletter.inbox.bounces_text import (
    Finding,
    diagnostic_line,
    find_address,
    find_status,
    header_value,
    read_headers,
    text_of,
    walk,
)
from newsletter.inbox.text import html_to_text

_FROM_SYSTEM = re.compile(r"\b(?:mailer-daemon|postmaster|mail delivery (?:system|subsystem))\b", re.I)
_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status notification|failure|has failed|failed|notification)"
    r"|failure notice|returned mail|mail delivery failed|non remis|non recapitabile|unzustellbar|no entregado",
    re.I,
)
_FAILED = re.compile(
    r"could ?n[o']t be delivered|wasn't able to deliver|unable to deliver|did not reach the following"
    r"|delivery (?:has )?failed|failed permanently|permanent (?:fatal )?error|following recipient\(s\) could not"
    r"|could not be reached|error (?:has occurred )?(?:while attempting to deliver|delivering your)"
    r"|message not delivered|wasn't delivered|address not found",
    re.I,
)
_DELAYED = re.compile(
    r"has been delayed|not yet been delivered|warning message only|delivery attempts will continue|still trying"
    r"|\(delay\)",
    re.I,
)
# What names the program that wrote the bounce, in the order tried.
_FORMATS = (
    ("qmail", re.compile(r"This is the qmail-send program", re.I)),
    ("yahoo", re.compile(r"Sorry, we were unable to deliver your message", re.I)),
    ("postfix", re.compile(r"This is the (?:Postfix program|mail system) at host", re.I)),
    ("exim", re.compile(r"This message was created automatically by mail delivery software", re.I)),
    ("gmail", re.compile(r"Delivery to the following recipients? (?:failed permanently|has been delayed)", re.I)),
    (
        "exchange",
        re.compile(
            r"did not reach the following recipient|did not reach some or all of the intended recipients"
            r"|Delivery has failed to these recipients",
            re.I,
        ),
    ),
    ("sendmail", re.compile(r"The following addresses had permanent fatal errors", re.I)),
)
# The line above the copy of the returned message.
_RETURNED = re.compile(
    r"^\s*(?:-+\s*)?(?:Below this line is a copy of the message|This is a copy of the message"
    r"|Original message(?: follows)?\s*-*\s*$|Original message headers:|The header of the original message"
    r"|Undelivered message headers|Returned message|Original Message Headers|Below is a copy of the original"
    r"|Message headers follow)",
    re.I | re.M,
)
# A line that is a failed address: '<a@b>:' (qmail, Yahoo), '<a@b>: host ... said: 550 ...' (Postfix),
# '  a@b' (Exim, Gmail), 'a@b on <date>' (Exchange 2003), 'a@b<mailto:a@b>' (Office 365), '<a@b>... reason'
# (sendmail).
_ADDRESS_LINE = re.compile(
    r"^[ \t]{0,12}<?(?P<address>[^\s<>@]{1,64}@[^\s<>@]{1,255}?)>?(?:\s*\(expanded from[^)]{0,300}\))?"
    r"\s*(?P<rest>(?::|\.\.\.|\s+on\s|<mailto:).*)?$",
    re.I,
)
_TECHNICAL = re.compile(
    r"Technical details of (?:permanent|temporary) failure:[ \t]*\n(.{0,2000}?)(?:\n[ \t]*\n|$)", re.S
)
_LINES = 200  # lines of the notice read for addresses: past that it is a quoted message, not a list


class Legacy(NamedTuple):
    findings: list[Finding]
    format: str
    returned: Message | None


def _notice_text(message: Message) -> str:
    """The text of the notice: its first plain-text part, else its first HTML part as text."""
    html = None
    for part in walk(message):
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            return text_of(part)
        if kind == "text/html" and html is None:
            html = part
    if html is not None:
        return html_to_text(text_of(html))
    # A multipart whose boundary is not in its body: the parser leaves it all as one string.
    return text_of(message) if isinstance(message.get_payload(), str) else ""


def _from_a_mail_system(message: Message) -> bool:
    if header_value(message, "X-Failed-Recipients"):
        return True
    if header_value(message, "Return-Path").replace(" ", "") == "<>":
        return True
    return bool(_FROM_SYSTEM.search(header_value(message, "From")) or _SUBJECT.search(header_value(message, "Subject")))


def _recipients(notice: str) -> dict[str, list[str]]:
    """Each failed address in `notice`, in order, with the lines that explain it."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in notice.split("\n")[:_LINES]:
        match = _ADDRESS_LINE.match(line)
        address = find_address(match.group("address")) if match else ""
        if address:
            current = address
            rest = (match.group("rest") or "").lstrip(":. ") if match else ""
            rest = re.sub(r"^on\s.*$|^<mailto:[^>]*>", "", rest.strip()).strip()
            found.setdefault(current, []).extend([rest] if rest else [])
        elif not line.strip():
            current = ""
        elif current:
            found[current].append(line.strip())
    return found


def _technical(notice: str) -> str:
    """Gmail's 'Technical details of permanent failure:' paragraph."""
    match = re.search(
        r"Technical details of (?:permanent|temporary) failure:[ \t]*\n(.{0,2000}?)(?:\n[ \t]*\n|$)", notice, re.S
    )
    return " ".join(match.group(1).split()) if match else ""


def read_legacy(message: Message) -> Legacy | None:
    """The failed or delayed recipients of a text bounce; None when the message is not one."""
    if not _from_a_mail_system(message):
        return None
    text = _notice_text(message).replace("\r\n", "\n").replace("\r", "\n")
    marker = _RETURNED.search(text)
    notice = text[: marker.start()] if marker else text
    subject = header_value(message, "Subject")
    failed = _FAILED.search(notice)
    delayed = _DELAYED.search(notice) or _DELAYED.search(subject)
    if not failed and not delayed:
        return None
    action = "delayed" if delayed and (not failed or re.search(r"warning message only", notice, re.I)) else "failed"
    name = next((name for name, banner in _FORMATS if banner.search(notice)), "text")
    start = min(match.start() for match in (failed, delayed) if match is not None)
    listed = _recipients(notice[start:])
    failed_header = header_value(message, "X-Failed-Recipients")
    named = [find_address(part) for part in failed_header.split(",")] if failed_header else []
    # Failing a list, the sentence may name the one address ("There was an error delivering your mail to <a@b>.").
    sentence = notice[start:].split("\n", 1)[0]
    addresses = [address for address in named if address] or list(listed) or [find_address(sentence)]
    addresses = [address for address in addresses if address]
    # Gmail and others put the server's answer in a paragraph of its own, not under the address.
    coded = next((line for line in notice[start:].split("\n") if find_status(line)), "") or _technical(notice)
    findings = []
    for address in addresses or [""]:
        lines = listed.get(address, [])
        explained = " ".join(lines) if lines else ""
        if not find_status(explained) and len(addresses) <= 1:
            explained = f"{explained} {coded}".strip()
        findings.append(Finding(address, action, find_status(explained), diagnostic_line(explained)))
    returned = read_headers(text[marker.end() :].split("\n", 1)[-1]) if marker else None
    return Legacy(findings, name, returned if returned is not None and len(returned) else None)

"""`newsletter stats`: what became of an issue, from the send ledger, the feedback events and the list.

Every figure counts distinct readers unless its name says otherwise (`clicks`):
- recipients: readers the ledger records as sent to;
- delivered: readers SendGrid reported a `delivered` event for; for mail handed to an SMTP relay, which reports no
  deliveries, the recipients less the readers whose mail bounced (hard or soft) on this issue; nothing for the
  outbox, which delivers nothing;
- bounced: readers with a hard bounce on this issue (SendGrid's webhook, or a signed bounce in the inbox);
- complaints: readers who reported this issue as spam (SendGrid's spamreport, or a signed ARF or JMRP report);
- unsubscribes: readers SendGrid reported an unsubscribe for on this issue, and readers of this issue who
  unsubscribed any other way (the one-click link, a reply) after it went out and before the next issue did: those
  links carry no issue, so the time says which issue they left after;
- unique_opens, unique_clicks: readers with an open or a click event (tracking on, through SendGrid). Opens are
  inflated: Apple Mail Privacy Protection and image proxies fetch the tracking pixel without anybody reading;
- clicks_by_url: the issue's articles in its order, each with every click and the readers who clicked; a link is
  matched as newsletter.issue.load.normalise_url compares articles (utm_* parameters, a trailing slash, http or
  https do not count).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsletter.config import Config
from newsletter.errors import IssueError, NewsletterError
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
    SOFT_BOUNCE,
    SPAMREPORT,
    UNSUBSCRIBE,
    clicks_of,
    count_readers,
    readers_by_event,
    readers_of,
)
from newsletter.issue.load import load_issue
from newsletter.issue.model import normalise_url
from newsletter.sending.ledger import LedgerState, ledger_path, read_ledger
from newsletter.subscribers.journal_apply import read_current

OPENS_CAVEAT = (
    "Opens are inflated: Apple Mail Privacy Protection and image proxies (Gmail's, and security gateways) fetch "
    "the tracking image without anybody reading, so read opens as a trend, not as readers."
)


class StatsError(NewsletterError):
    """An issue that has no stats (never sent)."""


@dataclass(frozen=True)
class UrlClicks:
    url: str
    clicks: int  # every click, repeated ones included
    unique_clicks: int  # readers who clicked
    title: str = ""  # the article's headline, for people; not in the JSON


@dataclass(frozen=True)
class IssueStats:
    issue: str
    recipients: int
    delivered: int
    bounced: int
    complaints: int
    unsubscribes: int
    unique_opens: int
    unique_clicks: int
    clicks_by_url: tuple[UrlClicks, ...]
    # For people, not in the JSON:
    provider: str = ""
    sent_at: datetime | None = None
    also: Mapping[str, int] = field(default_factory=dict)  # other events, in readers: soft bounces, blocked...
    machine_opens: int = 0  # readers whose every open was one SendGrid marked as Apple Mail Privacy Protection's
    other_clicks: int = 0  # clicks on links that are not the issue's articles (archive, unsubscribe)
    articles_known: bool = True  # False when the issue's file could not be read: URLs in order of first click

    def as_json(self) -> dict[str, Any]:
        """DESIGN.md's shape, in its order."""
        return {
            "issue": self.issue,
            "recipients": self.recipients,
            "delivered": self.delivered,
            "bounced": self.bounced,
            "complaints": self.complaints,
            "unsubscribes": self.unsubscribes,
            "unique_opens": self.unique_opens,
            "unique_clicks": self.unique_clicks,
            "clicks_by_url": [
                {"url": item.url, "clicks": item.clicks, "unique_clicks": item.unique_clicks}
                for item in self.clicks_by_url
            ],
        }


@dataclass(frozen=True)
class _Sent:
    slug: str
    path: Path
    at: datetime | None  # when the first run began


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sent_issues(config: Config) -> list[_Sent]:
    """Every issue with a send ledger (sandbox sends excluded), in the order they first went out."""
    from newsletter.sending.ledger import iter_records

    found = []
    if config.sends_dir.is_dir():
        for path in config.sends_dir.glob("*.jsonl"):
            if path.name.endswith(".sandbox.jsonl"):
                continue
            first = next((record for _, record in iter_records(path, damaged=[])), {})
            at = _parse_time(first.get("at")) if first.get("type") == "start" else None
            found.append(_Sent(path.name.removesuffix(".jsonl"), path, at))
    return sorted(found, key=lambda sent: (sent.at or datetime.max.replace(tzinfo=UTC), sent.slug))


def _unsubscribed_at(config: Config) -> dict[str, datetime]:
    """When each unsubscribed reader left: the row's updated_at, with the journal's pending changes folded in (a
    reader who unsubscribed on the web a minute ago counts, at the time of that change)."""
    subscribers = read_current(config.subscribers_path, config.journal_dir, missing_ok=True)
    left: dict[str, datetime] = {}
    # By status first: building every row of a million to find the few thousand unsubscribed ones took seconds.
    for number in range(len(subscribers)):
        if subscribers.status_of(number) == "unsubscribed":
            row = subscribers[number]
            moment = _parse_time(row.updated_at)
            if moment is not None:
                left.setdefault(row.key, moment)
    return left


def _clicks_by_url(config: Config, slug: str) -> tuple[tuple[UrlClicks, ...], int, bool]:
    """The articles' clicks in the issue's order, the clicks on other links, and whether the issue was read."""
    clicks = clicks_of(config.events_path, slug)
    articles: list[tuple[str, str]] = []  # (url, title), in the issue's order, each once
    known = True
    try:
        issue = load_issue(config.issues_dir / f"{slug}.yaml")
    except (IssueError, OSError):
        known = False
        first_seen: dict[str, int] = {}
        for clicked, _, _, at in clicks:
            first_seen.setdefault(normalise_url(clicked), at)
        articles = [(link, "") for link, _ in sorted(first_seen.items(), key=lambda item: (item[1], item[0]))]
    else:
        seen: set[str] = set()
        for article in issue.articles:
            if normalise_url(article.url) not in seen:
                seen.add(normalise_url(article.url))
                articles.append((article.url, article.title))
    keys = {normalise_url(link): link for link, _ in articles}
    totals = {link: 0 for link, _ in articles}
    readers: dict[str, set[str]] = {link: set() for link, _ in articles}
    other = 0
    normalised: dict[str, str] = {}
    for clicked, email, count, _ in clicks:
        known_key = normalised.get(clicked)
        if known_key is None:
            known_key = normalised[clicked] = normalise_url(clicked)
        matched = keys.get(known_key)
        if matched is None:
            other += count
            continue
        totals[matched] += count
        readers[matched].add(email)
    items = tuple(UrlClicks(link, totals[link], len(readers[link]), title) for link, title in articles)
    return items, other, known


def _stats(
    config: Config, sent: _Sent, state: LedgerState, until: datetime | None, left: Mapping[str, datetime]
) -> IssueStats:
    path = config.events_path
    slug = sent.slug
    counts = readers_by_event(path, slug)
    recipients = state.counts().get("sent", 0)
    provider = str(state.runs[0].get("provider", "")) if state.runs else ""
    if provider == "sendgrid":
        delivered = counts.get(DELIVERED, 0)
    elif provider == "outbox":
        delivered = 0
    else:
        delivered = max(0, recipients - count_readers(path, slug, (BOUNCE, SOFT_BOUNCE)))
    unsubscribed = readers_of(path, slug, (UNSUBSCRIBE, GROUP_UNSUBSCRIBE))
    if sent.at is not None:
        for key, moment in left.items():
            if sent.at <= moment and (until is None or moment < until) and state.status_of(key) == "sent":
                unsubscribed.add(key)
    opens = count_readers(path, slug, (OPEN, MACHINE_OPEN)) if MACHINE_OPEN in counts else counts.get(OPEN, 0)
    machine = opens - counts.get(OPEN, 0)
    by_url, other, known = _clicks_by_url(config, slug)
    also = {"soft bounces": counts.get(SOFT_BOUNCE, 0), "blocked": counts.get(BLOCKED, 0),
            "deferred": counts.get(DEFERRED, 0), "dropped": counts.get(DROPPED, 0)}  # fmt: skip
    return IssueStats(
        issue=slug,
        recipients=recipients,
        delivered=delivered,
        bounced=counts.get(BOUNCE, 0),
        complaints=counts.get(SPAMREPORT, 0),
        unsubscribes=len(unsubscribed),
        unique_opens=opens,
        unique_clicks=counts.get(CLICK, 0),
        clicks_by_url=by_url,
        provider=provider,
        sent_at=sent.at,
        also={name: count for name, count in also.items() if count},
        machine_opens=machine,
        other_clicks=other,
        articles_known=known,
    )


def issue_stats(config: Config, slug: str) -> IssueStats:
    """The stats of one sent issue; StatsError when it has no send ledger."""
    issues = _sent_issues(config)
    for number, sent in enumerate(issues):
        if sent.slug == slug:
            until = issues[number + 1].at if number + 1 < len(issues) else None
            state = read_ledger(sent.path, skip_damaged=True)
            return _stats(config, sent, state, until, _unsubscribed_at(config))
    ledger = ledger_path(config.sends_dir, slug)
    raise StatsError(
        f"{ledger} does not exist: {slug} has not been sent, so it has no stats yet (send it with `newsletter send`)."
    )


def all_stats(config: Config) -> list[IssueStats]:
    """The stats of every sent issue, oldest first, for the trend."""
    issues = _sent_issues(config)
    left = _unsubscribed_at(config)
    found = []
    for number, sent in enumerate(issues):
        until = issues[number + 1].at if number + 1 < len(issues) else None
        found.append(_stats(config, sent, read_ledger(sent.path, skip_damaged=True), until, left))
    return found


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "     -"


def format_stats(stats: IssueStats, *, tracking: tuple[bool, bool]) -> list[str]:
    """`newsletter stats ISSUE` for people. `tracking` is ([sendgrid] track_opens, track_clicks) as now set."""
    when = f"{stats.sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if stats.sent_at else "an unknown time"
    lines = [f"{stats.issue}: sent {when} via {stats.provider or 'an unknown provider'}"]
    base = stats.recipients
    rows = [
        ("recipients", stats.recipients, ""),
        ("delivered", stats.delivered, _percent(stats.delivered, base)),
        ("bounced", stats.bounced, _percent(stats.bounced, base)),
        ("complaints", stats.complaints, _percent(stats.complaints, base)),
        ("unsubscribes", stats.unsubscribes, _percent(stats.unsubscribes, base)),
    ]
    lines += [f"  {name:<14}{count:>9}  {share}".rstrip() for name, count, share in rows]
    if stats.provider == "smtp":
        lines.append("  (delivered: accepted by the SMTP relay, less the readers whose mail bounced)")
    elif stats.provider == "outbox":
        lines.append("  (delivered: none, the outbox writes files and sends nothing)")
    if stats.also:
        lines.append("  also: " + ", ".join(f"{name} {count}" for name, count in stats.also.items()))
    tracked = stats.unique_opens or stats.unique_clicks or any(tracking)
    if not tracked:
        lines.append(
            "  opens and clicks: not tracked ([sendgrid] track_opens and track_clicks are off, for the readers' "
            "privacy)"
        )
        return lines
    lines.append(f"  {'unique opens':<14}{stats.unique_opens:>9}  {_percent(stats.unique_opens, base)}")
    if stats.machine_opens:
        lines.append(f"  ({stats.machine_opens} of them only by Apple Mail Privacy Protection, as SendGrid marks it)")
    lines.append(f"  {OPENS_CAVEAT}")
    lines.append(f"  {'unique clicks':<14}{stats.unique_clicks:>9}  {_percent(stats.unique_clicks, base)}")
    if stats.clicks_by_url:
        heading = "per article, in the issue's order" if stats.articles_known else "per link, in order of first click"
        lines.append(f"  clicks {heading} (readers, clicks):")
        for item in stats.clicks_by_url:
            label = f"{item.title} <{item.url}>" if item.title else item.url
            lines.append(f"  {item.unique_clicks:>9}{item.clicks:>9}  {label}")
    if stats.other_clicks:
        lines.append(f"  ({stats.other_clicks} click(s) on other links: the archive, the unsubscribe link)")
    return lines


TREND_HEADER = (
    f"{'issue':<14}{'sent':<12}{'recipients':>11}{'delivered':>11}{'bounced':>9}{'complaints':>12}"
    f"{'unsubscribes':>14}{'opens':>8}{'clicks':>8}"
)


def format_trend(all_issues: Iterable[IssueStats]) -> list[str]:
    """`newsletter stats` for people: one line per sent issue, oldest first."""
    lines = [TREND_HEADER]
    for s in all_issues:
        sent = f"{s.sent_at.astimezone(UTC):%Y-%m-%d}" if s.sent_at else "-"
        lines.append(
            f"{s.issue:<14}{sent:<12}{s.recipients:>11}{s.delivered:>11}{s.bounced:>9}{s.complaints:>12}"
            f"{s.unsubscribes:>14}{s.unique_opens:>8}{s.unique_clicks:>8}"
        )
    return lines


def stats_output(config: Config, slug: str | None, *, as_json: bool) -> str:
    """What `newsletter stats [ISSUE] [--json]` prints: one issue's figures, or one line per sent issue."""
    if slug is None:
        found = all_stats(config)
        if as_json:
            return json.dumps([stats.as_json() for stats in found], indent=2, ensure_ascii=False)
        return "\n".join(format_trend(found))
    stats = issue_stats(config, slug)
    if as_json:
        return json.dumps(stats.as_json(), indent=2, ensure_ascii=False)
    return "\n".join(format_stats(stats, tracking=(config.sendgrid.track_opens, config.sendgrid.track_clicks)))

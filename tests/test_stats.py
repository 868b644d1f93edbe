"""`newsletter stats` against send ledgers, feedback events and a list built here, with exact numbers: SendGrid's
events with duplicates, machine opens and clicks per article, the inbox's bounces for an SMTP send, unsubscribes
that carry no issue attributed by time, a pending journal change, an outbox send without any events; and the
[sendgrid] track_opens / track_clicks settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import ConfigError
from newsletter.feedback.events import Event, record_events
from newsletter.sending.ledger import LedgerWriter, ledger_path
from newsletter.subscribers.journal import Change, JournalWriter

A1 = "https://www.indiawrites.org/diplomacy/putin-to-meet-top-aide-to-chinese-president/"
A2 = "https://www.indiawrites.org/"
A3 = "https://www.indiawrites.org/about/"
A4 = "https://www.indiawrites.org/diplomacy/"


def r(n: int) -> str:
    return f"r{n}@example.org"


def write_ledger(root: Path, slug: str, provider: str, at: str, sent: list[str], failed: tuple[str, ...] = ()) -> None:
    emails = sent + list(failed)
    with LedgerWriter(ledger_path(root / "sends", slug)) as ledger:
        ledger.append({"type": "start", "run": 1, "at": at, "issue": slug, "provider": provider, "send_at": None,
                       "batch_id": ""})  # fmt: skip
        ledger.append({"type": "recipients", "run": 1, "emails": emails})
        ledger.append({"type": "intent", "run": 1, "batch": 1, "emails": emails})
        overrides = {email: ["failed", "", "550 5.1.1 no such user"] for email in failed}
        ledger.append({"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "<m@x>",
                       "recipients": overrides})  # fmt: skip


def write_list(root: Path, rows: list[tuple[str, str, str]]) -> None:
    lines = "".join(f"{email},,{status},2015-01-01T00:00:00Z,import,,{updated},\n" for email, status, updated in rows)
    (root / "subscribers.csv").write_text(
        "email,name,status,joined_at,source,consent,updated_at,reason\n" + lines, encoding="utf-8"
    )


def ev(event_id: str, issue: str, email: str, kind: str, at: int = 1_426_500_000, **fields: str) -> Event:
    return Event(event_id, issue, email, kind, at, fields.get("url", ""), fields.get("source", "sendgrid"),
                 fields.get("detail", ""))  # fmt: skip


@pytest.fixture
def pub(publication: Path) -> Path:
    root = publication
    write_ledger(root, "2015-03-09", "smtp", "2015-03-09T09:00:00+00:00", [r(0), r(1), r(2), r(3), r(6)])
    write_ledger(root, "2015-03-16", "sendgrid", "2015-03-16T09:00:00+00:00", [r(n) for n in range(9)], (r(9),))
    write_ledger(root, "2015-03-23", "outbox", "2015-03-23T09:00:00+05:30", [r(n) for n in range(6)])
    # A sandbox send is validated and never delivered: no stats.
    write_ledger(root, "2015-03-16.sandbox", "sendgrid", "2015-03-15T09:00:00+00:00", [r(0)])
    write_list(root, [
        (r(0), "active", "2015-01-01T00:00:00Z"),
        (r(1), "active", "2015-01-01T00:00:00Z"),  # unsubscribes on the web: still in the journal
        (r(2), "unsubscribed", "2015-03-18T10:00:00Z"),  # after 2015-03-16, before 2015-03-23
        (r(3), "unsubscribed", "2015-03-16T12:00:00Z"),  # also reported by SendGrid's webhook
        (r(4), "complained", "2015-03-16T13:00:00Z"),
        (r(5), "unsubscribed", "2015-03-24T08:00:00Z"),  # after 2015-03-23 (03:30 UTC)
        (r(6), "unsubscribed", "2015-03-10T08:00:00Z"),  # after 2015-03-09
        (r(7), "bounced", "2015-03-16T09:05:00Z"),
        (r(8), "bounced", "2015-03-17T09:05:00Z"),
        ("never.sent@example.org", "unsubscribed", "2015-03-17T09:00:00Z"),  # got no issue: counts for none
    ])  # fmt: skip
    journal = JournalWriter(root / "journal")
    journal.append([Change("web-1", datetime(2015, 3, 17, 8, 0, tzinfo=UTC), r(1), "unsubscribed")])
    journal.close()
    issue = "2015-03-16"
    record_events(root / "events" / "events.sqlite3", [
        *(ev(f"d{n}", issue, r(n), "delivered") for n in range(7)),
        ev("d0-again", issue, r(0), "delivered"),
        ev("b7", issue, r(7), "bounce", detail='{"type": "bounce"}'),
        ev("mail:<b8@mx>", issue, r(8), "bounce", source="inbox"),
        ev("k6", issue, r(6), "blocked"),
        ev("f5a", issue, r(5), "deferred"),
        ev("f5b", issue, r(5), "deferred"),
        ev("s4", issue, r(4), "spamreport"),
        ev("u3", issue, r(3), "unsubscribe"),
        ev("o0m", issue, r(0), "machine_open"),
        ev("o0", issue, r(0), "open"),
        ev("o1m", issue, r(1), "machine_open"),
        *(ev(f"o2-{n}", issue, r(2), "open") for n in range(3)),
        ev("c0a", issue, r(0), "click", url=A1 + "?utm_source=newsletter&utm_medium=email"),
        ev("c0b", issue, r(0), "click", url=A1.rstrip("/")),
        ev("c1", issue, r(1), "click", url=A1),
        ev("c2", issue, r(2), "click", url=A3),
        ev("c2u", issue, r(2), "click", url="https://www.indiawrites.org/newsletter/unsubscribe?token=abc.def"),
        # Other issues, and mail that named none, count elsewhere or nowhere.
        ev("x1", "2015-03-09", r(0), "open"),
        ev("x2", "", r(0), "click", url=A1),
        ev("mail:<s0@mx>", "2015-03-09", r(0), "soft_bounce", source="inbox"),
        ev("mail:<h1@mx>", "2015-03-09", r(1), "bounce", source="inbox"),
    ], received=1_426_500_000)  # fmt: skip
    return root


def stats(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(root / "newsletter.toml"), "stats", *args], catch_exceptions=False)


def test_stats_json_for_a_sendgrid_send(pub: Path) -> None:
    result = stats(pub, "2015-03-16", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "issue": "2015-03-16",
        "recipients": 9,  # r9 failed
        "delivered": 7,  # r0..r6, r0 twice
        "bounced": 2,  # r7 by SendGrid, r8 by a signed bounce in the inbox
        "complaints": 1,
        "unsubscribes": 3,  # r3 (SendGrid and the list), r2 (the list), r1 (the journal)
        "unique_opens": 3,
        "unique_clicks": 3,
        "clicks_by_url": [
            {"url": A1, "clicks": 3, "unique_clicks": 2},
            {"url": A2, "clicks": 0, "unique_clicks": 0},
            {"url": A3, "clicks": 1, "unique_clicks": 1},
            {"url": A4, "clicks": 0, "unique_clicks": 0},
        ],
    }
    assert list(json.loads(result.output)) == [
        "issue", "recipients", "delivered", "bounced", "complaints", "unsubscribes", "unique_opens", "unique_clicks",
        "clicks_by_url",
    ]  # fmt: skip
    # ISSUE may be the file, as for the other commands.
    assert json.loads(stats(pub, "issues/2015-03-16.yaml", "--json").output) == json.loads(result.output)


def test_stats_for_people_say_that_opens_are_inflated(pub: Path) -> None:
    assert stats(pub, "2015-03-16").output.splitlines() == [
        "2015-03-16: sent 2015-03-16 09:00 UTC via sendgrid",
        "  recipients            9",
        "  delivered             7   77.8%",
        "  bounced               2   22.2%",
        "  complaints            1   11.1%",
        "  unsubscribes          3   33.3%",
        "  also: blocked 1, deferred 1",
        "  unique opens          3   33.3%",
        "  (1 of them only by Apple Mail Privacy Protection, as SendGrid marks it)",
        "  Opens are inflated: Apple Mail Privacy Protection and image proxies (Gmail's, and security gateways) fetch "
        "the tracking image without anybody reading, so read opens as a trend, not as readers.",
        "  unique clicks         3   33.3%",
        "  clicks per article, in the issue's order (readers, clicks):",
        f"          2        3  Putin to meet top aide to Chinese president <{A1}>",
        f"          0        0  International affairs and the India Story <{A2}>",
        f"          1        1  Connecting India and the World <{A3}>",
        f"          0        0  More from our diplomacy desk <{A4}>",
        "  (1 click(s) on other links: the archive, the unsubscribe link)",
    ]


def test_stats_of_an_smtp_send_come_from_the_inbox_and_the_list(pub: Path) -> None:
    assert json.loads(stats(pub, "2015-03-09", "--json").output) == {
        "issue": "2015-03-09",
        "recipients": 5,
        "delivered": 3,  # accepted by the relay, less r0 (a soft bounce) and r1 (a hard one)
        "bounced": 1,
        "complaints": 0,
        "unsubscribes": 1,  # r6, the day after
        "unique_opens": 1,
        "unique_clicks": 0,
        "clicks_by_url": [],  # issues/2015-03-09.yaml is gone, and nobody clicked
    }
    lines = stats(pub, "2015-03-09").output.splitlines()
    assert lines[:8] == [
        "2015-03-09: sent 2015-03-09 09:00 UTC via smtp",
        "  recipients            5",
        "  delivered             3   60.0%",
        "  bounced               1   20.0%",
        "  complaints            0    0.0%",
        "  unsubscribes          1   20.0%",
        "  (delivered: accepted by the SMTP relay, less the readers whose mail bounced)",
        "  also: soft bounces 1",
    ]


def test_without_tracking_and_without_events_stats_still_count_what_the_list_says(pub: Path) -> None:
    assert json.loads(stats(pub, "2015-03-23", "--json").output) == {
        "issue": "2015-03-23",
        "recipients": 6,
        "delivered": 0,
        "bounced": 0,
        "complaints": 0,
        "unsubscribes": 1,  # r5
        "unique_opens": 0,
        "unique_clicks": 0,
        "clicks_by_url": [],
    }
    assert stats(pub, "2015-03-23").output.splitlines() == [
        "2015-03-23: sent 2015-03-23 03:30 UTC via outbox",
        "  recipients            6",
        "  delivered             0    0.0%",
        "  bounced               0    0.0%",
        "  complaints            0    0.0%",
        "  unsubscribes          1   16.7%",
        "  (delivered: none, the outbox writes files and sends nothing)",
        "  opens and clicks: not tracked ([sendgrid] track_opens and track_clicks are off, for the readers' privacy)",
    ]


def test_stats_without_an_issue_show_the_trend(pub: Path) -> None:
    assert stats(pub).output.splitlines() == [
        "issue         sent         recipients  delivered  bounced  complaints  unsubscribes   opens  clicks",
        "2015-03-09    2015-03-09            5          3        1           0             1       1       0",
        "2015-03-16    2015-03-16            9          7        2           1             3       3       3",
        "2015-03-23    2015-03-23            6          0        0           0             1       0       0",
    ]
    found = json.loads(stats(pub, "--json").output)
    assert [item["issue"] for item in found] == ["2015-03-09", "2015-03-16", "2015-03-23"]
    assert found[1] == json.loads(stats(pub, "2015-03-16", "--json").output)


def test_an_issue_never_sent_has_no_stats(pub: Path) -> None:
    result = stats(pub, "2015-04-06")
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {pub / 'sends' / '2015-04-06.jsonl'} does not exist: 2015-04-06 has not been sent, so it has no "
        "stats yet (send it with `newsletter send`).\n",
    )


def test_a_fresh_publication_has_no_issues_to_show(publication: Path) -> None:
    assert stats(publication).output.splitlines() == [
        "issue         sent         recipients  delivered  bounced  complaints  unsubscribes   opens  clicks"
    ]
    assert json.loads(stats(publication, "--json").output) == []
    assert not (publication / "events").exists()


def test_tracking_settings_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text("[sendgrid]\ntrack_opens = true\n", encoding="utf-8")
    config = load_config(path)
    assert (config.sendgrid.track_opens, config.sendgrid.track_clicks) == (True, False)
    for text, message in [
        ("[sendgrid]\ntrack_opens = 'yes'\n", f"{path}:2: [sendgrid] 'track_opens' must be true or false, not 'yes'."),
        ("[sendgrid]\ntrack_click = true\n", f"{path}:2: [sendgrid] unknown key 'track_click' (did you mean 'track_clicks'?)."),
    ]:  # fmt: skip
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert str(caught.value) == message

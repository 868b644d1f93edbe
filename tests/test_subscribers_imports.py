"""Imports from other tools keep their statuses and never re-subscribe a sticky address; every row is reported.
Export and stats read the same list."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import DATA, ROOT
from newsletter.errors import SubscriberError
from newsletter.subscribers.imports import export_csv, import_subscribers, subscriber_stats
from newsletter.subscribers.listfile import read_subscribers

IMPORTS = DATA / "imports"


def clock() -> datetime:
    return datetime(2015, 3, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "subscribers.csv"
    shutil.copy(ROOT / "subscribers.csv", path)
    return path


def run(path: Path, name: str) -> tuple[str, list[str], dict[str, int]]:
    report = import_subscribers(path, IMPORTS / name, now=clock)
    return report.tool, report.lines, dict(report.counts)


def status_of(path: Path, email: str) -> tuple[str, str, str]:
    row = read_subscribers(path).find(email)
    assert row is not None
    return row.status, row.name, row.reason


def test_mailchimp_subscribed_export(csv_path: Path) -> None:
    assert run(csv_path, "mailchimp_subscribed_members_export_3f2a.csv") == (
        "mailchimp",
        [
            "line 2: priya.sharma@example.org: already active, unchanged",
            "line 3: new.reader@example.com: added (active)",
            "line 4: new.reader@example.com: duplicate of line 3 in this file: skipped",
            "line 5: 'not-an-email' is not a valid email address (An email address must have an @-sign.): skipped",
        ],
        {"unchanged": 1, "added": 1, "duplicate": 1, "invalid": 1},
    )
    row = read_subscribers(csv_path).find("new.reader@example.com")
    assert row is not None
    assert (row.name, row.joined_at, row.source) == ("Nikhil Rao, Jr.", "2015-01-15T08:01:00Z", "import:mailchimp")
    assert row.consent == (
        '{"confirm_time": "2015-01-15 08:01:00", "file": "mailchimp_subscribed_members_export_3f2a.csv", '
        '"imported_from": "mailchimp", "line": 3, "optin_time": "2015-01-15 08:00:00"}'
    )


def test_mailchimp_unsubscribed_and_cleaned_exports_keep_their_status(csv_path: Path) -> None:
    assert run(csv_path, "mailchimp_unsubscribed_members_export_3f2a.csv")[1] == [
        "line 2: rahul.verma@example.com: was active, now unsubscribed",
        "line 3: gone.reader@example.net: added (unsubscribed)",
    ]
    assert status_of(csv_path, "rahul.verma@example.com") == (
        "unsubscribed",
        "Rahul Verma",
        "unsubscribed in Mailchimp: I no longer want to receive these emails",
    )
    assert run(csv_path, "mailchimp_cleaned_members_export_3f2a.csv")[1] == [
        "line 2: dead.mailbox@example.org: added (bounced)"
    ]
    assert status_of(csv_path, "dead.mailbox@example.org") == (
        "bounced",
        "Dead Mailbox",
        "cleaned (bounced) in Mailchimp",
    )


def test_substack_export(csv_path: Path) -> None:
    assert run(csv_path, "substack_email_list.indiaandtheworld.csv") == (
        "substack",
        [
            "line 2: meera.iyer@example.org: was pending, now active",
            "line 3: left.substack@example.com: added (unsubscribed)",
            "line 4: paid.reader@example.net: added (active)",
        ],
        {"changed": 1, "added": 2},
    )
    assert status_of(csv_path, "left.substack@example.com") == ("unsubscribed", "", "email disabled in Substack")


def test_buttondown_export(csv_path: Path) -> None:
    assert run(csv_path, "buttondown_subscribers.csv") == (
        "buttondown",
        [
            "line 2: b.one@example.org: added (active)",
            "line 3: b.two@example.org: added (pending)",
            "line 4: b.three@example.org: added (unsubscribed)",
            "line 5: b.four@example.org: status 'teapot' is not one we know: skipped",
        ],
        {"added": 3, "skipped": 1},
    )


def test_plain_column_of_addresses(csv_path: Path) -> None:
    assert run(csv_path, "plain_list.txt") == (
        "plain",
        [
            "line 1: plain.one@example.org: added (active)",
            "line 2: Plain.Two@example.org: added (active)",
            "line 4: 'not an address' is not a valid email address (An email address must have an @-sign.): skipped",
        ],
        {"added": 2, "invalid": 1},
    )


def test_an_import_never_resubscribes_a_sticky_address(csv_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text("E-mail,Name,Status\njohn.doe@example.com,John,subscribed\n")
    before = csv_path.read_bytes()
    report = import_subscribers(csv_path, source, now=clock)
    assert report.lines == ["line 2: john.doe@example.com: stays unsubscribed (an import never subscribes it again)"]
    assert csv_path.read_bytes() == before


def test_dry_run_reports_and_writes_nothing(csv_path: Path) -> None:
    before = csv_path.read_bytes()
    report = import_subscribers(csv_path, IMPORTS / "plain_list.txt", now=clock, dry_run=True)
    assert report.counts["added"] == 2
    assert csv_path.read_bytes() == before


def test_import_file_without_email_column_or_not_csv(csv_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("name,city\nAsha,Delhi\n")
    with pytest.raises(SubscriberError) as caught:
        import_subscribers(csv_path, source, now=clock)
    assert str(caught.value) == (
        f"{source}:1: has no email column: name one 'email' in the first row, or import a plain list with one "
        "address per line."
    )
    workbook = tmp_path / "people.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00")
    with pytest.raises(SubscriberError, match=r"it looks like an Excel or OpenDocument workbook"):
        import_subscribers(csv_path, workbook, now=clock)


def test_export_has_valid_rows_with_standard_columns_first(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(
        "City,Email,Status,Name\nDelhi,A@Example.ORG,active,Asha\nPune,bad,active,B\nGoa,c@example.net,bounced,C\n"
    )
    subscribers = read_subscribers(path)
    assert export_csv(subscribers) == (
        "email,name,status,joined_at,source,consent,updated_at,reason,City\n"
        "A@example.org,Asha,active,,,,,,Delhi\n"
        "c@example.net,C,bounced,,,,,,Goa\n"
    )
    assert export_csv(subscribers, "bounced").splitlines()[1:] == ["c@example.net,C,bounced,,,,,,Goa"]


def test_stats_counts_and_growth_by_month() -> None:
    stats = subscriber_stats(read_subscribers(ROOT / "subscribers.csv"))
    assert stats.counts == {
        "active": 3,
        "pending": 1,
        "unsubscribed": 1,
        "bounced": 0,
        "complained": 0,
        "invalid": 0,
    }
    assert stats.months == [("2015-01", 1, 0, 1), ("2015-02", 3, 0, 4), ("2015-03", 0, 1, 3)]


def test_addresses_as_mail_clients_copy_them_and_lists_pasted_into_one_line(csv_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "from_outlook.txt"
    source.write_text(
        "Gaurav Sen <gaurav.sen@yahoo.co.in>\n"
        '"Sen, Anita" <anita.sen@example.org>\n'
        "Iyer, Kavya <kavya.iyer@example.net>\n"
        "one@example.org; two@example.org, Three <three@example.org>\n"
        "not an address\n",
        encoding="utf-8",
    )
    report = import_subscribers(csv_path, source, now=clock)
    assert (report.tool, report.lines, dict(report.counts)) == (
        "plain",
        [
            "line 1: gaurav.sen@yahoo.co.in: added (active)",
            "line 2: anita.sen@example.org: added (active)",
            "line 3: kavya.iyer@example.net: added (active)",
            "line 4: one@example.org: added (active)",
            "line 4: two@example.org: added (active)",
            "line 4: three@example.org: added (active)",
            "line 5: 'not an address' is not a valid email address (An email address must have an @-sign.): skipped",
        ],
        {"added": 6, "invalid": 1},
    )
    names = {row.email: row.name for row in read_subscribers(csv_path)}
    assert [names[a] for a in ("gaurav.sen@yahoo.co.in", "anita.sen@example.org", "kavya.iyer@example.net",
                               "one@example.org", "three@example.org")] == [
        "Gaurav Sen", "Anita Sen", "Kavya Iyer", "", "Three"
    ]  # fmt: skip


def test_cells_with_a_mailbox_or_several_addresses(csv_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "members.csv"
    source.write_text(
        "Email,Name\n"
        '"""Rao, Meena"" <meena.rao@example.org>",\n'
        "Arun Das <arun.das@example.com>,Dr Arun Das\n"
        '"p.one@example.org; p.two@example.org",The Pillais\n'
        '"q.one@example.org, q.one@example.org",\n',
        encoding="utf-8",
    )
    report = import_subscribers(csv_path, source, now=clock)
    assert report.lines == [
        "line 2: meena.rao@example.org: added (active)",
        "line 3: arun.das@example.com: added (active)",
        "line 4: p.one@example.org: added (active)",
        "line 4: p.two@example.org: added (active)",
        "line 5: q.one@example.org: added (active)",
        "line 5: q.one@example.org: duplicate of line 5 in this file: skipped",
    ]
    names = {row.email: row.name for row in read_subscribers(csv_path)}
    # the file's name column wins over the mailbox's; a name for two readers names neither
    assert [names[a] for a in ("meena.rao@example.org", "arun.das@example.com", "p.one@example.org")] == [
        "Meena Rao", "Dr Arun Das", ""
    ]  # fmt: skip

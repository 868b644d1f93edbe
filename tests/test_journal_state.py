"""Every command sees the list as the readers on the web were told it is (issue 10): with changes in the journal
that no applier has folded in yet, written as the web app writes them, `subscribers list`, `export`, `stats` and the
dry runs read them (and leave them pending), while `subscribers add`, `remove`, `import`, `inbox` and `suppressions
sync` fold them into subscribers.csv under the lock before they act. (`send`: tests/test_web_durability.py; `show`,
`forget`: test_subscribers_rights.py; `stats`: test_stats.py.)"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sendgrid_fake import API_KEY, FakeSendGrid
from test_inbox_feedback import make_maildir
from test_inbox_hostile import mail

from conftest import ROOT
from newsletter.cli import cli
from newsletter.subscribers.journal import Change, JournalWriter, journal_for, pending_changes
from newsletter.subscribers.listfile import read_subscribers

RAHUL = "rahul.verma@example.com"  # active in the list; unsubscribed on the web (one-click)
MEERA = "meera.iyer@example.org"  # pending in the list; confirmed on the web
NOVA = "nova@example.org"  # not in the list; signed up on the web
AT = datetime(2015, 3, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def pub(publication: Path) -> Path:
    """The sample publication with three changes accepted on the web and not applied: as newsletter.web.readers
    journals them (a one-click unsubscribe, a confirmation, a sign-up)."""
    writer = JournalWriter(publication / "journal")
    writer.append([
        Change("c1", AT, RAHUL, "unsubscribed", reason="unsubscribed on the web (one-click)",
               evidence={"at": "2015-03-20T09:30:00Z", "how": "one-click unsubscribe"}),
        Change("c2", AT, MEERA, "active", True, evidence={"at": "2015-03-20T09:30:00Z", "how": "confirmation link"}),
        Change("c3", AT, NOVA, "pending", name="Nova",
               evidence={"at": "2015-03-20T09:30:00Z", "how": "sign-up form at https://x.org/newsletter/subscribe"}),
    ])  # fmt: skip
    writer.close()
    return publication


def invoke(pub: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(pub / "newsletter.toml"), *args], catch_exceptions=False)


def statuses(pub: Path) -> dict[str, str]:
    return {row.email: row.status for row in read_subscribers(pub / "subscribers.csv")}


def test_config_and_store_agree_on_where_the_journal_is(pub: Path) -> None:
    from newsletter.config import load_config

    config = load_config(pub / "newsletter.toml")
    assert journal_for(config.subscribers_path) == config.journal_dir == pub / "journal"


def test_reading_commands_see_the_changes_and_leave_them_pending(pub: Path) -> None:
    before = (pub / "subscribers.csv").read_bytes()
    listed = invoke(pub, "subscribers", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [
        "priya.sharma@example.org\tPriya Sharma\tactive",
        f"{RAHUL}\tRahul Verma\tunsubscribed",
        "ananya.mishra@example.net\tअनन्या मिश्रा\tactive",
        f"{MEERA}\tMeera Iyer\tactive",
        "john.doe@example.com\tJohn Doe\tunsubscribed",
        f"{NOVA}\tNova\tpending",
    ]
    exported = invoke(pub, "subscribers", "export", "--status", "active").stdout.splitlines()
    assert [line.split(",")[0] for line in exported[1:]] == [
        "priya.sharma@example.org",
        "ananya.mishra@example.net",
        MEERA,
    ]
    counts = invoke(pub, "subscribers", "stats").stdout.splitlines()
    assert counts[:3] == ["active               3", "pending              1", "unsubscribed         2"]
    dry = invoke(pub, "send", "issues/2015-03-16.yaml", "--dry-run").stdout.splitlines()
    assert dry[1] == "recipients: 3 to send now via outbox"
    assert dry[4:7] == ["  priya.sharma@example.org (Priya Sharma)", "  ananya.mishra@example.net (अनन्या मिश्रा)",
                        f"  {MEERA} (Meera Iyer)"]  # fmt: skip
    # Read, not applied: the web app's applier (or the next command that changes the list) folds them in.
    assert (pub / "subscribers.csv").read_bytes() == before
    assert sorted(pending_changes(pub / "journal")) == [MEERA, NOVA, RAHUL]


def test_add_and_remove_fold_the_journal_first(pub: Path) -> None:
    added = invoke(pub, "subscribers", "add", RAHUL)
    assert (added.exit_code, added.stderr) == (
        1,
        f"error: {RAHUL} is unsubscribed (line 3): only the reader's own request can subscribe it again.\n",
    )
    assert pending_changes(pub / "journal") == {}
    assert statuses(pub) == {
        "priya.sharma@example.org": "active",
        RAHUL: "unsubscribed",
        "ananya.mishra@example.net": "active",
        MEERA: "active",
        "john.doe@example.com": "unsubscribed",
        NOVA: "pending",
    }
    assert invoke(pub, "subscribers", "remove", MEERA).stdout == f"{MEERA} is now unsubscribed (was active)\n"


def test_remove_folds_the_journal_first(pub: Path) -> None:
    assert invoke(pub, "subscribers", "remove", RAHUL).stdout == f"{RAHUL} is already unsubscribed (line 3)\n"


def test_import_folds_the_journal_first_and_its_dry_run_reads_it(pub: Path, tmp_path: Path) -> None:
    source = tmp_path / "list.txt"
    source.write_text(f"{RAHUL}\n{NOVA}\n", encoding="utf-8")
    dry = invoke(pub, "subscribers", "import", str(source), "--dry-run")
    real = invoke(pub, "subscribers", "import", str(source))
    assert dry.stdout.replace("dry run: ", "") == real.stdout
    assert real.stdout.splitlines() == [
        f"line 1: {RAHUL}: stays unsubscribed (an import never subscribes it again)",
        f"line 2: {NOVA}: was pending, now active",  # the editor's import vouches for a web sign-up, as `add` does
        "imported list.txt (plain): 1 changed, 1 kept.",
    ]
    assert statuses(pub)[RAHUL] == "unsubscribed"


def test_inbox_acts_on_the_state_the_web_left(pub: Path, tmp_path: Path) -> None:
    asks = mail(f"Rahul Verma <{RAHUL}>".encode(), authenticated=False)  # an unproven request to subscribe
    maildir = make_maildir(tmp_path / "Maildir", [asks])
    dry = invoke(pub, "inbox", "--maildir", str(maildir), "--dry-run")
    assert dry.stdout.splitlines()[0] == f"would: <m1@example.org>: {RAHUL} stays unsubscribed; confirmation requested"
    assert sorted(pending_changes(pub / "journal")) == [MEERA, NOVA, RAHUL]
    real = invoke(pub, "inbox", "--maildir", str(maildir))
    assert real.stdout.splitlines()[0] == f"<m1@example.org>: {RAHUL} stays unsubscribed; confirmation requested"
    assert pending_changes(pub / "journal") == {} and statuses(pub)[RAHUL] == "unsubscribed"


def test_the_suppressions_sync_folds_the_journal_first(
    pub: Path, sendgrid_server: FakeSendGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = pub / "newsletter.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'host = "https://api.sendgrid.com"', f'host = "{sendgrid_server.url}"'
        ),
        encoding="utf-8",
    )
    sendgrid_server.load_suppressions("unsubscribes", [RAHUL])
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    result = invoke(pub, "suppressions", "sync")
    assert result.exit_code == 0, result.output
    # Rahul left on the web a moment ago: SendGrid's list tells the list nothing new.
    assert result.stdout.splitlines()[-1] == f"{pub / 'subscribers.csv'}: 0 subscriber(s) updated."
    assert statuses(pub)[RAHUL] == "unsubscribed" and pending_changes(pub / "journal") == {}


def test_without_a_journal_nothing_changes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "subscribers.csv", tmp_path / "subscribers.csv")
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    assert invoke(tmp_path, "subscribers", "remove", RAHUL).stdout == f"{RAHUL} is now unsubscribed (was active)\n"
    assert not (tmp_path / "journal").exists()

"""Whole sends with the outbox provider (send_issue, as `newsletter send` calls it), and the command line's own
options, questions and messages: what the editor sees, what is written."""

from __future__ import annotations

import json
import os
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import Result
from send_support import ISSUE, SECRET, Sub, mailing_of, make_publication, make_rendered, run, send

from conftest import ROOT
from newsletter.config import load_config
from newsletter.errors import SendError
from newsletter.message.mime import make_message_id
from newsletter.message.personalize import make_recipient
from newsletter.providers.outbox import OutboxProvider
from newsletter.sending.ledger import ledger_path
from newsletter.sending.run import lock_send
from newsletter.sending.send import unfinished

ROWS = [
    Sub("asha@example.org", "Asha Rao"),
    Sub("gone@example.org", "Gone", "unsubscribed"),
    Sub("ravi@example.org", "Ravi"),
    Sub("bounce@example.org", "", "bounced"),
    Sub("selvi@example.org", "தமிழ் செல்வி"),
]


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    make_publication(tmp_path, ROWS)
    return tmp_path


def lines(result: Result) -> list[str]:
    """stdout without the elapsed seconds, which vary."""
    return [re.sub(r"; \d+\.\d s\.$", "; N s.", line) for line in result.stdout.splitlines()]


def message_id(email: str) -> str:
    return make_message_id("2015-03-16", email, "indiawrites.org")


def test_send_then_report(pub: Path) -> None:
    sent = send(pub, "outbox")
    assert sent.result.summary is not None and unfinished(sent.result.summary, ISSUE) == ""
    assert sent.output[1:] == [
        "recipients: 3 to send now via outbox",
        sent.output[2],
        "            2 skipped (bounced 1, unsubscribed 1)",
        "sent 3, skipped 2 (bounced 1, unsubscribed 1), failed 0, in doubt 0, pending 0; N s.",
    ]
    assert sent.output[0] == "issue:      2015-03-16: Putin to meet top aide to Chinese president"
    assert re.fullmatch(r"content:    sha256 [0-9a-f]{16}", sent.output[2])
    assert sent.asked == ["Send 'Putin to meet top aide to Chinese president' to 3 recipient(s) via outbox?"]
    folder = pub / "outbox" / "2015-03-16"
    assert sorted(p.name for p in folder.iterdir()) == [
        "asha@example.org.eml",
        "ravi@example.org.eml",
        "selvi@example.org.eml",
    ]
    message = message_from_bytes((folder / "selvi@example.org.eml").read_bytes(), policy=policy.default)
    assert message["To"] == "தமிழ் செல்வி <selvi@example.org>"
    assert "தமிழ் செல்வி" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    report = run(pub, "report", ISSUE, "--json")
    assert report.exit_code == 0
    assert json.loads(report.stdout) == {
        "counts": {"sent": 3, "failed": 0, "in_doubt": 0, "pending": 0, "skipped": 2},
        "recipients": [
            {"email": "asha@example.org", "status": "sent", "message_id": message_id("asha@example.org")},
            {"email": "ravi@example.org", "status": "sent", "message_id": message_id("ravi@example.org")},
            {"email": "selvi@example.org", "status": "sent", "message_id": message_id("selvi@example.org")},
            {"email": "gone@example.org", "status": "skipped", "message_id": ""},
            {"email": "bounce@example.org", "status": "skipped", "message_id": ""},
        ],
    }
    human = run(pub, "report", "2015-03-16")
    assert human.stdout.splitlines()[2:] == [
        "sent      3",
        "failed    0",
        "in doubt  0",
        "pending   0",
        "skipped   2 (bounced 1, unsubscribed 1)",
    ]

    ledger = pub / "sends" / "2015-03-16.jsonl"
    before = ledger.read_bytes()
    again = send(pub)
    assert again.result.summary is not None and unfinished(again.result.summary, ISSUE) == ""
    assert again.output[-3:] == [
        "            2 skipped (bounced 1, unsubscribed 1)",
        "nothing to send.",
        "sent 3, skipped 2 (bounced 1, unsubscribed 1), failed 0, in doubt 0, pending 0; N s.",
    ]
    assert "            3 already sent" in again.output
    assert again.asked == [] and ledger.read_bytes() == before


def test_dry_run_sends_and_records_nothing(pub: Path) -> None:
    dry = send(pub, dry_run=True, answer=False)
    assert dry.shown[-4:] == [
        "            2 skipped (bounced 1, unsubscribed 1)",
        "  asha@example.org (Asha Rao)",
        "  ravi@example.org (Ravi)",
        "  selvi@example.org (தமிழ் செல்வி)",
    ]
    assert (dry.result.dry_run, dry.result.summary, dry.asked) == (True, None, [])
    assert not (pub / "sends").exists() and not (pub / "outbox").exists()


def test_cli_dry_run(pub: Path) -> None:
    result = run(pub, "send", ISSUE, "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-5:] == [
        "            2 skipped (bounced 1, unsubscribed 1)",
        "  asha@example.org (Asha Rao)",
        "  ravi@example.org (Ravi)",
        "  selvi@example.org (தமிழ் செல்வி)",
        "dry run: nothing was sent and nothing recorded.",
    ]
    assert not (pub / "sends").exists() and not (pub / "outbox").exists()


def test_limit_then_the_rest(pub: Path) -> None:
    first = send(pub, limit=2)
    assert first.result.summary is not None and unfinished(first.result.summary, ISSUE) == ""
    assert first.output[-1] == "sent 2, skipped 2 (bounced 1, unsubscribed 1), failed 0, in doubt 0, pending 1; N s."
    report = json.loads(run(pub, "report", ISSUE, "--json").stdout)
    assert report["counts"] == {"sent": 2, "failed": 0, "in_doubt": 0, "pending": 1, "skipped": 2}
    rest = send(pub)
    assert rest.output[-1] == "sent 3, skipped 2 (bounced 1, unsubscribed 1), failed 0, in doubt 0, pending 0; N s."
    assert len(list((pub / "outbox" / "2015-03-16").iterdir())) == 3


def test_test_copy_records_nothing(pub: Path) -> None:
    result = run(pub, "send", ISSUE, "--test")
    assert result.exit_code == 0
    message = message_from_bytes((pub / "outbox" / "editor@indiawrites.org.eml").read_bytes(), policy=policy.default)
    assert result.stdout == (
        "sent a test copy of 'Putin to meet top aide to Chinese president' to editor@indiawrites.org via outbox "
        f"({message['Message-ID']}).\n"
    )
    assert message["Subject"] == "[TEST] Putin to meet top aide to Chinese president"
    other = run(pub, "send", ISSUE, "--test", "asha@example.org")
    assert other.exit_code == 0 and (pub / "outbox" / "asha@example.org.eml").exists()
    assert not (pub / "sends").exists()


def test_declined_sends_and_records_nothing(pub: Path) -> None:
    declined = send(pub, answer=False)
    assert (declined.result.declined, declined.result.summary) == (True, None)
    assert declined.asked == ["Send 'Putin to meet top aide to Chinese president' to 3 recipient(s) via outbox?"]
    assert not ledger_path(pub / "sends", "2015-03-16").exists() and not (pub / "outbox").exists()


def test_cli_confirmation_declined(pub: Path) -> None:
    result = run(pub, "send", ISSUE, input="n\n")
    assert result.exit_code == 1
    assert "Send 'Putin to meet top aide to Chinese president' to 3 recipient(s) via outbox? [y/N]: n" in result.output
    assert result.stderr == (
        "error: not sent: the send was not confirmed, so nothing was sent or recorded; answer y to the question, or "
        "add --yes to send without being asked.\n"
    )
    assert not ledger_path(pub / "sends", "2015-03-16").exists() and not (pub / "outbox").exists()


def test_a_second_send_of_the_same_issue_refuses(pub: Path) -> None:
    with lock_send(ledger_path(pub / "sends", "2015-03-16")), pytest.raises(SendError) as error:
        send(pub)
    assert str(error.value) == (
        f"another send of 2015-03-16 is running (pid {os.getpid()}): wait for it to finish, or stop that process."
    )
    assert not (pub / "outbox").exists()
    released = send(pub).result.summary
    assert released is not None and released.complete


def test_content_changed_since_the_send_began(pub: Path) -> None:
    send(pub, limit=1)
    issue = pub / ISSUE
    issue.write_text(issue.read_text(encoding="utf-8").replace("Russia is looking east.", "Russia looks east."))
    with pytest.raises(SendError) as error:
        send(pub)
    started = json.loads((pub / "sends" / "2015-03-16.jsonl").read_text().splitlines()[0])["at"]
    assert str(error.value) == (
        f"{ISSUE}: the rendered issue changed since its send began at {started} (html, text differ): restore "
        f"the issue and templates as they were to resume, or move {pub / 'sends' / '2015-03-16.jsonl'} aside to "
        "start over (readers already sent would get it twice)."
    )
    assert len(list((pub / "outbox" / "2015-03-16").iterdir())) == 1


def test_cli_exit_codes_and_summary(pub: Path) -> None:
    result = run(pub, "send", ISSUE, "--provider", "outbox", "--yes", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert lines(result)[-1] == "sent 2, skipped 2 (bounced 1, unsubscribed 1), failed 0, in doubt 0, pending 1; N s."
    issue = pub / ISSUE
    issue.write_text(issue.read_text(encoding="utf-8").replace("Russia is looking east.", "Russia looks east."))
    changed = run(pub, "send", ISSUE, "--yes")
    assert changed.exit_code == 1 and changed.stderr.startswith(f"error: {ISSUE}: the rendered issue changed since")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cancel"], "Error: --cancel needs the sendgrid provider (this send uses outbox)."),
        (["--at", "2015-03-16T09:00"], "Error: --at needs the sendgrid provider (this send uses outbox)."),
        (["--sandbox"], "Error: --sandbox needs the sendgrid provider (this send uses outbox)."),
        (["--test", "nobody"], "Error: --test nobody: give an email address, or --test alone for the editor's."),
    ],
)
def test_usage_errors(pub: Path, args: list[str], message: str) -> None:
    result = run(pub, "send", ISSUE, *args)
    assert result.exit_code == 2 and result.stderr.splitlines()[-1] == message


def test_real_providers_need_the_signing_secret(pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET")
    result = run(pub, "send", ISSUE, "--provider", "smtp", "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: NEWSLETTER_SECRET is not set: set it in the environment to a long random string (it signs "
        "unsubscribe links; keep it the same between sends).\n"
    )


def test_real_providers_refuse_the_development_key_set_explicitly(pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.tokens import DEV_SECRET

    monkeypatch.setenv("NEWSLETTER_SECRET", DEV_SECRET.decode())
    result = run(pub, "send", ISSUE, "--provider", "smtp", "--yes")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: NEWSLETTER_SECRET is the published development key: set it to your own long random string (the one "
        "your unsubscribe and confirmation links were signed with).\n"
    )
    assert not (pub / "sends").exists()


def test_report_without_a_send(pub: Path) -> None:
    result = run(pub, "report", ISSUE)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {pub / 'sends' / '2015-03-16.jsonl'} does not exist: 2015-03-16 has not been sent "
        "(send it with `newsletter send`).\n"
    )


def test_outbox_fails_only_the_address_it_cannot_write(tmp_path: Path) -> None:
    config = load_config(ROOT / "newsletter.toml")
    people = [make_recipient(config, SECRET, a, "") for a in ("செல்வி@example.org", "b@example.org")]
    result = OutboxProvider(tmp_path, config=config).send_batch(mailing_of(make_rendered()), people)
    failed = result.recipients["செல்வி@example.org"]
    assert (failed.status, failed.reason) == (
        "failed",
        "cannot write a message to செல்வி@example.org (local-part contains non-ASCII characters))",
    )
    assert result.recipients["b@example.org"].status == "sent"
    assert [p.name for p in (tmp_path / "2015-03-16").iterdir()] == ["b@example.org.eml"]

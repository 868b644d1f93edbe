"""A 2xx is a promise: a thousand concurrent one-click POSTs for distinct readers, then SIGKILL of the server (two
workers): every reader who got a 2xx is skipped by `newsletter send` at once (the real send and its dry run plan
with the journal's pending changes, before anything applied them), and is unsubscribed in subscribers.csv once the
journal is applied, by a restarted server or by apply_journal itself."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from conftest import TEST_SECRET
from newsletter.cli import cli
from newsletter.subscribers.journal import pending_changes, status_after
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.listfile import read_subscribers
from newsletter.subscribers.store import editing
from newsletter.tokens import make_token
from web_support import Server, make_publication, running, wait_until

READERS = 1000


async def _post_all(server: Server, emails: list[str]) -> list[int]:
    limits = httpx.Limits(max_connections=len(emails), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(address: str) -> int:
            token = make_token(TEST_SECRET, "unsubscribe", address)
            try:
                answer = await client.post(
                    f"{server.base}/unsubscribe?token={token}", data={"List-Unsubscribe": "One-Click"}
                )
            except httpx.TransportError:
                return 0
            return answer.status_code

        return list(await asyncio.gather(*(one(address) for address in emails)))


def _statuses(csv: Path) -> dict[str, str]:
    return {row.email: row.status for row in read_subscribers(csv)}


def _planned(csv: Path, journal: Path) -> list[str]:
    """Who a send planned now would mail: active rows, less those the pending changes take out (read before the
    list, as pending_changes asks)."""
    pending = pending_changes(journal)
    rows = read_subscribers(csv).active()
    return [row.email for row in rows if status_after(row.status, pending.get(row.key, ())) == "active"]


def _send(root: Path, *args: str) -> list[str]:
    """`newsletter send` of a new issue (the sample, as issues/2015-03-23.yaml), as the editor runs it: its lines."""
    issue = root / "issues" / "2015-03-23.yaml"
    if not issue.exists():
        shutil.copy(root / "issues" / "2015-03-16.yaml", issue)
    result = CliRunner().invoke(
        cli, ["--config", str(root / "newsletter.toml"), "send", str(issue), *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("applier", ["held off by the CLI's lock", "free to run"])
def test_every_2xx_survives_sigkill(tmp_path: Path, applier: str) -> None:
    emails = [f"reader{n}@example.org" for n in range(READERS)]
    root = make_publication(tmp_path, [(address, "active") for address in emails] + [("stays@example.org", "active")])
    csv, journal = root / "subscribers.csv", root / "journal"
    with running(root, workers=2) as server:
        if applier == "free to run":
            codes = asyncio.run(_post_all(server, emails))
            server.kill()
        else:
            with editing(csv):  # as a long `subscribers import` would: the server's appliers wait for the lock
                codes = asyncio.run(_post_all(server, emails))
                server.kill()
            assert set(_statuses(csv).values()) == {"active"}  # nothing was applied: it is all in the journal
    accepted = [address for address, code in zip(emails, codes, strict=True) if 200 <= code < 300]
    assert codes.count(200) == READERS, f"answers: { {code: codes.count(code) for code in set(codes)} }"
    assert len(list(journal.glob("*.jsonl"))) >= 1
    assert _planned(csv, journal) == ["stays@example.org"]
    # A send skips every reader who got a 2xx (held off, the applier had folded none of them into the list).
    lines = _send(root, "--dry-run")
    assert lines[1] == "recipients: 1 to send now via outbox"
    assert lines[3:] == [
        f"            {READERS} skipped (unsubscribed {READERS})",
        "  stays@example.org",
        "dry run: nothing was sent and nothing recorded.",
    ]
    assert _send(root, "--yes")[-1].startswith(f"sent 1, skipped {READERS} (unsubscribed {READERS}), failed 0,")
    assert [path.name for path in (root / "outbox" / "2015-03-23").iterdir()] == ["stays@example.org.eml"]
    if applier == "free to run":
        apply_journal(csv, journal)
    else:
        with running(root) as restarted:  # a restarted server applies what its killed predecessor accepted
            wait_until(lambda: pending_changes(journal) == {}, "the restarted server to apply the journal")
            restarted.stop()
    statuses = _statuses(csv)
    assert [address for address in accepted if statuses[address] != "unsubscribed"] == []
    assert statuses["stays@example.org"] == "active"
    assert _planned(csv, journal) == ["stays@example.org"]
    assert apply_journal(csv, journal).applied == []

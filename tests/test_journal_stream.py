"""The send reads the list a part at a time with the web journal's pending changes folded in (stream_current): it
must decide exactly what it decides on read_current's whole list, for any list and any pending changes, so that a
reader whose one-click unsubscribe was answered 2xx is never mailed, and a confirmed sign-up is."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from send_support import make_rendered
from test_journal import HEADER, change, journal, row

from newsletter.sending.ledger import LedgerState
from newsletter.sending.plan import SendOptions, plan_send
from newsletter.subscribers.journal_apply import read_current, stream_current

RENDERED = make_rendered()
ADDRESSES = ["asha@example.org", "Asha@Example.org", "ravi@example.org", "new@example.org", "not-an-address"]
LIST_STATUSES = ["active", "pending", "unsubscribed", "bounced", "complained", "gone"]
CHANGE_STATUSES = ["pending", "active", "unsubscribed", "bounced", "complained"]


def plans(csv: Path, folder: Path, part_bytes: int | None = None) -> tuple[object, object]:
    whole = plan_send(RENDERED, read_current(csv, folder, missing_ok=True), LedgerState(csv), "outbox", SendOptions())
    streamed = plan_send(RENDERED, stream_current(csv, folder), LedgerState(csv), "outbox", SendOptions())
    # The whole read reports a repeated row as a problem; the stream leaves repeats to the plan (status.Screen).
    whole.duplicates = streamed.duplicates = 0
    return whole, streamed


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(ADDRESSES), st.sampled_from(LIST_STATUSES), st.sampled_from(["", "Old"]))),
    changes=st.lists(
        st.tuples(
            st.sampled_from(ADDRESSES[:4]), st.sampled_from(CHANGE_STATUSES), st.booleans(), st.sampled_from(["", "N"])
        ),
        max_size=6,
    ),
    listed=st.booleans(),
)
def test_the_streamed_list_plans_as_the_whole_one(
    rows: list[tuple[str, str, str]], changes: list[tuple[str, str, bool, str]], listed: bool
) -> None:
    with tempfile.TemporaryDirectory() as name:
        csv, folder = Path(name) / "subscribers.csv", Path(name) / "journal"
        if listed:
            csv.write_text(HEADER + "".join(row(email, status, who) for email, status, who in rows), encoding="utf-8")
        pending = [
            change(n, email, status, request=request, name=who)
            for n, (email, status, request, who) in enumerate(changes)
        ]
        if pending:
            journal(folder, *pending)
        if not listed and not pending:
            return  # no list and nothing to add: both are the missing-file error, tested with the send
        whole, streamed = plans(csv, folder)
        assert streamed == whole


def test_an_unsubscribe_and_a_confirmation_pending_in_the_journal_decide_the_send(tmp_path: Path) -> None:
    csv, folder = tmp_path / "subscribers.csv", tmp_path / "journal"
    csv.write_text(
        HEADER + row("asha@example.org", "active", "Asha") + row("meera@example.org", "pending", "Meera"),
        encoding="utf-8",
    )
    journal(
        folder,
        change(1, "asha@example.org", "unsubscribed", request=True),
        change(2, "meera@example.org", "active", name="Meera K"),
        change(3, "lata@example.org", "pending"),
        change(4, "lata@example.org", "active", name="Lata"),
    )
    rows = [(r.email, r.name, r.status) for r in stream_current(csv, folder)]
    assert rows == [
        ("asha@example.org", "Asha", "unsubscribed"),
        ("meera@example.org", "Meera K", "active"),
        ("lata@example.org", "Lata", "active"),
    ]
    whole, streamed = plans(csv, folder)
    assert streamed == whole
    assert [email for email, _ in streamed.to_send] == ["meera@example.org", "lata@example.org"]

"""Who may be mailed is decided once (newsletter.subscribers.status): the list's own `active()` and the send's plan
agree on every file, whatever its rows say: repeated addresses, invalid rows, statuses written in any case."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from send_support import make_rendered

from newsletter.sending.ledger import read_ledger
from newsletter.sending.plan import SendOptions, plan_send
from newsletter.subscribers.listfile import read_subscribers
from newsletter.subscribers.status import STICKY, Screen, more_final, next_status

RENDERED = make_rendered()
ADDRESSES = ["a@example.org", "A@example.org", "b@example.org", "c@EXAMPLE.org", "not-an-address", ""]
STATUS_CELLS = ["active", " Active ", "pending", "unsubscribed", "BOUNCED", "complained", "gone", ""]
ROWS = st.lists(st.tuples(st.sampled_from(ADDRESSES), st.sampled_from(STATUS_CELLS), st.booleans()), max_size=8)


@settings(max_examples=150, deadline=None)
@given(ROWS)
def test_the_lists_active_rows_are_the_ones_a_send_plans_to_mail(rows: list[tuple[str, str, bool]]) -> None:
    lines = ["email,name,status,joined_at,source,consent,updated_at,reason"]
    for email, status, overfull in rows:
        # An overfull row (a stray delimiter) is invalid however valid its address and status are.
        lines.append(f"{email},Name,{status},,,,,{',extra' if overfull else ''}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscribers.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        subscribers = read_subscribers(path)
        plan = plan_send(RENDERED, subscribers, read_ledger(Path(folder) / "none.jsonl"), "outbox", SendOptions())
    assert [(row.email, row.name) for row in subscribers.active()] == list(plan.to_send)


def test_a_row_that_does_not_speak_for_its_address_still_blocks_it_when_it_says_the_reader_left() -> None:
    screen = Screen()
    verdicts = [
        screen.judge("a@x.org", "a@x.org", "Active", ""),
        screen.judge("a@x.org", "A@x.org", "unsubscribed", ""),  # repeated: not the reader's status, but a veto
        screen.judge("b@x.org", "b@x.org", "bounced", "has more cells than the header names"),
        screen.judge("b@x.org", "b@x.org", "active", ""),
        screen.judge("c", "c", "active", ""),  # no address at all
    ]
    assert verdicts == ["active", None, None, "active", None]
    assert screen.blocked == {"a@x.org", "b@x.org"}
    assert screen.seen == {"a@x.org", "b@x.org"} and screen.duplicates == 1
    assert screen.invalid == {"b@x.org": "b@x.org", "c": "c"}


def test_severity_orders_the_sticky_statuses_the_way_next_status_moves_them() -> None:
    assert {"unsubscribed", "bounced", "complained"} == STICKY
    assert more_final("complained", "bounced") and more_final("bounced", "unsubscribed")
    assert not more_final("unsubscribed", "bounced") and not more_final("pending", "active")
    for current in ("unsubscribed", "bounced"):
        for wanted in STICKY:
            assert (next_status(current, wanted) is not None) == more_final(wanted, current)

"""Who gets the issue in a run: decided from subscribers.csv rows and the ledger, with no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from send_support import Sub, make_rendered

from newsletter.errors import SendError
from newsletter.sending.ledger import LedgerWriter, read_ledger
from newsletter.sending.plan import Recipients, SendOptions, check_resume, content_parts, parse_when, plan_send
from newsletter.sending.send import schedule_at

RENDERED = make_rendered()


def ledger(tmp_path: Path, *records: dict[str, object]) -> Path:
    path = tmp_path / "2015-03-16.jsonl"
    with LedgerWriter(path) as writer:
        for record in records:
            writer.append(record)
    return path


def plan(tmp_path: Path, rows: list[Sub], *records: dict[str, object], **options: object):  # type: ignore[no-untyped-def]
    state = read_ledger(ledger(tmp_path, *records))
    return plan_send(RENDERED, rows, state, "sendgrid", SendOptions(**options))  # type: ignore[arg-type]


def test_fresh_send_skips_every_non_active_row_with_its_reason(tmp_path: Path) -> None:
    rows = [
        Sub("a@x.org", "Asha"),
        Sub("gone@x.org", status="unsubscribed"),
        Sub("B@x.org", "Ravi"),
        Sub("new@x.org", status="pending"),
        Sub("bounce@x.org", status="bounced"),
        Sub("spam@x.org", status="complained"),
        Sub("not-an-address", status="active", problem="'not-an-address' is not a valid email address"),
        Sub("b@X.org", "Ravi again"),  # the same reader: the first row speaks for it
    ]
    result = plan(tmp_path, rows)
    assert result.to_send == [("a@x.org", "Asha"), ("B@x.org", "Ravi")]
    assert result.snapshot == ["a@x.org", "B@x.org"]
    assert result.skipped == {
        "bounced": 1,
        "complained": 1,
        "invalid row in subscribers.csv": 1,
        "unconfirmed": 1,
        "unsubscribed": 1,
    }
    assert result.new_skips == [
        ("gone@x.org", "unsubscribed"),
        ("new@x.org", "unconfirmed"),
        ("bounce@x.org", "bounced"),
        ("spam@x.org", "complained"),
        ("not-an-address", "invalid row in subscribers.csv"),
    ]
    assert result.duplicates == 1 and result.resuming is False


def test_an_address_listed_once_as_gone_is_never_mailed(tmp_path: Path) -> None:
    rows = [Sub("a@x.org"), Sub("b@x.org"), Sub("A@x.org", status="unsubscribed", problem="duplicate of line 2")]
    result = plan(tmp_path, rows)
    assert result.to_send == [("b@x.org", "")]
    assert result.snapshot == ["b@x.org"]
    assert result.skipped == {"listed twice, once as gone": 1}


def test_resume_sends_only_the_pending(tmp_path: Path) -> None:
    rows = [Sub(f"{name}@x.org") for name in "abcdef"]
    result = plan(
        tmp_path,
        rows,
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["b@x.org"]},
        {"type": "outcome", "run": 1, "batch": 2, "status": "failed"},
        {"type": "intent", "run": 1, "batch": 3, "emails": ["c@x.org"]},
        {"type": "skipped", "run": 1, "recipients": [["d@x.org", "unsubscribed"]]},
    )
    assert result.to_send == [("d@x.org", ""), ("e@x.org", ""), ("f@x.org", "")]  # d subscribed again
    assert (result.already_sent, result.held_failed, result.held_in_doubt) == (1, 1, 1)
    assert result.new_skips == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"retry_failed": True}, ["b@x.org", "e@x.org"]),
        ({"resend_in_doubt": True}, ["c@x.org", "e@x.org"]),
        ({"retry_failed": True, "resend_in_doubt": True}, ["b@x.org", "c@x.org", "e@x.org"]),
    ],
)
def test_failed_and_in_doubt_only_when_asked(tmp_path: Path, options: dict[str, bool], expected: list[str]) -> None:
    rows = [Sub(f"{name}@x.org") for name in "abce"]
    records = [
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent"},
        {"type": "intent", "run": 1, "batch": 2, "emails": ["b@x.org"]},
        {"type": "outcome", "run": 1, "batch": 2, "status": "failed"},
        {"type": "intent", "run": 1, "batch": 3, "emails": ["c@x.org"]},
    ]
    result = plan(tmp_path, rows, *records, **options)
    assert [email for email, _ in result.to_send] == expected
    assert result.already_sent == 1


def test_readers_who_left_are_skipped_unless_they_already_have_it(tmp_path: Path) -> None:
    rows = [Sub("a@x.org", status="unsubscribed"), Sub("b@x.org", status="unsubscribed")]
    result = plan(
        tmp_path,
        rows,
        {"type": "recipients", "run": 1, "emails": ["a@x.org", "b@x.org", "c@x.org"]},
        {"type": "intent", "run": 1, "batch": 1, "emails": ["a@x.org"]},
        {"type": "outcome", "run": 1, "batch": 1, "status": "sent"},
    )
    assert result.to_send == []
    assert result.already_sent == 1
    assert result.new_skips == [("b@x.org", "unsubscribed"), ("c@x.org", "no longer in subscribers.csv")]
    assert result.skipped == {"no longer in subscribers.csv": 1, "unsubscribed": 1}


def test_limit_sends_the_first_n(tmp_path: Path) -> None:
    result = plan(tmp_path, [Sub(f"{n}@x.org") for n in range(5)], limit=2)
    assert result.to_send == [("0@x.org", ""), ("1@x.org", "")]
    assert result.held_by_limit == 3 and len(result.snapshot) == 5


def test_packed_recipients_read_back_exactly_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Recipients, "BLOCK", 4)
    pairs = [(f"r{n}@x.org", "" if n % 3 else f"Név {n}, Jr") for n in range(10)]  # 2 packed blocks + 2 open
    packed = Recipients(pairs)
    assert len(packed) == 10 and list(packed) == pairs
    assert packed == pairs and packed == tuple(pairs) and packed != pairs[:9] and packed != pairs[::-1]
    assert [packed[n] for n in range(-10, 10)] == pairs + pairs
    for start in range(11):
        for stop in range(start, 12):
            assert packed[start:stop] == pairs[start:stop]
    assert packed[1:9:3] == pairs[1:9:3]
    assert packed.head(6) == pairs[:6] and packed.head(0) == [] and packed.head(99) is packed
    with pytest.raises(IndexError):
        packed[10]


def test_limit_and_conflicts_across_packed_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Recipients, "BLOCK", 2)
    rows = [Sub(f"{n}@x.org", f"N{n}") for n in range(7)] + [Sub("3@x.org", status="bounced")]
    result = plan(tmp_path, rows, limit=5)
    assert result.to_send == [("0@x.org", "N0"), ("1@x.org", "N1"), ("2@x.org", "N2"), ("4@x.org", "N4"),
                              ("5@x.org", "N5")]  # fmt: skip
    assert result.held_by_limit == 1
    assert result.new_skips == [("3@x.org", "listed twice, once as gone")]


def test_content_change_is_refused_naming_the_parts(tmp_path: Path) -> None:
    path = ledger(
        tmp_path,
        {
            "type": "start",
            "run": 1,
            "at": "2015-03-16T09:00:00+00:00",
            "provider": "sendgrid",
            "content_hash": RENDERED.content_hash,
            "parts": content_parts(RENDERED),
        },
    )
    state = read_ledger(path)
    check_resume(state, RENDERED, "sendgrid", Path("issues/2015-03-16.yaml"))  # same content: fine
    changed = make_rendered(subject="Another subject", text="Dear %%name_text%%, changed\n")
    with pytest.raises(SendError) as error:
        check_resume(state, changed, "sendgrid", Path("issues/2015-03-16.yaml"))
    assert str(error.value) == (
        "issues/2015-03-16.yaml: the rendered issue changed since its send began at 2015-03-16T09:00:00+00:00 "
        f"(subject, text differ): restore the issue and templates as they were to resume, or move {path} aside to "
        "start over (readers already sent would get it twice)."
    )
    with pytest.raises(SendError) as error:
        check_resume(state, RENDERED, "outbox", Path("issues/2015-03-16.yaml"))
    assert str(error.value) == (
        f"{path}: this send began with the sendgrid provider at 2015-03-16T09:00:00+00:00: resume it with "
        "--provider sendgrid (for sendgrid, is SENDGRID_API_KEY set?)."
    )


def test_a_scheduled_send_resumes_with_its_schedule(tmp_path: Path) -> None:
    start = {"type": "start", "run": 1, "at": "x", "provider": "sendgrid", "send_at": 1426496400, "batch_id": "b-1"}
    result = plan(tmp_path, [Sub("a@x.org")], start)
    assert (result.send_at, result.batch_id) == (1426496400, "b-1")
    with pytest.raises(SendError) as error:
        plan(tmp_path / "2", [Sub("a@x.org")], start, send_at=1426500000)
    assert str(error.value) == (
        f"{tmp_path / '2' / '2015-03-16.jsonl'}: this send is scheduled for 2015-03-16 09:00 UTC (batch b-1): "
        "resume it without --at (or with the same time), or cancel it first with --cancel."
    )


NOW = datetime(2015, 3, 16, 9, 0, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


def test_parse_when() -> None:
    assert schedule_at("2015-03-16T15:00", "sendgrid", NOW, IST) == int(
        datetime(2015, 3, 16, 9, 30, tzinfo=UTC).timestamp()
    )
    assert schedule_at("2015-03-19 09:00+00:00", "sendgrid", NOW, IST) == int((NOW + timedelta(hours=72)).timestamp())
    for text, message in [
        (
            "tomorrow",
            "--at 'tomorrow' is not a date and time: write it as YYYY-MM-DD HH:MM (local time) or with an "
            "offset, e.g. 2015-03-16T09:00+05:30.",
        ),
        ("2015-03-16T08:00+00:00", "--at 2015-03-16T08:00:00+00:00 is in the past: give a time in the next 72 hours."),
        (
            "2015-03-19T09:01+00:00",
            "--at 2015-03-19T09:01:00+00:00 is more than 72 hours ahead: SendGrid schedules at most 72 hours out.",
        ),
    ]:
        with pytest.raises(SendError) as error:
            schedule_at(text, "sendgrid", NOW, IST)
        assert str(error.value) == message
    with pytest.raises(SendError) as error:
        parse_when("2015-03-16T09:30+00:00", NOW, IST, hours=0, provider="the outbox")
    assert str(error.value) == (
        "--at 2015-03-16T09:30:00+00:00 is more than 0 hours ahead: the outbox schedules at most 0 hours out."
    )

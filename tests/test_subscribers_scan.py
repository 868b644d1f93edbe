"""Reading a big subscribers.csv in slices: a row's verdict must not depend on where a slice happens to end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.subscribers import listfile as subscribers_module
from newsletter.subscribers.listfile import read_subscribers

NOW = datetime(2015, 3, 20, 9, 30, tzinfo=UTC)
ROWS = (
    "email,name,status\n"
    "a@example.org,A,active\n"  # line 2
    "not-an-address,N,active\n"  # 3: invalid address
    "Pelé@Example.org,Pelé,active\n"  # 4: only email-validator itself can check it
    "b@example.org,B,subscribed\n"  # 5: unknown status
    "c@example.org,C, Active \n"  # 6: status as a spreadsheet may write it
    "\n"  # 7: blank
    "A@EXAMPLE.ORG,Again,active\n"  # 8: duplicate of line 2
    "w@example.org,Smith, John,active\n"  # 9: more cells than the header names
    'q@example.org,"Line one\nline two",active\n'  # 10-11: a quoted line break
    "d@example.org,D,unsubscribed\n"  # 12
    "c@example.org,C,bounced\n"  # 13: duplicate of line 6, saying the reader left
    'e@example.org,O"Brien,active\n'  # 14: a stray quote, read as csv reads it
    "pelé@example.org,P,active\n"  # 15: duplicate of line 4
)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 50_000])
def test_verdicts_do_not_depend_on_the_slice_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(subscribers_module, "_SCAN_SLICE", size)
    path = tmp_path / "subscribers.csv"
    path.write_text(ROWS, encoding="utf-8")
    subscribers = read_subscribers(path)
    assert subscribers.problems == [
        f"{path}:3: 'not-an-address' is not a valid email address (An email address must have an @-sign.): "
        "correct it or delete the row.",
        f"{path}:5: status 'subscribed' is not one of active, pending, unsubscribed, bounced, complained: correct it.",
        f"{path}:8: duplicate of line 2 (a@example.org): delete one of the two.",
        f"{path}:9: has more cells than the 3 columns the header names: quote a value that holds ','.",
        f"{path}:13: duplicate of line 6 (c@example.org): delete one of the two.",
        f"{path}:15: duplicate of line 4 (pelé@example.org): delete one of the two.",
    ]
    assert [(row.email, row.name, row.status, row.line, row.valid) for row in subscribers] == [
        ("a@example.org", "A", "active", 2, True),
        ("not-an-address", "N", "active", 3, False),
        ("Pelé@example.org", "Pelé", "active", 4, True),
        ("b@example.org", "B", "subscribed", 5, False),
        ("c@example.org", "C", "active", 6, True),
        ("A@EXAMPLE.ORG", "Again", "active", 8, False),
        ("w@example.org", "Smith", " John", 9, False),
        ("q@example.org", "Line one line two", "active", 10, True),  # a name is one line wherever it goes
        ("d@example.org", "D", "unsubscribed", 12, True),
        ("c@example.org", "C", "bounced", 13, False),
        ("e@example.org", 'O"Brien', "active", 14, True),
        ("pelé@example.org", "P", "active", 15, False),
    ]
    # c@ is active on line 6 and bounced on line 13: never mailed.
    assert [row.email for row in subscribers.active()] == [
        "a@example.org",
        "Pelé@example.org",
        "q@example.org",
        "e@example.org",
    ]
    assert subscribers.counts() == {
        "active": 5,
        "pending": 0,
        "unsubscribed": 1,
        "bounced": 0,
        "complained": 0,
        "invalid": 6,
    }
    assert subscribers.index_of("PELÉ@example.org") == 2
    assert subscribers.index_of("c@Example.org") == 4


def test_the_index_is_built_when_first_needed_and_kept_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text("email,name,status\na@example.org,A,active\nb@example.org,B,pending\n", encoding="utf-8")
    subscribers = read_subscribers(path)
    added = subscribers.add("New@Example.org", "active", NOW, name="N")
    assert (added.email, added.line) == ("New@example.org", 4)
    assert subscribers.index_of("new@example.ORG") == 2
    assert subscribers.index_of("B@example.org") == 1
    assert subscribers.index_of("nobody@example.org") is None
    with pytest.raises(ValueError, match=r"^A@example\.org is already in the list$"):
        subscribers.add("A@example.org", "active", NOW)
    found = subscribers.find("b@EXAMPLE.org")
    assert found is not None and (found.email, found.status, found.line) == ("b@example.org", "pending", 3)

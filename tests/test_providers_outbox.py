"""The outbox's file names: one per address, readable for ordinary ones, never outside the folder."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from send_support import SECRET, mailing_of, make_rendered

from conftest import ROOT
from newsletter.config import load_config
from newsletter.message.mime import build_reader_message
from newsletter.message.personalize import make_recipient
from newsletter.providers.outbox import OutboxProvider, safe_filename

BASE = load_config(ROOT / "newsletter.toml")
DATE = dt.datetime(2015, 3, 16, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("asha@example.org", "asha@example.org"),
        ("Asha.Rao+news@Example.org", "asha.rao+news@example.org"),  # one reader, whatever the case
        ("a!b@example.com", "a_b@example.com~3601adc0ab4a04f4"),
        ("a#b@example.com", "a_b@example.com~3f2c7a5dfbe69ba4"),
        ("a_b@example.com", "a_b@example.com"),
        ("../../etc/passwd@x.org", "_.._etc_passwd@x.org~703410c78c26eaa6"),
        ("..@x.org", "@x.org~567a114033509b45"),
        ("...", "unnamed~ab5df625bc76dbd4"),
        ("", "unnamed~e3b0c44298fc1c14"),
        ("x@example.org.2", "x@example.org.2~76cb3674533cda7f"),  # would be x@example.org's second message
        ("a/b\\c@x.org", "a_b_c@x.org~12d01b7f5a93d92d"),
    ],
)
def test_names(email: str, name: str) -> None:
    # After the "~": the first 16 hex digits of the lowercased address's sha256.
    assert safe_filename(email) == name


def test_a_long_address_keeps_its_name_short() -> None:
    name = safe_filename("x" * 300 + "@example.org")
    assert name.startswith("x" * 100 + "~") and len(name) == 117


@given(st.text(max_size=400), st.text(max_size=400))
def test_fuzz_names_are_injective_and_stay_in_the_folder(first: str, second: str) -> None:
    one, two = safe_filename(first), safe_filename(second)
    for name in (one, two):
        assert "/" not in name and "\\" not in name and "\0" not in name
        assert not name.startswith(".") and name not in ("", ".", "..")
        assert len(f"{name}.99.eml".encode()) <= 255
    assert (one == two) == (first.lower() == second.lower())
    # Nor does one address take the name of another's second, third... message.
    assert not two.startswith(f"{one}.") or not two[len(one) + 1 :].isdigit()


def test_colliding_addresses_each_get_their_own_copy(tmp_path: Path) -> None:
    addresses = ["a!b@example.com", "a#b@example.com", "a_b@example.com", "A_B@example.com.2"]
    readers = [make_recipient(BASE, SECRET, email, f"Reader {n}") for n, email in enumerate(addresses)]
    result = OutboxProvider(tmp_path, config=BASE, clock=lambda: DATE).send_batch(mailing_of(make_rendered()), readers)
    assert {key: r.status for key, r in result.recipients.items()} == {a.lower(): "sent" for a in addresses}
    files = sorted((tmp_path / "2015-03-16").iterdir())
    assert len(files) == 4 and all(path.parent == tmp_path / "2015-03-16" for path in files)
    received = {}
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        received[message["To"].addresses[0].addr_spec] = message["To"].addresses[0].display_name
    assert received == {email: f"Reader {n}" for n, email in enumerate(addresses)}


def test_second_messages_and_other_addresses_do_not_collide(tmp_path: Path) -> None:
    outbox = OutboxProvider(tmp_path, config=BASE)
    for email in ("x@example.org", "x@example.org", "x@example.org.2"):
        reader = make_recipient(BASE, SECRET, email, "")
        outbox.send_message(build_reader_message(BASE, mailing_of(make_rendered()).content, reader, DATE))
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "x@example.org.2.eml",
        f"{safe_filename('x@example.org.2')}.eml",
        "x@example.org.eml",
    ]

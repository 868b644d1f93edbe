"""A batch's readers made from one template (message.readers) are the readers make_recipient makes, and SendGrid's
request written from the template is, byte for byte, the one written reader by reader."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from send_support import SECRET, mailing_of, make_rendered

from conftest import ROOT
from newsletter.config import Config, load_config
from newsletter.message import readers as readers_module
from newsletter.message.content import Recipient
from newsletter.message.personalize import make_recipient
from newsletter.message.readers import Personalizer, Readers
from newsletter.providers.sendgrid_payload import encode_batch, encode_shell, payload_shell

BASE = load_config(ROOT / "newsletter.toml")
ONE_CLICK = replace(BASE, unsubscribe=replace(BASE.unsubscribe, url="https://www.indiawrites.org/unsubscribe"))
SHELL = encode_shell(payload_shell(BASE, mailing_of(make_rendered())))

LOCAL = st.sampled_from(["asha", "ravi.rao", "a+b", "o'brien", "x%y", "selvi", "A.B-C", "செல்வி", "sp ace", "a\ud800"])
DOMAIN = st.sampled_from(["example.org", "Example.ORG", "x.in", "எடுத்துக்காட்டு.இந்தியா"])
NAME = st.one_of(
    st.sampled_from(["", "Asha", "Ravi Rao", "O'Brien", "Rao, Ravi", "Dr. A. (Editor)", "தமிழ் செல்வி", "100%",
                     "%%name%%", "=?utf-8?q?x?=", "a  b", " lead", "<b>", 'say "hi"', "back\\slash", "x" * 250]),
    st.text(max_size=12),
)  # fmt: skip
MEMBERS = st.lists(
    st.tuples(st.builds("{}@{}".format, LOCAL, DOMAIN), NAME), max_size=12, unique_by=lambda m: m[0].lower()
)


def one_by_one(config: Config, members: list[tuple[str, str]], feedback: str) -> list[Recipient]:
    made = []
    for email, name in members:
        try:
            made.append(make_recipient(config, SECRET, email, name, feedback))
        except Exception:
            continue
    return made


@settings(max_examples=200, deadline=None)
@given(members=MEMBERS, config=st.sampled_from([BASE, ONE_CLICK]), feedback=st.sampled_from(["", "2015-03-16"]))
def test_readers_are_made_as_make_recipient_makes_them(
    members: list[tuple[str, str]], config: Config, feedback: str
) -> None:
    personalizer = Personalizer(config, SECRET, feedback)
    assert personalizer.shape is not None
    readers = Readers(personalizer, members)
    expected = one_by_one(config, members, feedback)
    assert list(readers) == expected and len(readers) == len(expected)
    assert sorted(readers.unmade) == sorted(
        email.lower() for email, _ in members if email.lower() not in {r.email.lower() for r in expected}
    )
    if expected:
        assert encode_batch(SHELL, readers) == encode_batch(SHELL, expected)


def test_plain_readers_are_written_from_the_template() -> None:
    personalizer = Personalizer(ONE_CLICK, SECRET)
    members = [("asha@example.org", "Asha Rao"), ("ravi@example.org", ""), ("selvi@example.in", "தமிழ் செல்வி")]
    readers = Readers(personalizer, members)
    assert list(readers.made) == [2]  # the Tamil name is not plain: made at once, by make_recipient
    assert encode_batch(SHELL, readers) == encode_batch(SHELL, one_by_one(ONE_CLICK, members, ""))


def test_values_that_depend_on_the_reader_otherwise_leave_no_template(monkeypatch: pytest.MonkeyPatch) -> None:
    def with_address(config: Config, secret: bytes, email: str, name: str, feedback: str = "") -> Recipient:
        recipient = make_recipient(config, secret, email, name, feedback)
        return replace(recipient, headers={**recipient.headers, "X-Reader": email})

    monkeypatch.setattr(readers_module, "make_recipient", with_address)
    personalizer = Personalizer(BASE, SECRET)
    assert personalizer.shape is None and not personalizer.plain("asha@example.org", "Asha")
    readers = Readers(personalizer, [("asha@example.org", "Asha"), ("ravi@example.org", "")])
    assert [r.headers["X-Reader"] for r in readers] == ["asha@example.org", "ravi@example.org"]
    body, problems = encode_batch(SHELL, readers)
    assert problems == {} and body.count('"X-Reader":') == 2

"""The sample issue as readers get it: HTML, text part and the .eml, byte for byte, and the .eml's structure."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, TEST_SECRET
from golden_files import assert_golden
from newsletter.cli import cli
from newsletter.tokens import read_token


@pytest.fixture
def build(publication: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["render", "issues/2015-03-16.yaml"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "build/2015-03-16.html",
        "build/2015-03-16.txt",
        "build/2015-03-16.mjml",
        "build/2015-03-16.eml",
    ]
    return publication / "build"


@pytest.mark.parametrize("suffix", ["html", "txt", "mjml", "eml"])
def test_sample_issue_matches_golden(build: Path, suffix: str) -> None:
    assert_golden(f"2015-03-16.{suffix}", (build / f"2015-03-16.{suffix}").read_bytes())


def _message(build: Path) -> EmailMessage:
    message = email.message_from_bytes((build / "2015-03-16.eml").read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_eml_structure_and_headers(build: Path) -> None:
    message = _message(build)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert message["Subject"] == "Putin to meet top aide to Chinese president"
    assert message["From"] == "India and the World <editor@indiawrites.org>"
    assert message["To"] == "Sample Reader <reader@example.org>"
    assert message["Reply-To"] == "editor@indiawrites.org"
    assert message["Date"] == "Mon, 16 Mar 2015 00:00:00 +0000"
    assert message["MIME-Version"] == "1.0"
    assert re.fullmatch(r"<2015-03-16\.[0-9a-f]{20}@indiawrites\.org>", message["Message-ID"])
    # RFC 2919: one list identity for every issue, so filters and Gmail's list handling see a single list.
    assert message["List-Id"] == '"India and the World" <india-and-the-world.indiawrites.org>'


def test_text_part_signature_separator_is_dash_dash_space(build: Path) -> None:
    # RFC 3676 4.3: "-- " alone on a line; quoted-printable keeps its trailing space as =20 on the wire.
    text = _message(build).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.splitlines().count("-- ") == 1
    assert "--" not in text.splitlines()
    assert b"\r\n--=20\r\n" in (build / "2015-03-16.eml").read_bytes()


def test_eml_unsubscribe_is_signed_for_the_reader_in_both_parts(build: Path) -> None:
    message = _message(build)
    header = message["List-Unsubscribe"]
    match = re.fullmatch(r"<mailto:editor@indiawrites\.org\?subject=unsubscribe%20([A-Za-z0-9_.-]+)>", header)
    assert match, header
    token = match.group(1)
    assert read_token(TEST_SECRET, token, "unsubscribe") == "reader@example.org"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"Unsubscribe: mailto:editor@indiawrites.org?subject=unsubscribe%20{token}" in text
    assert f'href="mailto:editor@indiawrites.org?subject=unsubscribe%20{token}"' in html
    assert "Dear Sample Reader," in text and "Dear Sample Reader," in html
    assert "%%" not in text and "%%" not in html


def test_eml_lines_fit_the_wire(build: Path) -> None:
    raw = (build / "2015-03-16.eml").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 78  # quoted-printable: 76 + soft break


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("# base_url = ", "base_url = "),  # [web] base_url, as the shipped settings suggest it
        ('url = ""', 'url = "https://www.indiawrites.org/newsletter/unsubscribe"'),  # its deprecated alias
    ],
    ids=["web base_url", "deprecated [unsubscribe] url"],
)
def test_one_click_unsubscribe_when_configured(build: Path, publication: Path, old: str, new: str) -> None:
    config = publication / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    assert CliRunner().invoke(cli, ["render", "issues/2015-03-16.yaml"]).exit_code == 0
    message = _message(build)
    links = message["List-Unsubscribe"].split(", ")
    assert links[0].startswith("<mailto:editor@indiawrites.org?subject=unsubscribe%20")
    match = re.fullmatch(r"<(https://www\.indiawrites\.org/newsletter/unsubscribe\?token=([A-Za-z0-9_.-]+))>", links[1])
    assert match, links[1]
    url, token = match.groups()
    assert read_token(TEST_SECRET, token, "unsubscribe") == "reader@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The footer's visible link is the page the app shows for a GET (a button that POSTs), not the mailto.
    text_part = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html_part = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"Unsubscribe: {url}" in text_part
    assert f'href="{url}"' in html_part
    assert "mailto:" not in text_part.split("Unsubscribe:")[1].splitlines()[0]


def test_render_twice_is_byte_identical(build: Path) -> None:
    first = {path.name: path.read_bytes() for path in build.iterdir()}
    assert CliRunner().invoke(cli, ["render", "issues/2015-03-16.yaml"]).exit_code == 0
    assert {path.name: path.read_bytes() for path in build.iterdir()} == first


def test_golden_inputs_are_the_repository_sample() -> None:
    assert (ROOT / "issues" / "2015-03-16.yaml").is_file()

"""Each reader's values and List-Unsubscribe headers: exact, signed for that reader, escaped for HTML."""

from __future__ import annotations

import html
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, TEST_SECRET
from newsletter.clean import find_unsafe
from newsletter.config import load_config
from newsletter.message.personalize import break_placeholders, personalization, personalize, web_values
from newsletter.tokens import make_token, read_token

SECRET = TEST_SECRET
BASE = load_config(ROOT / "newsletter.toml")
ONE_CLICK = replace(BASE, unsubscribe=replace(BASE.unsubscribe, url="https://www.indiawrites.org/u?list=1"))


def test_mailto_only() -> None:
    token = make_token(SECRET, "unsubscribe", "asha@example.org")
    values, headers = personalization(BASE, SECRET, "Asha@Example.org", '  A & B <"x"> ')
    mailto = f"mailto:editor@indiawrites.org?subject=unsubscribe%20{token}"
    assert values == {
        "%%name%%": "A &amp; B &lt;&quot;x&quot;&gt;",
        "%%name_text%%": 'A & B <"x">',
        "%%unsubscribe_url%%": mailto,
    }
    assert headers == {"List-Unsubscribe": f"<{mailto}>"}
    assert read_token(SECRET, token, "unsubscribe") == "asha@example.org"


def test_one_click_adds_the_https_link_and_the_post_header() -> None:
    token = make_token(SECRET, "unsubscribe", "asha@example.org")
    values, headers = personalization(ONE_CLICK, SECRET, "asha@example.org", "")
    one_click = f"https://www.indiawrites.org/u?list=1&token={token}"
    assert values["%%unsubscribe_url%%"] == one_click
    assert values["%%name%%"] == values["%%name_text%%"] == "reader"
    assert headers == {
        "List-Unsubscribe": f"<mailto:editor@indiawrites.org?subject=unsubscribe%20{token}>, <{one_click}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_personalize_and_web_values() -> None:
    text = "Dear %%name%%, unsubscribe at %%unsubscribe_url%%."
    assert personalize(text, web_values(BASE)) == (
        "Dear reader, unsubscribe at mailto:editor@indiawrites.org?subject=Unsubscribe."
    )


def test_a_short_secret_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from newsletter.cli import cli

    shutil.copytree(ROOT / "issues", tmp_path / "issues")
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copy(ROOT / "subscribers.csv", tmp_path / "subscribers.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSLETTER_SECRET", "x")
    result = CliRunner().invoke(cli, ["render", "issues/2015-03-16.yaml"])
    assert result.exit_code == 1
    assert result.output == (
        "error: NEWSLETTER_SECRET is 1 bytes long: set it to at least 32 random bytes, e.g. the output of "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`.\n"
    )


# --- one pass: a value is never scanned for placeholders ---------------------------------------------------------


def test_a_value_is_never_scanned_for_placeholders() -> None:
    values = {
        "%%name%%": '<a href="https://evil.example/">%%name_text%%</a>',
        "%%name_text%%": "%%unsubscribe_url%%<script>",
        "%%unsubscribe_url%%": "https://u.example/?t=%%name%%",
    }
    template = "Dear %%name%%, or %%name_text%%; leave: %%unsubscribe_url%% %%other%% %%name"
    assert personalize(template, values) == (
        'Dear <a href="https://evil.example/">%%name_text%%</a>, or %%unsubscribe_url%%<script>; '
        "leave: https://u.example/?t=%%name%% %%other%% %%name"
    )


def test_adjacent_and_overlapping_placeholders() -> None:
    values = {"%%name%%": "A", "%%name_text%%": "B"}
    assert personalize("%%%name%%%%name_text%%%%", values) == "%AB%%"
    assert personalize("", values) == "" and personalize("x", {}) == "x"


@pytest.mark.parametrize(
    ("raw", "name", "text"),
    [
        (
            '<a href="https://evil.example/">Click</a>%%name_text%%',
            "&lt;a href=&quot;https://evil.example/&quot;&gt;Click&lt;/a&gt;%\u2060%name_text%\u2060%\u2060",
            '<a href="https://evil.example/">Click</a>%\u2060%name_text%\u2060%\u2060',
        ),
        (
            "%%unsubscribe_url%%",
            "\u2060%\u2060%unsubscribe_url%\u2060%\u2060",
            "\u2060%\u2060%unsubscribe_url%\u2060%\u2060",
        ),
        ("100%", "100%\u2060", "100%\u2060"),
        ("%x", "\u2060%x", "\u2060%x"),
        ("Support\r\nContent-Type: text/html\r\n\r\n<h1>x", "Support Content-Type: text/html &lt;h1&gt;x", None),
        ("Eve\u2028Bcc: x\x85y\rz\x00", "Eve Bcc: x y z", None),
        ("\u202eevE", "evE", None),
        (" \r\n ", "reader", None),
        ("x" * 300, "x" * 200, None),
    ],
)
def test_a_hostile_name_becomes_plain_inert_text(raw: str, name: str, text: str | None) -> None:
    values, _ = personalization(BASE, SECRET, "asha@example.org", raw)
    assert values["%%name%%"] == name
    assert values["%%name_text%%"] == (text if text is not None else html.unescape(name))
    page = personalize("<p>Dear %%name%%,</p>\nDear %%name_text%%,\n%%unsubscribe_url%%", values)
    assert page == (f"<p>Dear {name},</p>\nDear {values['%%name_text%%']},\n{values['%%unsubscribe_url%%']}")


def test_break_placeholders() -> None:
    assert break_placeholders("") == "" and break_placeholders("100 % sure") == "100 % sure"
    assert break_placeholders("%%%") == "\u2060%\u2060%\u2060%\u2060"
    assert break_placeholders("a%%name%%b") == "a%\u2060%name%\u2060%b"


@given(st.text(), st.sampled_from(["", "<p>Dear %%name%%</p>", "%%name_text%%%%name%%", "%%%%unsubscribe_url%%"]))
def test_fuzz_values_never_hold_a_placeholder(raw: str, template: str) -> None:
    values, headers = personalization(BASE, SECRET, "asha@example.org", raw)
    for value in values.values():
        assert "%%" not in value and not value.startswith("%") and not value.endswith("%")
        assert "\n" not in value and "\r" not in value and find_unsafe(value) == ""
    # The values add no "%%", not even where they meet the template's text: only the template's own placeholders
    # were filled in.
    bare = personalize(template, dict.fromkeys(values, ""))
    assert personalize(template, values).count("%%") == bare.count("%%")
    assert all("\n" not in value for value in headers.values())

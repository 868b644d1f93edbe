"""Each reader's values and List-Unsubscribe headers: exact, signed for that reader, escaped for HTML."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import ROOT, TEST_SECRET
from newsletter.config import load_config
from newsletter.personalize import personalization, personalize, web_values
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

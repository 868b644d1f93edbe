"""[web] in newsletter.toml: base_url (https, or http on this machine only), trust_proxy, the deprecated
[unsubscribe] url as its alias, and the same "did you mean" as every other setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import Config, ConfigError, load_config


def load(tmp_path: Path, toml: str) -> Config:
    path = tmp_path / "newsletter.toml"
    path.write_text(toml, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[web]\nbase_ur = 'https://x.org/n'\n", "{path}:2: [web] unknown key 'base_ur' (did you mean 'base_url'?)."),
        ("[wbe]\nbase_url = 'https://x.org/n'\n", "{path}:1: unknown section [wbe] (did you mean 'web'?)."),
        ("[web]\ntrust_proxy = 'yes'\n", "{path}:2: [web] 'trust_proxy' must be true or false, not 'yes'."),
        (
            "[web]\nbase_url = 'http://www.indiawrites.org/newsletter'\n",
            "{path}: [web] base_url must start with https:// (e.g. https://www.indiawrites.org/newsletter), not "
            "'http://www.indiawrites.org/newsletter'.",
        ),
        (
            "[web]\nbase_url = 'http://127.0.0.1.evil.org/n'\n",
            "{path}: [web] base_url must start with https:// (e.g. https://www.indiawrites.org/newsletter), not "
            "'http://127.0.0.1.evil.org/n'.",
        ),
        (
            "[web]\nbase_url = 'https://x.org/n?a=1'\n",
            "{path}: [web] base_url must not have a query or fragment: remove them.",
        ),
        (
            "[web]\nbase_url = 'https://x.org/a\"b<c'\n",
            "{path}: [web] base_url 'https://x.org/a\"b<c' holds '\"', which a link cannot carry as it is: "
            "percent-encode it (e.g. %20 for a space).",
        ),
        (
            "[web]\nbase_url = 'https://x.org/news letter'\n",
            "{path}: [web] base_url 'https://x.org/news letter' holds ' ', which a link cannot carry as it is: "
            "percent-encode it (e.g. %20 for a space).",
        ),
        (
            "[web]\nbase_url = 'https://x.org/n'\n[unsubscribe]\nurl = 'https://x.org/u'\n",
            "{path}: [unsubscribe] url and [web] base_url disagree: delete [unsubscribe] url (deprecated; the "
            "one-click link is now https://x.org/n/unsubscribe).",
        ),
    ],
)
def test_web_settings_errors(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, toml)
    assert str(caught.value) == message.format(path=tmp_path / "newsletter.toml")


@pytest.mark.parametrize(
    ("toml", "base", "one_click"),
    [
        ("", "", ""),
        ("[web]\nbase_url = 'https://www.indiawrites.org/newsletter/'\ntrust_proxy = true\n",
         "https://www.indiawrites.org/newsletter", "https://www.indiawrites.org/newsletter/unsubscribe"),
        ("[web]\nbase_url = 'http://127.0.0.1:8080'\n", "http://127.0.0.1:8080", "http://127.0.0.1:8080/unsubscribe"),
        # The deprecated alias: its endpoint becomes the app's base path, so old links keep working.
        ("[unsubscribe]\nurl = 'https://x.org/news/unsubscribe'\n", "https://x.org/news", "https://x.org/news/unsubscribe"),
        ("[unsubscribe]\nurl = 'https://x.org/u.php?list=1'\n", "", "https://x.org/u.php?list=1"),
        ("[web]\nbase_url = 'https://x.org/n'\n[unsubscribe]\nurl = 'https://x.org/n/unsubscribe'\n",
         "https://x.org/n", "https://x.org/n/unsubscribe"),
    ],
)  # fmt: skip
def test_base_url_and_the_one_click_url(tmp_path: Path, toml: str, base: str, one_click: str) -> None:
    config = load(tmp_path, toml)
    assert (config.web_base_url, config.one_click_url) == (base, one_click)

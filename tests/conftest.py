"""Shared fixtures. A test that needs a system service calls `require(...)`: it skips with the reason on a
developer's machine, and fails in CI, where NEWSLETTER_REQUIRE_ALL=1 says that nothing may skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sendgrid_fake import sendgrid_server  # noqa: F401  (fixture: a local fake SendGrid v3 API, tests/sendgrid_fake.py)
from smtp_sink import sink  # noqa: F401  (fixture: a real SMTP server, tests/smtp_sink.py)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE_ISSUE = ROOT / "issues" / "2015-03-16.yaml"
# What `check` says of the shipped settings, which leave [web] base_url empty (issue 10).
ONE_CLICK_MESSAGE = (
    "[web] base_url is empty, so readers can unsubscribe only by email: Gmail and Yahoo require one-click unsubscribe "
    "(RFC 8058) of bulk senders; run the readers' web app (`newsletter serve`) and set base_url to its https address."
)
ONE_CLICK_WARNING = f"newsletter.toml: warning: {ONE_CLICK_MESSAGE}"
# NEWSLETTER_SECRET in every test: at least 32 bytes, as the tool requires of a real secret.
TEST_SECRET = b"test-secret-of-the-newsletter-suite-32b+"


def require(condition: bool, reason: str) -> None:
    """Skip (or, under NEWSLETTER_REQUIRE_ALL=1, fail) unless `condition` holds."""
    if condition:
        return
    if os.environ.get("NEWSLETTER_REQUIRE_ALL") == "1":
        pytest.fail(f"NEWSLETTER_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture
def publication(tmp_path: Path) -> Path:
    """A copy of the sample publication (settings, issues, templates, subscribers) in a temporary folder."""
    for name in ("newsletter.toml", "subscribers.csv"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("issues", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture(autouse=True)
def _test_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed signing secret, and no real SendGrid key leaking in from the developer's shell."""
    monkeypatch.setenv("NEWSLETTER_SECRET", TEST_SECRET.decode())
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)

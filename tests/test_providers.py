"""What each provider declares it can do, what it says when asked for more, and the retry policy they share."""

from __future__ import annotations

from pathlib import Path

import pytest
from send_support import BASE, FakeTime, Sub, fast_retry, make_publication, send

from newsletter.config import load_config
from newsletter.errors import ProviderError, SendError
from newsletter.providers import able_to, capabilities_of, provider_class
from newsletter.providers.base import Capabilities
from newsletter.providers.outbox import OutboxProvider
from newsletter.providers.smtp import SmtpProvider


def test_capabilities_are_declared_by_each_provider() -> None:
    assert capabilities_of("sendgrid") == Capabilities(
        schedule_hours=72, batch_ids=True, sandbox=True, suppression_lists=True, bounce_reports=True
    )
    assert capabilities_of("sendgrid").scheduling and not capabilities_of("smtp").scheduling
    assert capabilities_of("outbox") == capabilities_of("smtp") == Capabilities()
    capabilities = ("scheduling", "batch_ids", "sandbox", "suppression_lists", "bounce_reports")
    assert [able_to(name) for name in capabilities] == [["sendgrid"]] * 5
    assert [provider_class(name).title for name in ("outbox", "sendgrid", "smtp")] == ["the outbox", "SendGrid", "SMTP"]
    with pytest.raises(ProviderError, match=r"^unknown provider 'mailgun': use one of outbox, sendgrid, smtp\.$"):
        provider_class("mailgun")


@pytest.mark.parametrize("name", ["outbox", "smtp"])
def test_a_provider_that_only_delivers_refuses_the_rest(name: str, tmp_path: Path) -> None:
    provider = OutboxProvider(tmp_path, config=BASE) if name == "outbox" else SmtpProvider(BASE, "password")
    asks = [
        (provider.create_batch_id, "schedule a send"),
        (lambda: provider.cancel_scheduled("b-1"), "cancel a scheduled send"),
        (provider.fetch_suppressions, "list suppressed addresses"),
    ]
    for ask, what in asks:
        with pytest.raises(ProviderError) as error:
            ask()
        assert str(error.value) == f"the {name} provider cannot {what}: choose one that can with --provider."
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sandbox": True}, "the outbox provider cannot send in sandbox mode: send with sendgrid."),
        ({"send_at": 1_426_496_400}, "the outbox provider cannot schedule a send: send with sendgrid."),
    ],
)
def test_a_send_refuses_what_its_provider_cannot_do(tmp_path: Path, options: dict[str, object], message: str) -> None:
    make_publication(tmp_path, [Sub("asha@example.org")])
    with pytest.raises(SendError) as error:
        send(tmp_path, "outbox", **options)
    assert str(error.value) == message
    config = load_config(tmp_path / "newsletter.toml")
    assert not config.sends_dir.exists() and not config.outbox_dir.exists()


def test_the_retry_policy() -> None:
    time = FakeTime()
    retry = fast_retry(time, attempts=2)  # backoff(n) is 0.75 * 2**n seconds with the jitter fixed at 0.5
    tries = retry.start()
    assert [tries.again_after_failure() for _ in range(3)] == [True, True, False]
    assert (time.sleeps, tries.failures) == ([0.75, 1.5], 2)
    # A rate limit is waited out until the time the provider names (plus the jitter), never past ten caps.
    assert retry.until_reset(str(time.now + 10), waits=0) == 10.5
    assert retry.until_reset(str(time.now + 10_000), waits=0) == 300.5
    assert retry.until_reset(str(time.now - 5), waits=0) == 0.5
    assert retry.until_reset(None, waits=2) == retry.until_reset("soon", waits=2) == 3.0  # no time named: backoff
    retry.rate_limit_waits = 1
    limited = retry.start()
    assert [limited.again_after_rate_limit(str(time.now + 1)) for _ in range(2)] == [True, False]
    assert time.sleeps[-1] == 1.5

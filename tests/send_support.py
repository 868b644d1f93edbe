"""Helpers for the send tests (ledger, plan, providers, whole sends, CLI): hand-made issues, subscribers and
publications, and send_issue called as `newsletter send` calls it."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from conftest import ROOT, TEST_SECRET
from newsletter.cli import cli
from newsletter.config import Config, load_config
from newsletter.issue.model import Issue
from newsletter.message.content import Recipient
from newsletter.providers import get_provider
from newsletter.providers.base import Mailing
from newsletter.providers.retry import Retry
from newsletter.render.build import issue_content
from newsletter.render.html import RenderedIssue, content_hash
from newsletter.sending.plan import SendOptions
from newsletter.sending.send import SendRequest, SendResult, describe_summary, render_for_send, send_issue

SECRET = TEST_SECRET
BASE = load_config(ROOT / "newsletter.toml")
ISSUE = "issues/2015-03-16.yaml"
CLOCK = dt.datetime(2015, 3, 16, 9, 0, tzinfo=dt.UTC)
CSV_HEADER = "email,name,status,joined_at,source,consent,updated_at\n"


def make_rendered(
    subject: str = "Putin to meet top aide to Chinese president",
    html: str = '<p>Dear %%name%%,</p><p><a href="%%unsubscribe_url%%">Unsubscribe</a></p>',
    text: str = "Dear %%name_text%%,\nUnsubscribe: %%unsubscribe_url%%\n",
    slug: str = "2015-03-16",
) -> RenderedIssue:
    """A RenderedIssue without the render pipeline: the send code only reads these fields."""
    issue = Issue(
        path=Path(f"issues/{slug}.yaml"),
        slug=slug,
        subject=subject,
        number=1,
        date=dt.date(2015, 3, 16),
        preheader="",
        intro="",
        sections=(),
    )
    return RenderedIssue(issue, subject, "", html, text, content_hash(subject, html, text))


def mailing_of(rendered: RenderedIssue, config: Config = BASE, **options: Any) -> Mailing:
    """The Mailing a send of `rendered` hands its provider (options: sandbox, send_at, batch_id)."""
    return Mailing(issue_content(rendered, config), **options)


@dataclass(frozen=True)
class Sub:
    email: str
    name: str = ""
    status: str = "active"
    problem: str = ""


def readers(count: int, domain: str = "example.org") -> list[Sub]:
    return [Sub(f"reader{number:05d}@{domain}", f"Reader {number}") for number in range(count)]


def recipient(email: str, name: str = "") -> Recipient:
    return Recipient(
        email, name, {"%%name%%": name or "reader"}, {"List-Unsubscribe": f"<mailto:u@x.org?subject={email}>"}
    )


@dataclass
class FakeTime:
    """An injected clock and sleep: sleeping advances the clock and is recorded, nothing waits."""

    now: float = 1_426_464_000.0  # 2015-03-16 00:00 UTC
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fast_retry(time: FakeTime | None = None, attempts: int = 5) -> Retry:
    """Retries that never wait: jitter fixed at 0.5, so backoff(n) is 0.75 * 2**n seconds (capped at 30)."""
    fake = time or FakeTime()
    return Retry(attempts=attempts, sleep=fake.sleep, clock=fake.clock, jitter=lambda: 0.5)


def subscribers_csv(rows: list[Sub]) -> str:
    return CSV_HEADER + "".join(
        f"{row.email},{row.name},{row.status},2015-01-01T00:00:00Z,import,yes,2015-01-01T00:00:00Z\n" for row in rows
    )


def make_publication(folder: Path, rows: list[Sub], **settings: dict[str, object]) -> Config:
    """A copy of the sample publication with these subscribers and [section] settings changed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("issues", "templates"):
        shutil.copytree(ROOT / name, folder / name, dirs_exist_ok=True)
    toml = (ROOT / "newsletter.toml").read_text(encoding="utf-8")
    for section, values in settings.items():
        for key, value in values.items():
            literal = f'"{value}"' if isinstance(value, str) else str(value).lower()
            pattern = rf"(\[{section}\][^\[]*?)^{key} = .*?$"
            if re.search(pattern, toml, flags=re.M | re.S):
                toml = re.sub(pattern, rf"\g<1>{key} = {literal}", toml, count=1, flags=re.M | re.S)
            else:
                toml = toml.replace(f"[{section}]\n", f"[{section}]\n{key} = {literal}\n", 1)
    (folder / "newsletter.toml").write_text(toml, encoding="utf-8")
    (folder / "subscribers.csv").write_text(subscribers_csv(rows), encoding="utf-8")
    return load_config(folder / "newsletter.toml")


def run(pub: Path, *args: str, input: str | None = None) -> Result:
    """`newsletter ARGS` run from the publication's folder, as an editor would (`input`: what they type)."""
    old = Path.cwd()
    os.chdir(pub)
    try:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


@dataclass
class Sent:
    """What one send_issue call gave the editor: the lines shown, the questions asked, and its result."""

    result: SendResult
    shown: list[str]
    asked: list[str]

    @property
    def output(self) -> list[str]:
        """What `newsletter send` prints for it (the dry run's closing line aside), elapsed seconds as "N"."""
        ending = [describe_summary(self.result.summary)] if self.result.summary else []
        return [re.sub(r"; \d+\.\d s\.$", "; N s.", line) for line in self.shown + ending]


def send(
    pub: Path,
    provider: str = "outbox",
    *,
    dry_run: bool = False,
    answer: bool = True,
    sendgrid_key: str = "",
    retry: Retry | None = None,
    progress: Any = None,
    **options: Any,
) -> Sent:
    """send_issue as `newsletter send issues/2015-03-16.yaml` calls it, from the publication's folder (so that
    messages name the issue as the editor wrote it); `answer` is the editor's to the confirmation."""
    shown: list[str] = []
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    old = Path.cwd()
    os.chdir(pub)
    try:
        config = load_config(Path("newsletter.toml"))  # as the command finds it: messages name it so
        request = SendRequest(render_for_send(Path(ISSUE), config), provider, SendOptions(**options), dry_run)
        extra = {"progress": progress} if progress else {}
        result = send_issue(
            config,
            request,
            lambda: get_provider(provider, config, sendgrid_key=sendgrid_key, retry=retry),
            secret=SECRET,
            now=lambda: CLOCK,
            confirm=confirm,
            show=shown.append,
            **extra,
        )
    finally:
        os.chdir(old)
    return Sent(result, shown, asked)

"""`newsletter send` as one call: the options as the editor gave them in, every line to print out through `show`,
any refusal as an error. cli.py parses the options and supplies the terminal (question, progress bar); the send
itself is send.py's send_issue, or one of its siblings (a test copy, a cancel).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from newsletter.config import Config
from newsletter.credentials import Credentials
from newsletter.errors import SendError, UsageError
from newsletter.providers import able_to, capabilities_of
from newsletter.sending import send
from newsletter.sending.plan import SendOptions

NOT_CONFIRMED = (
    "not sent: the send was not confirmed, so nothing was sent or recorded; answer y to the question, or add --yes "
    "to send without being asked."
)


@dataclass(frozen=True)
class SendCommand:
    """The command line's options, by their names there."""

    issue: str
    provider_name: str | None = None
    test_to: str | None = None  # "-": the editor's own address
    dry_run: bool = False
    limit: int | None = None
    yes: bool = False
    sandbox: bool = False
    at_text: str | None = None
    cancel: bool = False
    retry_failed: bool = False
    resend_in_doubt: bool = False


@dataclass(frozen=True)
class Terminal:
    """What the send needs of whoever runs it: lines out, warnings out, a yes or no, a progress display."""

    show: Callable[[str], None]
    warn: Callable[[str], None]
    confirm: Callable[[str], bool]
    progress: send.Progress = send.no_progress


def check_send_options(chosen: str, command: SendCommand) -> None:
    """A UsageError for an option the chosen provider cannot honour, --cancel with others, --test without an address."""
    capabilities = capabilities_of(chosen)
    for flag, used, capability in (
        ("--sandbox", command.sandbox, "sandbox"),
        ("--at", command.at_text is not None, "scheduling"),
        ("--cancel", command.cancel, "batch_ids"),
    ):
        if used and not getattr(capabilities, capability):
            raise UsageError(f"{flag} needs the {' or '.join(able_to(capability))} provider (this send uses {chosen}).")
    if command.cancel and (command.test_to is not None or command.dry_run or command.at_text or command.limit):
        raise UsageError("--cancel goes alone: `newsletter send ISSUE --cancel`.")
    if command.test_to not in (None, "-") and "@" not in str(command.test_to):
        raise UsageError(f"--test {command.test_to}: give an email address, or --test alone for the editor's.")


def run_send_command(
    config: Config, command: SendCommand, credentials: Credentials, terminal: Terminal, *, now: Callable[[], datetime]
) -> None:
    """The whole `newsletter send`: a cancel, a test copy, a dry run or the send, its summary the last line. A
    send that did not reach everyone it meant to raises SendError saying what to run, after the summary."""
    chosen = credentials.choose_provider(command.provider_name or "", config)
    check_send_options(chosen, command)
    provider = functools.partial(credentials.provider, chosen, config)
    issue_path = config.issue_file(command.issue)
    slug = issue_path.stem
    if command.cancel:
        cancelled = send.cancel_scheduled_send(config, slug, provider, sandbox=command.sandbox, now=now)
        terminal.show(
            f"cancelled the scheduled send of {slug} (batch {cancelled.batch_id}): {cancelled.pending} reader(s) wait "
            f"for the issue; `newsletter send {command.issue}` sends it to them (add --at WHEN to schedule it)."
        )
        return
    rendered = send.render_for_send(issue_path, config)
    secret, warning = credentials.secret(required=chosen != "outbox" and not command.dry_run)
    if warning:
        terminal.warn(f"warning: {warning}")
    if command.test_to is not None:
        address = config.newsletter.from_email if command.test_to == "-" else command.test_to
        message_id = send.send_test_copy(rendered, config, provider(), secret, address, now=now)
        terminal.show(f"sent a test copy of '{rendered.subject}' to {address} via {chosen} ({message_id}).")
        return
    moment = now()
    local = moment.astimezone().tzinfo or UTC
    when = send.schedule_at(command.at_text, chosen, moment, local) if command.at_text else None
    options = SendOptions(command.limit, command.retry_failed, command.resend_in_doubt, command.sandbox, send_at=when)
    result = send.send_issue(
        config,
        send.SendRequest(rendered, chosen, options, dry_run=command.dry_run),
        provider,
        secret=secret,
        now=now,
        confirm=lambda question: command.yes or terminal.confirm(question),
        show=terminal.show,
        progress=terminal.progress,
    )
    if result.dry_run:
        terminal.show("dry run: nothing was sent and nothing recorded.")
        return
    if result.summary is None:
        raise SendError(NOT_CONFIRMED)
    terminal.show(send.describe_summary(result.summary))
    problem = send.unfinished(result.summary, command.issue)
    if problem:
        raise SendError(problem)

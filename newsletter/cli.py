"""The command line. click lives here only: library modules take arguments, return values or raise
NewsletterError, and never echo, exit or read the environment.

Heavy modules (mjml, premailer, sendgrid, httpx) are imported inside the commands that need them, so that
`newsletter --help` and quick commands start fast.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from newsletter.clock import utc_now
from newsletter.config import Config, find_config, load_config
from newsletter.errors import IssueError, NewsletterError, UsageError
from newsletter.files import shown_path

if TYPE_CHECKING:
    from newsletter.providers.base import Provider
    from newsletter.sending.send import SendResult

F = TypeVar("F", bound=Callable[..., Any])


class State:
    """What the group passes to its commands: the config path and flags, loaded lazily."""

    def __init__(self, config_path: Path | None, debug: bool) -> None:
        self.config_path = config_path
        self.debug = debug
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            path = self.config_path or find_config(Path.cwd())
            self._config = load_config(path)
        return self._config


def get_secret(required: bool = False) -> bytes:
    """NEWSLETTER_SECRET from the environment, by tokens.choose_secret's rules (`required`: no development key)."""
    from newsletter.tokens import choose_secret

    secret, warning = choose_secret(os.environ.get("NEWSLETTER_SECRET", ""), required=required)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return secret


def _secret_if_set() -> bytes | None:
    """NEWSLETTER_SECRET when it is set (checked), else None, without the development key's warning: for commands
    that only need it to recognise forgotten readers."""
    from newsletter.tokens import check_secret

    value = os.environ.get("NEWSLETTER_SECRET", "")
    return check_secret(value.encode("utf-8")) if value else None


def handle_errors(func: F) -> F:
    """Turn a NewsletterError into a one-line message and exit 1; a traceback only with --debug.

    Messages may quote text from outside (a cell, a header), so they are printed through show(): an escape
    sequence in a reader's name cannot rewrite the editor's terminal. An OSError that no library function turned
    into a NewsletterError (a disk that fails where nobody expected it) is the last safety net: one line naming
    the file and the system's reason, not a traceback.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as error:  # a library's word that the command line asks the impossible: exit 2
            raise click.UsageError(str(error)) from None
        except IssueError as error:
            for location, message in error.located():
                click.echo(f"{_shown(location)}: error: {_shown(message)}", err=True)
            _fail()
        except NewsletterError as error:
            click.echo(f"error: {_shown(str(error))}", err=True)
            _fail()
        except OSError as error:
            where = error.filename if error.filename is not None else ""
            reason = error.strerror or str(error) or type(error).__name__
            click.echo(f"error: {_shown(f'{where}: {reason}' if where != '' else reason)}", err=True)
            _fail()
        except KeyboardInterrupt:
            click.echo("interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _fail() -> NoReturn:
    if _debug():
        traceback.print_exc()
    sys.exit(1)


def _shown(text: str) -> str:
    """Text for the terminal, line by line: the message's own line breaks stay, anything else unsafe is escaped."""
    from newsletter.clean import show_lines

    return show_lines(str(text))


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, State):
            return ctx.obj.debug
        ctx = ctx.parent
    return False


pass_state = click.make_pass_decorator(State)


def with_state(func: F) -> F:
    """The command gets the State first; a NewsletterError becomes one line and exit 1 (handle_errors)."""
    return pass_state(handle_errors(func))  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="newsletter.toml to use (default: the one in this folder or above).",
)
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.version_option(package_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Compose, render and send the newsletter."""
    ctx.obj = State(config_path, debug)


def main() -> None:
    cli(prog_name="newsletter")


# --- compose and render (issue, render, check) -----------------------------------------------------------

SAMPLE_READER = ("reader@example.org", "Sample Reader")


@cli.command("new")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="The issue's date (default: today).")
@click.option("--title", default="", help="The subject line.")
@with_state
def new_command(state: State, date_text: str | None, title: str) -> None:
    """Scaffold issues/<date>.yaml and print its path."""
    import datetime as dt

    from newsletter.issue.scaffold import create_issue

    try:
        date = dt.date.fromisoformat(date_text) if date_text else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"'{date_text}' is not a date: write YYYY-MM-DD.", param_hint="--date") from None
    _check_one_line(title, "--title", "the subject")
    config = state.config
    path = create_issue(config.issues_dir, date, title, config.newsletter.name)
    click.echo(shown_path(path))


def _check_one_line(value: str | None, option: str, what: str) -> None:
    """A usage error unless `value` is one line of plain text (the rule clean.py applies to text from outside)."""
    from newsletter.clean import describe_char, find_unsafe

    bad = find_unsafe(value or "")
    if bad:
        raise click.BadParameter(f"it contains {describe_char(bad)}: write {what} on one line.", param_hint=option)


def _output_option(default: str, help: str) -> Callable[[F], F]:
    folder = click.Path(file_okay=False, path_type=Path)
    return click.option("-o", "--output", "out_dir", type=folder, default=Path(default), show_default=True, help=help)


@cli.command("render")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(path_type=Path))
@_output_option("build", "Folder for <slug>.html, .txt, .mjml and .eml.")
@with_state
def render_command(state: State, issue_path: Path, out_dir: Path) -> None:
    """Write the rendered issue: HTML, text part, MJML source and a complete .eml for a sample reader."""
    from newsletter.render.build import write_build

    config = state.config
    paths = write_build(issue_path, config, out_dir, get_secret(), SAMPLE_READER)
    for path in paths:
        click.echo(shown_path(path))


@cli.command("check")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--clients", "clients", is_flag=True, help="Also report what the major mail clients support of the rendered HTML."
)
@with_state
def check_command(state: State, issue_path: Path, as_json: bool, clients: bool) -> None:
    """Lint an issue: exit 0 when there is no error (warnings allowed), 1 otherwise."""
    from newsletter.render.check import check_output, count, run_check

    result = run_check(issue_path, state.config, clients=clients)
    for line, to_stderr in check_output(result, issue_path, as_json=as_json, clients=clients):
        click.echo(line, err=to_stderr)
    if count(result.findings, "error"):
        sys.exit(1)


# --- subscribers and inbox ---------------------------------------------------------------------------------


@cli.group("subscribers")
def subscribers_group() -> None:
    """Keep subscribers.csv: add, remove, list, import, export, stats; show and forget one reader."""


def _warn_problems(problems: list[str]) -> None:
    from newsletter.subscribers.listing import problem_lines

    for line in problem_lines(problems):
        click.echo(line, err=True)


def _print_shown(shown: Any) -> None:
    """A subscribers.listing.Shown: its text, its notes, then the rows subscribers.csv reports."""
    click.echo(shown.text, nl=False)  # every line of it is escaped for the terminal already
    for note in shown.notes:
        click.echo(note, err=True)
    _warn_problems(shown.problems)


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="The reader's name, as they write it.")
@with_state
def subscribers_add(state: State, email: str, name: str) -> None:
    """Add EMAIL as active (an unsubscribed reader is not added back)."""
    from newsletter.subscribers.store import add_subscriber

    click.echo(_shown(add_subscriber(state.config.subscribers_path, email, name)))


@subscribers_group.command("remove")
@click.argument("email")
@click.option("--reason", default="removed by the editor", show_default=True, help="Kept in the row's reason.")
@with_state
def subscribers_remove(state: State, email: str, reason: str) -> None:
    """Mark EMAIL unsubscribed (the row and the reason stay)."""
    from newsletter.subscribers.store import remove_subscriber

    click.echo(_shown(remove_subscriber(state.config.subscribers_path, email, reason)))


@subscribers_group.command("list")
@click.option("--status", type=click.Choice(["active", "pending", "unsubscribed", "bounced", "complained", "invalid"]))
@with_state
def subscribers_list(state: State, status: str | None) -> None:
    """Print one row per subscriber: email, name, status (tab-separated)."""
    from newsletter.subscribers.listing import list_subscribers

    _print_shown(list_subscribers(state.config.subscribers_path, status))


@subscribers_group.command("import")
@click.argument("source", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@with_state
def subscribers_import(state: State, source: Path, dry_run: bool) -> None:
    """Import a Mailchimp, Substack or Buttondown export, a CSV with an email column, or one address per line."""
    from newsletter.subscribers.imports import import_subscribers

    report = import_subscribers(state.config.subscribers_path, source, dry_run=dry_run, secret=_secret_if_set())
    for line in [*report.lines, report.summary(source, dry_run=dry_run)]:
        click.echo(_shown(line))


@subscribers_group.command("export")
@click.argument("target", metavar="[FILE]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--status", type=click.Choice(["active", "pending", "unsubscribed", "bounced", "complained"]))
@with_state
def subscribers_export(state: State, target: Path | None, status: str | None) -> None:
    """Write the valid rows as a clean CSV to FILE (default: standard output)."""
    from newsletter.subscribers.listing import export_subscribers

    _print_shown(export_subscribers(state.config.subscribers_path, target, status))


@subscribers_group.command("stats")
@with_state
def subscribers_stats(state: State) -> None:
    """Counts per status and growth by month."""
    from newsletter.subscribers.listing import count_subscribers

    _print_shown(count_subscribers(state.config.subscribers_path))


@subscribers_group.command("show")
@click.argument("email")
@with_state
def subscribers_show(state: State, email: str) -> None:
    """Everything held about EMAIL: the row and its consent, the issues sent, copies, events, journal, review."""
    from newsletter.rights import describe_reader_data, reader_data

    for line in describe_reader_data(reader_data(state.config, email, _secret_if_set())):
        click.echo(_shown(line))


@subscribers_group.command("forget")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@with_state
def subscribers_forget(state: State, email: str, yes: bool) -> None:
    """Erase EMAIL everywhere (list, ledgers, outbox, journal, review list, events); keep only a keyed hash."""
    from newsletter.rights import forget_reader

    secret = get_secret(required=True)  # the hash kept is keyed with it, and checked with it later
    if not yes:
        click.confirm(_shown(f"Erase everything held about {email}? This cannot be undone"), abort=True)
    report = forget_reader(state.config, secret, email, now=utc_now())
    click.echo(_shown("\n".join([f"forgot {report.email}:", *(f"  {line}" for line in report.lines)])))


@cli.command("inbox")
@click.option("--imap", "imap_url", metavar="URL", help="imaps://USER@HOST/FOLDER (default: [inbox] imap_url).")
@click.option("--mbox", "mbox_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--maildir", "maildir_path", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would happen; change, send and mark nothing.")
@click.option("--review", is_flag=True, help="Decide, one by one, the messages kept for review.")
@with_state
def inbox_command(
    state: State, imap_url: str | None, mbox_path: Path | None, maildir_path: Path | None, dry_run: bool, review: bool
) -> None:
    """Turn subscribe and unsubscribe requests, bounces and complaints in the editor's mailbox into subscribers.csv
    changes."""
    from newsletter.inbox.report import describe_inbox, inbox_problem
    from newsletter.inbox.run import run_inbox
    from newsletter.inbox.sources import STATE_NAME, open_source
    from newsletter.sending.ledger import sent_slugs

    if sum(x is not None for x in (imap_url, mbox_path, maildir_path)) > 1:
        raise click.UsageError("give one of --imap, --mbox and --maildir.")
    if review and (dry_run or imap_url or mbox_path or maildir_path):
        raise click.UsageError("--review reads only the review list: give it alone.")
    # Every source, dry run included: the inbox verifies tokens, and the development key is published, so
    # anybody could sign a confirm or unsubscribe token with it (and the answers go through a real provider).
    secret = get_secret(required=True)
    config = state.config
    if review:
        _review_inbox(config, secret)
        return
    source = open_source(
        config.subscribers_path.with_name(STATE_NAME),
        mbox=mbox_path,
        maildir=maildir_path,
        imap_url=imap_url or config.inbox.imap_url,
        imap_password=os.environ.get("NEWSLETTER_IMAP_PASSWORD", ""),
        processed_folder=config.inbox.processed_folder,
    )
    provider = None if dry_run else _transactional_provider(config)
    with contextlib.closing(source):
        report = run_inbox(
            source, config, secret, provider, now=utc_now, dry_run=dry_run, sent_slugs=sent_slugs(config.sends_dir)
        )
    for line in describe_inbox(report, dry_run=dry_run, delivered=_delivered(provider)):
        click.echo(line)
    problem = inbox_problem(report, dry_run=dry_run)
    if problem:
        raise NewsletterError(problem)


def _review_inbox(config: Config, secret: bytes) -> None:
    """Each message kept for review, then the editor's decision: subscribe, unsubscribe, ignore, or skip."""
    from newsletter.inbox.decide import decide_review, pending_reviews
    from newsletter.inbox.replies import latest_issue_url
    from newsletter.inbox.report import describe_entry, describe_reviewed, review_problem
    from newsletter.sending.ledger import sent_slugs

    entries = pending_reviews(config)
    if not entries:
        click.echo("Nothing to review.")
        return
    provider = _transactional_provider(config)
    latest = latest_issue_url(config, sent_slugs(config.sends_dir))
    failed = 0
    for number, entry in enumerate(entries, 1):
        click.echo("\n".join(describe_entry(entry, number, len(entries))))
        choices = click.Choice(["subscribe", "unsubscribe", "ignore", "skip"])
        choice = click.prompt("  decide", type=choices, default="skip")
        if choice != "skip":
            done = decide_review(config, secret, provider, entry.message_id, choice, now=utc_now(), latest_url=latest)
            click.echo("\n".join(describe_reviewed(done, delivered=_delivered(provider))))
            failed += bool(done.failures)
    click.echo(f"{len(pending_reviews(config))} message(s) left on the review list.")
    if failed:
        raise NewsletterError(review_problem(failed))


def _transactional_provider(config: Config) -> Provider:
    """providers.transactional_provider (the web app's factory calls it too), with the secrets of the environment."""
    from newsletter.providers import transactional_provider

    return transactional_provider(
        config,
        sendgrid_key=os.environ.get("SENDGRID_API_KEY", ""),
        smtp_password=os.environ.get("NEWSLETTER_SMTP_PASSWORD", ""),
    )


def _delivered(provider: Provider | None) -> str:
    """How an answer's line begins: "sent", or, for the outbox, the folder it was written to (nothing was sent)."""
    directory = getattr(provider, "directory", None)
    if provider is None or provider.name != "outbox" or directory is None:
        return "sent"
    return f"written to {shown_path(Path(directory))}/:"


# --- send, report, suppressions -----------------------------------------------------------------------------


def _issue_file(config: Config, issue: str) -> Path:
    """ISSUE as a path, or as a slug under issues/ ("2015-03-16")."""
    path = Path(issue)
    return path if path.suffix or path.exists() else config.issues_dir / f"{issue}.yaml"


def _send_provider(config: Config, name: str | None) -> tuple[str, Callable[[], Provider]]:
    """The provider --provider, [send] provider or the environment chose, and how to set it up with its secrets."""
    import functools

    from newsletter.providers import choose_provider, get_provider

    sendgrid_key = os.environ.get("SENDGRID_API_KEY", "")
    chosen = choose_provider(name or "", config, sendgrid_key=sendgrid_key)
    password = os.environ.get("NEWSLETTER_SMTP_PASSWORD", "")
    return chosen, functools.partial(get_provider, chosen, config, sendgrid_key=sendgrid_key, smtp_password=password)


def _check_send_options(
    chosen: str, *, test_to: str | None, dry_run: bool, limit: int | None, sandbox: bool, at: bool, cancel: bool
) -> None:
    """Usage errors: an option the chosen provider cannot honour, --cancel with others, --test without an address."""
    from newsletter.providers import able_to, capabilities_of

    capabilities = capabilities_of(chosen)
    for flag, used, capability in (
        ("--sandbox", sandbox, "sandbox"),
        ("--at", at, "scheduling"),
        ("--cancel", cancel, "batch_ids"),
    ):
        if used and not getattr(capabilities, capability):
            providers = " or ".join(able_to(capability))
            raise click.UsageError(f"{flag} needs the {providers} provider (this send uses {chosen}).")
    if cancel and (test_to is not None or dry_run or at or limit):
        raise click.UsageError("--cancel goes alone: `newsletter send ISSUE --cancel`.")
    if test_to not in (None, "-") and "@" not in str(test_to):
        raise click.UsageError(f"--test {test_to}: give an email address, or --test alone for the editor's.")


@contextlib.contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for a run of `total` recipients: recipients, rate and ETA."""
    began, done = time.monotonic(), [0]
    with click.progressbar(
        range(total),  # typed by it; updated from the workers, never iterated
        label="sending",
        show_eta=True,
        show_pos=True,
        item_show_func=lambda _: f"{done[0] / max(time.monotonic() - began, 1e-3):,.0f}/s",
        file=sys.stderr,
    ) as bar:

        def advance(count: int) -> None:
            done[0] += count
            bar.update(count)

        yield advance


@cli.command("send")
@click.argument("issue", metavar="ISSUE")
@click.option(
    "--provider",
    "provider_name",
    type=click.Choice(["outbox", "sendgrid", "smtp"]),
    default=None,
    help="outbox, sendgrid or smtp (default: [send] provider; else sendgrid if SENDGRID_API_KEY is set).",
)
@click.option(
    "--test",
    "test_to",
    is_flag=False,
    flag_value="-",
    default=None,
    metavar="[EMAIL]",
    help="Send one copy, subject prefixed [TEST], to the editor (or EMAIL); records nothing.",
)
@click.option("--dry-run", is_flag=True, help="Send nothing; say what would be sent.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Send to the first N recipients only.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--sandbox", is_flag=True, help="SendGrid's sandbox mode: validated, not delivered (own ledger).")
@click.option("--at", "at_text", metavar="WHEN", help="Schedule with SendGrid, at most 72 h ahead: 2015-03-16T09:00.")
@click.option("--cancel", is_flag=True, help="Cancel this issue's scheduled SendGrid send.")
@click.option("--retry-failed", is_flag=True, help="Also resend to recipients whose delivery failed.")
@click.option("--resend-in-doubt", is_flag=True, help="Also resend to recipients in doubt (they may get it twice).")
@with_state
def send_command(
    state: State,
    issue: str,
    provider_name: str | None,
    test_to: str | None,
    dry_run: bool,
    limit: int | None,
    yes: bool,
    sandbox: bool,
    at_text: str | None,
    cancel: bool,
    retry_failed: bool,
    resend_in_doubt: bool,
) -> None:
    """Send ISSUE to every active subscriber, exactly once. Run it again to resume after any failure."""
    from newsletter.sending import send
    from newsletter.sending.plan import SendOptions

    config = state.config
    chosen, provider = _send_provider(config, provider_name)
    _check_send_options(
        chosen, test_to=test_to, dry_run=dry_run, limit=limit, sandbox=sandbox, at=at_text is not None, cancel=cancel
    )
    issue_path = _issue_file(config, issue)
    if cancel:
        cancelled = send.cancel_scheduled_send(config, issue_path.stem, provider, sandbox=sandbox, now=utc_now)
        click.echo(
            f"cancelled the scheduled send of {issue_path.stem} (batch {cancelled.batch_id}): {cancelled.pending} "
            f"reader(s) wait for the issue; `newsletter send {issue}` sends it to them (add --at WHEN to schedule it)."
        )
        return
    rendered = send.render_for_send(issue_path, config)
    secret = get_secret(required=chosen != "outbox" and not dry_run)
    if test_to is not None:
        address = config.newsletter.from_email if test_to == "-" else test_to
        message_id = send.send_test_copy(rendered, config, provider(), secret, address, now=utc_now)
        click.echo(f"sent a test copy of '{rendered.subject}' to {address} via {chosen} ({message_id}).")
        return
    now = utc_now()
    when = send.schedule_at(at_text, chosen, now, now.astimezone().tzinfo or datetime.UTC) if at_text else None
    options = SendOptions(limit, retry_failed, resend_in_doubt, sandbox, send_at=when)
    result = send.send_issue(
        config,
        send.SendRequest(rendered, chosen, options, dry_run=dry_run),
        provider,
        secret=secret,
        now=utc_now,
        confirm=lambda question: yes or _confirmed(question),
        show=click.echo,
        progress=_progress_bar,
    )
    _finish_send(result, issue)


def _confirmed(question: str) -> bool:
    """The editor's answer; no answer (end of input, Ctrl-C at the question) is no."""
    try:
        return click.confirm(question)
    except click.Abort:
        click.echo("", err=True)  # end the question's line
        return False


def _finish_send(result: SendResult, issue: str) -> None:
    """The send's last words: the dry run's, or the summary line; exit 1 unless everyone meant to get it has it."""
    from newsletter.sending.send import describe_summary, unfinished

    if result.dry_run:
        click.echo("dry run: nothing was sent and nothing recorded.")
        return
    if result.summary is None:
        raise NewsletterError(
            "not sent: the send was not confirmed, so nothing was sent or recorded; answer y to the question, "
            "or add --yes to send without being asked."
        )
    click.echo(describe_summary(result.summary))
    problem = unfinished(result.summary, issue)
    if problem:
        raise NewsletterError(problem)


@cli.command("report")
@click.argument("issue", metavar="ISSUE")
@click.option("--json", "as_json", is_flag=True, help='Print {"counts": ..., "recipients": [...]} as JSON.')
@click.option("--sandbox", is_flag=True, help="Report the sandbox ledger instead.")
@with_state
def report_command(state: State, issue: str, as_json: bool, sandbox: bool) -> None:
    """What the send ledger says: counts per status and, with --json, every recipient."""
    from newsletter.sending.report import open_report

    config = state.config
    report = open_report(config.sends_dir, _issue_file(config, issue).stem, sandbox=sandbox)
    for chunk in report.chunks(as_json=as_json):
        click.echo(chunk, nl=False)
    for line in report.warnings():
        click.echo(line, err=True)
    if report.problem:
        raise NewsletterError(report.problem)


@cli.command("stats")
@click.argument("issue", metavar="[ISSUE]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@with_state
def stats_command(state: State, issue: str | None, as_json: bool) -> None:
    """Delivered, bounces, complaints, unsubscribes, opens and clicks per article of ISSUE; without ISSUE, one line
    per sent issue."""
    from newsletter.feedback.stats import stats_output

    config = state.config
    slug = None if issue is None else _issue_file(config, issue).stem
    text = stats_output(config, slug, as_json=as_json)
    click.echo(text if as_json else _shown(text))


@cli.group("suppressions")
def suppressions_group() -> None:
    """SendGrid's suppression lists (bounces, blocks, spam reports, unsubscribes)."""


@suppressions_group.command("sync")
@with_state
def suppressions_sync_command(state: State) -> None:
    """Mark subscribers SendGrid lists as bounced, blocked, invalid, spam-reporting or unsubscribed."""
    from newsletter.providers import get_provider
    from newsletter.sending.suppressions import sync_suppressions

    config = state.config
    key = os.environ.get("SENDGRID_API_KEY", "")
    if not key:
        raise NewsletterError("SENDGRID_API_KEY is not set: the sync reads SendGrid's lists with it; set it first.")
    result = sync_suppressions(get_provider("sendgrid", config, sendgrid_key=key), config.subscribers_path)
    click.echo("\n".join(result.lines(config.subscribers_path)))


# --- editor's desk: add, preview, archive -----------------------------------------------------------------


@cli.command("add")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("source")
@click.option("--section", help="Heading of the section to add to (created when new; default: the first section).")
@click.option("--url", "page_url", default="", help="The article's web address, when SOURCE is a saved file.")
@handle_errors
def add_command(issue_path: Path, source: str, section: str | None, page_url: str) -> None:
    """Add an article to ISSUE from its page.

    SOURCE is the article's http(s) address or a saved .html/.htm/.txt file. Title, summary, image, author and
    site are read from the page; what it does not give is marked in the YAML for you to fill in."""
    import urllib.request

    from newsletter.desk.add import add_from_source

    _check_one_line(section, "--section", "the section's heading")
    # HTTP(S)_PROXY, ALL_PROXY and NO_PROXY, as httpx would read them: library modules never read the environment.
    added = add_from_source(issue_path, source, section=section, page_url=page_url, proxies=urllib.request.getproxies())
    click.echo(added.said)
    for line in added.warnings:
        click.echo(f"warning: {line}", err=True)


@cli.command("preview")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@with_state
def preview_command(state: State, issue_path: Path, port: int) -> None:
    """Preview ISSUE live in the browser.

    Shows the email at desktop width, at 375 px, in dark mode, and its text part, with the check's findings;
    the page reloads by itself whenever the issue, a template or newsletter.toml is saved."""
    from newsletter.desk.preview import PreviewServer
    from newsletter.serving import wait_until_interrupted

    if not issue_path.is_file():
        raise IssueError([f"{issue_path}: no such issue file: check the path, or create it with 'newsletter new'."])
    server = PreviewServer(issue_path.resolve(), state.config.path.resolve(), port=port)
    server.start()
    click.echo(f"Preview of {issue_path} at {server.url} (reloads when you save; Ctrl+C stops it)", err=True)
    click.echo(server.url)
    try:
        wait_until_interrupted()  # Ctrl+C is how a preview ends: not an error
    finally:
        server.stop()
    click.echo("preview stopped.", err=True)


@cli.command("archive")
@_output_option("build/archive", "Folder for the archive's pages and feed.")
@with_state
def archive_command(state: State, out_dir: Path) -> None:
    """Build the public archive of sent issues.

    Writes DIR/<slug>.html (the web copy the emails link to), DIR/index.html and DIR/feed.xml (Atom). Files that
    would not change are not rewritten."""
    from newsletter.desk.archive import build_archive, describe_build

    click.echo("\n".join(describe_build(build_archive(state.config, out_dir), out_dir)))


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (the TLS proxy's side).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--dev", is_flag=True, help="Try it on this machine: allow the development key; base URL http://HOST:PORT if unset."
)
@with_state
def serve_command(state: State, host: str, port: int, dev: bool) -> None:
    """Serve the readers' web app: one-click unsubscribe, sign-up with confirmation, the archive, SendGrid's webhook.

    It answers under the path of [web] base_url. In production run it under uvicorn with several workers behind
    the TLS proxy: see newsletter/web/asgi.py."""
    from newsletter.serving import listen, serve_forever
    from newsletter.web.app import create_app, dev_config

    config = dev_config(state.config, host, port) if dev else state.config
    mailer = _transactional_provider(config)
    webhook_key = os.environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY", "")
    app = create_app(config, get_secret(), dev=dev, mailer=mailer, webhook_key=webhook_key)
    sock = listen(host, port, fix="pass --port with another number, or stop what listens there")
    click.echo(f"Serving {config.web_base_url}/ on {host}:{port} (Ctrl+C stops it).", err=True)
    if (delivered := _delivered(mailer)) != "sent":
        fix = "set [send] transactional_provider (or provider) in newsletter.toml to send them"
        click.echo(f"Confirmations and welcomes are {delivered.rstrip(':')}, not sent: {fix}.", err=True)
    serve_forever(app, sock)  # the way `preview` serves its pages too (newsletter.serving)

"""The command line. click lives here only: library modules take arguments, return values or raise
NewsletterError, and never echo, exit or read the environment.

Heavy modules (mjml, premailer, sendgrid, httpx) are imported inside the commands that need them, so that
`newsletter --help` and quick commands start fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from newsletter.clean import check_option_line, show_lines
from newsletter.clock import utc_now
from newsletter.config import Config, find_config, load_config
from newsletter.credentials import Credentials
from newsletter.errors import NewsletterError, UsageError, describe_failure
from newsletter.files import shown_path
from newsletter.providers import delivered_phrase
from newsletter.serving import listen, serve_forever

F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass
class State:
    """What the group passes to its commands: the config path and flags; the config is loaded when first used."""

    config_path: Path | None
    debug: bool

    @functools.cached_property
    def config(self) -> Config:
        return load_config(self.config_path or find_config(Path.cwd()))


def _credentials() -> Credentials:
    """The secrets of the environment: cli.py and web/asgi.py are the only modules that read it."""
    return Credentials.from_environment(os.environ)


def get_secret(required: bool = False) -> bytes:
    """NEWSLETTER_SECRET, by tokens.choose_secret's rules (`required`: no development key)."""
    secret, warning = _credentials().secret(required=required)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    return secret


def handle_errors(func: F) -> F:
    """Turn a NewsletterError into a one-line message and exit 1 (errors.describe_failure); a traceback only with
    --debug. Messages may quote text from outside (a cell, a header), so they are printed through _shown(): an
    escape sequence in a reader's name cannot rewrite the editor's terminal."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as error:  # a library's word that the command line asks the impossible: exit 2
            raise click.UsageError(str(error)) from None
        except (NewsletterError, OSError) as error:
            for line in describe_failure(error):
                click.echo(_shown(line), err=True)
            _fail()
        except KeyboardInterrupt:
            click.echo("interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _fail() -> NoReturn:
    ctx = click.get_current_context(silent=True)
    state = ctx.find_object(State) if ctx is not None else None
    if state is not None and state.debug:
        traceback.print_exc()
    sys.exit(1)


def _shown(text: str) -> str:
    """Text for the terminal, line by line: the message's own line breaks stay, anything else unsafe is escaped."""
    return show_lines(str(text))


pass_state = click.make_pass_decorator(State)


def with_state(func: F) -> F:
    """The command gets the State first; a NewsletterError becomes one line and exit 1 (handle_errors)."""
    return pass_state(handle_errors(func))  # type: ignore[return-value]


CONFIG_HELP = "newsletter.toml to use (default: the one in this folder or above)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help=CONFIG_HELP)
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@click.version_option(package_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Compose, render and send the newsletter."""
    ctx.obj = State(config_path, debug)


def main() -> None:
    cli(prog_name="newsletter")


# --- compose and render (issue, render, check) -----------------------------------------------------------


@cli.command("new")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="The issue's date (default: today).")
@click.option("--title", default="", help="The subject line.")
@with_state
def new_command(state: State, date_text: str | None, title: str) -> None:
    """Scaffold issues/<date>.yaml and print its path."""
    from newsletter.issue.scaffold import create_issue, issue_date

    check_option_line(title, "--title", "the subject")
    config = state.config
    path = create_issue(config.issues_dir, issue_date(date_text, dt.date.today()), title, config.newsletter.name)
    click.echo(shown_path(path))


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
    click.echo("\n".join(shown_path(path) for path in write_build(issue_path, config, out_dir, get_secret())))


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


def _print_shown(shown: Any) -> None:
    """A subscribers.listing.Shown: its text, its notes, then the rows subscribers.csv reports."""
    from newsletter.subscribers.listing import problem_lines

    click.echo(shown.text, nl=False)  # every line of it is escaped for the terminal already
    for line in [*shown.notes, *problem_lines(shown.problems)]:
        click.echo(line, err=True)


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="The reader's name, as they write it.")
@click.option("--again", is_flag=True, help="Add back a reader who asked to be forgotten and has asked to come back.")
@with_state
def subscribers_add(state: State, email: str, name: str, again: bool) -> None:
    """Add EMAIL as active (an unsubscribed reader is not added back, nor a forgotten one without --again)."""
    from newsletter.subscribers.store import add_subscriber

    secret = _credentials().secret_if_set()
    click.echo(_shown(add_subscriber(state.config.subscribers_path, email, name, secret=secret, again=again)))


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

    report = import_subscribers(
        state.config.subscribers_path, source, dry_run=dry_run, secret=_credentials().secret_if_set()
    )
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

    for line in describe_reader_data(reader_data(state.config, email, _credentials().secret_if_set())):
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
def inbox_command(state: State, **options: Any) -> None:
    """Turn subscribe and unsubscribe requests, bounces and complaints in the editor's mailbox into subscribers.csv
    changes."""
    from newsletter.inbox.command import InboxCommand, run_inbox_command

    choices = click.Choice(["subscribe", "unsubscribe", "ignore", "skip"])
    ask = functools.partial(click.prompt, "  decide", type=choices, default="skip")
    run_inbox_command(state.config, InboxCommand(**options), _credentials(), show=click.echo, ask=ask, now=utc_now)


# --- send, report, suppressions -----------------------------------------------------------------------------


PROVIDER_HELP = "outbox, sendgrid or smtp (default: [send] provider; else sendgrid if SENDGRID_API_KEY is set)."
TEST_HELP = "Send one copy, subject prefixed [TEST], to the editor (or EMAIL); records nothing."


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
@click.option("--provider", "provider_name", type=click.Choice(["outbox", "sendgrid", "smtp"]), help=PROVIDER_HELP)
@click.option("--test", "test_to", is_flag=False, flag_value="-", metavar="[EMAIL]", help=TEST_HELP)
@click.option("--dry-run", is_flag=True, help="Send nothing; say what would be sent.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Send to the first N recipients only.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--sandbox", is_flag=True, help="SendGrid's sandbox mode: validated, not delivered (own ledger).")
@click.option("--at", "at_text", metavar="WHEN", help="Schedule with SendGrid, at most 72 h ahead: 2015-03-16T09:00.")
@click.option("--cancel", is_flag=True, help="Cancel this issue's scheduled SendGrid send.")
@click.option("--retry-failed", is_flag=True, help="Also resend to recipients whose delivery failed.")
@click.option("--resend-in-doubt", is_flag=True, help="Also resend to recipients in doubt (they may get it twice).")
@with_state
def send_command(state: State, issue: str, **options: Any) -> None:
    """Send ISSUE to every active subscriber, exactly once. Run it again to resume after any failure."""
    from newsletter.sending.command import SendCommand, Terminal, run_send_command

    warn = functools.partial(click.echo, err=True)
    terminal = Terminal(show=click.echo, warn=warn, confirm=_confirmed, progress=_progress_bar)
    run_send_command(state.config, SendCommand(issue, **options), _credentials(), terminal, now=utc_now)


def _confirmed(question: str) -> bool:
    """The editor's answer; no answer (end of input, Ctrl-C at the question) is no."""
    try:
        return click.confirm(question)
    except click.Abort:
        click.echo("", err=True)  # end the question's line
        return False


@cli.command("report")
@click.argument("issue", metavar="ISSUE")
@click.option("--json", "as_json", is_flag=True, help='Print {"counts": ..., "recipients": [...]} as JSON.')
@click.option("--sandbox", is_flag=True, help="Report the sandbox ledger instead.")
@with_state
def report_command(state: State, issue: str, as_json: bool, sandbox: bool) -> None:
    """What the send ledger says: counts per status and, with --json, every recipient."""
    from newsletter.sending.report import open_report

    config = state.config
    report = open_report(config.sends_dir, config.issue_file(issue).stem, sandbox=sandbox)
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
    slug = None if issue is None else config.issue_file(issue).stem
    text = stats_output(config, slug, as_json=as_json)
    click.echo(text if as_json else _shown(text))


@cli.group("suppressions")
def suppressions_group() -> None:
    """SendGrid's suppression lists (bounces, blocks, spam reports, unsubscribes)."""


@suppressions_group.command("sync")
@with_state
def suppressions_sync_command(state: State) -> None:
    """Mark subscribers SendGrid lists as bounced, blocked, invalid, spam-reporting or unsubscribed."""
    from newsletter.sending.suppressions import sync_from_sendgrid

    click.echo("\n".join(sync_from_sendgrid(state.config, _credentials())))


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

    check_option_line(section, "--section", "the section's heading")
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
    from newsletter.desk.preview import run_preview

    def ready(url: str) -> None:
        click.echo(f"Preview of {issue_path} at {url} (reloads when you save; Ctrl+C stops it)", err=True)
        click.echo(url)

    run_preview(issue_path, state.config.path, port, ready=ready)
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
    from newsletter.web.app import dev_config
    from newsletter.web.asgi import build_app

    config = dev_config(state.config, host, port) if dev else state.config
    app, mailer = build_app(config, _credentials(), get_secret(), dev=dev)
    sock = listen(host, port, fix="pass --port with another number, or stop what listens there")
    click.echo(f"Serving {config.web_base_url}/ on {host}:{port} (Ctrl+C stops it).", err=True)
    if (delivered := delivered_phrase(mailer)) != "sent":
        fix = "set [send] transactional_provider (or provider) in newsletter.toml to send them"
        click.echo(f"Confirmations and welcomes are {delivered.rstrip(':')}, not sent: {fix}.", err=True)
    serve_forever(app, sock)  # the way `preview` serves its pages too (newsletter.serving)

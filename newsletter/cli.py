"""The command line. click lives here only: library modules take arguments, return values or raise
NewsletterError, and never echo, exit or read the environment.

Heavy modules (mjml, premailer, sendgrid, httpx) are imported inside the commands that need them, so that
`newsletter --help` and quick commands start fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter.config import Config, find_config, load_config
from newsletter.errors import IssueError, NewsletterError

F = TypeVar("F", bound=Callable[..., Any])

# A fixed development key lets the demo and tests run with nothing configured; real sends refuse it.
DEV_SECRET = b"newsletter-development-secret-not-for-production"


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
    """NEWSLETTER_SECRET from the environment; without it, a development key (refused when `required`)."""
    value = os.environ.get("NEWSLETTER_SECRET", "")
    if value:
        return value.encode("utf-8")
    if required:
        raise NewsletterError(
            "NEWSLETTER_SECRET is not set: set it in the environment to a long random string "
            "(it signs unsubscribe links; keep it the same between sends)."
        )
    return DEV_SECRET


def handle_errors(func: F) -> F:
    """Turn a NewsletterError into a one-line message and exit 1; a traceback only with --debug."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except IssueError as error:
            for location, message in error.located():
                click.echo(f"{location}: error: {message}", err=True)
            if _debug():
                traceback.print_exc()
            sys.exit(1)
        except NewsletterError as error:
            click.echo(f"error: {error}", err=True)
            if _debug():
                traceback.print_exc()
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, State):
            return ctx.obj.debug
        ctx = ctx.parent
    return False


pass_state = click.make_pass_decorator(State)


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
@pass_state
@handle_errors
def new_command(state: State, date_text: str | None, title: str) -> None:
    """Scaffold issues/<date>.yaml and print its path."""
    import datetime as dt

    from newsletter.scaffold import create_issue

    try:
        date = dt.date.fromisoformat(date_text) if date_text else dt.date.today()
    except ValueError:
        raise click.BadParameter(f"'{date_text}' is not a date: write YYYY-MM-DD.", param_hint="--date") from None
    config = state.config
    path = create_issue(config.issues_dir, date, title, config.newsletter.name)
    click.echo(_relative(path))


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@cli.command("render")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder for <slug>.html, .txt, .mjml and .eml.",
)
@pass_state
@handle_errors
def render_command(state: State, issue_path: Path, out_dir: Path) -> None:
    """Write the rendered issue: HTML, text part, MJML source and a complete .eml for a sample reader."""
    from newsletter.build import write_build

    config = state.config
    paths = write_build(issue_path, config, out_dir, get_secret(), SAMPLE_READER)
    for path in paths:
        click.echo(_relative(path))


@cli.command("check")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_state
@handle_errors
def check_command(state: State, issue_path: Path, as_json: bool) -> None:
    """Lint an issue: exit 0 when there is no error (warnings allowed), 1 otherwise."""
    import json

    from newsletter.lint import check_path, count

    findings = check_path(issue_path, state.config)
    errors, warnings = count(findings, "error"), count(findings, "warning")
    if as_json:
        report = {
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "findings": [finding.as_dict() for finding in findings],
        }
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(str(finding), err=finding.severity == "error")
        click.echo(f"{issue_path}: {errors} error(s), {warnings} warning(s).")
    if errors:
        sys.exit(1)


# --- subscribers and inbox ---------------------------------------------------------------------------------

# --- send, report, suppressions -----------------------------------------------------------------------------

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
    from newsletter.articles import read_article
    from newsletter.issue_edit import add_article, describe_missing

    draft = read_article(source, url=page_url)
    edit = add_article(issue_path, draft, section)
    where = "new section" if edit.created_section else "section"
    click.echo(f"{issue_path}:{edit.line}: added '{draft.title}' to {where} '{edit.section}'.")
    if not edit.exact:
        click.echo(
            "warning: the file mixes indentation styles, so some lines were re-indented: check the change "
            "(e.g. with git diff).",
            err=True,
        )
    for line in describe_missing(draft):
        click.echo(f"warning: {line}", err=True)


@cli.command("preview")
@click.argument("issue_path", metavar="ISSUE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@pass_state
@handle_errors
def preview_command(state: State, issue_path: Path, port: int) -> None:
    """Preview ISSUE live in the browser.

    Shows the email at desktop width, at 375 px, in dark mode, and its text part, with the check's findings;
    the page reloads by itself whenever the issue, a template or newsletter.toml is saved."""
    import time

    from newsletter.preview import PreviewServer

    if not issue_path.is_file():
        raise IssueError([f"{issue_path}: no such issue file: check the path, or create it with 'newsletter new'."])
    server = PreviewServer(issue_path.resolve(), state.config.path.resolve(), port=port)
    server.start()
    click.echo(f"Preview of {issue_path} at {server.url} (reloads when you save; Ctrl+C stops it)", err=True)
    click.echo(server.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("preview stopped.", err=True)  # Ctrl+C is how a preview ends: not an error
    finally:
        server.stop()


@cli.command("archive")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/archive"),
    show_default=True,
    help="Folder for the archive's pages and feed.",
)
@pass_state
@handle_errors
def archive_command(state: State, out_dir: Path) -> None:
    """Build the public archive of sent issues.

    Writes DIR/<slug>.html (the web copy the emails link to), DIR/index.html and DIR/feed.xml (Atom). Files that
    would not change are not rewritten."""
    from newsletter.archive import build_archive

    result = build_archive(state.config, out_dir)
    if not result.entries:
        click.echo("No issue has been sent yet (no sends/<issue>.jsonl records a sent copy): nothing to archive.")
        return
    for path in result.written:
        click.echo(_relative(path))
    click.echo(
        f"{_relative(out_dir)}: {len(result.entries)} sent issue(s); "
        f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged."
    )

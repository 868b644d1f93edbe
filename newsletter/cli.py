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
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
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

# --- subscribers and inbox ---------------------------------------------------------------------------------

# --- send, report, suppressions -----------------------------------------------------------------------------

# --- editor's desk: add, preview, archive -----------------------------------------------------------------

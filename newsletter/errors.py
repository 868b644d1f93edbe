"""Errors the library raises. cli.py turns any NewsletterError into a one-line message and exit 1."""

from __future__ import annotations

import re


class NewsletterError(Exception):
    """Base of every error a user can act on: the message is one sentence naming the object and the fix."""


class ConfigError(NewsletterError):
    """newsletter.toml is missing, unreadable or has a wrong or unknown key."""


class IssueError(NewsletterError):
    """An issue YAML file failed validation; `problems` holds every finding as 'file:line:col: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def located(self) -> list[tuple[str, str]]:
        """Each problem split into its 'file:line:col' (or 'file') and its message."""
        pairs = []
        for problem in self.problems:
            match = re.match(r"^(.*?:\d+:\d+): (.*)$", problem, re.DOTALL) or re.match(
                r"^(.*?): (.*)$", problem, re.DOTALL
            )
            pairs.append((match.group(1), match.group(2)) if match else ("", problem))
        return pairs


class RenderError(NewsletterError):
    """A template failed to render (Jinja2, MJML or inlining)."""


class SubscriberError(NewsletterError):
    """subscribers.csv or an import file cannot be read or written."""


class InboxError(NewsletterError):
    """The mailbox cannot be read or a message cannot be processed."""


class TokenError(NewsletterError):
    """A signed token is malformed, forged or altered."""


class SendError(NewsletterError):
    """A send cannot start or continue (lock held, content changed, ledger mismatch)."""


class ProviderError(NewsletterError):
    """A provider refused a request or is misconfigured (missing key, 4xx answer)."""


class FetchError(NewsletterError):
    """An article page could not be fetched or read."""


class JournalError(NewsletterError):
    """The journal of reader changes accepted over the web cannot be written, read or applied."""


class UsageError(NewsletterError):
    """The command line asks for something that cannot be done as asked (options that do not go together, a
    missing source): cli.py reports it as a usage error, exit 2."""


def describe_failure(error: NewsletterError | OSError) -> list[str]:
    """The lines a command ends with when it fails: "FILE:LINE:COL: error: ..." for each problem of an issue, else
    "error: ...". An OSError that no library function turned into a NewsletterError (a disk that fails where
    nobody expected it) gets one line naming the file and the system's reason, not a traceback."""
    if isinstance(error, IssueError):
        return [f"{location}: error: {message}" for location, message in error.located()]
    if isinstance(error, NewsletterError):
        return [f"error: {error}"]
    where = error.filename if error.filename is not None else ""
    reason = error.strerror or str(error) or type(error).__name__
    return [f"error: {where}: {reason}" if where != "" else f"error: {reason}"]

"""newsletter.toml: the publication's settings, read into frozen dataclasses.

Secrets never live here: cli.py reads them from the environment and passes them on.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsletter.config_rules import Where, check_setting, coerce, host_of, is_local_host, line_of, shown
from newsletter.errors import ConfigError

CONFIG_NAME = "newsletter.toml"
MAX_CONFIG_BYTES = 256 * 1024  # the publication's settings are some 1.5 KB
UNSUBSCRIBE_PATH = "/unsubscribe"  # the one-click endpoint under [web] base_url
# Not in a URL as it is (RFC 3986), or (& and ') needing an escape in the footer's HTML.
UNSAFE_IN_URL = frozenset("\"<>\\^`{|}&'")


@dataclass(frozen=True)
class NewsletterSettings:
    name: str = "India and the World"
    from_email: str = "editor@indiawrites.org"
    from_name: str = "India and the World"
    reply_to: str = "editor@indiawrites.org"
    language: str = "en"
    postal_address: str = ""
    archive_url: str = ""
    website_url: str = ""


@dataclass(frozen=True)
class SendSettings:
    provider: str = ""  # empty: sendgrid when SENDGRID_API_KEY is set, outbox otherwise
    # Confirmations, welcomes and goodbyes (`inbox`, `serve`); empty: the provider an issue goes through.
    transactional_provider: str = ""
    batch_size: int = 1000
    concurrency: int = 4
    category: str = "newsletter"


@dataclass(frozen=True)
class SendGridSettings:
    host: str = "https://api.sendgrid.com"
    asm_group_id: int = 0
    sandbox: bool = False
    timeout: float = 30.0
    # Off unless the publication switches them on (issue 11): readers of a policy digest expect privacy, and
    # India's DPDP Act asks that personal data serve a stated purpose. Sent as each request's tracking_settings.
    track_opens: bool = False
    track_clicks: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls, tls or none
    username: str = ""
    timeout: float = 30.0


@dataclass(frozen=True)
class InboxSettings:
    imap_url: str = ""
    processed_folder: str = "Newsletter/Processed"
    authserv_id: str = ""
    send_welcome: bool = True
    send_goodbye: bool = True


@dataclass(frozen=True)
class UnsubscribeSettings:
    # Deprecated alias of [web] base_url: the one-click endpoint itself, "<base_url>/unsubscribe".
    url: str = ""


@dataclass(frozen=True)
class WebSettings:
    base_url: str = ""  # the public https prefix where `newsletter serve` answers, e.g. https://host/newsletter
    trust_proxy: bool = False  # take the client's address from X-Forwarded-For (set behind a TLS proxy only)


@dataclass(frozen=True)
class Config:
    root: Path
    path: Path
    newsletter: NewsletterSettings = field(default_factory=NewsletterSettings)
    send: SendSettings = field(default_factory=SendSettings)
    sendgrid: SendGridSettings = field(default_factory=SendGridSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    unsubscribe: UnsubscribeSettings = field(default_factory=UnsubscribeSettings)
    web: WebSettings = field(default_factory=WebSettings)

    @property
    def web_base_url(self) -> str:
        """[web] base_url without a trailing slash; else the deprecated [unsubscribe] url minus '/unsubscribe'."""
        if self.web.base_url:
            return self.web.base_url.rstrip("/")
        legacy = self.unsubscribe.url
        return legacy[: -len(UNSUBSCRIBE_PATH)] if legacy.endswith(UNSUBSCRIBE_PATH) else ""

    @property
    def one_click_url(self) -> str:
        """The https URL in List-Unsubscribe (the token is appended as ?token=), or '' when there is none."""
        base = self.web_base_url
        return f"{base}{UNSUBSCRIBE_PATH}" if base else self.unsubscribe.url

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    def issue_file(self, issue: str) -> Path:
        """ISSUE as the commands take it: a path, or a slug under issues/ ("2015-03-16")."""
        path = Path(issue)
        return path if path.suffix or path.exists() else self.issues_dir / f"{issue}.yaml"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def subscribers_path(self) -> Path:
        return self.root / "subscribers.csv"

    @property
    def sends_dir(self) -> Path:
        return self.root / "sends"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def journal_dir(self) -> Path:
        return self.root / "journal"  # beside subscribers.csv: subscribers.journal.journal_for finds it there

    @property
    def events_path(self) -> Path:
        """The feedback events (newsletter.feedback.events): SendGrid's webhook and the inbox's bounces."""
        return self.root / "events" / "events.sqlite3"


SECTIONS: dict[str, type] = {
    "newsletter": NewsletterSettings,
    "send": SendSettings,
    "sendgrid": SendGridSettings,
    "smtp": SmtpSettings,
    "inbox": InboxSettings,
    "unsubscribe": UnsubscribeSettings,
    "web": WebSettings,
}

CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("send", "provider"): ("", "outbox", "sendgrid", "smtp"),
    ("send", "transactional_provider"): ("", "outbox", "sendgrid", "smtp"),
    ("smtp", "security"): ("starttls", "tls", "none"),
}


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the closest option, or '' when nothing is close."""
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def find_config(start: Path) -> Path:
    """The newsletter.toml in `start` or the nearest folder above it."""
    for folder in [start, *start.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            # Relative to where the editor stands, so that error messages name the file as they know it.
            return Path(os.path.relpath(candidate, start))
    raise ConfigError(
        f"no {CONFIG_NAME} in {start} or any folder above it: run newsletter from the publication's folder "
        "or pass --config PATH."
    )


def load_config(path: Path) -> Config:
    """Read and validate newsletter.toml; unknown sections and keys are errors with a 'did you mean'."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the settings file ({error.strerror}).") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: the file is larger than {MAX_CONFIG_BYTES // 1024} KB, and the settings are a few lines: check "
            "that this is newsletter.toml."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{path}:{line}: byte 0x{raw[error.start]:02x} is not UTF-8: save the file as UTF-8."
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}: fix the TOML syntax there.") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ConfigError(
            f"{path}: values are nested too deeply to read: no setting holds more than one value."
        ) from None
    except ValueError:  # a number of more than 4300 digits: Python refuses to convert it
        raise ConfigError(f"{path}: a number in it has thousands of digits, which no setting needs: fix it.") from None

    sections: dict[str, Any] = {}
    for section_name, values in data.items():
        if section_name not in SECTIONS:
            line = line_of(text, None, section_name)
            raise ConfigError(
                f"{path}:{line}: unknown section [{section_name}]{suggest(section_name, list(SECTIONS))}."
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{section_name}' must be a [{section_name}] table.")
        cls = SECTIONS[section_name]
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            # Finding the line costs a scan of the file: only worth it when there is something to report.
            where = Where(text, path, section_name, key)
            if key not in known:
                raise ConfigError(f"{where} unknown key '{key}'{suggest(key, list(known))}.")
            expected = type(known[key].default)
            value = coerce(where, key, value, expected)
            allowed = CHOICES.get((section_name, key))
            if allowed is not None and value not in allowed:
                options = ", ".join(a for a in allowed if a)
                raise ConfigError(f"{where} '{key}' is {shown(value)}: use one of {options}.")
            check_setting(where, section_name, key, value)
            kwargs[key] = value
        sections[section_name] = cls(**kwargs)

    config = Config(root=path.parent.resolve(), path=path, **sections)
    _check_values(config, text)
    return config


def _check_values(config: Config, text: str) -> None:
    if config.send.batch_size < 1 or config.send.batch_size > 1000:
        raise ConfigError(
            f"{config.path}: [send] batch_size is {config.send.batch_size}: use 1 to 1000 "
            "(SendGrid takes at most 1000 recipients per request)."
        )
    if config.send.concurrency < 1:
        raise ConfigError(f"{config.path}: [send] concurrency must be at least 1.")
    url = config.unsubscribe.url
    if url and not url.startswith("https://"):
        raise ConfigError(
            f"{config.path}: [unsubscribe] url must start with https:// (one-click unsubscribe, RFC 8058)."
        )
    if url and not host_of(url):
        where = Where(text, config.path, "unsubscribe", "url")
        raise ConfigError(
            f"{where} 'url' is {shown(url)}, without a host: write the full address of the unsubscribe page."
        )
    smtp = config.smtp
    # An error, not a warning, for the same reason as an http:// SendGrid host: the password would be readable by
    # anyone between here and the server. A relay on this machine is the one place where that is fine.
    if smtp.security == "none" and smtp.username and not is_local_host(smtp.host):
        where = Where(text, config.path, "smtp", "security")
        raise ConfigError(
            f"{where} 'security' is 'none' and 'username' is set: the password would reach {smtp.host} "
            'unencrypted; set security = "starttls" (port 587) or "tls" (port 465).'
        )
    _check_base_url(config)


def _check_base_url(config: Config) -> None:
    base = config.web.base_url
    if not base:
        return
    split = urlsplit(base)
    # Plain http is for trying the web app on this machine only: mailbox providers want https for one-click links.
    if not (base.startswith("https://") or (base.startswith("http://") and is_local_host(split.hostname or ""))):
        raise ConfigError(
            f"{config.path}: [web] base_url must start with https:// (e.g. https://www.indiawrites.org/newsletter), "
            f"not {base!r}."
        )
    if not split.hostname:
        raise ConfigError(f"{config.path}: [web] base_url {base!r} names no host: write the full public address.")
    if split.query or split.fragment or "?" in base or "#" in base:
        raise ConfigError(f"{config.path}: [web] base_url must not have a query or fragment: remove them.")
    # The URL goes as it is into every footer's href and every List-Unsubscribe header's <...>.
    bad = next((ch for ch in base if ch.isspace() or ch in UNSAFE_IN_URL or not ch.isprintable()), "")
    if bad:
        raise ConfigError(
            f"{config.path}: [web] base_url {base!r} holds {bad!r}, which a link cannot carry as it is: "
            "percent-encode it (e.g. %20 for a space)."
        )
    legacy = config.unsubscribe.url
    if legacy and legacy != f"{base.rstrip('/')}{UNSUBSCRIBE_PATH}":
        raise ConfigError(
            f"{config.path}: [unsubscribe] url and [web] base_url disagree: delete [unsubscribe] url (deprecated; "
            f"the one-click link is now {base.rstrip('/')}{UNSUBSCRIBE_PATH})."
        )

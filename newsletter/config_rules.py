"""The rules one setting of newsletter.toml must follow on its own, and the place an error points at.

tomllib keeps no positions, so `Where` finds the line of a key only when a message needs it. Rules between
settings (a base URL and its deprecated alias, a password over an unencrypted connection) are config.py's.
"""

from __future__ import annotations

import ipaddress
import math
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsletter.clean import describe_char, find_unsafe, show
from newsletter.errors import ConfigError

MAX_TIMEOUT = 600.0  # seconds: a provider that has not answered in ten minutes will not
MULTILINE = frozenset({("newsletter", "postal_address")})  # a postal address may take several lines


def line_of(text: str, section: str | None, key: str) -> int:
    """The line of `key` in `section`, so an error points at the place (tomllib keeps no positions)."""
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            current = header.group(1).strip()
            if section is None and current == key:
                return number
            continue
        if current == section and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return 1


class Where:
    """'newsletter.toml:LINE: [section]', computed only when an error message needs it."""

    def __init__(self, text: str, path: Path, section: str, key: str) -> None:
        self.text, self.path, self.section, self.key = text, path, section, key

    def __str__(self) -> str:
        return f"{self.path}:{line_of(self.text, self.section, self.key)}: [{self.section}]"


def shown(value: Any) -> str:
    """A value as a message repeats it: short, and with its escapes written out."""
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return show(text if len(text) <= 80 else text[:79] + "…")


def coerce(where: Where, name: str, value: Any, expected: type) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is bool and not isinstance(value, bool):
        raise ConfigError(f"{where} '{name}' must be true or false, not {shown(value)}.")
    if expected is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ConfigError(f"{where} '{name}' must be a whole number, not {shown(value)}.")
    if expected is str and not isinstance(value, str):
        raise ConfigError(f"{where} '{name}' must be a quoted string, not {shown(value)}.")
    if expected is float and not isinstance(value, float):
        raise ConfigError(f"{where} '{name}' must be a number, not {shown(value)}.")
    return value


def is_local_host(host: str) -> bool:
    """localhost or a loopback address (127.0.0.0/8, ::1): traffic to it never leaves the machine."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_setting(where: Where, section: str, name: str, value: Any) -> None:
    """One value's own rules, with the line it is on; rules between values are config._check_values's."""
    if isinstance(value, str):
        bad = find_unsafe(value, multiline=(section, name) in MULTILINE)
        if bad:
            raise ConfigError(f"{where} '{name}' contains {describe_char(bad)}: remove it.")
    if name == "timeout" and not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise ConfigError(
            f"{where} 'timeout' is {shown(value)}: give the seconds to wait for an answer, more than 0 and at most "
            f"{MAX_TIMEOUT:g} (e.g. timeout = 30)."
        )
    if (section, name) == ("sendgrid", "host"):
        check_sendgrid_host(where, value)
    elif (section, name) == ("smtp", "host") and not re.fullmatch(r"[A-Za-z0-9._-]+|\[?[0-9A-Fa-f:.]+\]?", value):
        raise ConfigError(
            f"{where} 'host' is {shown(value)}: write the mail server's name alone, without scheme, port or path "
            '(e.g. host = "smtp.sendgrid.net").'
        )
    elif (section, name) == ("smtp", "port") and not 0 < value < 65536:
        raise ConfigError(f"{where} 'port' is {shown(value)}: use the server's port, 1 to 65535 (e.g. port = 587).")
    elif (section, name) == ("sendgrid", "asm_group_id") and not 0 <= value < 2**31:
        raise ConfigError(
            f"{where} 'asm_group_id' is {shown(value)}: use the id SendGrid shows for the unsubscribe group, or 0 "
            "for none."
        )


def host_of(url: str) -> str:
    """The host of `url`, or '' when it has none or is malformed (a bad port, an unclosed '[')."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        return ""
    return parts.hostname or ""


def check_sendgrid_host(where: Where, value: str) -> None:
    parts = urlsplit(value) if host_of(value) else urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        raise ConfigError(
            f"{where} 'host' is {shown(value)}, not the address of SendGrid's API: write it without /v3, e.g. "
            'host = "https://api.sendgrid.com".'
        )
    # An error, not a warning: every request carries the API key in a header, and over http anyone on the path
    # reads it and can mail as the publication. A warning scrolls past in a cron job; a local test server needs
    # no encryption, so plain http stays allowed for this machine alone.
    if parts.scheme == "http" and not is_local_host(parts.hostname):
        raise ConfigError(
            f"{where} 'host' is {shown(value)}: the API key would cross the network unencrypted; use https:// "
            "(http:// is only for a test server on localhost, 127.0.0.1 or ::1)."
        )

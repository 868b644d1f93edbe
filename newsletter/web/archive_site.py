"""The archive on the web: what `newsletter archive` builds (newsletter.desk.archive.build_archive), served with a
sign-up link at the top of every page.

An issue's web copy is the email itself, whose layout lives in style attributes and <style> blocks (mail clients
ignore stylesheets). Its pages therefore get their own Content-Security-Policy: still no script of any kind, each
<style> block allowed by its hash, and style attributes allowed, which is safe here because the page is the
publication's own rendering and nothing in it comes from a request.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Config
from newsletter.desk.archive import build_archive

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class ArchivePage:
    body: bytes
    csp: str
    media_type: str


def page_csp(html: str) -> str:
    """No script; <style> blocks by hash; style attributes; images and web fonts over https."""
    hashes = sorted(
        {
            "'sha256-" + base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii") + "'"
            for block in _STYLE.findall(html)
        }
    )
    return (
        "default-src 'none'; script-src 'none'; "
        f"style-src-elem 'self' https: {' '.join(hashes)}; style-src-attr 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline' https:; img-src https: data:; font-src https: data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ).replace("  ", " ")


def with_bar(html: str, bar: str) -> str:
    """The page with `bar` right after <body>."""
    match = _BODY.search(html)
    return html[: match.end()] + "\n" + bar + html[match.end() :] if match else bar + html


class ArchiveSite:
    """Pages read from the archive folder as they are asked for, cached until the file changes, so that a
    `newsletter archive` run after a send shows at once."""

    def __init__(self, config: Config, folder: Path, bar: str) -> None:
        self.config, self.folder, self.bar = config, folder, bar
        self._cache: dict[str, tuple[tuple[int, int], ArchivePage]] = {}
        self._lock = threading.Lock()

    def build(self) -> list[str]:
        """Build (or bring up to date) the archive folder; the slugs of the issues in it, newest first."""
        result = build_archive(self.config, self.folder)
        return [entry.issue.slug for entry in result.entries]

    def slugs(self) -> list[str]:
        return sorted((p.stem for p in self.folder.glob("*.html") if p.name != "index.html"), reverse=True)

    def page(self, name: str) -> ArchivePage | None:
        """'index.html', '<slug>.html' or 'feed.xml' from the folder; None when there is no such page."""
        stem, dot, suffix = name.rpartition(".")
        if not dot or not SLUG.fullmatch(stem) or not (suffix == "html" or name == "feed.xml"):
            return None
        path = self.folder / name
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        signature = (info.st_mtime_ns, info.st_size)
        with self._lock:
            cached = self._cache.get(name)
        if cached and cached[0] == signature:
            return cached[1]
        data = path.read_bytes()
        if suffix == "xml":
            page = ArchivePage(data, "", "application/atom+xml; charset=utf-8")
        else:
            html = data.decode("utf-8", "replace")
            page = ArchivePage(with_bar(html, self.bar).encode("utf-8"), page_csp(html), "text/html; charset=utf-8")
        with self._lock:
            self._cache[name] = (signature, page)
        return page

"""`newsletter preview`: a local page showing the issue as readers will see it (desktop, phone, dark mode, text part)
with the lint findings beside it, rebuilt whenever the issue, a template or the settings are saved.

Served the way `newsletter serve` serves the readers' app (newsletter.serving: Starlette under uvicorn), on
127.0.0.1; a thread polls file mtimes (no inotify dependency), and Server-Sent Events tell the open page to reload.
"""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from newsletter.config import Config, load_config
from newsletter.errors import IssueError, NewsletterError
from newsletter.render.check import Finding
from newsletter.serving import BackgroundServer, listen, wait_until_interrupted
from newsletter.templating import PACKAGE_TEMPLATES, template_environment

PAGE_TEMPLATE = "preview.html.j2"
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class PreviewBuild:
    """One rendering of the issue for the page; `errors` non-empty means this build failed."""

    subject: str = ""
    preheader: str = ""
    html: str = ""
    text: str = ""
    findings: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()


def build_preview(issue_path: Path, config_path: Path) -> PreviewBuild:
    """Load, render and lint the issue; every failure becomes messages for the page, never an exception."""
    from newsletter.issue.load import load_issue
    from newsletter.message.personalize import personalize, web_values
    from newsletter.render.check import check_issue
    from newsletter.render.html import render_issue

    try:
        config = load_config(config_path)
        issue = load_issue(issue_path)
        rendered = render_issue(issue, config)
        findings = tuple(check_issue(issue, rendered, config))
        values = web_values(config)
    except IssueError as error:
        # The check's all-at-once report of the file as it is now, so that fixing one error never uncovers others.
        return PreviewBuild(errors=tuple(error.problems), findings=_checked(issue_path, config))
    except NewsletterError as error:
        return PreviewBuild(errors=(str(error),))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # a bug or a PanicException from mjml: show it; the server keeps running
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return PreviewBuild(errors=(f"internal error {type(error).__name__}: {error}{where}",))
    return PreviewBuild(
        subject=rendered.subject,
        preheader=issue.preheader,
        html=personalize(rendered.html, values),
        text=personalize(rendered.text, values),
        findings=findings,
    )


def _checked(issue_path: Path, config: Config) -> tuple[Finding, ...]:
    """Every finding of `newsletter check` (validation, rendering what validates, lint), or none when the check
    itself cannot run (the page then shows the build's errors alone)."""
    from newsletter.render.check import run_check

    try:
        return tuple(run_check(issue_path, config).findings)
    except NewsletterError:
        return ()


_DARK_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)
_SCHEME_META = re.compile(r"<meta\s+name=[\"']?(?:color-scheme|supported-color-schemes)[\"']?[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def inject_head(html: str, markup: str) -> str:
    """`markup` placed first in <head> (a document without one gets it at the start)."""
    match = _HEAD.search(html)
    if match is None:
        return markup + html
    return html[: match.end()] + markup + html[match.end() :]


def make_dark(html: str) -> str:
    """The email as a dark-mode mail client shows it.

    An <iframe> follows the browser's own colour scheme, and a page cannot switch prefers-color-scheme for one
    frame, so the email's CSS is rewritten instead: its `(prefers-color-scheme: dark)` rules (what Apple Mail, iOS
    Mail and Outlook.com apply) become unconditional and its light-only ones never match. The color-scheme meta
    tag and `:root{color-scheme:dark}` then give everything the email leaves unstyled the browser's dark defaults
    (canvas, text, form controls), as in a client's dark mode. Clients that invert colours themselves (Gmail apps,
    Outlook desktop) cannot be reproduced by CSS; this view is the best case, not every case."""
    html = _DARK_QUERY.sub("(min-width: 0px)", html)
    html = _LIGHT_QUERY.sub("(max-width: 0px)", html)
    html = _SCHEME_META.sub("", html)
    return inject_head(html, '<meta name="color-scheme" content="dark"><style>:root{color-scheme:dark}</style>')


def frame_html(html: str) -> str:
    """An email for an <iframe>: its links open in a new tab instead of replacing the preview."""
    return inject_head(html, '<base target="_blank">')


def snapshot(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """(file, mtime, size) of every watched file and of every file in watched folders: a change is a save."""
    found: list[tuple[str, int, int]] = []
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            try:
                stat = candidate.stat()
            except OSError:  # missing, or replaced mid-save: the next poll sees the new file
                continue
            found.append((str(candidate), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


@dataclass
class PreviewState:
    """The latest build and its version; a build that failed keeps the last good one for display."""

    issue_path: Path
    config_path: Path
    instance: str  # changes when the server restarts, so an open page reloads then too
    builder: Callable[[Path, Path], PreviewBuild] = build_preview
    version: int = 0
    current: PreviewBuild = field(default_factory=PreviewBuild)
    last_good: PreviewBuild | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def token(self) -> str:
        return f"{self.instance}-{self.version}"

    def watched(self) -> list[Path]:
        templates = self.config_path.parent / "templates"
        return [self.issue_path, self.config_path, templates, PACKAGE_TEMPLATES]

    def rebuild(self) -> None:
        build = self.builder(self.issue_path, self.config_path)
        with self.changed:
            self.current = build
            if not build.errors:
                self.last_good = build
            self.version += 1
            self.changed.notify_all()

    def shown(self) -> PreviewBuild:
        """What the frames show: the current build, or the last good one while the current fails."""
        return self.current if not self.current.errors or self.last_good is None else self.last_good

    def wait_for_change(self, token: str, timeout: float) -> str:
        with self.changed:
            self.changed.wait_for(lambda: self.token != token or self.stopping.is_set(), timeout=timeout)
            return self.token


def watch(state: PreviewState, interval: float, seen: tuple[tuple[str, int, int], ...]) -> None:
    """Rebuild whenever a watched file differs from `seen`; runs until state.stopping is set."""
    while not state.stopping.wait(interval):
        now = snapshot(state.watched())
        if now == seen:
            continue
        # A save can be caught half-done (many editors truncate the file, then write it): rebuild once the
        # files have stopped changing for one interval, not on the empty file in between.
        while not state.stopping.wait(interval):
            later = snapshot(state.watched())
            if later == now:
                break
            now = later
        seen = now
        state.rebuild()


def render_page(state: PreviewState) -> str:
    with state.changed:
        current, shown, token = state.current, state.shown(), state.token
    env = template_environment(state.config_path.parent / "templates", "html")
    # A build that failed on the issue's own problems carries the check of the file as it is now: those findings,
    # not the last good version's, are what the editor has to fix.
    checked = current if current.errors and current.findings else shown
    findings = sorted(checked.findings, key=lambda f: f.severity != "error")  # errors first, else the check's order
    return env.get_template(PAGE_TEMPLATE).render(
        issue_path=str(state.issue_path),
        token=token,
        errors=current.errors,
        stale=bool(current.errors) and state.last_good is not None,
        stale_check=checked is not current,
        build=shown,
        findings=findings,
        errors_count=sum(f.severity == "error" for f in findings),
        warnings_count=sum(f.severity == "warning" for f in findings),
    )


NOT_FOUND = "Not found: the preview is at /\n"


def _reply(body: str, content_type: str, status: int = 200) -> Response:
    return Response(body, status, {"Cache-Control": "no-store"}, media_type=f"{content_type}; charset=utf-8")


def preview_app(state: PreviewState) -> Starlette:
    """The preview's pages: `/`, the email's views for its frames, its text part, the version, and `/events`."""

    async def page(request: Request) -> Response:
        return _reply(render_page(state), "text/html")

    async def light(request: Request) -> Response:
        return _reply(frame_html(state.shown().html), "text/html")

    async def dark(request: Request) -> Response:
        return _reply(frame_html(make_dark(state.shown().html)), "text/html")

    async def text(request: Request) -> Response:
        return _reply(state.shown().text, "text/plain")

    async def version(request: Request) -> Response:
        return _reply(json.dumps({"version": state.token}), "application/json")

    async def events(request: Request) -> Response:
        # The type alone: EventSource wants text/event-stream, which Starlette would give a charset.
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        return StreamingResponse(stream_events(state), headers=headers)

    async def not_found(request: Request, error: Exception) -> Response:
        return _reply(NOT_FOUND, "text/plain", 404)

    routes = [
        Route("/", page),
        Route("/frame/light.html", light),
        Route("/frame/dark.html", dark),
        Route("/frame/text.txt", text),
        Route("/version", version),
        Route("/events", events),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found})


async def stream_events(state: PreviewState) -> AsyncIterator[str]:
    """Server-Sent Events: the current version at once, then each new one; comments keep proxies awake."""
    token = state.token
    yield f"retry: 500\ndata: {token}\n\n"
    while not state.stopping.is_set():
        # The watcher's thread announces a rebuild on a threading.Condition: wait for it in a thread of our own.
        new = await run_in_threadpool(state.wait_for_change, token, KEEPALIVE_SECONDS)
        if state.stopping.is_set():
            return
        yield f"data: {new}\n\n" if new != token else ": keep-alive\n\n"
        token = new


class PreviewServer:
    """The preview's app under uvicorn (newsletter.serving, as `newsletter serve` runs the readers' app) plus the
    watcher, for `newsletter preview` and for tests (port 0: any free port)."""

    def __init__(
        self, issue_path: Path, config_path: Path, *, port: int = 8765, interval: float = 0.25, instance: str = ""
    ) -> None:
        self.state = PreviewState(issue_path, config_path, instance or format(time.time_ns(), "x"))
        fix = "pass --port with another number, or --port 0 for any free one"
        self.server = BackgroundServer(preview_app(self.state), listen("127.0.0.1", port, fix=fix))
        self.interval = interval
        self.threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        # The snapshot comes before the first build: a save while it builds still triggers a rebuild.
        seen = snapshot(self.state.watched())
        self.state.rebuild()
        watcher = threading.Thread(target=watch, args=(self.state, self.interval, seen), daemon=True)
        watcher.start()
        self.threads.append(watcher)
        self.server.start()

    def stop(self) -> None:
        self.state.stopping.set()  # open event streams end, so the server's shutdown does not wait for them
        with self.state.changed:
            self.state.changed.notify_all()
        self.server.stop()
        for thread in self.threads:
            thread.join(timeout=5)


def run_preview(issue_path: Path, config_path: Path, port: int, *, ready: Callable[[str], None]) -> None:
    """`newsletter preview`: serve the preview until Ctrl+C, calling `ready` with its URL once it answers."""
    if not issue_path.is_file():
        raise IssueError([f"{issue_path}: no such issue file: check the path, or create it with 'newsletter new'."])
    server = PreviewServer(issue_path.resolve(), config_path.resolve(), port=port)
    server.start()
    try:
        ready(server.url)
        wait_until_interrupted()  # Ctrl+C is how a preview ends: not an error
    finally:
        server.stop()

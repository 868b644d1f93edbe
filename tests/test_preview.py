"""`newsletter preview`: the server's pages, rebuilds on save, errors shown in the page, and the page itself in real
headless Chromium driven over the DevTools protocol (the three views render; a save reloads the page)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from browser import MEASURE, devtools_page
from conftest import ONE_CLICK_MESSAGE, ROOT
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.desk.preview import PreviewServer, PreviewState, build_preview, make_dark, render_page
from newsletter.errors import NewsletterError
from newsletter.issue.load import load_issue
from newsletter.message.personalize import personalize, web_values
from newsletter.render.html import render_issue
from web_support import wait_until

ISSUE_NAME = "2015-03-16.yaml"
SUBJECT = "Putin to meet top aide to Chinese president"
WAIT = 30.0  # generous: the waits end as soon as the condition holds


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode("utf-8")


def save(path: Path, text: str) -> None:
    """Write like an editor's save, and make sure the mtime moves even on a coarse-grained file system."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The publication's settings, issue and templates in a temporary folder (preview needs no subscribers)."""
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    for folder in ("issues", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[PreviewServer]:
    preview = PreviewServer(site / "issues" / ISSUE_NAME, site / "newsletter.toml", port=0, interval=0.05)
    preview.start()
    yield preview
    preview.stop()


# --- building and serving -------------------------------------------------------------------------------------


def test_dark_copy_turns_on_the_emails_dark_rules() -> None:
    html = (
        '<html><head><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" '
        'content="light dark"><style>@media (prefers-color-scheme: dark) { .a { color: #fff } }\n'
        "@media screen and (prefers-color-scheme:light) { .b { color: #000 } }</style></head><body></body></html>"
    )
    assert make_dark(html) == (
        '<html><head><meta name="color-scheme" content="dark"><style>:root{color-scheme:dark}</style>'
        "<style>@media (min-width: 0px) { .a { color: #fff } }\n"
        "@media screen and (max-width: 0px) { .b { color: #000 } }</style></head><body></body></html>"
    )


def test_build_is_the_web_copy_with_the_checks_findings(site: Path) -> None:
    config = load_config(site / "newsletter.toml")
    rendered = render_issue(load_issue(site / "issues" / ISSUE_NAME), config)
    build = build_preview(site / "issues" / ISSUE_NAME, site / "newsletter.toml")
    assert build.errors == ()
    assert build.subject == SUBJECT
    assert build.html == personalize(rendered.html, web_values(config))
    assert build.text == personalize(rendered.text, web_values(config))
    assert "%%" not in build.html + build.text


def test_errors_become_messages_not_exceptions(site: Path) -> None:
    issue = site / "issues" / ISSUE_NAME
    issue.write_text("subject: [unclosed\n", encoding="utf-8")
    build = build_preview(issue, site / "newsletter.toml")
    assert build.errors == (
        f"{issue}:2:1: invalid YAML (did not find expected ',' or ']'): fix the syntax at this place.",
    )
    shutil.copy(ROOT / "issues" / ISSUE_NAME, issue)
    (site / "templates" / "issue.txt.j2").write_text("{{ issue.nope.deeper }}", encoding="utf-8")
    (build_error,) = build_preview(issue, site / "newsletter.toml").errors
    assert build_error.endswith("fix the template or the issue's data.")
    assert "issue.txt.j2" in build_error
    (site / "newsletter.toml").write_text("[newsletter]\nnmae = 'x'\n", encoding="utf-8")
    assert build_preview(issue, site / "newsletter.toml").errors == (
        f"{site / 'newsletter.toml'}:2: [newsletter] unknown key 'nmae' (did you mean 'name'?).",
    )


def test_an_issue_that_does_not_validate_shows_every_problem_at_once(site: Path) -> None:
    # A mistyped key stops the build; the TK and the http link are the check's too: the page shows all three now,
    # not the mistyped key first and the rest once it is fixed (and not the last good version's findings).
    issue = site / "issues" / ISSUE_NAME
    state = PreviewState(issue, site / "newsletter.toml", "test")
    state.rebuild()
    text = issue.read_text(encoding="utf-8")
    text = text.replace("Russia is looking east.", "Russia is looking east. TK")
    text = text.replace('url: "https://www.indiawrites.org/about/"', 'url: "http://www.indiawrites.org/about/"')
    issue.write_text(text.replace("        summary: |\n          Reporting", "        sumary: |\n          Reporting"))
    state.rebuild()
    assert state.current.errors == (
        f"{issue}:56:9: missing required key 'summary' in an article: add a short summary (Markdown) written from "
        "the article.",
        f"{issue}:58:9: unknown key 'sumary' (did you mean 'summary'?).",
    )
    page = render_page(state)
    shown = re.findall(r'<li class="(error|warning)"><span class="severity">\w+</span> ([^<]*)', page)
    assert [(severity, html.unescape(message).strip()) for severity, message in shown] == [
        ("error", "leftover placeholder 'TK': replace it with the final text."),
        ("error", "missing required key 'summary' in an article: add a short summary (Markdown) written from the "
                  "article."),
        ("error", "unknown key 'sumary' (did you mean 'summary'?)."),
        ("warning", "the link http://www.indiawrites.org/about/ is not https: use the https address if the site has "
                    "one."),
        ("warning", ONE_CLICK_MESSAGE),
    ]  # fmt: skip
    assert "Check: 3 error(s), 2 warning(s)" in page and "last version that rendered)" not in page.split("<aside>")[1]


def test_a_failed_build_keeps_showing_the_last_good_one(site: Path) -> None:
    issue = site / "issues" / ISSUE_NAME
    state = PreviewState(issue, site / "newsletter.toml", "test")
    state.rebuild()
    good = state.current
    issue.write_text("subject: [unclosed\n", encoding="utf-8")
    state.rebuild()
    assert state.current.errors and state.shown() is good and state.token == "test-2"


def test_pages(server: PreviewServer, site: Path) -> None:
    status, kind, page = get(server.url)
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert f'<h1 id="subject">{SUBJECT}</h1>' in page
    assert '<p class="ok" id="findings">Nothing to fix.</p>' in page
    build = server.state.current
    status, kind, light = get(server.url + "frame/light.html")
    assert (status, kind, light) == (
        200,
        "text/html; charset=utf-8",
        build.html.replace("<head>", '<head><base target="_blank">', 1),
    )
    status, kind, dark = get(server.url + "frame/dark.html")
    assert '<meta name="color-scheme" content="dark"><style>:root{color-scheme:dark}</style>' in dark
    assert "prefers-color-scheme" not in dark
    assert get(server.url + "frame/text.txt") == (200, "text/plain; charset=utf-8", build.text)
    assert get(server.url + "version") == (
        200,
        "application/json; charset=utf-8",
        json.dumps({"version": server.state.token}),
    )
    assert get(server.url + "nope") == (404, "text/plain; charset=utf-8", "Not found: the preview is at /\n")


def test_events_announce_each_save(server: PreviewServer, site: Path) -> None:
    issue = site / "issues" / ISSUE_NAME
    first = server.state.token
    with urllib.request.urlopen(server.url + "events", timeout=WAIT) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert stream.readline() == b"retry: 500\n"
        assert stream.readline() == f"data: {first}\n".encode()
        assert stream.readline() == b"\n"
        save(issue, issue.read_text(encoding="utf-8").replace(SUBJECT, "A new subject line for the test"))
        line = stream.readline().decode()
    assert line == f"data: {server.state.instance}-2\n"
    assert server.state.current.subject == "A new subject line for the test"


def test_template_changes_rebuild_too(server: PreviewServer, site: Path) -> None:
    template = site / "templates" / "issue.txt.j2"
    save(template, "Just this line for {{ issue.subject }}\n")
    wait_until(lambda: server.state.version == 2, "a rebuild after the template changed")
    assert server.state.current.text == f"Just this line for {SUBJECT}\n"


def test_port_in_use(server: PreviewServer, site: Path) -> None:
    port = server.port
    with pytest.raises(NewsletterError) as caught:
        PreviewServer(site / "issues" / ISSUE_NAME, site / "newsletter.toml", port=port)
    assert str(caught.value) == (
        f"cannot listen on 127.0.0.1:{port} (Address already in use): pass --port with another number, "
        "or --port 0 for any free one."
    )


def test_cli_serves_until_interrupted(site: Path) -> None:
    command = [sys.executable, "-m", "newsletter", "preview", f"issues/{ISSUE_NAME}", "--port", "0"]
    process = subprocess.Popen(command, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert f'<h1 id="subject">{SUBJECT}</h1>' in get(url)[2]
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert err == (
        f"Preview of issues/{ISSUE_NAME} at {url} (reloads when you save; Ctrl+C stops it)\npreview stopped.\n"
    )


def test_cli_refuses_a_missing_issue(site: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(site / "newsletter.toml"), "preview", "issues/nope.yaml"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert (
        result.stderr
        == "issues/nope.yaml: error: no such issue file: check the path, or create it with 'newsletter new'.\n"
    )


# --- in Chromium ------------------------------------------------------------------------------------------------


class DevTools:
    """The few Chrome DevTools protocol calls the tests need, over one websocket."""

    def __init__(self, url: str) -> None:
        import websocket

        self.socket = websocket.create_connection(url, timeout=WAIT, suppress_origin=True)
        self.last_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message["result"])

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            return None  # e.g. the page is between two loads
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        return wait_until(lambda: self.evaluate(expression), what)


@pytest.fixture(scope="module")
def devtools() -> Iterator[DevTools]:
    with devtools_page("--window-size=1400,1000") as url:
        tools = DevTools(url)
        yield tools
        tools.socket.close()


FRAME = "document.getElementById('{frame}')"
FRAME_READY = (
    "(() => {{ const f = " + FRAME + "; const d = f && f.contentDocument;"
    " return !!(d && d.body && d.body.textContent.includes({text})); }})()"
)


def open_preview(devtools: DevTools, server: PreviewServer) -> None:
    devtools.call("Page.navigate", url=server.url)
    devtools.wait_for(f"document.body && document.body.dataset.version === '{server.state.token}'", "the preview page")
    for frame in ("desktop", "phone", "dark"):
        devtools.wait_for(FRAME_READY.format(frame=frame, text=json.dumps(SUBJECT)), f"the {frame} view")


def measure(devtools: DevTools, frame: str) -> dict[str, Any]:
    script = f"(() => {{ const w = {FRAME.format(frame=frame)}.contentWindow; return w.eval({json.dumps('(' + MEASURE + ')()')}); }})()"
    result = devtools.evaluate(script)
    assert isinstance(result, dict), f"no measurement from the {frame} view"
    return result


def test_the_views_render_in_chromium(devtools: DevTools, server: PreviewServer) -> None:
    open_preview(devtools, server)
    desktop, phone, dark = (measure(devtools, frame) for frame in ("desktop", "phone", "dark"))
    assert desktop["width"] >= 640 and desktop["scrollWidth"] <= desktop["width"]
    assert (phone["width"], phone["scrollWidth"]) == (375, 375)
    assert desktop["bodyLuminance"] > 0.8 and min(desktop["cardLuminances"]) > 0.9
    # The dark view applies the email's own dark-mode CSS, and keeps its text readable (WCAG AA).
    assert dark["bodyLuminance"] < 0.05 and max(dark["cardLuminances"]) < 0.05
    assert [item for item in dark["texts"] if item["ratio"] < 4.5] == []
    assert (
        devtools.evaluate(
            "getComputedStyle(document.getElementById('dark').contentDocument.documentElement).colorScheme"
        )
        == "dark"
    )
    text = devtools.evaluate("document.getElementById('text').textContent")
    assert text == server.state.current.text
    assert devtools.evaluate("document.querySelector('aside h2').textContent") == "Check: 0 error(s), 0 warning(s)"


def test_a_save_reloads_the_page_and_errors_show_in_it(devtools: DevTools, server: PreviewServer, site: Path) -> None:
    open_preview(devtools, server)
    issue = site / "issues" / ISSUE_NAME
    original = issue.read_text(encoding="utf-8")
    devtools.evaluate("window.__before_save = true")
    save(issue, original.replace(SUBJECT, "TODO subject"))
    devtools.wait_for(
        "!window.__before_save && document.getElementById('subject').textContent === 'TODO subject'",
        "the page to reload with the new subject",
    )
    devtools.wait_for(FRAME_READY.format(frame="desktop", text=json.dumps("TODO subject")), "the new desktop view")
    findings = devtools.evaluate("[...document.querySelectorAll('#findings li')].map(li => li.className)")
    assert "error" in findings or "warning" in findings

    devtools.evaluate("window.__before_error = true")
    save(issue, original.replace("number: 1", "number: one"))
    message = devtools.wait_for(
        "!window.__before_error && document.querySelector('#errors li') && document.querySelector('#errors li').textContent",
        "the error in the page",
    )
    assert message == f"{issue}:7:9: 'number' must be a whole number, not 'one'."
    assert devtools.evaluate("document.getElementById('stale').textContent") == "Below: the last version that rendered."
    assert devtools.evaluate("document.getElementById('subject').textContent") == "TODO subject"

    save(issue, original)
    devtools.wait_for("!document.getElementById('errors')", "the error to go away after the fix")
    assert devtools.evaluate("document.getElementById('subject').textContent") == SUBJECT

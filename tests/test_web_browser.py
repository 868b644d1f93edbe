"""The web app's pages in real headless Chromium with JavaScript switched off, at a phone's 375 px: nothing wider
than the screen, no Content-Security-Policy violation, and the buttons work (sign up, confirm, unsubscribe), pressed
the way a person presses them: a mouse click at the button's place on the page."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from browser import devtools_page
from conftest import TEST_SECRET
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.listfile import read_subscribers
from newsletter.tokens import make_token
from web_support import WAIT, Server, link_in, make_publication, running, wait_until

PHONE = 375


class Tab:
    """The few Chrome DevTools protocol calls these tests need, over one websocket; events are kept."""

    def __init__(self, url: str) -> None:
        import websocket

        self.socket = websocket.create_connection(url, timeout=WAIT, suppress_origin=True)
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return dict(message["result"])
            if "method" in message:
                self.events.append(message)

    def node(self, selector: str) -> int:
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        return int(self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"])

    def text(self, selector: str) -> str:
        """The text of the first element matching `selector` ('' when there is none), read without JavaScript."""
        try:
            node = self.node(selector)
            markup = self.call("DOM.getOuterHTML", nodeId=node)["outerHTML"] if node else ""
        except AssertionError:  # the document was replaced in between: a navigation is under way
            return ""
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())

    def open(self, url: str, heading: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for_heading(heading)

    def wait_for_heading(self, heading: str) -> None:
        wait_until(lambda: self.text("h1") == heading, f"the page headed {heading!r}")

    def type_into(self, selector: str, text: str) -> None:
        self.call("DOM.focus", nodeId=self.node(selector))
        self.call("Input.insertText", text=text)

    def click(self, selector: str) -> None:
        node = self.node(selector)
        self.call("DOM.scrollIntoViewIfNeeded", nodeId=node)
        quad = self.call("DOM.getBoxModel", nodeId=node)["model"]["content"]
        x, y = (quad[0] + quad[4]) / 2, (quad[1] + quad[5]) / 2
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def widths(self) -> tuple[float, float]:
        """(the page's content width, the viewport's width) in CSS pixels."""
        metrics = self.call("Page.getLayoutMetrics")
        return metrics["cssContentSize"]["width"], metrics["cssLayoutViewport"]["clientWidth"]

    def csp_violations(self) -> list[str]:
        texts = [event["params"]["entry"]["text"] for event in self.events if event["method"] == "Log.entryAdded"]
        return [text for text in texts if "Content Security Policy" in text]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = make_publication(tmp_path_factory.mktemp("web-browser"), [("asha@example.org", "active")])
    with running(root) as running_server:
        yield running_server


@pytest.fixture(scope="module")
def tab() -> Iterator[Tab]:
    with devtools_page() as url:
        tab = Tab(url)
        tab.call("Page.enable")
        tab.call("Log.enable")
        tab.call("Emulation.setScriptExecutionDisabled", value=True)
        tab.call("Emulation.setDeviceMetricsOverride", width=PHONE, height=800, deviceScaleFactor=1, mobile=True)
        yield tab
        tab.socket.close()


def fits(tab: Tab) -> None:
    content, viewport = tab.widths()
    assert viewport == PHONE
    assert content <= viewport, f"the page is {content}px wide on a {viewport}px screen"


def test_sign_up_and_confirm_without_javascript_at_375_px(server: Server, tab: Tab) -> None:
    tab.open(f"{server.base}/subscribe", "Subscribe to India and the World")
    fits(tab)
    tab.type_into("#email", "priya.new@example.org")
    tab.type_into("#name", "Priya")
    tab.click("button[type=submit]")
    tab.wait_for_heading("Check your inbox")
    fits(tab)
    assert "priya.new@example.org" in tab.text("main")
    link = link_in(server.wait_for_message("priya.new@example.org"), f"{server.base}/confirm?token=")
    tab.open(link, "Confirm your subscription")
    fits(tab)
    tab.click("button[type=submit]")
    tab.wait_for_heading("Thank you")
    fits(tab)
    apply_journal(server.root / "subscribers.csv", server.journal)
    rows = {row.email: row for row in read_subscribers(server.root / "subscribers.csv")}
    assert (rows["priya.new@example.org"].status, rows["priya.new@example.org"].name) == ("active", "Priya")
    assert tab.csp_violations() == []


def test_unsubscribe_page_and_its_button_without_javascript_at_375_px(server: Server, tab: Tab) -> None:
    token = make_token(TEST_SECRET, "unsubscribe", "asha@example.org")
    tab.open(f"{server.base}/unsubscribe?token={token}", "Unsubscribe")
    fits(tab)
    time.sleep(0.5)  # what a slow reader does: nothing, and nothing may change
    apply_journal(server.root / "subscribers.csv", server.journal)
    assert [
        row.status for row in read_subscribers(server.root / "subscribers.csv") if row.email == "asha@example.org"
    ] == ["active"]
    tab.click("button[type=submit]")
    tab.wait_for_heading("You are unsubscribed")
    fits(tab)
    apply_journal(server.root / "subscribers.csv", server.journal)
    assert [
        row.status for row in read_subscribers(server.root / "subscribers.csv") if row.email == "asha@example.org"
    ] == ["unsubscribed"]
    assert tab.csp_violations() == []


def test_the_archive_pages_fit_a_phone_with_their_sign_up_link(server: Server, tab: Tab) -> None:
    tab.open(f"{server.base}/2015-03-16.html", "India and the World")
    fits(tab)
    tab.click("a[href='/newsletter/subscribe']")
    tab.wait_for_heading("Subscribe to India and the World")
    tab.open(f"{server.base}/", "India and the World")
    fits(tab)
    assert tab.csp_violations() == []

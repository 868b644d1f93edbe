"""The email in real headless Chromium, as readers' clients show it: at 375 and 640 px, with and without its
<style> block, with images on and off, in light mode, in dark mode (prefers-color-scheme), in Outlook.com's dark
mode ([data-ogsc]/[data-ogsb]) and under the Gmail apps' own darkening. In each: no sideways scrolling, no stretched
image (the rendered shape within 2% of the image's own), short alt-text placeholders when images are off, tap
targets at least 44 px tall on a phone, and every text at WCAG AA contrast (4.5:1).

Images come from a local HTTP server that draws a PNG of the shape its name asks for ("thumb-3x4.png" is portrait),
so a stretched image shows as a wrong ratio.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from collections.abc import Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from browser import MEASURE, outlook_dark, run_in_page, without_styles
from conftest import DATA, ROOT, SAMPLE_ISSUE, TEST_SECRET, chromium_path, require
from newsletter.config import load_config
from newsletter.issue.load import load_issue
from newsletter.message.personalize import personalize, recipient_values

AA = 4.5
TAP = 44
# The 25-story digest: one lead card and four sections of six briefs, a thumbnail of another shape in each.
DIGEST_ISSUE = DATA / "issues" / "2015-03-23.yaml"
IMAGE_URL = re.compile(r'src="https://www\.indiawrites\.org/[^"]*?/([^/"]+)\.(?:png|jpe?g)"')


def png(width: int, height: int) -> bytes:
    """A solid PNG of the given size (stdlib only)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes((120, 110, 90)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def image_size(name: str) -> tuple[int, int]:
    """'thumb-3x4' -> a 3:4 image; anything else (the sample's photograph) 4:3, not the 16:9 the layout once forced."""
    found = re.search(r"(\d+)x(\d+)", name)
    across, down = (int(found.group(1)), int(found.group(2))) if found else (4, 3)
    width = 240 if name.startswith("thumb") else 1200
    return width, round(width * down / across)


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = png(*image_size(Path(self.path).stem))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    require(path is not None, "chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


@cache
def email(issue: Path) -> str:
    from newsletter.render.html import render_issue

    config = load_config(ROOT / "newsletter.toml")
    rendered = render_issue(load_issue(issue), config)
    return personalize(rendered.html, recipient_values(config, TEST_SECRET, "reader@example.org", "Reader"))


_RESULTS: dict[tuple[Any, ...], Any] = {}


def measure(
    chromium: str, server: str, issue: Path, width: int, *, styles: bool, images: bool, mode: str
) -> dict[str, Any]:
    """One Chromium run per view, shared by the tests that read it. mode: light, dark or outlook (Outlook.com's
    dark mode)."""
    key = (issue, width, styles, images, mode)
    if key not in _RESULTS:
        html = IMAGE_URL.sub(lambda m: f'src="{server}/{m.group(1)}.png"', email(issue))
        if not styles:
            html = without_styles(html)
        if mode == "outlook":
            html = outlook_dark(html)
        _RESULTS[key] = run_in_page(chromium, html, MEASURE, width, dark=mode == "dark", images=images)
    return _RESULTS[key]


VIEWS = [
    pytest.param(
        width,
        styles,
        images,
        mode,
        id=f"{width}px-{'style' if styles else 'nostyle'}-{'images' if images else 'noimages'}-{mode}",
    )
    for width in (375, 640)
    for styles in (True, False)
    for images in (True, False)
    for mode in ("light", "dark")
]
ISSUES = [pytest.param(SAMPLE_ISSUE, id="sample"), pytest.param(DIGEST_ISSUE, id="digest25")]


@pytest.mark.parametrize("issue", ISSUES)
@pytest.mark.parametrize(("width", "styles", "images", "mode"), VIEWS)
def test_every_view_fits_keeps_image_shapes_and_contrast(
    chromium: str, image_server: str, issue: Path, width: int, styles: bool, images: bool, mode: str
) -> None:
    result = measure(chromium, image_server, issue, width, styles=styles, images=images, mode=mode)
    assert result["width"] == width
    assert result["scrollWidth"] <= width, f"the page is {result['scrollWidth']} px wide in a {width} px window"
    # Dark mode applies where the <style> block survives; without it the client shows the light design.
    assert result["dark"] == (mode == "dark")
    dark = mode == "dark" and styles
    assert (result["bodyLuminance"] < 0.05) if dark else (result["bodyLuminance"] > 0.8)
    assert result["texts"] and [item for item in result["texts"] if item["ratio"] < AA] == []
    assert result["images"], "the issue has images"
    for image in result["images"]:
        assert image["right"] <= width + 0.5, image
        if images:
            assert image["loaded"], image
            shown, own = image["width"] / image["height"], image["naturalWidth"] / image["naturalHeight"]
            assert abs(shown / own - 1) <= 0.02, f"{image['src']} shown at {shown:.3f}, its own shape is {own:.3f}"
        else:
            # A short placeholder with the alt text in the middle, not an empty block of the image's size.
            assert not image["loaded"] and image["alt"], image
            assert image["height"] <= 64 and image["textAlign"] == "center", image


@pytest.mark.parametrize("issue", ISSUES)
@pytest.mark.parametrize("styles", [True, False], ids=["style", "nostyle"])
def test_tap_targets_on_a_phone(chromium: str, image_server: str, issue: Path, styles: bool) -> None:
    result = measure(chromium, image_server, issue, 375, styles=styles, images=False, mode="light")
    targets = [link for link in result["links"] if link["target"]]
    stories = len(load_issue(issue).articles)
    # Every headline, every "Read the full story", and the footer's and top bar's links.
    assert len(targets) >= stories + 3
    assert [link for link in targets if link["height"] < TAP] == []
    assert not any(link["text"].casefold() in ("read more", "here", "click here") for link in result["links"])


@pytest.mark.parametrize("issue", ISSUES)
def test_outlook_com_dark_mode(chromium: str, image_server: str, issue: Path) -> None:
    result = measure(chromium, image_server, issue, 640, styles=True, images=False, mode="outlook")
    assert not result["dark"]  # no prefers-color-scheme: the [data-ogsc]/[data-ogsb] rules alone darken it
    # Outlook.com shows the email inside its own page, so the email's wrapper, not <body>, is its background.
    assert result["pageLuminance"] < 0.05
    assert result["cardLuminances"] and max(result["cardLuminances"]) < 0.05
    assert [item for item in result["texts"] if item["ratio"] < AA] == []
    assert result["mastheadContrast"] >= 1.5


@pytest.mark.parametrize("issue", ISSUES)
def test_dark_masthead_stays_a_band(chromium: str, image_server: str, issue: Path) -> None:
    result = measure(chromium, image_server, issue, 640, styles=True, images=True, mode="dark")
    assert result["mastheadContrast"] >= 1.5
    assert result["cardLuminances"] and max(result["cardLuminances"]) < 0.05


@pytest.mark.parametrize("issue", ISSUES)
@pytest.mark.parametrize("styles", [True, False], ids=["style", "nostyle"])
def test_gmail_apps_darkening_stays_readable(chromium: str, image_server: str, issue: Path, styles: bool) -> None:
    # The Gmail apps ignore prefers-color-scheme and darken the light design themselves (see MEASURE): every
    # text keeps 4.5:1 under Android's partial inversion and iOS's full one.
    result = measure(chromium, image_server, issue, 375, styles=styles, images=False, mode="light")
    assert [item for item in result["texts"] if item["gmailAndroid"] < AA] == []
    assert [item for item in result["texts"] if item["gmailIos"] < AA] == []

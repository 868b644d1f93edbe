"""The sample issue in real headless Chromium: no sideways scrolling on a phone, dark mode darkens the page and
the cards, and every piece of text keeps WCAG AA contrast (4.5:1) in light and dark mode."""

from __future__ import annotations

from typing import Any

import pytest

from browser import MEASURE, run_in_page
from conftest import ROOT, SAMPLE_ISSUE, TEST_SECRET, chromium_path, require
from newsletter.config import load_config
from newsletter.issue import load_issue
from newsletter.personalize import personalize, recipient_values
from newsletter.render import render_issue

AA = 4.5


@pytest.fixture(scope="module")
def page() -> str:
    config = load_config(ROOT / "newsletter.toml")
    rendered = render_issue(load_issue(SAMPLE_ISSUE), config)
    return personalize(rendered.html, recipient_values(config, TEST_SECRET, "reader@example.org", "Reader"))


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    require(path is not None, "chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


def _low_contrast(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in result["texts"] if item["ratio"] < AA]


@pytest.mark.parametrize("width", [375, 640])
def test_no_horizontal_overflow(chromium: str, page: str, width: int) -> None:
    result = run_in_page(chromium, page, MEASURE, width)
    assert result["width"] == width
    assert result["scrollWidth"] <= result["width"], f"page is {result['scrollWidth']}px wide at {width}px"


@pytest.mark.parametrize("width", [375, 640])
def test_light_mode_contrast(chromium: str, page: str, width: int) -> None:
    result = run_in_page(chromium, page, MEASURE, width)
    assert not result["dark"]
    assert len(result["texts"]) > 20
    assert _low_contrast(result) == []
    assert result["bodyLuminance"] > 0.8
    assert result["cardLuminances"] and min(result["cardLuminances"]) > 0.9


def test_dark_mode_darkens_page_and_cards_and_keeps_contrast(chromium: str, page: str) -> None:
    result = run_in_page(chromium, page, MEASURE, 640, dark=True)
    assert result["dark"], "chromium did not apply prefers-color-scheme: dark"
    assert result["bodyLuminance"] < 0.05
    assert result["cardLuminances"] and max(result["cardLuminances"]) < 0.05
    assert len(result["texts"]) > 20
    assert _low_contrast(result) == []

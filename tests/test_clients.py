"""`newsletter check --clients`: the features found in the rendered HTML, caniemail's support for them in the major
clients, and whether this design holds there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ONE_CLICK_WARNING, ROOT, SAMPLE_ISSUE
from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.issue.load import load_issue
from newsletter.render.clients import CLIENTS, find_features, load_support, report_clients
from newsletter.render.html import render_issue


def test_features_are_found_in_tags_attributes_inline_styles_and_style_blocks() -> None:
    html = (
        '<!doctype html><html lang="en"><head><meta name="color-scheme" content="light dark">'
        "<style>@media (prefers-color-scheme: dark) { [data-ogsb] .card > p { color: #fff !important; } }</style>"
        '</head><body><table role="presentation" width="100%"><tr><td style="padding-top:4px;display:none">'
        '<img src="https://x.org/a.jpeg" alt="A" style="height:auto;max-width:50%"></td></tr></table></body></html>'
    )
    assert find_features(html) == {
        "html-doctype", "html-lang", "html-meta-color-scheme", "html-style", "html-body", "html-table", "html-role",
        "html-width", "html-img", "image-jpg", "css-at-media", "css-at-media-prefers-color-scheme",
        "css-selector-attribute", "css-selector-class", "css-selector-child", "css-selector-descendant",
        "css-selector-type", "css-color", "css-important", "css-padding", "css-display-none", "css-unit-px",
        "css-height", "css-max-width", "css-unit-percent",
    }  # fmt: skip


def test_the_shipped_data_covers_every_feature_the_templates_use() -> None:
    data = load_support()
    assert data["source"]["commit"] == "6b086a3483a92078ba5226626e13db6f0a95a113"
    config = load_config(ROOT / "newsletter.toml")
    used = find_features(render_issue(load_issue(SAMPLE_ISSUE), config).html)
    missing = sorted(slug for slug in used if slug in data["all_features"] and slug not in data["features"])
    assert missing == []
    for slug in used & set(data["features"]):
        assert set(data["features"][slug]["support"]) <= set(CLIENTS)


def test_the_design_holds_in_every_major_client() -> None:
    html = render_issue(load_issue(SAMPLE_ISSUE), load_config(ROOT / "newsletter.toml")).html
    reports = {report.client: report for report in report_clients(html)}
    assert list(reports) == list(CLIENTS)
    assert {client: report.verdict for client, report in reports.items()} == dict.fromkeys(CLIENTS, "holds")
    gmail = {gap.feature: gap for gap in reports["gmail/mobile-webmail"].gaps}
    # caniemail: Gmail's mobile web drops <style> and media queries; the inline styles carry the design there.
    assert gmail["html-style"].support == "n" and gmail["html-style"].holds
    assert gmail["css-at-media-prefers-color-scheme"].support == "n"
    outlook = {gap.feature: gap for gap in reports["outlook/outlook-com"].gaps}
    assert "css-at-media-prefers-color-scheme" not in outlook  # Outlook.com supports it (and [data-ogsc])


def test_a_feature_without_a_known_fallback_is_reported_as_not_assessed(
    publication: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A publication's profile template lays its links out with flexbox: caniemail tests that, the data for it is not
    # shipped, and nobody checked what this design becomes without it.
    (publication / "templates" / "profile.mjml.j2").write_text(
        '<p style="display:flex;margin:0 0 12px;">India Writes Network</p>\n', encoding="utf-8"
    )
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["check", "issues/2015-03-16.yaml", "--clients", "--json"])
    assert result.exit_code == 0, result.output
    clients = json.loads(result.stdout)["clients"]["clients"]
    assert [client["verdict"] for client in clients] == ["is not assessed"] * len(CLIENTS)
    assert clients[0]["gaps"][0] == {
        "feature": "css-display-flex",
        "title": "css-display-flex",
        "support": "u",
        "notes": [],
        "holds": None,
        "fallback": "support data not shipped with newsletter",
    }


def test_check_clients_prints_a_line_per_client(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["check", "issues/2015-03-16.yaml", "--clients"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines.pop(0) == ONE_CLICK_WARNING
    assert lines[0] == (
        "Client support of the rendered HTML (data: Can I email, https://www.caniemail.com/, MIT (repository "
        "LICENSE), by Rémi Parmentier and contributors, as of 2026-06-29):"
    )
    verdicts = [line for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert verdicts == [f"  {name}: the design holds." for name in CLIENTS.values()]
    assert (
        "    - <style> element: not supported: inline styles alone keep the layout fluid and every image in its shape (tested without it)."
        in lines
    )
    assert lines[-1] == "issues/2015-03-16.yaml: 0 error(s), 1 warning(s)."


def test_no_client_report_when_the_issue_does_not_render(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (publication / "templates" / "profile.mjml.j2").write_text("<p>{{ publisher.motto }}</p>\n", encoding="utf-8")
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["check", "issues/2015-03-16.yaml", "--clients"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        ONE_CLICK_WARNING,
        "No client report: the issue did not render (see the errors above).",
        "issues/2015-03-16.yaml: 1 error(s), 1 warning(s).",
    ]

"""One templating environment factory (newsletter.templating): the publication's templates over the built-ins,
built once per folder and kind, and a cached environment that notices a template saved later, an override of a
built-in included (Jinja's own check only watches the file it loaded)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jinja2
import pytest

from conftest import ROOT, SAMPLE_ISSUE
from newsletter.config import load_config
from newsletter.issue.load import load_issue
from newsletter.render.html import render_issue
from newsletter.templating import PACKAGE_TEMPLATES, template_environment


def test_one_environment_per_folder_and_kind(tmp_path: Path) -> None:
    html = template_environment(tmp_path, "html")
    assert template_environment(tmp_path, "html") is html
    assert template_environment(tmp_path, "text") is not html
    assert template_environment(tmp_path / "other", "html") is not html
    assert html.autoescape is True and template_environment(tmp_path, "text").autoescape is False
    assert template_environment(tmp_path, "text").keep_trailing_newline


def test_a_new_override_of_a_built_in_is_noticed_without_clearing_anything(tmp_path: Path) -> None:
    templates = tmp_path / "templates"  # does not exist yet when the environment is made
    env = template_environment(templates, "text")
    assert env.get_template("goodbye.txt.j2").render(**_reply_values()) != "Subject: Ours\n\nBye.\n"
    assert env.get_template("goodbye.txt.j2").filename == str(PACKAGE_TEMPLATES / "goodbye.txt.j2")
    templates.mkdir()
    (templates / "goodbye.txt.j2").write_text("Subject: Ours\n\nBye.\n", encoding="utf-8")
    assert env.get_template("goodbye.txt.j2").render() == "Subject: Ours\n\nBye.\n"
    # ...and a change to it, and its removal (the built-in again).
    override = templates / "goodbye.txt.j2"
    override.write_text("Subject: Ours\n\nGoodbye.\n", encoding="utf-8")
    os.utime(override, (1, 1))  # a different modification time, whatever the clock's resolution
    assert env.get_template("goodbye.txt.j2").render() == "Subject: Ours\n\nGoodbye.\n"
    override.unlink()
    assert env.get_template("goodbye.txt.j2").filename == str(PACKAGE_TEMPLATES / "goodbye.txt.j2")


def test_a_rendered_issue_takes_a_text_template_saved_after_the_first_render(tmp_path: Path) -> None:
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    config = load_config(tmp_path / "newsletter.toml")
    issue = load_issue(SAMPLE_ISSUE)
    before = render_issue(issue, config)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "issue.txt.j2").write_text("{{ issue.subject }} (plain)\n", encoding="utf-8")
    after = render_issue(issue, config)
    assert after.text == f"{issue.subject} (plain)\n" != before.text
    assert after.html == before.html


def test_templates_are_strict(tmp_path: Path) -> None:
    (tmp_path / "x.txt.j2").write_text("{{ missing }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        template_environment(tmp_path, "text").get_template("x.txt.j2").render()


def _reply_values() -> dict[str, str]:
    names = ("newsletter", "editor", "email", "name", "archive_url", "latest_issue_url", "postal_address",
             "website_url", "unsubscribe_url", "token")  # fmt: skip
    return dict.fromkeys(names, "x")

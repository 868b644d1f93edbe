"""`newsletter new`, newsletter.toml errors, and the CLI's error contract (one line, exit 1, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import ConfigError
from newsletter.issue import load_issue


def test_new_scaffolds_the_next_issue(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["new", "--date", "2015-03-23", "--title", "India and the Gulf"])
    assert result.exit_code == 0, result.output
    assert result.output == "issues/2015-03-23.yaml\n"
    text = (publication / "issues" / "2015-03-23.yaml").read_text(encoding="utf-8")
    assert 'subject: "India and the Gulf"\nnumber: 2\ndate: 2015-03-23\n' in text
    assert "# The subject line (10-78 characters)." in text
    # The scaffold is valid YAML; check then tells the editor what is still to fill in.
    check = CliRunner().invoke(cli, ["check", "issues/2015-03-23.yaml"])
    assert check.exit_code == 1
    # The scaffold's example text counts as unwritten: it must not reach readers.
    assert check.stderr.splitlines() == [
        "issues/2015-03-23.yaml:9:1: error: 'preheader' is empty: write the preheader.",
        "issues/2015-03-23.yaml:13:5: error: 'Write the lead-in here.' is the text 'newsletter new' wrote: replace "
        "it with your own.",
        "issues/2015-03-23.yaml:13:31: error: 'Then a sentence or two on what this issue is about.' is the text "
        "'newsletter new' wrote: replace it with your own.",
        "issues/2015-03-23.yaml:19:5: error: section 'Lead story' has no articles: add one or remove the section.",
        "issues/2015-03-23.yaml:34:5: error: section 'In brief' has no articles: add one or remove the section.",
    ]
    assert "    layout: briefs\n" in text


def test_new_refuses_to_overwrite(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["new", "--date", "2015-03-16"])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {publication / 'issues' / '2015-03-16.yaml'} already exists: edit it, or pass another --date.\n"
    )


def test_new_rejects_a_bad_date(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["new", "--date", "16/03/2015"])
    assert result.exit_code == 2
    assert "Invalid value for --date: '16/03/2015' is not a date: write YYYY-MM-DD." in result.stderr


def test_scaffold_fields_once_filled_pass_check(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    CliRunner().invoke(cli, ["new", "--date", "2015-03-23", "--title", "India and the Gulf this week"])
    path = publication / "issues" / "2015-03-23.yaml"
    text = path.read_text(encoding="utf-8").replace('preheader: ""', 'preheader: "' + "x" * 50 + '"')
    text = text.replace(
        "**Write the lead-in here.** Then a sentence or two on what this issue is about.", "**Gulf.** Oil."
    )
    for name in ("a", "b"):
        text = text.replace(
            "    articles: []",
            f'    articles:\n      - title: "{name}"\n        url: "https://www.indiawrites.org/{name}/"\n'
            '        summary: "S."',
            1,
        )
    path.write_text(text, encoding="utf-8")
    assert load_issue(path).number == 2
    assert CliRunner().invoke(cli, ["check", "issues/2015-03-23.yaml"]).exit_code == 0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[send]\nbatchsize = 10\n", "newsletter.toml:2: [send] unknown key 'batchsize' (did you mean 'batch_size'?)."),
        ("[sendgird]\nhost = 'x'\n", "newsletter.toml:1: unknown section [sendgird] (did you mean 'sendgrid'?)."),
        (
            "[send]\nprovider = 'mailgun'\n",
            "newsletter.toml:2: [send] 'provider' is 'mailgun': use one of outbox, sendgrid, smtp.",
        ),
        (
            "[send]\nbatch_size = 5000\n",
            "newsletter.toml: [send] batch_size is 5000: use 1 to 1000 (SendGrid takes at most 1000 recipients per request).",
        ),
        ("[smtp]\nport = '587'\n", "newsletter.toml:2: [smtp] 'port' must be a whole number, not '587'."),
        (
            "[unsubscribe]\nurl = 'http://x.org/u'\n",
            "newsletter.toml: [unsubscribe] url must start with https:// (one-click unsubscribe, RFC 8058).",
        ),
        (
            "[newsletter\nname = 'x'\n",
            "newsletter.toml: Expected ']' at the end of a table declaration (at line 1, column 12): fix the TOML syntax there.",
        ),
    ],
)
def test_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, message: str) -> None:
    (tmp_path / "newsletter.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("newsletter.toml"))
    assert str(caught.value) == message
    result = CliRunner().invoke(cli, ["check", "x.yaml"])
    assert (result.exit_code, result.stderr) == (1, f"error: {message}\n")


def test_no_config_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["render", "x.yaml"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no newsletter.toml in {tmp_path} or any folder above it:")
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--debug", "render", "x.yaml"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr

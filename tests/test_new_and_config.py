"""`newsletter new`, newsletter.toml errors, and the CLI's error contract (one line, exit 1, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import load_config
from newsletter.errors import ConfigError
from newsletter.issue.load import load_issue


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


def test_new_numbers_by_the_rules_check_applies(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A YAML 1.1 loader read `number: 017` as 15 and expanded the aliases of a hostile file; `new` now passes over
    what `check` refuses, and stays small on a billion laughs."""
    monkeypatch.chdir(publication)
    issues = publication / "issues"
    sample = (issues / "2015-03-16.yaml").read_text(encoding="utf-8")
    (issues / "2015-03-30.yaml").write_text(sample.replace("number: 1\n", "number: 017\n"), encoding="utf-8")
    (issues / "2015-04-06.yaml").write_text(sample.replace("number: 1\n", "number: 1:30\n"), encoding="utf-8")
    laughs = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))
    (issues / "2015-04-13.yaml").write_text(f"number: 99\nl0: &l0 [lol]\n{laughs}", encoding="utf-8")
    (issues / "2015-04-20.yaml").write_text("number: 7\nsubject: unfinished\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["new", "--date", "2015-04-27"])
    assert (result.exit_code, result.output) == (0, "issues/2015-04-27.yaml\n")
    assert "\nnumber: 8\n" in (issues / "2015-04-27.yaml").read_text(encoding="utf-8")


def test_new_rejects_a_bad_date(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["new", "--date", "16/03/2015"])
    assert result.exit_code == 2
    assert "Invalid value for --date: '16/03/2015' is not a date: write YYYY-MM-DD." in result.stderr


def test_new_refuses_a_title_of_more_than_one_line(publication: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(publication)
    result = CliRunner().invoke(cli, ["new", "--date", "2015-03-23", "--title", "India and\u2028the Gulf"])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for --title: it contains U+2028 LINE SEPARATOR: write the subject on one line.\n"
    )
    assert not (publication / "issues" / "2015-03-23.yaml").exists()


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


TIMEOUT_FIX = "give the seconds to wait for an answer, more than 0 and at most 600 (e.g. timeout = 30)."
SENDGRID_HOST_FIX = 'not the address of SendGrid\'s API: write it without /v3, e.g. host = "https://api.sendgrid.com".'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[sendgrid]\ntimeout = -1\n", f"newsletter.toml:2: [sendgrid] 'timeout' is -1.0: {TIMEOUT_FIX}"),
        ("[sendgrid]\ntimeout = 0\n", f"newsletter.toml:2: [sendgrid] 'timeout' is 0.0: {TIMEOUT_FIX}"),
        ("[smtp]\n\ntimeout = nan\n", f"newsletter.toml:3: [smtp] 'timeout' is nan: {TIMEOUT_FIX}"),
        ("[smtp]\ntimeout = inf\n", f"newsletter.toml:2: [smtp] 'timeout' is inf: {TIMEOUT_FIX}"),
        ("[smtp]\ntimeout = 601\n", f"newsletter.toml:2: [smtp] 'timeout' is 601.0: {TIMEOUT_FIX}"),
        ("[sendgrid]\ntimeout = '30'\n", "newsletter.toml:2: [sendgrid] 'timeout' must be a number, not '30'."),
        ("[sendgrid]\nhost = 'not a url'\n", f"newsletter.toml:2: [sendgrid] 'host' is 'not a url', {SENDGRID_HOST_FIX}"),
        ("[sendgrid]\nhost = 'https://api.sendgrid.com/v3'\n",
         f"newsletter.toml:2: [sendgrid] 'host' is 'https://api.sendgrid.com/v3', {SENDGRID_HOST_FIX}"),
        ("[sendgrid]\nhost = 'https://[::1'\n", f"newsletter.toml:2: [sendgrid] 'host' is 'https://[::1', {SENDGRID_HOST_FIX}"),
        ("[sendgrid]\nhost = 'https://api.sendgrid.com:99999'\n",
         f"newsletter.toml:2: [sendgrid] 'host' is 'https://api.sendgrid.com:99999', {SENDGRID_HOST_FIX}"),
        ("[sendgrid]\nhost = 'http://api.sendgrid.com'\n",
         "newsletter.toml:2: [sendgrid] 'host' is 'http://api.sendgrid.com': the API key would cross the network "
         "unencrypted; use https:// (http:// is only for a test server on localhost, 127.0.0.1 or ::1)."),
        ("[sendgrid]\nhost = 'http://127.0.0.1.example.org'\n",
         "newsletter.toml:2: [sendgrid] 'host' is 'http://127.0.0.1.example.org': the API key would cross the network "
         "unencrypted; use https:// (http:// is only for a test server on localhost, 127.0.0.1 or ::1)."),
        ("[smtp]\nhost = 'mail.example.org'\nsecurity = 'none'\nusername = 'editor'\n",
         "newsletter.toml:3: [smtp] 'security' is 'none' and 'username' is set: the password would reach "
         'mail.example.org unencrypted; set security = "starttls" (port 587) or "tls" (port 465).'),
        ("[smtp]\nport = 99999\n", "newsletter.toml:2: [smtp] 'port' is 99999: use the server's port, 1 to 65535 (e.g. port = 587)."),
        ("[smtp]\nhost = 'smtp://mail.example.org:25'\n",
         "newsletter.toml:2: [smtp] 'host' is 'smtp://mail.example.org:25': write the mail server's name alone, without "
         'scheme, port or path (e.g. host = "smtp.sendgrid.net").'),
        ("[sendgrid]\nasm_group_id = -1\n",
         "newsletter.toml:2: [sendgrid] 'asm_group_id' is -1: use the id SendGrid shows for the unsubscribe group, or 0 for none."),
        ('[newsletter]\nfrom_name = "Editor\\r\\nBcc: reader@example.org"\n',
         "newsletter.toml:2: [newsletter] 'from_name' contains U+000D CARRIAGE RETURN: remove it."),
        ('[newsletter]\nname = "India and the World\\u202e"\n',
         "newsletter.toml:2: [newsletter] 'name' contains U+202E RIGHT-TO-LEFT OVERRIDE: remove it."),
        ('[newsletter]\nname = "\\u001b]0;owned\\u0007"\n',
         "newsletter.toml:2: [newsletter] 'name' contains U+001B ESCAPE: remove it."),
        ("[send]\nbatch_size = [1, 2]\n", "newsletter.toml:2: [send] 'batch_size' must be a whole number, not [1, 2]."),
        ("[send]\nbatch_size = " + "9" * 5000 + "\n",
         "newsletter.toml: a number in it has thousands of digits, which no setting needs: fix it."),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n",
         "newsletter.toml: values are nested too deeply to read: no setting holds more than one value."),
        ("[unsubscribe]\nurl = 'https://'\n",
         "newsletter.toml:2: [unsubscribe] 'url' is 'https://', without a host: write the full address of the unsubscribe page."),
        ("# " + "x" * 262_144 + "\n",
         "newsletter.toml: the file is larger than 256 KB, and the settings are a few lines: check that this is "
         "newsletter.toml."),
    ],
)  # fmt: skip
def test_hostile_or_unsafe_settings_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, message: str
) -> None:
    (tmp_path / "newsletter.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("newsletter.toml"))
    assert str(caught.value) == message
    result = CliRunner().invoke(cli, ["check", "x.yaml"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {message}\n")


@pytest.mark.parametrize(
    "toml",
    [
        "[sendgrid]\nhost = 'http://localhost:8080'\n",  # the tests' fake SendGrid, and staging on this machine
        "[sendgrid]\nhost = 'http://127.0.0.1:9/'\n",
        "[sendgrid]\nhost = 'http://[::1]:9'\n",
        "[smtp]\nhost = 'localhost'\nsecurity = 'none'\nusername = 'editor'\n",  # a relay on this machine
        "[smtp]\nhost = 'mail.example.org'\nsecurity = 'none'\n",  # no login: no password to expose
        '[newsletter]\npostal_address = """TGII Media Private Limited\nNew Delhi, India"""\n',
    ],
)
def test_local_plain_connections_and_multiline_addresses_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str
) -> None:
    (tmp_path / "newsletter.toml").write_text(toml, encoding="utf-8")
    assert load_config(tmp_path / "newsletter.toml").path == tmp_path / "newsletter.toml"


def test_settings_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_bytes(b"[newsletter]\nname = 'Caf\xe9'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:2: byte 0xe9 is not UTF-8: save the file as UTF-8."


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

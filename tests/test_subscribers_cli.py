"""`newsletter subscribers ...`: the commands editors type, their exact output and exit codes."""

from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_files import fill, small_disk

from conftest import DATA, ROOT
from newsletter.cli import cli
from newsletter.subscribers import listing as subscribers_module


def invoke(publication: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(publication / "newsletter.toml"), *args], catch_exceptions=False)


def test_list_and_filter_by_status(publication: Path) -> None:
    result = invoke(publication, "subscribers", "list")
    assert (result.exit_code, result.output) == (
        0,
        "priya.sharma@example.org\tPriya Sharma\tactive\n"
        "rahul.verma@example.com\tRahul Verma\tactive\n"
        "ananya.mishra@example.net\tअनन्या मिश्रा\tactive\n"
        "meera.iyer@example.org\tMeera Iyer\tpending\n"
        "john.doe@example.com\tJohn Doe\tunsubscribed\n",
    )
    assert invoke(publication, "subscribers", "list", "--status", "pending").output == (
        "meera.iyer@example.org\tMeera Iyer\tpending\n"
    )


def test_add_remove_and_the_sticky_refusal(publication: Path) -> None:
    result = invoke(publication, "subscribers", "add", "Nikhil.Rao@Example.COM", "--name", "Nikhil Rao")
    assert (result.exit_code, result.output) == (0, "added Nikhil.Rao@example.com (active)\n")
    result = invoke(publication, "subscribers", "add", "john.doe@example.com")
    assert (result.exit_code, result.output) == (
        1,
        "error: john.doe@example.com is unsubscribed (line 6): only the reader's own request can subscribe it again.\n",
    )
    result = invoke(publication, "subscribers", "remove", "nikhil.rao@example.com", "--reason", "asked on the phone")
    assert (result.exit_code, result.output) == (0, "Nikhil.Rao@example.com is now unsubscribed (was active)\n")
    last = (publication / "subscribers.csv").read_text().splitlines()[-1]
    assert last.startswith("Nikhil.Rao@example.com,Nikhil Rao,unsubscribed,")
    assert last.endswith(",asked on the phone")


def test_invalid_rows_are_warned_about_on_stderr(publication: Path) -> None:
    path = publication / "subscribers.csv"
    path.write_text(path.read_text() + "oops,Someone,active,,,,,\n")
    result = CliRunner().invoke(cli, ["--config", str(publication / "newsletter.toml"), "subscribers",
                                                      "list", "--status", "invalid"])  # fmt: skip
    assert result.exit_code == 0
    assert result.stdout == "oops\tSomeone\tinvalid\n"
    assert result.stderr == (
        f"warning: {path}:7: 'oops' is not a valid email address (An email address must have an @-sign.): "
        "correct it or delete the row.\n"
    )


def test_import_reports_every_row(publication: Path) -> None:
    result = invoke(publication, "subscribers", "import", str(DATA / "imports" / "plain_list.txt"))
    assert (result.exit_code, result.output) == (
        0,
        "line 1: plain.one@example.org: added (active)\n"
        "line 2: Plain.Two@example.org: added (active)\n"
        "line 4: 'not an address' is not a valid email address (An email address must have an @-sign.): skipped\n"
        "imported plain_list.txt (plain): 2 added, 1 invalid.\n",
    )


def test_export_to_stdout_and_to_a_file(publication: Path, tmp_path: Path) -> None:
    result = invoke(publication, "subscribers", "export", "--status", "unsubscribed")
    assert result.output == (
        "email,name,status,joined_at,source,consent,updated_at,reason\n"
        "john.doe@example.com,John Doe,unsubscribed,2015-01-05T08:00:00Z,cli,,2015-03-01T12:00:00Z,"
        "reader's email <5E8A1C@example.com>\n"
    )
    target = tmp_path / "out.csv"
    result = invoke(publication, "subscribers", "export", str(target))
    assert result.exit_code == 0
    assert len(target.read_text().splitlines()) == 6


def test_stats(publication: Path) -> None:
    assert invoke(publication, "subscribers", "stats").output == (
        "active               3\n"
        "pending              1\n"
        "unsubscribed         1\n"
        "bounced              0\n"
        "complained           0\n"
        "invalid              0\n"
        "\n"
        "month      joined    left    total\n"
        "2015-01         1       0        1\n"
        "2015-02         3       0        4\n"
        "2015-03         0       1        3\n"
    )


def test_a_spreadsheet_saved_as_xlsx_is_a_one_line_error(publication: Path) -> None:
    path = publication / "subscribers.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00")
    result = invoke(publication, "subscribers", "add", "a@example.org")
    assert (result.exit_code, result.output) == (
        1,
        f"error: {path} is not a CSV file (it looks like an Excel or OpenDocument workbook): save it from your "
        "spreadsheet as 'CSV UTF-8 (comma delimited)'.\n",
    )
    assert path.read_bytes() == b"PK\x03\x04\x14\x00\x06\x00"


def test_subscribers_csv_replaced_by_a_folder_is_a_one_line_error_for_every_command(publication: Path) -> None:
    path = publication / "subscribers.csv"
    path.unlink()
    path.mkdir()
    message = (
        f"error: cannot read {path}: it is a folder, not a file (Is a directory): move the folder out of the way, "
        "then run the command again.\n"
    )
    source = DATA / "imports" / "plain_list.txt"
    for args in (["list"], ["add", "a@example.org"], ["remove", "a@example.org"], ["import", str(source)],
                 ["export"], ["stats"]):  # fmt: skip
        result = CliRunner().invoke(cli, ["--config", str(publication / "newsletter.toml"), "subscribers", *args])
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message), args


def test_a_full_disk_or_a_read_only_one_is_a_one_line_error(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        for name in ("newsletter.toml", "subscribers.csv"):
            shutil.copy(ROOT / name, disk / name)
        path = disk / "subscribers.csv"
        before = path.read_bytes()
        fill(disk)
        result = invoke(disk, "subscribers", "add", "new@example.org", "--name", "N" * 150)
        assert (result.exit_code, result.output) == (
            1,
            f"error: cannot write {path}: the disk is full (No space left on device): free some space, then run "
            "the command again (nothing was changed).\n",
        )
        assert path.read_bytes() == before
        # No temporary file, and no lock file either: it goes when the lock is released.
        assert sorted(p.name for p in disk.iterdir()) == ["fill", "newsletter.toml", "subscribers.csv"]
        (disk / "fill").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = invoke(disk, "subscribers", "remove", "priya.sharma@example.org")
        assert (result.exit_code, result.output) == (
            1,
            f"error: cannot create the lock {path}.lock: the disk is mounted read-only (Read-only file system): "
            "remount it read-write or work on a copy, then run the command again (nothing was changed).\n",
        )
        assert invoke(disk, "subscribers", "list", "--status", "pending").output == (
            "meera.iyer@example.org\tMeera Iyer\tpending\n"
        )


def test_an_unexpected_os_error_is_one_line_and_a_traceback_only_with_debug(
    publication: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(path: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/newsletter/subscribers.csv")

    monkeypatch.setattr(subscribers_module, "read_current", failing)
    config = ["--config", str(publication / "newsletter.toml")]
    result = CliRunner().invoke(cli, [*config, "subscribers", "stats"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "error: /srv/newsletter/subscribers.csv: Permission denied\n",
    )
    result = CliRunner().invoke(cli, [*config, "--debug", "subscribers", "stats"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: /srv/newsletter/subscribers.csv: Permission denied\nTraceback")
    assert result.stderr.endswith("PermissionError: [Errno 13] Permission denied: '/srv/newsletter/subscribers.csv'\n")


def test_error_messages_quoting_outside_text_are_escaped(publication: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(publication / "newsletter.toml"), "subscribers", "remove", "\x1b[2Jx@example.org"]
    )
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: \\x1b[2Jx@example.org is not in {publication / 'subscribers.csv'}: check the spelling with "
        "`newsletter subscribers list`.\n",
    )

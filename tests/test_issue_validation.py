"""Every bad issue file gets exactly the expected findings, with file:line:column and a fix, and exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, ROOT, SAMPLE_ISSUE
from newsletter.cli import cli
from newsletter.errors import IssueError
from newsletter.issue.load import load_issue
from newsletter.issue.yamltext import MAX_ISSUE_BYTES

BAD = DATA / "bad_issues"
EXPECTED: dict[str, list[str]] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))


def test_corpus_is_large_enough() -> None:
    assert len(EXPECTED) >= 25
    assert sorted(EXPECTED) == sorted(path.name for path in BAD.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_reports_every_problem(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    (tmp_path / "issues").mkdir()
    shutil.copy(BAD / name, tmp_path / "issues" / name)
    monkeypatch.chdir(tmp_path)
    path = f"issues/{name}"
    result = CliRunner().invoke(cli, ["check", path])
    assert result.exit_code == 1
    expected = [line.replace("{path}", path) for line in EXPECTED[name]]
    assert result.stderr.splitlines() == expected
    assert "Traceback" not in result.output


def test_render_of_a_bad_issue_prints_the_same_lines_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(ROOT / "newsletter.toml", tmp_path / "newsletter.toml")
    shutil.copy(BAD / "01-unknown-key-typo.yaml", tmp_path / "bad.yaml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["render", "bad.yaml"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "bad.yaml:10:9: error: missing required key 'summary' in an article: "
        "add a short summary (Markdown) written from the article.",
        "bad.yaml:12:9: error: unknown key 'sumary' (did you mean 'summary'?).",
    ]
    assert not (tmp_path / "build").exists()


def test_missing_file_is_one_line() -> None:
    with pytest.raises(IssueError) as caught:
        load_issue(Path("issues/1999-01-01.yaml"))
    assert caught.value.problems == [
        "issues/1999-01-01.yaml: no such issue file: check the path, or create it with 'newsletter new'."
    ]


def test_sample_issue_loads_into_the_model() -> None:
    issue = load_issue(SAMPLE_ISSUE)
    assert issue.slug == "2015-03-16"
    assert issue.number == 1
    assert issue.date.isoformat() == "2015-03-16"
    assert [section.heading for section in issue.sections] == ["Lead story", "About India Writes Network"]
    lead = issue.sections[0].articles[0]
    assert lead.title == "Putin to meet top aide to Chinese president"
    assert lead.image_alt.startswith("Associated Press photograph")


def test_yaml_booleans_and_numbers_stay_text(tmp_path: Path) -> None:
    source = SAMPLE_ISSUE.read_text(encoding="utf-8").replace(
        'title: "International affairs and the India Story"', "title: Yes"
    )
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(source, encoding="utf-8")
    assert load_issue(path).sections[1].articles[0].title == "Yes"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "2015-03-16.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE_ISSUE.read_bytes().replace(b"\n", b"\r\n"))
    assert load_issue(path).subject == "Putin to meet top aide to Chinese president"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "2015-03-16.yaml"
    path.write_bytes(SAMPLE_ISSUE.read_bytes() + b"#" * MAX_ISSUE_BYTES)
    with pytest.raises(IssueError) as caught:
        load_issue(path)
    assert caught.value.problems == [
        f"{path}: the file is larger than 1 MB, and an issue is a few kilobytes: check that this is the issue file."
    ]


@pytest.mark.parametrize(
    "title", ["yes", "No", "on", "OFF", "y", "~ tilde", "1:30", "0x1f", "017", ".inf", "2015-02-30"]
)
def test_yaml_1_1_values_stay_text_as_written(tmp_path: Path, title: str) -> None:
    source = SAMPLE_ISSUE.read_text(encoding="utf-8").replace(
        'title: "International affairs and the India Story"', f"title: {title}"
    )
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(source, encoding="utf-8")
    assert load_issue(path).sections[1].articles[0].title == title


def test_the_aliases_are_refused_before_anything_expands(tmp_path: Path) -> None:
    """4000 aliases of a section holding 4000 aliases of an article: 16 million articles from 24 KB."""
    head = SAMPLE_ISSUE.read_text(encoding="utf-8").split("sections:")[0]
    article = 'x: &a {title: "T", url: "https://www.indiawrites.org/a/", summary: "S."}\n'
    section = "y: &s {heading: Lead, articles: [" + ",".join(["*a"] * 4000) + "]}\n"
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(head + article + section + "sections: [" + ",".join(["*s"] * 4000) + "]\n", encoding="utf-8")
    line = head.count("\n") + 2
    with pytest.raises(IssueError) as caught:
        load_issue(path)
    assert caught.value.problems == [
        f"{path}:{line}:34: '*a' is a YAML alias, which an issue file never needs (aliases can make a small file "
        "expand without end): write the value out in full."
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("!!int +", "'number' must be a whole number written in digits, e.g. number: 12, not '+'."),
        ("!!int ١٢", "'number' must be a whole number written in digits, e.g. number: 12, not '١٢'."),
        ("0b101", "'number' must be a whole number written in digits, e.g. number: 12, not '0b101'."),
        ("1_000", "'number' must be a whole number written in digits, e.g. number: 12, not '1_000'."),
        ("-0", "'number' must be 1 or more, not 0."),
        ("+017", "'number' is +017: write it without the leading zero (YAML reads +017 as an octal number), e.g. number: 17."),
    ],
)  # fmt: skip
def test_yaml_1_1_numbers_are_refused_with_the_fix(tmp_path: Path, written: str, message: str) -> None:
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(SAMPLE_ISSUE.read_text(encoding="utf-8").replace("number: 1\n", f"number: {written}\n"), "utf-8")
    with pytest.raises(IssueError) as caught:
        load_issue(path)
    assert caught.value.problems == [f"{path}:7:9: {message}"]


def test_plain_digits_with_a_plus_are_a_number(tmp_path: Path) -> None:
    path = tmp_path / "2015-03-16.yaml"
    path.write_text(SAMPLE_ISSUE.read_text(encoding="utf-8").replace("number: 1\n", "number: +12\n"), "utf-8")
    assert load_issue(path).number == 12

"""The issue file as YAML text: read within limits, composed into nodes, and a syntax error placed where the
editor has to look.

PyYAML's composer (the C one where available: about 50 times faster than a round-trip loader) gives every node
its position, so each finding points at the exact place the editor has to change. Aliases and deep nesting, which
an issue never needs and a hostile file uses to exhaust memory, are refused before anything is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from newsletter.clean import show
from newsletter.errors import IssueError

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

# An issue is a few kilobytes (the sample is 3 KB; fifty articles would be some 40 KB): a megabyte is not an issue.
MAX_ISSUE_BYTES = 1024 * 1024
# The issue's own structure is five levels deep (issue, sections, a section, articles, an article).
MAX_DEPTH = 10
SHOWN_CHARS = 60  # of a value repeated in a message: enough to recognise it


def shown(value: str) -> str:
    """`value` as a message repeats it: cut to SHOWN_CHARS, escapes written out so a terminal shows, not obeys, them."""
    return show(value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 1] + "…")


def check_yaml_limits(text: str, display: str) -> None:
    """Refuse, before anything is built from it, YAML an issue never needs and a hostile file uses to exhaust memory:
    more than MAX_ISSUE_BYTES, aliases, nesting deeper than MAX_DEPTH.

    An alias makes a node appear again wherever it is named: ten aliases of ten aliases ("billion laughs") make a
    24 KB file read as sixteen million articles, and composing does not expand them but every walk over the tree
    does. The scan goes through libyaml's events, which are flat and expand nothing. A syntax error found here is
    reported as `check` reports it."""
    if len(text) > MAX_ISSUE_BYTES:
        raise IssueError([too_large(display)])
    try:
        limit_events(yaml.parse(text, Loader=_Loader), display, PYYAML_EVENTS)
    except yaml.YAMLError as error:
        raise IssueError([yaml_error(error, display, text)]) from None


# (alias, start of a mapping or list, end of one): ruamel.yaml's event classes have the same shape.
PYYAML_EVENTS = (yaml.AliasEvent, yaml.CollectionStartEvent, yaml.CollectionEndEvent)


def limit_events(events: Iterable[Any], display: str, kinds: tuple[type, type, type]) -> None:
    """Raise IssueError at the first alias, or where the nesting goes deeper than MAX_DEPTH, in a YAML event stream."""
    alias, start, end = kinds
    depth = 0
    for event in events:
        if isinstance(event, alias):
            name = shown(str(getattr(event, "anchor", "") or ""))
            raise IssueError([f"{_where(display, event)}: {ALIAS_MESSAGE.format(name=name)}"])
        if isinstance(event, start):
            depth += 1
            if depth > MAX_DEPTH:
                raise IssueError([f"{_where(display, event)}: {DEPTH_MESSAGE}"])
        elif isinstance(event, end):
            depth -= 1


ALIAS_MESSAGE = (
    "'*{name}' is a YAML alias, which an issue file never needs (aliases can make a small file expand without "
    "end): write the value out in full."
)
DEPTH_MESSAGE = (
    f"the YAML is nested more than {MAX_DEPTH} levels deep, and an issue needs five (sections, a section, "
    "articles, an article): remove the extra nesting."
)


def too_large(display: str) -> str:
    return (
        f"{display}: the file is larger than {MAX_ISSUE_BYTES // 1048576} MB, and an issue is a few kilobytes: "
        "check that this is the issue file."
    )


def _where(display: str, event: Any) -> str:
    mark = event.start_mark
    return f"{display}:{mark.line + 1}:{mark.column + 1}"


def yaml_error(error: yaml.YAMLError, display: str, text: str) -> str:
    """PyYAML's error as 'file:line:col: invalid YAML ...: fix', at the line that opened the problem."""
    if isinstance(error, yaml.MarkedYAMLError):
        line, column, message = syntax_problem(text, error)
        return f"{display}:{line}:{column}: {message}"
    return f"{display}:1:1: invalid YAML ({error}): fix the syntax."


def read_issue_text(path: Path) -> str:
    """The issue file's text (UTF-8, a BOM dropped), at most MAX_ISSUE_BYTES; IssueError names what is wrong."""
    display = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_ISSUE_BYTES + 1)  # never more: the size is checked before anything is parsed
    except FileNotFoundError:
        raise IssueError(
            [f"{display}: no such issue file: check the path, or create it with 'newsletter new'."]
        ) from None
    except OSError as error:
        raise IssueError([f"{display}: cannot read the file ({error.strerror})."]) from None
    if len(data) > MAX_ISSUE_BYTES:
        raise IssueError([too_large(display)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise IssueError(
            [f"{display}:{line}:{column}: byte 0x{data[error.start]:02x} is not UTF-8: save the file as UTF-8."]
        ) from None


def compose_issue(text: str, display: str) -> yaml.Node | None:
    """The issue's YAML node tree (None for an empty file), once the text is within the limits."""
    check_yaml_limits(text, display)
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise IssueError([yaml_error(error, display, text)]) from None


def syntax_problem(text: str, error: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """(line, column, message) of a YAML syntax error, at the line that opened the problem.

    An unclosed quote is the usual culprit, and YAML reports it far from where it is: at the end of the file, or
    (a quoted value may run over several lines) where the next quote closes it, lines later."""
    if error.context == "while scanning a quoted scalar" and error.context_mark is not None:
        opening = error.context_mark
        quote = text[opening.index] if opening.index < len(text) else '"'
        return (
            opening.line + 1,
            opening.column + 1,
            f"invalid YAML: the quote {quote} that opens here is never closed: close it at the end of the value.",
        )
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return 1, 1, f"invalid YAML ({error.problem}): fix the syntax."
    opened = _quote_closed_on_line(text, mark)
    if opened is not None:
        return (
            opened.line + 1,
            opened.column + 1,
            f"invalid YAML: the quote {text[opened.index]} that opens here is not closed on this line (YAML reads "
            f"on to the next {text[opened.index]}, on line {mark.line + 1}): close it at the end of the value.",
        )
    return mark.line + 1, mark.column + 1, f"invalid YAML ({error.problem}): fix the syntax at this place."


def _quote_closed_on_line(text: str, mark: yaml.Mark) -> yaml.Mark | None:
    """Where a quoted value starts that runs over several lines and closes on the error's line, if one does."""
    found = None
    try:
        for token in yaml.scan(text[: mark.index], Loader=yaml.SafeLoader):
            if not isinstance(token, yaml.ScalarToken):
                continue
            if token.style in ('"', "'") and token.end_mark.line > token.start_mark.line:
                found = token
            elif found is not None and token.start_mark.line > found.end_mark.line:
                found = None
    except yaml.YAMLError:
        pass
    if found is None or found.end_mark.line != mark.line:
        return None
    start: yaml.Mark = found.start_mark
    return start

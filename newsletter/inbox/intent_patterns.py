"""What a phrase table's regular expression can start with, and what any of its matches must hold: worked out
once from the parsed expression (Python's own parser), so that intent_cues can try at each word only the phrases
that may start there, and skip at once a sentence that holds none of the words every phrase needs. Also the trie
that turns a list of literal phrases into one expression."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

# The Devanagari danda and the Arabic-script full stop, comma and question mark are punctuation, not letters.
LETTER = r"\w\u0300-\u036f\u0900-\u0963\u0966-\u0dff\u0610-\u061a\u064b-\u065f\u06d6-\u06ed"
LEFT = f"(?<![{LETTER}])"
RIGHT = f"(?![{LETTER}])"


# A word as intent_cues looks words up: letters with their marks, joined by an apostrophe or a hyphen.
WORD = re.compile(f"(?<![{LETTER}])[{LETTER}]+(?:['-][{LETTER}]+)*")
# Python's own parser of regular expressions (re._parser since 3.11, sre_parse before): private, so every use is
# guarded. Should its shape change, first_words says None and needed_words raises ValueError: intent_cues then
# tries every phrase at every word and reads every sentence, slower and with the same results.
_PARSER: Any = importlib.import_module("re._parser")


def parse(pattern: str) -> list[Any]:
    """The items of `pattern` as Python's regular expression parser reads them; ValueError if it cannot."""
    try:
        return list(_PARSER.parse(pattern))
    except (AttributeError, TypeError, re.error) as error:
        raise ValueError(f"cannot parse {pattern!r}: {error}") from error


_Node = dict[str, "_Node"]


def trie_regex(words: Iterable[str]) -> str:
    """One regular expression matching any of `words` (literal), longest first, without trying each in turn."""
    root: _Node = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Node) -> str:
        branches = [(" +" if key == " " else re.escape(key)) + build(node[key]) for key in sorted(node) if key]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return body + "?" if len(branches) == 1 and len(branches[0]) == 1 else f"(?:{body})?"
        return body

    return build(root)


class _Wild(Exception):
    """A phrase whose first word cannot be listed: it is tried at every word."""


def first_words(pattern: str) -> frozenset[str] | None:
    """Every word `pattern` can start with, or None when they cannot be listed."""
    found: set[str] = set()
    try:
        _walk(parse(pattern), "", found)
    except (_Wild, RecursionError, ValueError, TypeError, AttributeError):
        return None
    return None if "" in found or not found else frozenset(found)


def _walk(items: list[Any], prefix: str, found: set[str]) -> None:
    if len(found) > 400:
        raise _Wild
    if not items:
        found.add(prefix)
        return
    (op, value), rest = items[0], items[1:]
    name = op.name
    if name in ("LITERAL", "IN"):
        for char in _chars(name, value):
            if WORD.fullmatch("a" + char + "a"):
                _walk(rest, prefix + char, found)
            else:
                found.add(prefix)
    elif name == "BRANCH":
        for branch in value[1]:
            _walk(list(branch) + rest, prefix, found)
    elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
        _walk(list(value[-1] if name == "SUBPATTERN" else value) + rest, prefix, found)
    elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = value[0], value[1], list(value[2])
        if high > low + 1:
            probe: set[str] = set()
            _walk(sub, "", probe)
            if probe != {""}:
                raise _Wild  # a repeated letter: the word can be of any length
        for count in sorted({low, min(low + 1, high)}):
            _walk(sub * count + rest, prefix, found)
    elif name in ("AT", "ASSERT", "ASSERT_NOT"):
        _walk(rest, prefix, found)
    elif name == "CATEGORY" and value.name == "CATEGORY_SPACE":
        found.add(prefix)
    else:
        raise _Wild


def _chars(name: str, value: Any) -> list[str]:
    if name == "LITERAL":
        return [chr(value)]
    chars: list[str] = []
    for op, item in value:
        if op.name == "LITERAL":
            chars.append(chr(item))
        elif op.name == "RANGE" and item[1] - item[0] < 64:
            chars.extend(map(chr, range(item[0], item[1] + 1)))
        elif op.name == "CATEGORY" and item.name == "CATEGORY_SPACE":
            chars.append(" ")
        else:
            raise _Wild
    return chars


def needed_words(items: list[Any], at_start: bool = True) -> set[str] | None:
    """Words one of which every match of `items` (a parsed expression) holds, the rarest such choice: the words
    that can stand at a place every match goes through and where a word starts (the start, or after a space)."""
    choices: list[set[str]] = []
    aligned = at_start
    for index, (op, value) in enumerate(items):
        name = op.name
        if aligned:
            words: set[str] = set()
            try:
                _walk(items[index:], "", words)
            except _Wild:
                words = set()
            if words and "" not in words:
                choices.append(words)
        found: set[str] | None = None
        if name == "BRANCH":
            branches = [needed_words(list(branch), aligned) for branch in value[1]]
            found = set().union(*branches) if all(branches) else None  # type: ignore[arg-type]
        elif name == "SUBPATTERN":
            found = needed_words(list(value[-1]), aligned)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:
            found = needed_words(list(value[2]), aligned)
        if found:
            choices.append(found)
        if name not in ("AT", "ASSERT", "ASSERT_NOT"):
            aligned = _is_space((op, value))
    return max(choices, key=rarity) if choices else None


def _is_space(item: Any) -> bool:
    op, value = item
    if op.name == "LITERAL":
        return bool(chr(value) == " ")
    if op.name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return bool(value[2]) and _is_space(list(value[2])[-1])
    if op.name == "BRANCH":
        return all(branch and _is_space(list(branch)[-1]) for branch in value[1])
    return bool(op.name == "CATEGORY" and value.name == "CATEGORY_SPACE")


# Words too common to be the one a sentence is looked for by.
_COMMON_WORDS = (
    "i me my we us our you your the a an to of in on at is are was were be been have has had do does did it this that"
    " these those and or for with not no can will would should still get got from by as up off out any all so if"
)
_COMMON = set(_COMMON_WORDS.split())


def rarity(choice: AbstractSet[str]) -> tuple[bool, int, int]:
    """How rarely a sentence holds one of `choice`: no common word first, then the shortest as long as can be."""
    return not choice & _COMMON, min(map(len, choice)), -len(choice)

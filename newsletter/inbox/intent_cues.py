"""The words that matter in a reader's sentence: every phrase of the tables in intent_phrases (English, written
as small regular expressions), intent_languages and intent_foreign (other languages, written as plain phrases)
found in a folded sentence, left to right, as Cues that say what each is (a request verb, a negation, a
condition, an object...). A cue starts at the start of a word, and at each word only the phrases that can start
with it are tried (intent_patterns lists those first words), in the order of intent_phrases.CATEGORIES.

Text is folded before matching, so that the tables need one spelling per phrase: canonical decomposition,
case folding, no nukta or zero-width joiner (Hindi is typed with and without them: जोड़ and जोड), Urdu and Arabic
letter variants made one, Malayalam chillu letters spelt out, typographic quotes and dashes made plain.
Folding keeps every run of non-space characters a run of non-space characters, so a match can be quoted back in
the reader's own words (`quote_words`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from newsletter.inbox.intent_dravidian import DRAVIDIAN
from newsletter.inbox.intent_foreign import FOREIGN
from newsletter.inbox.intent_languages import LANGUAGES as INDIAN
from newsletter.inbox.intent_patterns import LEFT, RIGHT, WORD, first_words, needed_words, parse, rarity, trie_regex
from newsletter.inbox.intent_phrases import CATEGORIES, ENGLISH, MACROS

LANGUAGES = {**INDIAN, **DRAVIDIAN, **FOREIGN}

_REMOVE = "\u093c\u09bc\u0a3c\u0abc\u0b3c\u0cbc\u200b\u200c\u200d\u00ad\u2060\ufeff\u0640\u0654\u0655\u0670"
_FOLD = str.maketrans(
    {
        **{char: None for char in _REMOVE},
        **{char: None for char in map(chr, range(0x064B, 0x0653))},  # Arabic short vowels: often left out
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u0060\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
        **dict.fromkeys("\u2009\u200a\u2028\u2029\u202f\u205f\u3000\x85", " "),
        "\u0901": "\u0902",  # Devanagari candrabindu typed as anusvara: हूँ / हूं
        "\u0a70": "\u0a02",  # Gurmukhi tippi and bindi
        "\u064a": "\u06cc",  # Arabic yeh, alef maksura and Farsi yeh are one letter in Urdu mail
        "\u0649": "\u06cc",
        "\u0643": "\u06a9",  # Arabic kaf and keheh
        "\u06c1": "\u0647",  # Urdu heh goal and Arabic heh
        "\u06c2": "\u0647",
        "\u0d7a": "\u0d23\u0d4d",  # Malayalam chillu letters, and their older spelling with a joiner
        "\u0d7b": "\u0d28\u0d4d",
        "\u0d7c": "\u0d30\u0d4d",
        "\u0d7d": "\u0d32\u0d4d",
        "\u0d7e": "\u0d33\u0d4d",
        "\u0d7f": "\u0d15\u0d4d",
    }
)


# Letters and the marks that belong to them: Python's \w does not count Indic vowel signs as word characters.
def fold(text: str) -> str:
    """The text as the tables are written: see the module's docstring."""
    return unicodedata.normalize("NFD", text).casefold().translate(_FOLD)


class Cue(NamedTuple):
    """One phrase found in a sentence: what it is, where it is in the folded sentence, and (for requests) its
    language. A named tuple: a sentence has a dozen and a message a hundred, made faster than a dataclass."""

    tag: str  # one of intent_phrases.CATEGORIES
    start: int
    end: int
    direction: str  # "subscribe", "unsubscribe" or ""
    flags: str  # words from the tables: own, bare, obj, self, send, past, strong, name, weak, neg
    language: str  # "English", "Hindi", ... ("" for cues other than SUB, UNSUB and KEEP)
    text: str  # the folded match


def _expand(pattern: str) -> str:
    for name, value in MACROS.items():
        pattern = pattern.replace("{" + name + "}", value)
    return pattern.replace(" ?", r"\s*").replace(" ", " +")


# A cue starts at the start of a word. Each phrase's possible first words are worked out once (from the parsed
# regular expression, or the literal phrase), and at each word of a sentence only the phrases that can start
# with it are tried: trying all of them at every word costs a hundred times more. The phrases tried at a word
# keep the order of CATEGORIES; each ends with an empty group whose number says which entry matched.
Key = tuple[str, str, str]  # (tag, direction, flags)
_SPECIAL = re.compile(r"(?<![\w.+'-])[\w.+'-]++@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+")


_LANGUAGE_OF: dict[str, str] = {}
# Per entry, in the order they are tried: an English pattern with its first words (None: any), or a language's
# literal phrases by first word.
_ENTRIES: list[tuple[Key, str, frozenset[str] | None, dict[str, list[str]]]] = []
_LOOSE: list[Key] = []  # phrases without a word boundary at their start or end (Chinese, endings, stems)


def _specific_first(key: Key) -> tuple[int, str, str]:
    """Within a category, a phrase that names its object ("unsub me") before the bare verb ("unsub")."""
    flags = key[2].split()
    order = ("own", "self", "obj", "bare", "strong", "name", "weak")
    rank = next((i for i, flag in enumerate(order) if flag in flags), len(order))
    return rank, key[1], key[2]


def _prepare() -> re.Pattern[str]:
    english: dict[Key, list[str]] = {}
    for tag, direction, flags, pattern in ENGLISH:
        english.setdefault((tag, direction, flags), []).append(_expand(pattern))
    literal: dict[Key, dict[str, list[str]]] = {}
    loose: dict[Key, list[str]] = {}
    for language, table in LANGUAGES.items():
        for key, phrases in table.items():
            for phrase in phrases:
                word = " ".join(fold(phrase.strip("*")).split())
                _LANGUAGE_OF.setdefault(word, language)
                first = WORD.match(word)
                single = first is not None and first.end() == len(word)
                if phrase.startswith("*") or first is None or (phrase.endswith("*") and single):
                    loose.setdefault(key, []).append(trie_regex([word]) + ("" if phrase.endswith("*") else RIGHT))
                else:
                    words = literal.setdefault(key, {}).setdefault(first.group(), [])
                    words.append(word + ("*" if phrase.endswith("*") else ""))
    loose_parts: list[str] = []
    for tag in CATEGORIES:
        for key in sorted({key for key in (*english, *literal, *loose) if key[0] == tag}, key=_specific_first):
            for pattern in english.get(key, []):
                _ENTRIES.append((key, f"(?:{pattern}){RIGHT}", first_words(pattern), {}))
            if key in literal:
                _ENTRIES.append((key, "", frozenset(literal[key]), literal[key]))
            if key in loose:
                _LOOSE.append(key)
                loose_parts.append(f"(?:{'|'.join(loose[key])})()")
    return re.compile("|".join(loose_parts))


def _literal(words: list[str]) -> str:
    bounded = [word for word in words if not word.endswith("*")]
    stems = [word[:-1] for word in words if word.endswith("*")]
    parts = ([trie_regex(bounded) + RIGHT] if bounded else []) + ([trie_regex(stems)] if stems else [])
    return "|".join(parts)


# Categories that say something alone; the others (please, not, if, me, my colleague...) only change what these
# say, so a sentence without any of these is not read further.
_ALONE = {
    "SUB",
    "UNSUB",
    "KEEP",
    "SENSE",
    "COMPLAINT",
    "LINK",
    "ONEOFF",
    "STATUS",
    "PAST",
    "FOOTER",
    "OTHERADDR",
    "DATA",
    "PAUSE",
    "OFFER",
}


def _relevance() -> re.Pattern[str]:
    words: set[str] = {"too", "also", "as well", "भी"}
    loose: set[str] = {"@", "http", "www."}
    for tag, direction, flags, pattern in ENGLISH:
        if tag in _ALONE or (tag == "OBJ" and "weak" not in flags) or (tag == "THIRD" and direction):
            expanded = _expand(pattern)
            choices = [choice for choice in (needed_words(parse(expanded)), first_words(expanded)) if choice]
            if not choices:
                raise ValueError(f"the phrase table entry {pattern!r} has no word to look for first")
            words |= set(max(choices, key=rarity))
    for table in LANGUAGES.values():
        for (tag, _, flags), phrases in table.items():
            if tag in _ALONE or (tag == "OBJ" and "weak" not in flags):
                for phrase in phrases:
                    longest = max(fold(phrase.strip("*")).split(), key=len)
                    (loose if phrase.startswith("*") else words).add(longest)
    # Matched at the start of a word (only there, which is what makes the test quick), as a prefix: endings vary.
    return re.compile(f"{LEFT}{trie_regex(sorted(words))}|{trie_regex(sorted(loose))}")


try:
    _RELEVANT = _relevance()
except ValueError:  # the expressions could not be parsed: read every sentence
    _RELEVANT = re.compile("")


def _script(char: str) -> str:
    """The script a letter belongs to, as Unicode names it: LATIN, DEVANAGARI, ORIYA, CJK..."""
    return unicodedata.name(char, "").partition(" ")[0]


# The scripts some phrase table is written in. A message in another one (Sinhala, Tibetan, Thai...) cannot be read
# here at all, so it goes to the editor rather than being taken for mail about something else.
_READ_SCRIPTS = {"LATIN"} | {
    _script(char)
    for table in LANGUAGES.values()
    for phrases in table.values()
    for phrase in phrases
    for char in phrase
    if char.isalpha()
}
SCRIPT_SAMPLE = 2_000  # characters looked at to tell the script of a message


def unread_script(text: str) -> str:
    """The script most of `text` is written in when no phrase table is written in it ('' otherwise, or when it
    holds too few letters to tell)."""
    sample = text[:SCRIPT_SAMPLE]
    if sample.isascii():
        return ""
    counts: dict[str, int] = {}
    for char in sample:
        if char.isalpha():
            script = "LATIN" if char.isascii() else _script(char)
            counts[script] = counts.get(script, 0) + 1
    script, letters = max(counts.items(), key=lambda item: item[1], default=("", 0))
    return script if letters >= 10 and script not in _READ_SCRIPTS else ""


def worth_reading(folded: str) -> bool:
    """Whether a folded sentence holds any phrase that says something alone (a quick test before tag_cues)."""
    return _RELEVANT.search(folded) is not None


_LOOSE_TAGGER = _prepare()
# Where a phrase may start: any of the first words, as one trie (far faster than looking at every word). A phrase
# whose first words cannot be listed (a table entry starting with \w+, say) makes every word a start.
WILD = [pattern for _, pattern, firsts, _ in _ENTRIES if firsts is None]
_STARTS = (
    WORD
    if WILD
    else re.compile(LEFT + trie_regex(sorted({w for _, _, firsts, _ in _ENTRIES for w in firsts or ()})) + RIGHT)
)
_BUCKETS: dict[str, tuple[re.Pattern[str], list[Key]] | None] = {}


def _bucket(word: str) -> tuple[re.Pattern[str], list[Key]] | None:
    """The phrases that can start with `word`, as one expression, and the entry of each (built once a word)."""
    if word in _BUCKETS:
        return _BUCKETS[word]
    parts: list[str] = []
    keys: list[Key] = []
    for key, pattern, firsts, words in _ENTRIES:
        if firsts is not None and word not in firsts:
            continue
        parts.append(f"{pattern or _literal(words[word])}()")
        keys.append(key)
    built = (re.compile("|".join(parts)), keys) if parts else None
    _BUCKETS[word] = built
    return built


def tag_cues(folded: str) -> list[Cue]:
    """Every cue in `folded` (a folded sentence), left to right, none overlapping."""
    cues: list[Cue] = []
    end = 0
    for word in _STARTS.finditer(folded):
        start = word.start()
        if start < end:
            continue
        text = word.group()
        bucket = _BUCKETS[text] if text in _BUCKETS else _bucket(text)
        match = bucket[0].match(folded, start) if bucket else None
        if match and bucket:
            end = match.end()
            cues.append(_cue(bucket[1][(match.lastindex or 1) - 1], start, end, folded))
    others: list[tuple[int, int, Key]] = []
    if "@" in folded or "http" in folded or "www." in folded:
        others += [
            (m.start(), m.end(), ("EMAIL" if "@" in m.group() else "URL", "", "")) for m in _SPECIAL.finditer(folded)
        ]
    if not folded.isascii():
        others += [(m.start(), m.end(), _LOOSE[(m.lastindex or 1) - 1]) for m in _LOOSE_TAGGER.finditer(folded)]
    if not others:
        return cues
    # Addresses and links first, then phrases found word by word, then those without word boundaries.
    ranked = [(start, 0 if key[0] in ("EMAIL", "URL") else 2, stop, key) for start, stop, key in others]
    ranked += [(cue.start, 1, cue.end, (cue.tag, cue.direction, cue.flags)) for cue in cues]
    merged: list[Cue] = []
    end = 0
    for start, _, stop, key in sorted(ranked):
        if start >= end and stop > start:
            merged.append(_cue(key, start, stop, folded))
            end = stop
    return merged


def _cue(key: Key, start: int, end: int, folded: str) -> Cue:
    tag, direction, flags = key
    text = folded[start:end]
    language = _LANGUAGE_OF.get(" ".join(text.split()), "English") if direction else ""
    return Cue(tag, start, end, direction, flags, language, text)


_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'«»“”‘’।॥۔؟،。，！？"


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where each run of non-space characters of `text` starts and ends."""
    return [match.span() for match in _TOKEN.finditer(text)]


def quote_words(
    raw: str,
    folded: str,
    start: int,
    end: int,
    spans: tuple[list[tuple[int, int]], list[tuple[int, int]]] | None = None,
) -> str:
    """The reader's own words (from `raw`) covering folded[start:end], without punctuation at the ends. `spans`:
    token_spans of folded and raw, when the caller quotes the same sentence more than once."""
    folded_tokens, raw_tokens = spans or (token_spans(folded), token_spans(raw))
    if len(folded_tokens) != len(raw_tokens):
        return folded[start:end].strip(_EDGE_PUNCTUATION + " ")
    first = next((i for i, (_, token_end) in enumerate(folded_tokens) if token_end > start), 0)
    last = next((i for i, (token_start, _) in reversed(list(enumerate(folded_tokens))) if token_start < end), first)
    text = raw[raw_tokens[first][0] : raw_tokens[max(first, last)][1]]
    return " ".join(text.split()).strip(_EDGE_PUNCTUATION)


_ADDRESS = re.compile(r"(?<![\w.+'-])[\w.+'-]++@[\w-]+(?:\.[\w-]+)+")


def find_addresses(folded: str) -> list[str]:
    """The email addresses in a folded sentence, without a trailing full stop."""
    return [match.group().rstrip(".") for match in _ADDRESS.finditer(folded)] if "@" in folded else []

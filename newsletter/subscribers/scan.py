"""Checking every row of subscribers.csv at once: its status, its address and whether another row repeats it.

The scan keeps one status code a row (a bytearray) and one key a row instead of a million row objects; the rows
themselves are built later, on demand, by SubscriberList.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from itertools import repeat
from typing import NamedTuple

from newsletter.subscribers.addresses import InvalidAddress, email_key, fast_keys
from newsletter.subscribers.csvfile import CsvTable, pick_columns
from newsletter.subscribers.status import STATUSES

COLUMNS = ("email", "name", "status", "joined_at", "source", "consent", "updated_at", "reason")
CODES = {status: code for code, status in enumerate(STATUSES)}
UNKNOWN = len(STATUSES)
INVALID = 254
BLANK = 255
SCAN_SLICE = 50_000


class RowScan(NamedTuple):
    """What the scan found: a code and a key per row (None where invalid or blank), and each problem by row."""

    codes: bytearray
    keys: list[str | None]
    problems: dict[int, str]
    slow: set[int]  # rows whose address email-validator itself had to check
    lookup: dict[str, int] | None  # key -> first row, when duplicates made it necessary already


def scan_rows(
    table: CsvTable,
    columns: Mapping[str, int],
    *,
    exact: bool = False,
    slice_size: int = SCAN_SLICE,
    repeats: bool = True,
) -> RowScan:
    """Check every original record of `table`; raises Misgrouped (from csvfile) unless `exact`. Without `repeats`
    a row repeating an address is not reported (a reader of part of the file judges repeats over all of it)."""
    email_at = columns["email"]
    status_at = columns.get("status", email_at)
    # A million short-lived lists would wake the cycle collector hundreds of times for nothing.
    collecting = gc.isenabled()
    gc.disable()
    codes = bytearray()
    keys: list[str | None] = []
    overfull: list[int] = []
    slow: dict[int, str] = {}  # row -> address, for the rows the quick test could not pass
    try:
        # In slices, so that only the keys outlive the scan: a million addresses and statuses held at once
        # would add some 150 MB to the peak, and leave it fragmented.
        for start in range(0, len(table.records), slice_size):
            part = CsvTable(
                table.path, table.header, table.header_raw, table.records[start : start + slice_size],
                delimiter=table.delimiter,
            )  # fmt: skip
            addresses, statuses, part_overfull = pick_columns(part, email_at, status_at, exact=exact)
            codes += bytearray(map(CODES.get, statuses, repeat(UNKNOWN)))
            del statuses
            part_keys, part_slow = fast_keys(addresses)
            keys += part_keys
            overfull.extend(start + number for number in part_overfull)
            slow.update((start + number, addresses[number]) for number in part_slow)
            del addresses, part_keys
    finally:
        if collecting:
            gc.enable()
    problems: dict[int, str] = {}
    for number in overfull:
        problems[number] = (
            f"has more cells than the {len(table.header)} columns the header names: "
            f"quote a value that holds '{table.delimiter}'"
        )
    for number, address in slow.items():
        keys[number] = _check_slowly(table, number, address, codes, problems)
    for number in _positions(codes, UNKNOWN):
        _check_status(table, columns, number, codes, problems)
    for number in problems:
        keys[number] = None
        codes[number] = INVALID
    index = None
    if repeats and len(set(keys)) != len(keys) - max(0, keys.count(None) - 1):
        index = first_rows(keys)
        _mark_duplicates(table, keys, index, codes, problems)
    return RowScan(codes, keys, problems, set(slow), index)


def _mark_duplicates(
    table: CsvTable,
    keys: list[str | None],
    index: dict[str, int],
    codes: bytearray,
    problems: dict[int, str],
) -> None:
    for number, key in enumerate(keys):
        if key is None or index[key] == number:
            continue
        # The row keeps its status as written: status.Screen blocks the address if it says the reader left.
        problems[number] = f"duplicate of line {table.line_of(index[key])} ({key}): delete one of the two"
        codes[number] = INVALID


def _check_slowly(table: CsvTable, number: int, address: str, codes: bytearray, problems: dict[int, str]) -> str | None:
    """The key of an address the quick test could not pass; None for a blank or invalid row."""
    if not address.strip() and not "".join(table.cells(number)).strip():
        codes[number] = BLANK
        return None
    try:
        return email_key(address)
    except InvalidAddress as error:
        problems[number] = f"'{address}' is not a valid email address ({error}): correct it or delete the row"
        return None


def _check_status(
    table: CsvTable, columns: Mapping[str, int], number: int, codes: bytearray, problems: dict[int, str]
) -> None:
    """Accept ' Active ' as a spreadsheet may have it; report anything else."""
    cells = table.cells(number)
    at = columns.get("status", -1)
    status = cells[at] if 0 <= at < len(cells) else ""
    code = CODES.get(status.strip().lower())
    if code is not None:
        codes[number] = code
    elif number not in problems:
        problems[number] = f"status '{status}' is not one of {', '.join(STATUSES)}: correct it"


def first_rows(keys: list[str | None]) -> dict[str, int]:
    """key -> the first row holding it; rows without a key (None) are left out."""
    # Walking backwards, each address ends up pointing at its first row.
    index = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
    index.pop(None, None)
    return index  # type: ignore[return-value]  # None was popped


def _positions(codes: bytearray, value: int) -> Iterator[int]:
    found = codes.find(value)
    while found != -1:
        yield found
        found = codes.find(value, found + 1)

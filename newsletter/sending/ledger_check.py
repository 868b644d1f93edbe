"""The shape of each send-ledger record, checked before the record is replayed.

A line can be valid JSON and still be damaged: a disk or copy error, a hand edit, two ledgers joined. Replaying
such a line used to stop `send` and `report` with a traceback (a list where an object belongs) or, worse, go on
quietly with a wrong meaning ("emails": "abc" named three readers a, b and c; "batch": true was batch 1). Every
field the replay reads is checked here for the type and range the writer gives it; what the replay does not read
is not checked, so older ledgers and extra fields still load.
"""

from __future__ import annotations

import json
from typing import Any

from newsletter.clean import show
from newsletter.sending.ledger_entries import OUTCOMES

MAX_BATCH = 2**32 - 1  # the entries keep batch numbers in an unsigned 32-bit column
MAX_RUN = 2**32 - 1
MAX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a datetime can show


class DamagedRecord(ValueError):
    """A record whose fields do not have the types and ranges the ledger's writer gives them."""


def describe(value: Any) -> str:
    """A value as a message repeats it, written as in the ledger's JSON: short, escapes written out."""
    if isinstance(value, str):
        text = f"'{value}'"
    elif isinstance(value, list | dict):
        text = "a list" if isinstance(value, list) else "an object"
    else:
        text = json.dumps(value)  # true, null, 1e+400 as Infinity: what the line says
    return show(text if len(text) <= 60 else text[:59] + "…")


def label(record: dict[str, Any]) -> str:
    """'outcome record', or 'a record' when its type is no name."""
    kind = record.get("type")
    return f"{show(kind[:40])} record" if isinstance(kind, str) else "a record"


def check_record(record: dict[str, Any]) -> None:
    """Raise DamagedRecord (or KeyError for an outcome's unknown status) unless `record` can be replayed as written."""
    kind = record["type"]
    if not isinstance(kind, str):
        raise DamagedRecord(f"its type is {describe(kind)}, not a record type such as 'intent'")
    if record.get("run") is not None:
        _whole(record, "run", 0, MAX_RUN)
    if kind == "start":
        for key in ("at", "provider", "content_hash", "batch_id", "issue"):
            _text(record, key)
        if record.get("send_at") is not None:
            _whole(record, "send_at", 0, MAX_TIME)
        parts = record.get("parts", {})
        if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
            raise DamagedRecord(f"'parts' must be an object of content hashes, not {describe(parts)}")
    elif kind in ("recipients", "intent"):
        if kind == "intent":
            _whole(record, "batch", 1, MAX_BATCH)
        _addresses(record.get("emails"), "emails")
    elif kind == "skipped":
        pairs = record.get("recipients")
        if not isinstance(pairs, list) or not all(
            type(pair) is list and len(pair) == 2 and type(pair[0]) is str and type(pair[1]) is str for pair in pairs
        ):
            raise DamagedRecord(f"'recipients' must be a list of [address, reason] pairs, not {describe(pairs)}")
    elif kind == "outcome":
        _whole(record, "batch", 1, MAX_BATCH)
        _outcome_status(record.get("status"))
        _text(record, "message_id")
        _text(record, "reason")
        _overrides(record.get("recipients"))
    elif kind == "cancel":
        _text(record, "batch_id", required=True)


def _whole(record: dict[str, Any], key: str, low: int, high: int, *, required: bool = True) -> None:
    value = record.get(key)
    if value is None and not required:
        return
    if type(value) is not int or not low <= value <= high:
        raise DamagedRecord(f"'{key}' must be a whole number from {low} to {high}, not {describe(value)}")


def _text(record: dict[str, Any], key: str, *, required: bool = False) -> None:
    value = record.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise DamagedRecord(f"'{key}' must be text, not {describe(value)}")


def _addresses(value: Any, key: str) -> None:
    if not isinstance(value, list) or not all(type(email) is str for email in value):
        raise DamagedRecord(f"'{key}' must be a list of addresses, not {describe(value)}")


def _outcome_status(status: Any) -> None:
    if not isinstance(status, str):
        raise DamagedRecord(f"'status' must be one of {', '.join(OUTCOMES)}, not {describe(status)}")
    if status not in OUTCOMES:
        # pending or skipped would put a batch that may have gone out back in the queue.
        raise KeyError(status)


def _overrides(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise DamagedRecord(f"'recipients' must be an object of per-address results, not {describe(value)}")
    for email, result in value.items():
        if (
            type(result) is not list
            or len(result) != 3
            or result[0] not in OUTCOMES
            or not all(type(part) is str for part in result)
        ):
            raise DamagedRecord(
                f"the result for {describe(email)} must be [status, message id, reason], not {describe(result)}"
            )

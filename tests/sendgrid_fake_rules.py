"""What SendGrid's v3 Mail Send accepts beyond its schema, as the fake server (tests/sendgrid_fake.py) checks it: the
documented limits (tests/data/sendgrid/README.md) in SendGrid's words. The schema is tests/sendgrid_fake_schema.py's;
validate_mail applies both.

Pure functions: a parsed body and a clock reading in, SendGrid-shaped errors ({"message", "field", "help"}) out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sendgrid_fake_schema import (
    FROM_REQUIRED,
    NO_PERSONALIZATION,
    TO_REQUIRED,
    Error,
    json_type,
    mail_send_validator,
    make_error,
    schema_errors,
)

# The stricter reading of each documented limit, so whatever passes here passes at SendGrid too.
MAX_BODY_BYTES = 30_000_000  # "under 30 MB": decimal megabytes
MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
CUSTOM_ARGS_LIMIT = 10_000  # custom_args must stay under this many bytes
SUBSTITUTIONS_LIMIT = 10_000  # substitutions may take at most this many bytes per personalization
MAX_SCHEDULE_AHEAD = 72 * 3600  # send_at at most 72 hours ahead
FORBIDDEN_HEADERS = frozenset(
    {"to", "from", "subject", "reply-to", "cc", "bcc", "content-type", "content-transfer-encoding"}
    | {"dkim-signature", "received", "x-sg-id", "x-sg-eid"}
)
RECIPIENT_KINDS = ("to", "cc", "bcc")

TOO_MANY_PERSONALIZATIONS = (
    "The personalization block is limited to 1000 personalizations per API request. You have provided {n} "
    "personalizations. Please consider splitting this into multiple requests and resending your request."
)
TOO_MANY_RECIPIENTS = "There is a limit of 1000 total recipients (to + cc + bcc) per request."
DUPLICATE_ADDRESS = (
    "Each unique email address in the personalizations array should only be included once. "
    "You have included {email} more than once."
)
CONTENT_REQUIRED = (
    "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined "
    "content block. We typically suggest both text/plain and text/html blocks are included, but only one block is "
    "required."
)
CONTENT_ORDER = "If present, text/plain content must be first, followed by text/html, followed by any other content."
CONTENT_ONCE = "If present, text/plain and text/html may only be provided once."
SUBJECT_REQUIRED = (
    "The subject is required. You can get around this requirement if you use a template with a subject defined or "
    "if every personalization has a subject defined."
)
CUSTOM_ARGS_TOO_LARGE = "The custom_args of a message must total less than 10,000 bytes; these total {n} bytes."
SUBSTITUTIONS_TOO_LARGE = (
    "The total collective size of your substitutions may not exceed 10,000 bytes per personalization object; "
    "these total {n} bytes."
)
SEND_AT_TOO_FAR = "The send_at parameter may not be more than 72 hours in the future."
HEADER_RESERVED = "The {name} header is reserved and may not be set in headers."
BATCH_INVALID = "The batch_id {batch_id!r} is not valid: create one with POST /v3/mail/batch (it lives 10 days)."
BAD_REQUEST = "Bad Request"


def validate_mail(
    body: Any, now: float, batch_is_valid: Callable[[str], bool], *, schema: bool = True
) -> tuple[list[Error], list[str]]:
    """Every error SendGrid would answer this mail-send body with (the documented limits, then the schema's unless
    `schema` is False), and the lowercased recipient addresses."""
    errors, addresses = check_rules(body, now, batch_is_valid)
    if schema:
        errors = merge_errors(errors, schema_errors(mail_send_validator(), body))
    return errors, addresses


def check_rules(body: Any, now: float, batch_is_valid: Callable[[str], bool]) -> tuple[list[Error], list[str]]:
    """The documented limits, and the lowercased recipient addresses (to, cc, bcc in request order) found on the way.

    Cheap (a few milliseconds for 1000 personalizations) and careful about types, so it runs on every request even
    when schema validation is off or sampled: a body it cannot read is an error, never a silent zero recipients."""
    if not isinstance(body, dict):
        return [make_error(BAD_REQUEST)], []
    errors: list[Error] = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        if personalizations is None or isinstance(personalizations, list):
            errors.append(make_error(NO_PERSONALIZATION, "personalizations"))
        else:
            errors.append(type_error("array", personalizations, "personalizations"))
        personalizations = []
    elif len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(make_error(TOO_MANY_PERSONALIZATIONS.format(n=len(personalizations)), "personalizations"))
    sender = body.get("from")
    if not (isinstance(sender, dict) and isinstance(sender.get("email"), str)):
        errors.append(make_error(FROM_REQUIRED, "from"))
    top_args: dict[str, Any] = body["custom_args"] if isinstance(body.get("custom_args"), dict) else {}
    if custom_args_size(top_args) >= CUSTOM_ARGS_LIMIT:
        errors.append(make_error(CUSTOM_ARGS_TOO_LARGE.format(n=json_size(top_args)), "custom_args"))
        top_args = {}  # reported once here, not again for every personalization
    addresses = collect_recipients(personalizations, errors)
    if len(addresses) > MAX_RECIPIENTS:
        errors.append(make_error(TOO_MANY_RECIPIENTS, "personalizations"))
    for index, personalization in enumerate(personalizations):
        if isinstance(personalization, dict):
            errors.extend(check_personalization(personalization, index, top_args, now))
    errors.extend(check_headers(body.get("headers"), "headers"))
    errors.extend(check_send_at(body.get("send_at"), now, "send_at"))
    errors.extend(check_content(body, personalizations))
    batch_id = body.get("batch_id")
    if isinstance(batch_id, str) and not batch_is_valid(batch_id):
        errors.append(make_error(BATCH_INVALID.format(batch_id=batch_id), "batch_id"))
    return errors, addresses


def collect_recipients(personalizations: list[Any], errors: list[Error]) -> list[str]:
    """Every to, cc and bcc address, lowercased; appends to `errors` what stops an address being read, and the first
    address seen twice in the request (SendGrid reports only the first)."""
    addresses: list[str] = []
    seen: set[str] = set()
    duplicate_reported = False
    for index, personalization in enumerate(personalizations):
        if not isinstance(personalization, dict):
            errors.append(type_error("object", personalization, f"personalizations.{index}"))
            continue
        if personalization.get("to") in (None, []):
            errors.append(make_error(TO_REQUIRED, f"personalizations.{index}.to"))
        for kind in RECIPIENT_KINDS:
            recipients = personalization.get(kind)
            if recipients is None:
                continue
            if not isinstance(recipients, list):
                errors.append(type_error("array", recipients, f"personalizations.{index}.{kind}"))
                continue
            for position, recipient in enumerate(recipients):
                email = recipient.get("email") if isinstance(recipient, dict) else None
                if not isinstance(email, str):
                    errors.append(unreadable_recipient(recipient, f"personalizations.{index}.{kind}.{position}"))
                    continue
                folded = email.lower()
                if folded in seen and not duplicate_reported:
                    field = f"personalizations.{index}.{kind}"
                    errors.append(make_error(DUPLICATE_ADDRESS.format(email=email), field))
                    duplicate_reported = True
                seen.add(folded)
                addresses.append(folded)
    return addresses


def unreadable_recipient(recipient: Any, where: str) -> Error:
    if not isinstance(recipient, dict):
        return type_error("object", recipient, where)
    if recipient.get("email") is None:
        return make_error("email is required", f"{where}.email")
    return type_error("string", recipient["email"], f"{where}.email")


def check_personalization(
    personalization: dict[str, Any], index: int, top_args: dict[str, Any], now: float
) -> list[Error]:
    """Headers, send_at, substitutions and custom_args of one personalization. Field names are built only for an
    error: this runs a thousand times a request."""
    errors: list[Error] = []
    headers = personalization.get("headers")
    if headers is not None and not headers_look_fine(headers):
        errors.extend(check_headers(headers, f"personalizations.{index}.headers"))
    if personalization.get("send_at") is not None:
        errors.extend(check_send_at(personalization["send_at"], now, f"personalizations.{index}.send_at"))
    substitutions = personalization.get("substitutions")
    if isinstance(substitutions, dict) and 6 * len(str(substitutions)) > SUBSTITUTIONS_LIMIT:
        size = json_size(substitutions)
        if size > SUBSTITUTIONS_LIMIT:
            field = f"personalizations.{index}.substitutions"
            errors.append(make_error(SUBSTITUTIONS_TOO_LARGE.format(n=size), field))
    own_args = personalization.get("custom_args")
    if isinstance(own_args, dict):
        # A message carries the top-level custom_args merged with its personalization's: that is what counts.
        merged = {**top_args, **own_args}
        if custom_args_size(merged) >= CUSTOM_ARGS_LIMIT:
            field = f"personalizations.{index}.custom_args"
            errors.append(make_error(CUSTOM_ARGS_TOO_LARGE.format(n=json_size(merged)), field))
    return errors


def headers_look_fine(headers: Any) -> bool:
    return isinstance(headers, dict) and all(
        type(value) is str and name.lower() not in FORBIDDEN_HEADERS for name, value in headers.items()
    )


def type_error(expected: str, value: Any, field: str) -> Error:
    return make_error(f"Invalid type. Expected: {expected}, given: {json_type(value)}.", field)


def check_headers(headers: Any, field: str) -> list[Error]:
    if not isinstance(headers, dict):
        return []
    errors: list[Error] = []
    for name, value in headers.items():
        if name.lower() in FORBIDDEN_HEADERS:
            errors.append(make_error(HEADER_RESERVED.format(name=name), field))
        elif not isinstance(value, str):
            # The schema says only "object"; SendGrid itself rejects a header whose value is not a string.
            errors.append(type_error("string", value, f"{field}.{name}"))
    return errors


def check_send_at(send_at: Any, now: float, field: str) -> list[Error]:
    if isinstance(send_at, int) and not isinstance(send_at, bool) and send_at > now + MAX_SCHEDULE_AHEAD:
        return [make_error(SEND_AT_TOO_FAR, field)]
    return []


def check_content(body: dict[str, Any], personalizations: list[Any]) -> list[Error]:
    errors = []
    has_template = isinstance(body.get("template_id"), str) and bool(body["template_id"])
    content = body.get("content")
    if not has_template and not (isinstance(content, list) and content):
        errors.append(make_error(CONTENT_REQUIRED, "content"))
    if isinstance(content, list):
        types = [part.get("type") for part in content if isinstance(part, dict)]
        leading = [kind for kind in ("text/plain", "text/html") if kind in types]
        if types.count("text/plain") > 1 or types.count("text/html") > 1:
            errors.append(make_error(CONTENT_ONCE, "content"))
        elif types[: len(leading)] != leading:
            errors.append(make_error(CONTENT_ORDER, "content"))
    every_has_subject = bool(personalizations) and all(
        isinstance(p, dict) and isinstance(p.get("subject"), str) and p["subject"] for p in personalizations
    )
    if not has_template and not body.get("subject") and not every_has_subject:
        errors.append(make_error(SUBJECT_REQUIRED, "subject"))
    return errors


COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_size(value: Any) -> int:
    """Bytes of the value as compact UTF-8 JSON: how the size of custom_args and substitutions is counted here."""
    return len(COMPACT_JSON.encode(value).encode("utf-8"))


def custom_args_size(mapping: dict[str, Any]) -> int:
    """json_size, skipped (0) when even 6 bytes a character of its repr fits: no character takes more in JSON (a
    \\u escape), and repr is ten times cheaper than encoding, which matters a thousand times a request."""
    return json_size(mapping) if mapping and 6 * len(str(mapping)) >= CUSTOM_ARGS_LIMIT else 0


def merge_errors(rule_errors: list[Error], found_by_schema: list[Error]) -> list[Error]:
    """Rule errors first; a schema error on a field a rule already reported would only repeat it."""
    fields = {error["field"] for error in rule_errors}
    return rule_errors + [error for error in found_by_schema if error["field"] not in fields]

"""The fake SendGrid rejects what SendGrid rejects: the official schema and each documented limit, with SendGrid's
answer (400 and {"errors": [{"message", "field", "help"}]}), through the real HTTP server."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from sendgrid_fake import FakeSendGrid, call, mail_body

HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
NOW = 1_700_000_000


def send(server: FakeSendGrid, body: Any, **options: Any) -> tuple[int, Any]:
    answer = call(server.url, "POST", "/v3/mail/send", body, **options)
    return answer.status, (answer.json() if answer.body else None)


def error(message: str, field: str | None, help_anchor: str | None = None) -> dict[str, Any]:
    anchor = help_anchor or ("-Personalizations-Errors" if (field or "").startswith("personalizations") else None)
    anchor = anchor or (f"message.{field.split('.')[0]}" if field else None)
    return {"message": message, "field": field, "help": f"{HELP}#{anchor}" if anchor else None}


def rejected(server: FakeSendGrid, body: Any, *errors: dict[str, Any]) -> None:
    """The body gets SendGrid's 400 with exactly these errors, is recorded as a rejection and delivers nothing."""
    delivered = len(server.delivered_addresses())
    assert send(server, body) == (400, {"errors": list(errors)})
    assert server.rejections[-1].errors == list(errors)
    assert len(server.delivered_addresses()) == delivered


def accepted(server: FakeSendGrid, body: Any) -> None:
    status, answer = send(server, body)
    assert (status, answer, server.rejections) == (202, None, [])


def addresses(count: int, start: int = 0) -> list[str]:
    return [f"reader{number}@example.org" for number in range(start, start + count)]


# --- the schema ----------------------------------------------------------------------------------------------------


def test_schema_rejects_custom_args_given_as_a_string_in_sendgrids_words(sendgrid_server: FakeSendGrid) -> None:
    # The live API answers exactly this (upstream's spec wrongly types custom_args as a string; the patched one not).
    body = mail_body(["a@example.org"], custom_args="issue-12")
    rejected(sendgrid_server, body, error("Invalid type. Expected: object, given: string.", "custom_args"))


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"categories": [f"c{n}" for n in range(11)]}, "Array must have at most 10 items", "categories"),
        ({"categories": ["news", "news"]}, "array items[0,1] must be unique", "categories"),
        ({"ip_pool_name": "x"}, "String length must be greater than or equal to 2", "ip_pool_name"),
        ({"send_at": "tomorrow"}, "Invalid type. Expected: integer, given: string.", "send_at"),
        ({"asm": {"groups_to_display": [1]}}, "group_id is required", "asm.group_id"),
        ({"reply_to": {"email": "editor.example.org"}}, "Does not contain a valid address.", "reply_to.email"),
        (
            {"attachments": [{"content": "eA==", "filename": "a.txt", "disposition": "attached"}]},
            'disposition must be one of the following: "inline", "attachment"',
            "attachments.0.disposition",
        ),
    ],
)
def test_schema_violations_are_worded_like_sendgrid(
    sendgrid_server: FakeSendGrid, change: dict[str, Any], message: str, field: str
) -> None:
    rejected(sendgrid_server, mail_body(["a@example.org"], **change), error(message, field))


def test_recipient_address_must_be_an_address(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org", "not-an-address"])
    rejected(sendgrid_server, body, error("Does not contain a valid address.", "personalizations.1.to.0.email"))


def test_a_missing_sender_is_reported_once_in_sendgrids_words(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org"])
    del body["from"]
    message = (
        "The from object must be provided for every email send. It is an object that requires the email parameter, "
        'but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or '
        '{"email" : "example@example.com", "name" : "Example Recipient"}.'
    )
    rejected(sendgrid_server, body, error(message, "from"))


def test_unreadable_json_is_a_bad_request(sendgrid_server: FakeSendGrid) -> None:
    answer = call(sendgrid_server.url, "POST", "/v3/mail/send", raw=b'{"personalizations": [')
    assert (answer.status, answer.json()) == (
        400,
        {"errors": [{"message": "Bad Request", "field": None, "help": None}]},
    )


def test_a_gzipped_body_is_read_like_sendgrid_does(sendgrid_server: FakeSendGrid) -> None:
    raw = gzip.compress(json.dumps(mail_body(["a@example.org"])).encode())
    answer = call(sendgrid_server.url, "POST", "/v3/mail/send", raw=raw, headers={"Content-Encoding": "gzip"})
    assert (answer.status, sendgrid_server.delivered_addresses()) == (202, ["a@example.org"])


# --- the limits the schema cannot express -------------------------------------------------------------------------


def test_1000_personalizations_pass_and_1001_do_not(sendgrid_server: FakeSendGrid) -> None:
    accepted(sendgrid_server, mail_body(addresses(1000)))
    assert len(sendgrid_server.delivered_addresses()) == 1000
    too_many = (
        "The personalization block is limited to 1000 personalizations per API request. You have provided 1001 "
        "personalizations. Please consider splitting this into multiple requests and resending your request."
    )
    rejected(
        sendgrid_server,
        mail_body(addresses(1001)),
        error(too_many, "personalizations"),
        error("There is a limit of 1000 total recipients (to + cc + bcc) per request.", "personalizations"),
    )


def test_recipients_count_to_cc_and_bcc_together(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org"])
    body["personalizations"][0]["cc"] = [{"email": address} for address in addresses(500)]
    body["personalizations"][0]["bcc"] = [{"email": address} for address in addresses(499, start=500)]
    accepted(sendgrid_server, body)
    body["personalizations"][0]["bcc"].append({"email": "one-more@example.org"})
    rejected(
        sendgrid_server,
        body,
        error("There is a limit of 1000 total recipients (to + cc + bcc) per request.", "personalizations"),
    )


def test_an_address_may_appear_once_per_request_whatever_its_case(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["Reader@Example.org", "b@example.org"])
    body["personalizations"][1]["bcc"] = [{"email": "reader@EXAMPLE.org"}]
    message = (
        "Each unique email address in the personalizations array should only be included once. "
        "You have included reader@EXAMPLE.org more than once."
    )
    rejected(sendgrid_server, body, error(message, "personalizations.1.bcc"))


def test_every_personalization_needs_a_to(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org", "b@example.org"])
    body["personalizations"][1]["to"] = []
    message = "The to parameter is required for all personalization objects."
    rejected(sendgrid_server, body, error(message, "personalizations.1.to"))


def test_at_least_one_personalization(sendgrid_server: FakeSendGrid) -> None:
    rejected(sendgrid_server, mail_body([]), error("You must have at least one personalization.", "personalizations"))


def test_a_body_under_30_mb_passes_and_one_of_30_mb_gets_413(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org"])
    body["content"][1]["value"] = ""
    padding = 30_000_000 - len(json.dumps(body).encode())
    body["content"][1]["value"] = "x" * padding
    assert len(json.dumps(body).encode()) == 30_000_000
    assert send(sendgrid_server, body) == (202, None)
    body["content"][1]["value"] += "x"
    too_large = {"errors": [{"message": "content too large", "field": None, "help": None}]}
    assert send(sendgrid_server, body) == (413, too_large)
    assert [r.status for r in sendgrid_server.rejections] == [413]
    assert len(sendgrid_server.accepted) == 1


def test_custom_args_must_total_under_10000_bytes_merged_with_the_top_level(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org"], custom_args={"issue": "2015-03-16"})
    own = body["personalizations"][0]["custom_args"]  # {"recipient": "a@example.org"}
    base = len('{"issue":"2015-03-16","recipient":"a@example.org","pad":""}')
    own["pad"] = "é" * ((9_999 - base) // 2) + "y" * ((9_999 - base) % 2)  # é is two bytes of UTF-8
    accepted(sendgrid_server, body)
    own["pad"] += "y"
    message = "The custom_args of a message must total less than 10,000 bytes; these total 10000 bytes."
    rejected(sendgrid_server, body, error(message, "personalizations.0.custom_args"))


def test_top_level_custom_args_over_the_limit_are_reported_once(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(addresses(3), custom_args={"pad": "z" * 10_000})
    message = "The custom_args of a message must total less than 10,000 bytes; these total 10010 bytes."
    rejected(sendgrid_server, body, error(message, "custom_args"))


def test_substitutions_may_take_10000_bytes_per_personalization(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org"])
    body["personalizations"][0]["substitutions"] = {"-pad-": "s" * (10_000 - len('{"-pad-":""}'))}
    accepted(sendgrid_server, body)
    body["personalizations"][0]["substitutions"]["-pad-"] += "s"
    message = (
        "The total collective size of your substitutions may not exceed 10,000 bytes per personalization object; "
        "these total 10001 bytes."
    )
    rejected(sendgrid_server, body, error(message, "personalizations.0.substitutions"))


@pytest.mark.parametrize("where", ["top", "personalization"])
def test_send_at_may_be_72_hours_ahead_not_more(sendgrid_server: FakeSendGrid, where: str) -> None:
    sendgrid_server.clock = lambda: NOW
    body = mail_body(["a@example.org"])
    target = body if where == "top" else body["personalizations"][0]
    target["send_at"] = NOW + 72 * 3600
    accepted(sendgrid_server, body)
    target["send_at"] = NOW + 72 * 3600 + 1
    field = "send_at" if where == "top" else "personalizations.0.send_at"
    rejected(sendgrid_server, body, error("The send_at parameter may not be more than 72 hours in the future.", field))


@pytest.mark.parametrize(
    "name",
    [
        *("To", "from", "SUBJECT", "Reply-To", "cc", "BCC", "Content-Type", "content-transfer-encoding"),
        *("DKIM-Signature", "Received", "X-SG-ID", "x-sg-eid"),
    ],
)
@pytest.mark.parametrize("where", ["top", "personalization"])
def test_reserved_headers_may_not_be_set(sendgrid_server: FakeSendGrid, name: str, where: str) -> None:
    body = mail_body(["a@example.org"])
    if where == "top":
        body["headers"] = {name: "x"}
    else:
        body["personalizations"][0]["headers"][name] = "x"
    field = "headers" if where == "top" else "personalizations.0.headers"
    rejected(sendgrid_server, body, error(f"The {name} header is reserved and may not be set in headers.", field))


def test_header_values_must_be_strings(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org"], headers={"X-Issue": 12})
    rejected(sendgrid_server, body, error("Invalid type. Expected: string, given: integer.", "headers.X-Issue"))


def test_batch_id_must_exist_and_lives_ten_days(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.clock = lambda: NOW
    message = "The batch_id 'batch-1' is not valid: create one with POST /v3/mail/batch (it lives 10 days)."
    rejected(sendgrid_server, mail_body(["a@example.org"], batch_id="batch-1"), error(message, "batch_id"))
    assert call(sendgrid_server.url, "POST", "/v3/mail/batch").json() == {"batch_id": "batch-1"}
    sendgrid_server.rejections.clear()
    accepted(sendgrid_server, mail_body(["a@example.org"], batch_id="batch-1"))
    sendgrid_server.clock = lambda: NOW + 10 * 24 * 3600
    assert send(sendgrid_server, mail_body(["b@example.org"], batch_id="batch-1")) == (
        400,
        {"errors": [error(message, "batch_id")]},
    )


def test_content_is_required_without_a_template(sendgrid_server: FakeSendGrid) -> None:
    message = (
        "Unless a valid template_id is provided, the content parameter is required. There must be at least one "
        "defined content block. We typically suggest both text/plain and text/html blocks are included, but only one "
        "block is required."
    )
    rejected(sendgrid_server, mail_body(["a@example.org"], content=[]), error(message, "content"))
    sendgrid_server.rejections.clear()
    accepted(sendgrid_server, mail_body(["a@example.org"], content=[], template_id="d-123"))


def test_text_plain_comes_first_and_once(sendgrid_server: FakeSendGrid) -> None:
    html, plain = {"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}
    order = "If present, text/plain content must be first, followed by text/html, followed by any other content."
    rejected(sendgrid_server, mail_body(["a@example.org"], content=[html, plain]), error(order, "content"))
    once = "If present, text/plain and text/html may only be provided once."
    rejected(sendgrid_server, mail_body(["a@example.org"], content=[plain, plain]), error(once, "content"))
    sendgrid_server.rejections.clear()
    accepted(sendgrid_server, mail_body(["a@example.org"], content=[html]))


def test_subject_is_required_unless_every_personalization_has_one(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["a@example.org", "b@example.org"])
    del body["subject"]
    message = (
        "The subject is required. You can get around this requirement if you use a template with a subject defined "
        "or if every personalization has a subject defined."
    )
    rejected(sendgrid_server, body, error(message, "subject"))
    sendgrid_server.rejections.clear()
    for personalization in body["personalizations"]:
        personalization["subject"] = "India and the World"
    accepted(sendgrid_server, body)


# --- validate modes -----------------------------------------------------------------------------------------------


def test_validate_off_skips_the_schema_but_never_the_rules() -> None:
    with FakeSendGrid(validate="off") as server:
        assert send(server, mail_body(["a@example.org"], categories=[f"c{n}" for n in range(11)])) == (202, None)
        body = mail_body(["a@example.org", "A@example.org"])
        assert send(server, body)[0] == 400
        assert server.delivered_addresses() == ["a@example.org"]


def test_validate_sample_checks_the_schema_on_every_nth_request() -> None:
    too_many_categories = mail_body(["a@example.org"], categories=[f"c{n}" for n in range(11)])
    with FakeSendGrid(validate="sample", sample_every=2) as server:
        statuses = [send(server, too_many_categories)[0] for _ in range(4)]
    assert statuses == [400, 202, 400, 202]
    assert [rejection.index for rejection in server.rejections] == [0, 2]

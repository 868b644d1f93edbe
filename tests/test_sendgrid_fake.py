"""The fake SendGrid server: the official client works against it, it records exactly what it accepted, answers
auth failures, batches, scheduled sends and suppressions like SendGrid, and injects each fault on schedule."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from python_http_client.exceptions import BadRequestsError, ForbiddenError, HTTPError, UnauthorizedError
from sendgrid import SendGridAPIClient
from sendgrid_fake import API_KEY, FakeSendGrid, Fault, FaultKind, call, mail_body

NOW = 1_700_000_000
HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"


def client_for(server: FakeSendGrid, key: str | None = API_KEY, timeout: float | None = 10) -> Any:
    client = SendGridAPIClient(key, host=server.url)
    client.client.timeout = timeout
    return client.client


def send(server: FakeSendGrid, recipients: list[str], **fields: Any) -> Any:
    """POST /v3/mail/send through the official client: its Response (status_code, body, headers), or its HTTPError."""
    return client_for(server).mail.send.post(request_body=mail_body(recipients, **fields))


# --- the official client, and what the server records --------------------------------------------------------------


def test_the_official_client_sends_and_the_server_records_the_request(sendgrid_server: FakeSendGrid) -> None:
    body = mail_body(["Ana@Example.org", "ben@example.org"])
    response = client_for(sendgrid_server).mail.send.post(request_body=body)
    assert (response.status_code, response.body, response.headers["X-Message-Id"]) == (202, b"", "msg-1")
    [record] = sendgrid_server.accepted
    assert (record.index, record.message_id, record.body, record.batch_id) == (0, "msg-1", body, None)
    assert sendgrid_server.delivered_addresses() == ["ana@example.org", "ben@example.org"]
    assert (sendgrid_server.requests, sendgrid_server.rejections) == (1, [])


def test_the_official_client_gets_sendgrids_error_answer(sendgrid_server: FakeSendGrid) -> None:
    with pytest.raises(BadRequestsError) as raised:
        send(sendgrid_server, ["a@example.org"], custom_args="issue-12")
    wrong_type = {"message": "Invalid type. Expected: object, given: string.", "field": "custom_args"}
    expected = {"errors": [{**wrong_type, "help": f"{HELP}#message.custom_args"}]}
    assert (raised.value.status_code, json.loads(raised.value.body)) == (400, expected)
    assert [(r.status, r.index) for r in sendgrid_server.rejections] == [(400, 0)]
    assert sendgrid_server.delivered_addresses() == []


def test_message_ids_count_accepted_requests_and_every_address_is_kept(sendgrid_server: FakeSendGrid) -> None:
    ids = [send(sendgrid_server, [f"r{n}@example.org", "same@example.org"]).headers["X-Message-Id"] for n in range(3)]
    assert ids == ["msg-1", "msg-2", "msg-3"]
    assert Counter(sendgrid_server.delivered_addresses())["same@example.org"] == 3


def test_concurrent_requests_are_each_recorded_once(sendgrid_server: FakeSendGrid) -> None:
    def post_batches(worker: int) -> None:
        for batch in range(5):
            send(sendgrid_server, [f"w{worker}-b{batch}-{n}@example.org" for n in range(20)])

    threads = [threading.Thread(target=post_batches, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    delivered = Counter(sendgrid_server.delivered_addresses())
    assert (len(delivered), set(delivered.values())) == (600, {1})
    assert sorted(r.message_id or "" for r in sendgrid_server.accepted) == sorted(f"msg-{n}" for n in range(1, 31))
    assert sorted(r.index for r in sendgrid_server.accepted) == list(range(30))


def test_sandbox_mode_validates_answers_200_and_delivers_nothing(sendgrid_server: FakeSendGrid) -> None:
    sandbox = {"sandbox_mode": {"enable": True}}
    response = send(sendgrid_server, ["a@example.org"], mail_settings=sandbox)
    assert (response.status_code, response.body, response.headers.get("X-Message-Id")) == (200, b"", None)
    assert [r.addresses for r in sendgrid_server.sandboxed] == [("a@example.org",)]
    assert (sendgrid_server.accepted, sendgrid_server.delivered_addresses()) == ([], [])
    with pytest.raises(BadRequestsError):
        send(sendgrid_server, ["a@example.org", "A@example.org"], mail_settings=sandbox)


def test_bodies_can_be_left_out_of_the_records() -> None:
    with FakeSendGrid(keep_bodies=False) as server:
        send(server, ["a@example.org"])
    assert (server.accepted[0].body, server.accepted[0].addresses) == (None, ("a@example.org",))


def test_a_chunked_body_is_read_like_any_other(sendgrid_server: FakeSendGrid) -> None:
    raw = json.dumps(mail_body(["a@example.org"])).encode()
    connection = http.client.HTTPConnection("127.0.0.1", sendgrid_server.port, timeout=10)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    connection.request("POST", "/v3/mail/send", body=iter([raw[:100], raw[100:]]), headers=headers, encode_chunked=True)
    assert connection.getresponse().status == 202
    connection.close()
    assert sendgrid_server.delivered_addresses() == ["a@example.org"]


def test_unknown_paths_and_methods_get_sendgrids_404_and_405(sendgrid_server: FakeSendGrid) -> None:
    missing = call(sendgrid_server.url, "GET", "/v3/templates")
    assert (missing.status, missing.json()) == (
        404,
        {"errors": [{"message": "not found", "field": None, "help": None}]},
    )
    wrong = call(sendgrid_server.url, "GET", "/v3/mail/send")
    assert (wrong.status, wrong.json()["errors"][0]["message"]) == (405, "method not allowed")


# --- auth ----------------------------------------------------------------------------------------------------------


def test_a_missing_key_is_401_authorization_required(sendgrid_server: FakeSendGrid) -> None:
    answer = call(sendgrid_server.url, "POST", "/v3/mail/send", mail_body(["a@example.org"]), key=None)
    expected = {"errors": [{"message": "authorization required", "field": None, "help": None}]}
    assert (answer.status, answer.json()) == (401, expected)
    assert [(r.status, r.index) for r in sendgrid_server.rejections] == [(401, 0)]


@pytest.mark.parametrize("key", ["SG.wrong", None])  # None: the client sends "Bearer None"
def test_a_wrong_key_is_401_with_sendgrids_message(sendgrid_server: FakeSendGrid, key: str | None) -> None:
    with pytest.raises(UnauthorizedError) as raised:
        client_for(sendgrid_server, key=key).mail.send.post(request_body=mail_body(["a@example.org"]))
    message = "The provided authorization grant is invalid, expired, or revoked"
    assert json.loads(raised.value.body) == {"errors": [{"message": message, "field": None, "help": None}]}
    assert sendgrid_server.delivered_addresses() == []


def test_a_key_without_the_scope_is_403(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.add_key("SG.read-only", scopes={"suppression.bounces.read"})
    client = client_for(sendgrid_server, key="SG.read-only")
    with pytest.raises(ForbiddenError) as raised:
        client.mail.send.post(request_body=mail_body(["a@example.org"]))
    expected = {"errors": [{"message": "access forbidden", "field": None, "help": None}]}
    assert json.loads(raised.value.body) == expected
    assert client.suppression.bounces.get().status_code == 200
    with pytest.raises(ForbiddenError):
        client.suppression.blocks.get()


# --- faults --------------------------------------------------------------------------------------------------------


def test_429_says_when_the_limit_resets_and_records_nothing(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.clock = lambda: NOW + 0.25
    sendgrid_server.faults = [Fault.rate_limit(), Fault.rate_limit(reset_at=NOW + 30)]
    first = call(sendgrid_server.url, "POST", "/v3/mail/send", mail_body(["a@example.org"]))
    second = call(sendgrid_server.url, "POST", "/v3/mail/send", mail_body(["a@example.org"]))
    limits = [(a.headers["x-ratelimit-limit"], a.headers["x-ratelimit-remaining"]) for a in (first, second)]
    assert [a.headers["x-ratelimit-reset"] for a in (first, second)] == [str(NOW + 2), str(NOW + 30)]
    assert limits == [("600", "0"), ("600", "0")]
    too_many = {"errors": [{"message": "too many requests", "field": None, "help": None}]}
    assert [(a.status, a.json()) for a in (first, second)] == [(429, too_many), (429, too_many)]
    assert send(sendgrid_server, ["a@example.org"]).status_code == 202  # request 2: no fault planned
    assert (sendgrid_server.delivered_addresses(), sendgrid_server.rejections) == (["a@example.org"], [])
    assert [index for index, _ in sendgrid_server.injected] == [0, 1]


@pytest.mark.parametrize(
    ("code", "content_type", "body"),
    [
        (500, "application/json", b'{"errors": [{"message": "internal server error", "field": null, "help": null}]}'),
        (
            502,
            "text/html",
            b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        (503, "application/json", b'{"errors": [{"message": "service unavailable", "field": null, "help": null}]}'),
    ],
)
def test_server_errors_record_nothing(sendgrid_server: FakeSendGrid, code: int, content_type: str, body: bytes) -> None:
    sendgrid_server.faults = [Fault.status(code)]  # type: ignore[arg-type]
    with pytest.raises(HTTPError) as raised:
        send(sendgrid_server, ["a@example.org"])
    assert (raised.value.status_code, raised.value.headers["Content-Type"], raised.value.body) == (
        code,
        content_type,
        body,
    )
    assert (sendgrid_server.accepted, sendgrid_server.rejections, sendgrid_server.requests) == ([], [], 1)


def test_a_slow_answer_that_was_accepted_is_delivered_though_the_client_timed_out(
    sendgrid_server: FakeSendGrid,
) -> None:
    sendgrid_server.faults = [Fault.slow(30, accept=True)]  # the fixture's stop() cuts the wait short
    with pytest.raises(TimeoutError):
        client_for(sendgrid_server, timeout=0.3).mail.send.post(request_body=mail_body(["a@example.org"]))
    assert sendgrid_server.delivered_addresses() == ["a@example.org"]


def test_a_slow_answer_not_accepted_delivers_nothing(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.faults = [Fault.slow(30)]
    with pytest.raises(TimeoutError):
        client_for(sendgrid_server, timeout=0.3).mail.send.post(request_body=mail_body(["a@example.org"]))
    assert (sendgrid_server.accepted, sendgrid_server.requests) == ([], 1)


def test_a_slow_answer_within_the_timeout_arrives(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.faults = [Fault.slow(0.2, accept=True)]
    assert send(sendgrid_server, ["a@example.org"]).status_code == 202


@pytest.mark.parametrize(
    ("fault", "raised", "delivered"),
    [
        (Fault.close_before(), http.client.RemoteDisconnected, []),
        (Fault.close_after(), http.client.RemoteDisconnected, ["a@example.org"]),
        (Fault.close_before(reset=True), ConnectionResetError, []),
        (Fault.close_after(reset=True), ConnectionResetError, ["a@example.org"]),
    ],
)
def test_a_closed_connection_gives_no_answer_whatever_was_recorded(
    sendgrid_server: FakeSendGrid, fault: Fault, raised: type[Exception], delivered: list[str]
) -> None:
    sendgrid_server.faults = [fault]
    with pytest.raises(raised):
        send(sendgrid_server, ["a@example.org"])
    assert sendgrid_server.delivered_addresses() == delivered
    assert send(sendgrid_server, ["b@example.org"]).status_code == 202


def test_faults_can_be_planned_by_a_function_of_the_request(sendgrid_server: FakeSendGrid) -> None:
    def plan(index: int, body: Any) -> Fault | None:
        first = body["personalizations"][0]["to"][0]["email"]
        return Fault.status(503) if index % 2 == 1 or first == "doomed@example.org" else None

    sendgrid_server.faults = plan
    statuses = []
    for recipient in ("a@example.org", "b@example.org", "doomed@example.org", "c@example.org"):
        answer = call(sendgrid_server.url, "POST", "/v3/mail/send", mail_body([recipient]))
        statuses.append(answer.status)
    assert statuses == [202, 503, 503, 503]
    assert [(index, fault.kind) for index, fault in sendgrid_server.injected] == [
        (1, FaultKind.UNAVAILABLE),
        (2, FaultKind.UNAVAILABLE),
        (3, FaultKind.UNAVAILABLE),
    ]


def test_a_failure_inside_the_fake_is_a_500_recorded_as_a_rejection(sendgrid_server: FakeSendGrid) -> None:
    def broken_plan(index: int, body: Any) -> Fault | None:
        raise KeyError("personalizations")

    sendgrid_server.faults = broken_plan
    answer = call(sendgrid_server.url, "POST", "/v3/mail/send", mail_body(["a@example.org"]))
    message = "the fake SendGrid failed: KeyError('personalizations')"
    assert (answer.status, answer.json()) == (500, {"errors": [{"message": message, "field": None, "help": None}]})
    assert [(r.status, r.path) for r in sendgrid_server.rejections] == [(500, "/v3/mail/send")]


def test_pause_refuses_connections_until_resume_on_the_same_url(sendgrid_server: FakeSendGrid) -> None:
    url = sendgrid_server.url
    sendgrid_server.pause()
    with pytest.raises(ConnectionRefusedError):
        call(url, "POST", "/v3/mail/send", mail_body(["a@example.org"]))
    sendgrid_server.resume()
    assert (sendgrid_server.url, send(sendgrid_server, ["a@example.org"]).status_code) == (url, 202)
    assert sendgrid_server.requests == 1


def test_pause_can_resume_by_itself(sendgrid_server: FakeSendGrid) -> None:
    resumed = threading.Event()
    original_resume = sendgrid_server.resume

    def resume() -> None:
        original_resume()
        resumed.set()

    sendgrid_server.resume = resume  # type: ignore[method-assign]
    sendgrid_server.pause(resume_after=0.05)
    assert resumed.wait(10)
    assert send(sendgrid_server, ["a@example.org"]).status_code == 202


def test_fault_kinds_read_from_json() -> None:
    assert Fault.from_json(None) is None
    assert Fault.from_json("503") == Fault(FaultKind.UNAVAILABLE)
    assert Fault.from_json(429) == Fault.rate_limit()
    assert Fault.from_json({"kind": "slow", "seconds": 5, "accept": True}) == Fault.slow(5, accept=True)
    assert Fault(FaultKind.CLOSE_AFTER, reset=True) == Fault.close_after(reset=True)


# --- batches and scheduled sends -----------------------------------------------------------------------------------


def test_a_cancelled_batch_is_not_delivered(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.clock = lambda: NOW
    client = client_for(sendgrid_server)
    batch = json.loads(client.mail.batch.post().body)
    assert batch == {"batch_id": "batch-1"}
    assert json.loads(client.mail.batch._("batch-1").get().body) == batch
    send(sendgrid_server, ["a@example.org"], batch_id="batch-1", send_at=NOW + 3600)
    send(sendgrid_server, ["now@example.org"])  # no send_at: gone at once, whatever happens to the batch
    held = client.user.scheduled_sends.post(request_body={"batch_id": "batch-1", "status": "cancel"})
    assert (held.status_code, json.loads(held.body)) == (201, {"batch_id": "batch-1", "status": "cancel"})
    assert sendgrid_server.cancelled_batches() == {"batch-1"}
    assert sendgrid_server.delivered_addresses() == ["now@example.org"]
    listed = json.loads(client.user.scheduled_sends._("batch-1").get().body)
    assert listed == [{"batch_id": "batch-1", "status": "cancel"}]
    assert json.loads(client.user.scheduled_sends.get().body) == listed
    assert client.user.scheduled_sends._("batch-1").patch(request_body={"status": "pause"}).status_code == 204
    assert (sendgrid_server.cancelled_batches(), sendgrid_server.delivered_addresses()) == (set(), ["now@example.org"])
    assert client.user.scheduled_sends._("batch-1").delete().status_code == 204
    assert sendgrid_server.delivered_addresses() == ["a@example.org", "now@example.org"]
    assert sendgrid_server.rejections == []


def test_a_cancel_less_than_10_minutes_before_send_at_comes_too_late(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.clock = lambda: NOW
    batch = call(sendgrid_server.url, "POST", "/v3/mail/batch").json()["batch_id"]
    send(sendgrid_server, ["early@example.org"], batch_id=batch, send_at=NOW + 599)
    send(sendgrid_server, ["later@example.org"], batch_id=batch, send_at=NOW + 600)
    call(sendgrid_server.url, "POST", "/v3/user/scheduled_sends", {"batch_id": batch, "status": "cancel"})
    assert sendgrid_server.delivered_addresses() == ["early@example.org"]


def test_scheduled_send_requests_are_checked_against_the_spec(sendgrid_server: FakeSendGrid) -> None:
    answer = call(sendgrid_server.url, "POST", "/v3/user/scheduled_sends", {"batch_id": "batch-1", "status": "stop"})
    enum = {"message": 'status must be one of the following: "pause", "cancel"', "field": "status"}
    assert (answer.status, answer.json()) == (400, {"errors": [{**enum, "help": f"{HELP}#message.status"}]})
    unknown = call(sendgrid_server.url, "POST", "/v3/user/scheduled_sends", {"batch_id": "nope", "status": "pause"})
    invalid = {"message": "invalid batch id", "field": "batch_id", "help": None}
    assert (unknown.status, unknown.json()) == (400, {"errors": [invalid]})
    assert call(sendgrid_server.url, "GET", "/v3/mail/batch/nope").status == 400
    assert call(sendgrid_server.url, "DELETE", "/v3/user/scheduled_sends/nope").status == 404
    assert [r.status for r in sendgrid_server.rejections] == [400, 400, 400, 404]


def test_at_most_ten_batches_are_held_at_once(sendgrid_server: FakeSendGrid) -> None:
    statuses = []
    for _ in range(11):
        batch = call(sendgrid_server.url, "POST", "/v3/mail/batch").json()["batch_id"]
        held = {"batch_id": batch, "status": "pause"}
        statuses.append(call(sendgrid_server.url, "POST", "/v3/user/scheduled_sends", held).status)
    assert statuses == [201] * 10 + [400]


# --- suppressions --------------------------------------------------------------------------------------------------


def test_suppressions_page_with_limit_offset_and_time_range(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", [{"email": f"b{n}@example.org", "created": 100 + n} for n in range(7)])
    bounces = client_for(sendgrid_server).suppression.bounces

    def emails(**query: Any) -> list[str]:
        return [record["email"] for record in json.loads(bounces.get(query_params=query).body)]

    pages = [emails(limit=3, offset=offset) for offset in (0, 3, 6, 9)]
    assert pages == [
        ["b0@example.org", "b1@example.org", "b2@example.org"],
        ["b3@example.org", "b4@example.org", "b5@example.org"],
        ["b6@example.org"],
        [],
    ]
    assert emails(start_time=102, end_time=104) == ["b2@example.org", "b3@example.org", "b4@example.org"]
    assert emails(email="B5") == ["b5@example.org"]
    assert emails(email="%6@example") == ["b6@example.org"]


def test_without_a_limit_a_page_holds_500(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("unsubscribes", [f"u{n}@example.org" for n in range(501)])
    answer = call(sendgrid_server.url, "GET", "/v3/suppression/unsubscribes")
    assert (answer.status, len(answer.json())) == (200, 500)


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "start_time=yesterday"])
def test_paging_out_of_the_spec_is_400(sendgrid_server: FakeSendGrid, query: str) -> None:
    answer = call(sendgrid_server.url, "GET", f"/v3/suppression/blocks?{query}")
    name = query.split("=")[0]
    bounds = "between 1 and 500" if name == "limit" else "of at least 0"
    expected = {"errors": [{"message": f"{name} must be an integer {bounds}", "field": name, "help": None}]}
    assert (answer.status, answer.json()) == (400, expected)


def test_each_suppression_list_serves_records_shaped_like_sendgrids(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.clock = lambda: NOW
    expected = {
        "bounces": {"reason": "550 5.1.1 The email account that you tried to reach does not exist.", "status": "5.1.1"},
        "blocks": {"reason": "unable to resolve MX record for the domain", "status": "4.0.0"},
        "spam_reports": {"ip": "10.63.202.100"},
        "invalid_emails": {"reason": "Mail domain mentioned in email address is unknown"},
        "unsubscribes": {},
    }
    for kind in expected:
        sendgrid_server.load_suppressions(kind, [f"{kind}@example.org"])
        answer = call(sendgrid_server.url, "GET", f"/v3/suppression/{kind}")
        assert answer.json() == [{"created": NOW, "email": f"{kind}@example.org", **expected[kind]}]


def test_group_suppressions_are_served_per_group(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_group_suppressions(42, ["a@example.org", "b@example.org"])
    response = client_for(sendgrid_server).asm.groups._(42).suppressions.get()
    assert json.loads(response.body) == ["a@example.org", "b@example.org"]
    assert call(sendgrid_server.url, "GET", "/v3/asm/groups/7/suppressions").status == 404


# --- in a process of its own -----------------------------------------------------------------------------------------


def test_the_server_runs_as_a_process_and_records_to_a_file(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent / "sendgrid_fake.py"
    record = tmp_path / "requests.jsonl"
    command = [sys.executable, str(script), "--port", "0", "--record", str(record), "--faults", '["503"]']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        first = call(url, "POST", "/v3/mail/send", mail_body(["a@example.org"]))
        second = call(url, "POST", "/v3/mail/send", mail_body(["A@example.org", "b@example.org"]))
        third = call(url, "POST", "/v3/mail/send", mail_body(["c@example.org", "C@example.org"]))
        assert (first.status, second.status, third.status, second.headers["x-message-id"]) == (503, 202, 400, "msg-1")
        accepted, rejected = (json.loads(line) for line in record.read_text().splitlines())
        assert {key: value for key, value in accepted.items() if key != "time"} == {
            "status": 202,
            "index": 1,
            "message_id": "msg-1",
            "batch_id": None,
            "send_at": None,
            "addresses": ["a@example.org", "b@example.org"],
        }
        assert (rejected["status"], rejected["index"], rejected["path"]) == (400, 2, "/v3/mail/send")
        assert rejected["errors"][0]["message"].endswith("You have included C@example.org more than once.")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0

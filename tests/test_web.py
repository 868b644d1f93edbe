"""The readers' web app over real HTTP, run by uvicorn the way production runs it: one-click unsubscribe (RFC 8058)
in both encodings, the page and its button, tokens that must be refused, sign-up and confirmation with the sticky
statuses, the honeypot, the form token, rate limits, oversized and malformed bodies, names that try to reach a
mail header, security headers, escaping and the archive."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from conftest import TEST_SECRET
from newsletter.subscribers.journal import Change, read_pending
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.listfile import read_subscribers
from newsletter.tokens import make_token
from newsletter.web.guard import make_form_token
from web_support import Server, form_action, hidden_fields, link_in, make_publication, post_many, running

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
READERS = [(f"reader{n}@example.org", "active") for n in range(40)] + [
    ("gone@example.org", "unsubscribed"),
    ("bounced@example.org", "bounced"),
    ("complained@example.org", "complained"),
    ("listed@example.org", "active"),
    ("waiting@example.org", "pending"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = make_publication(tmp_path_factory.mktemp("web"), READERS)
    # Behind a proxy that says who the client is: each test speaks as its own client, with its own rate limits.
    with running(root, trust_proxy=True) as running_server:
        yield running_server


def journaled(server: Server) -> list[Change]:
    """Every change the server accepted (applied or not): its journal files stay while it runs."""
    return read_pending(server.journal, {}).changes


def statuses(server: Server) -> dict[str, str]:
    apply_journal(server.root / "subscribers.csv", server.journal)
    return {row.email: row.status for row in read_subscribers(server.root / "subscribers.csv")}


def unsubscribe_url(server: Server, address: str, purpose: str = "unsubscribe") -> str:
    return f"{server.base}/unsubscribe?token={make_token(TEST_SECRET, purpose, address)}"


def client(number: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{number}"}


def main_text(page: str) -> str:
    """The words of the page's <main>, tags dropped and whitespace collapsed."""
    found = re.search(r"<main>(.*)</main>", page, re.DOTALL)
    assert found
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


# --- one-click unsubscribe -----------------------------------------------------------------------------------


def test_one_click_post_urlencoded_unsubscribes_with_200_no_redirect_no_cookie(server: Server) -> None:
    answer = httpx.post(unsubscribe_url(server, "reader1@example.org"), content=b"List-Unsubscribe=One-Click",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert answer.status_code == 200
    assert "location" not in answer.headers and "set-cookie" not in answer.headers
    assert main_text(answer.text) == (
        "You are unsubscribed reader1@example.org will receive no more issues of India and the World. "
        "A mistake? Subscribe again ."
    )
    assert [(c.email, c.status, c.reason) for c in journaled(server) if c.email == "reader1@example.org"] == [
        ("reader1@example.org", "unsubscribed", "unsubscribed on the web (one-click)")
    ]
    assert statuses(server)["reader1@example.org"] == "unsubscribed"
    again = httpx.post(unsubscribe_url(server, "reader1@example.org"), data=ONE_CLICK)
    assert again.status_code == 200
    assert statuses(server)["reader1@example.org"] == "unsubscribed"


def test_one_click_post_as_multipart_form_data_unsubscribes(server: Server) -> None:
    body = b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n'
    answer = httpx.post(unsubscribe_url(server, "reader2@example.org"), content=body,
                        headers={"Content-Type": "multipart/form-data; boundary=XyZ"})  # fmt: skip
    assert answer.status_code == 200
    assert statuses(server)["reader2@example.org"] == "unsubscribed"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/x-www-form-urlencoded"),
        (b"List-Unsubscribe=Yes", "application/x-www-form-urlencoded"),
        (b"list-unsubscribe=one-click", "application/x-www-form-urlencoded"),
        (b'{"List-Unsubscribe": "One-Click"}', "application/json"),
        (b"List-Unsubscribe=One-Click", "text/plain"),
    ],
)
def test_a_post_without_list_unsubscribe_one_click_changes_nothing(
    server: Server, body: bytes, content_type: str
) -> None:
    before = len(journaled(server))
    answer = httpx.post(unsubscribe_url(server, "reader3@example.org"), content=body,
                        headers={"Content-Type": content_type})  # fmt: skip
    assert answer.status_code == 400
    assert main_text(answer.text).startswith("This request could not be handled Nothing was changed: this request")
    assert len(journaled(server)) == before
    assert statuses(server)["reader3@example.org"] == "active"


def test_get_changes_nothing_and_the_pages_button_unsubscribes(server: Server) -> None:
    url = unsubscribe_url(server, "reader4@example.org")
    before = len(journaled(server))
    for _ in range(3):  # a mail scanner may open the link several times
        page = httpx.get(url)
        assert page.status_code == 200
    assert len(journaled(server)) == before and statuses(server)["reader4@example.org"] == "active"
    assert main_text(page.text) == (
        "Unsubscribe Stop sending India and the World to reader4@example.org ? Unsubscribe "
        "Nothing changes unless you press the button."
    )
    action = form_action(page.text)
    assert action == url.removeprefix("http://" + url.split("/")[2])
    pressed = httpx.post(f"{server.base.split('/newsletter')[0]}{action}", data=hidden_fields(page.text))
    assert pressed.status_code == 200
    assert statuses(server)["reader4@example.org"] == "unsubscribed"


def _bad_tokens() -> list[tuple[str, str, str]]:
    victim = "reader5@example.org"
    good = make_token(TEST_SECRET, "unsubscribe", victim)
    payload = good.split(".")[0]
    return [
        ("unsubscribe", "forged", payload + ".AAAAAAAAAAAAAAAAAAAAAA"),
        ("unsubscribe", "other secret", make_token(b"another-secret-of-at-least-32-bytes!!", "unsubscribe", victim)),
        ("unsubscribe", "truncated", good[:-4]),
        ("unsubscribe", "cut at the dot", payload + "."),
        ("unsubscribe", "a confirm token", make_token(TEST_SECRET, "confirm", victim)),
        ("unsubscribe", "the form token", make_form_token(TEST_SECRET, datetime.now(UTC))),
        ("unsubscribe", "none", ""),
        ("unsubscribe", "garbage", "%00%0d%0a<script>"),
        ("confirm", "an unsubscribe token", good),
        ("confirm", "forged", make_token(TEST_SECRET, "confirm", victim).split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAA"),
    ]


@pytest.mark.parametrize(("route", "what", "token"), _bad_tokens(), ids=[f"{r}-{w}" for r, w, _ in _bad_tokens()])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_tokens_are_refused_and_change_nothing(
    server: Server, route: str, what: str, token: str, method: str
) -> None:
    before = len(journaled(server))
    answer = httpx.request(method, f"{server.base}/{route}?token={token}", data=ONE_CLICK if method == "POST" else None)
    assert answer.status_code == 400
    assert main_text(answer.text) == (
        "This request could not be handled This link is not valid. It may have been cut short: open it again from "
        "the email itself. India and the World: all issues"
    )
    assert len(journaled(server)) == before
    assert statuses(server)["reader5@example.org"] == "active"


# --- sign-up and confirmation ----------------------------------------------------------------------------------


def sign_up(server: Server, address: str, name: str = "", number: int = 1, **extra: str) -> httpx.Response:
    form = httpx.get(f"{server.base}/subscribe", headers=client(number))
    assert form.status_code == 200
    fields = {**hidden_fields(form.text), "email": address, "name": name, **extra}
    return httpx.post(f"{server.base}/subscribe", data=fields, headers=client(number))


def test_sign_up_then_confirm_makes_a_new_reader_active_and_welcomes_them(server: Server) -> None:
    answer = sign_up(server, "Nova.Reader@Example.ORG", "Nova", number=10)
    assert answer.status_code == 200
    assert main_text(answer.text) == (
        "Check your inbox If Nova.Reader@example.org can receive India and the World, an email with a confirmation "
        "link is on its way to it. Open the link and press the button there to confirm your subscription. Nothing "
        "after a few minutes? Look in the spam folder, or try again ."
    )
    [change] = [c for c in journaled(server) if c.email == "Nova.Reader@example.org"]
    assert (change.status, change.name, change.reader_request) == ("pending", "Nova", False)
    assert change.evidence == {
        "at": change.evidence["at"],
        "how": f"sign-up form at {server.base}/subscribe",
        "ip": "198.51.100.10",
    }
    confirmation = server.wait_for_message("Nova.Reader@example.org")
    assert confirmation["To"] == "Nova.Reader@example.org"
    assert confirmation["Subject"].startswith("Please confirm your subscription to India and the World (confirm ")
    link = link_in(confirmation, f"{server.base}/confirm?token=")
    page = httpx.get(link)
    assert page.status_code == 200
    assert main_text(page.text).startswith(
        "Confirm your subscription Send India and the World to nova.reader@example.org ?"
    )
    assert statuses(server)["Nova.Reader@example.org"] == "pending"
    done = httpx.post(f"{server.base.split('/newsletter')[0]}{form_action(page.text)}", data={"name": ""})
    assert done.status_code == 200
    assert main_text(done.text) == (
        "Thank you Your confirmation is recorded: the next issue of India and the World goes to "
        "nova.reader@example.org , and unless you were on the list already, a welcome email comes first. One "
        "exception: if our mail to this address has bounced, or was reported as spam, we do not write to it again "
        "and nothing will come. Write to editor@indiawrites.org and the editors will set it right. Read the past "
        "issues"
    )
    welcome = server.wait_for_message("Nova.Reader@example.org", 2)
    assert welcome["Subject"] == "Welcome to India and the World"
    assert "Dear reader," in welcome.get_content()
    rows = {row.email: row for row in read_subscribers(server.root / "subscribers.csv")}
    row = rows["Nova.Reader@example.org"]
    assert (row.status, row.name, row.source) == ("active", "Nova", "web")
    assert '"how": "confirmation link"' in row.consent and '"how": "sign-up form at' in row.consent


def test_the_answer_is_the_same_whether_the_address_is_new_listed_or_sticky(server: Server) -> None:
    addresses = ["brand.new@example.org", "listed@example.org", "gone@example.org", "bounced@example.org",
                 "complained@example.org", "waiting@example.org"]  # fmt: skip
    answers = [sign_up(server, address, number=11 + n) for n, address in enumerate(addresses)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text.replace(address, "ADDRESS") for a, address in zip(answers, addresses, strict=True)}) == 1
    for address in ("brand.new@example.org", "gone@example.org", "waiting@example.org"):
        server.wait_for_message(address)
    statuses(server)  # every sign-up applied (and mailed) by now: the server's applier ran before ours could
    assert server.messages("bounced@example.org") == [] and server.messages("complained@example.org") == []
    assert server.messages("listed@example.org") == []
    # A confirmation brings an unsubscribed reader back; bounced and complained stay as they are.
    for address in ("gone@example.org", "bounced@example.org", "complained@example.org"):
        token = make_token(TEST_SECRET, "confirm", address)
        assert httpx.post(f"{server.base}/confirm?token={token}", data={}).status_code == 200
    now = statuses(server)
    assert (now["gone@example.org"], now["bounced@example.org"], now["complained@example.org"]) == (
        "active", "bounced", "complained",
    )  # fmt: skip
    assert statuses(server)["brand.new@example.org"] == "pending"
    server.wait_for_message("gone@example.org", 2)
    assert server.messages("bounced@example.org") == [] and server.messages("complained@example.org") == []


def test_the_honeypot_gets_the_same_answer_and_nothing_happens(server: Server) -> None:
    answer = sign_up(server, "bot.victim@example.org", number=20, website="http://spam.example")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert [c for c in journaled(server) if c.email == "bot.victim@example.org"] == []
    assert "bot.victim@example.org" not in statuses(server)


@pytest.mark.parametrize(
    ("token", "origin", "status"),
    [
        ("", None, 400),
        ("not-a-token", None, 400),
        ("old", None, 400),
        ("future", None, 400),
        ("other-secret", None, 400),
        ("good", "https://evil.example", 403),
        ("good", "null", 403),
    ],
)
def test_the_form_token_and_origin_are_checked(server: Server, token: str, origin: str | None, status: int) -> None:
    now = datetime.now(UTC)
    tokens = {
        "old": make_form_token(TEST_SECRET, now - timedelta(hours=3)),
        "future": make_form_token(TEST_SECRET, now + timedelta(hours=1)),
        "other-secret": make_form_token(b"another-secret-of-at-least-32-bytes!!", now),
        "good": make_form_token(TEST_SECRET, now),
    }
    headers = {**client(21), **({"Origin": origin} if origin else {})}
    fields = {"form_token": tokens.get(token, token), "email": "csrf.victim@example.org"}
    answer = httpx.post(f"{server.base}/subscribe", data=fields, headers=headers)
    assert answer.status_code == status
    if status == 400:
        assert "The form had expired or was not ours. Please send it again." in answer.text
        assert hidden_fields(answer.text)["form_token"] != fields["form_token"]  # a fresh form to send again
    assert [c for c in journaled(server) if c.email == "csrf.victim@example.org"] == []


@pytest.mark.slow
def test_ten_thousand_sign_ups_from_one_client_are_cut_off(server: Server) -> None:
    form = httpx.get(f"{server.base}/subscribe", headers=client(30))
    token = hidden_fields(form.text)["form_token"]
    before = len(journaled(server))

    bodies = [urlencode({"form_token": token, "email": f"flood{n}@example.org"}).encode() for n in range(10_000)]
    results = post_many(f"{server.base}/subscribe", bodies, client(30))
    codes = [code for code, _ in results]
    assert (codes.count(200), codes.count(429)) == (20, 9980)
    assert all(0 < int(wait) <= 600 for code, wait in results if code == 429)
    assert len(journaled(server)) - before == 20
    # Other clients are not affected, and the server still answers.
    assert sign_up(server, "after.flood@example.org", number=31).status_code == 200


def test_one_address_is_mailed_a_few_times_at_most(server: Server) -> None:
    answers = [sign_up(server, "pestered@example.org", number=40 + n) for n in range(6)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert len([c for c in journaled(server) if c.email == "pestered@example.org"]) == 3
    server.wait_for_message("pestered@example.org")
    statuses(server)
    assert 1 <= len(server.messages("pestered@example.org")) <= 3


def test_an_invalid_address_is_shown_again_escaped(server: Server) -> None:
    answer = sign_up(server, '"><script>alert(1)</script>', number=50)
    assert answer.status_code == 400
    assert "<script>" not in answer.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text
    assert "That does not look like an email address. Please check it." in answer.text


@pytest.mark.parametrize(
    "name",
    [
        "Eve\r\nBcc: victim@example.org",
        "=?utf-8?q?Mallory=0D=0ABcc=3A_victim=40example=2Eorg?=",
        "Zoë\u2028Bcc: victim@example.org",
        "Trudy\x00\x1b[31m",
    ],
)
def test_names_never_reach_a_mail_header(server: Server, name: str) -> None:
    address = f"named{abs(hash(name)) % 10_000}@example.org"
    assert sign_up(server, address, name, number=60).status_code == 200
    token = make_token(TEST_SECRET, "confirm", address)
    assert httpx.post(f"{server.base}/confirm?token={token}", data={"name": name}).status_code == 200
    server.wait_for_message(address, 2)
    for path in sorted(server.outbox.glob(f"{address}*.eml")):
        raw = path.read_bytes()
        head = raw.split(b"\n\n", 1)[0]
        assert b"Bcc" not in head and b"Mallory" not in head and b"Eve" not in head and b"victim" not in head
        assert re.findall(rb"(?m)^To: (.*)$", head) == [address.encode()]
    [row] = [row for row in read_subscribers(server.root / "subscribers.csv") if row.email == address]
    assert "\r" not in row.name and "\n" not in row.name and "\u2028" not in row.name and "\x1b" not in row.name


@pytest.mark.parametrize("typed_in", ["sign-up", "confirmation"])
def test_a_formula_typed_as_a_name_reaches_the_spreadsheet_as_text(server: Server, typed_in: str) -> None:
    """The web's names go through the same cell writer as every other (table.written_cells): a spreadsheet that
    opens subscribers.csv shows the text, it does not run it."""
    formula = '=HYPERLINK("https://evil.example/","Click here")'
    address = f"formula-{typed_in}@example.org"
    number = 70 if typed_in == "sign-up" else 71
    assert sign_up(server, address, formula if typed_in == "sign-up" else "", number=number).status_code == 200
    token = make_token(TEST_SECRET, "confirm", address)
    name = formula if typed_in == "confirmation" else ""
    assert httpx.post(f"{server.base}/confirm?token={token}", data={"name": name}).status_code == 200
    assert statuses(server)[address] == "active"
    with (server.root / "subscribers.csv").open(newline="", encoding="utf-8") as handle:
        [cells] = [cells for cells in csv.DictReader(handle) if cells["email"] == address]
    assert cells["name"] == "'" + formula
    assert [cell for cell in cells.values() if cell[:1] in ("=", "+", "-", "@")] == []


# --- bodies ----------------------------------------------------------------------------------------------------


def test_a_body_over_64_kb_is_refused_with_or_without_content_length(server: Server) -> None:
    url = unsubscribe_url(server, "reader6@example.org")
    big = b"List-Unsubscribe=One-Click&pad=" + b"x" * (64 * 1024)
    declared = httpx.post(url, content=big, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert declared.status_code == 413 and "Too large" in declared.text

    def chunks() -> Iterator[bytes]:
        yield b"List-Unsubscribe=One-Click&pad="
        for _ in range(70):
            yield b"x" * 1024

    chunked = httpx.post(url, content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert chunked.status_code == 413
    assert statuses(server)["reader6@example.org"] == "active"
    fits = b"List-Unsubscribe=One-Click&pad=" + b"x" * (60 * 1024)
    assert (
        httpx.post(url, content=fits, headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click',
            "multipart/form-data; boundary=XyZ",
        ),
        (b"garbage without a boundary", "multipart/form-data; boundary=XyZ"),
        (b"List-Unsubscribe=One-Click", "multipart/form-data"),
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nhi\r\n--XyZ--\r\n',
            "multipart/form-data; boundary=XyZ",
        ),
        ("&".join(f"k{n}=v" for n in range(500)).encode(), "multipart/form-data; boundary=XyZ"),
    ],
)
def test_malformed_bodies_are_refused_without_a_server_error(server: Server, body: bytes, content_type: str) -> None:
    answer = httpx.post(
        unsubscribe_url(server, "reader7@example.org"), content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 400
    assert statuses(server)["reader7@example.org"] == "active"


def test_odd_urlencoded_bodies_do_not_break_the_server(server: Server) -> None:
    for body in (b"%%%", b"List-Unsubscribe=One%ZZClick", b"\xff\xfe=\x00", b"=" * 1000, b"&&&&"):
        answer = httpx.post(unsubscribe_url(server, "reader8@example.org"), content=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert answer.status_code == 400, body
    assert statuses(server)["reader8@example.org"] == "active"


# --- headers, archive, routes ------------------------------------------------------------------------------------


def test_every_page_carries_the_security_headers(server: Server) -> None:
    for path in (
        "/subscribe",
        "/",
        "/2015-03-16.html",
        "/nope",
        f"/unsubscribe?token={make_token(TEST_SECRET, 'unsubscribe', 'a@b.org')}",
    ):
        answer = httpx.get(f"{server.base}{path}")
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp.replace("script-src 'none'", "")
        assert "'unsafe-inline'" not in csp.split("style-src-attr")[0], path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    strict = httpx.get(f"{server.base}/subscribe").headers["content-security-policy"]
    assert strict == (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )


def test_the_archive_is_served_with_a_sign_up_link(server: Server) -> None:
    index = httpx.get(f"{server.base}/")
    assert index.status_code == 200
    assert 'href="2015-03-16.html"' in index.text and f'href="{"/newsletter"}/subscribe"' in index.text
    issue = httpx.get(f"{server.base}/2015-03-16.html")
    assert issue.status_code == 200 and "Putin to meet top aide to Chinese president" in issue.text
    body_at = issue.text.index("<body")
    assert issue.text.index('href="/newsletter/subscribe"') > body_at
    csp = issue.headers["content-security-policy"]
    assert "script-src 'none'" in csp and csp.count("'sha256-") == len(re.findall(r"<style\b", issue.text))
    feed = httpx.get(f"{server.base}/feed.xml")
    assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert b"<feed" in feed.content
    for missing in ("/2099-01-01.html", "/..%2Fnewsletter.toml", "/feed.html", "/.html"):
        assert httpx.get(f"{server.base}{missing}").status_code == 404, missing


def test_the_base_path_without_a_slash_goes_to_the_configured_address_whatever_the_host_header(server: Server) -> None:
    answer = httpx.get(server.base, headers={"Host": "evil.example"})
    assert (answer.status_code, answer.headers["location"]) == (308, f"{server.base}/")
    assert httpx.get(server.base.replace("/newsletter", "/elsewhere/")).status_code == 404


def test_healthz_and_wrong_methods(server: Server) -> None:
    assert httpx.get(f"{server.base}/healthz").text == "ok\n"
    wrong = httpx.delete(f"{server.base}/subscribe")
    assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert httpx.post(f"{server.base}/2015-03-16.html").status_code == 405


def test_the_clients_address_is_the_peer_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    root = make_publication(tmp_path, [])
    with running(root) as plain:
        assert sign_up(plain, "plain@example.org", number=99).status_code == 200
        [change] = journaled(plain)
        assert "ip" not in change.evidence  # the peer would be the proxy, not the reader


def test_no_welcome_when_the_editor_turned_welcomes_off(tmp_path: Path) -> None:
    root = make_publication(tmp_path)
    toml = root / "newsletter.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[inbox]\n", "[inbox]\nsend_welcome = false\n"))
    with running(root, trust_proxy=True) as quiet:
        sign_up(quiet, "first@example.org", number=1)
        page = httpx.get(link_in(quiet.wait_for_message("first@example.org"), f"{quiet.base}/confirm?token="))
        done = httpx.post(f"{quiet.base.split('/newsletter')[0]}{form_action(page.text)}", data={"name": ""})
        assert main_text(done.text).startswith(
            "Thank you Your confirmation is recorded: the next issue of India and the World goes to "
            "first@example.org . One exception:"
        )
        # The next reader's confirmation goes out after the first reader's outcome was handled: had a welcome
        # been due, it would be written by then.
        sign_up(quiet, "second@example.org", number=2)
        quiet.wait_for_message("second@example.org")
        assert [m["Subject"].split(" (")[0] for m in quiet.messages("first@example.org")] == [
            "Please confirm your subscription to India and the World"
        ]
        assert statuses(quiet)["first@example.org"] == "active"

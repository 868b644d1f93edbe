"""`newsletter add` against a real local HTTP server serving fixture pages: metadata, redirects, refusals, and the
exact YAML written (a golden file, comments and formatting kept; UPDATE_GOLDEN=1 rewrites it)."""

from __future__ import annotations

import contextlib
import gzip
import shutil
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from golden_files import assert_golden
from newsletter.cli import cli
from newsletter.desk.fetch import fetch_page
from newsletter.errors import FetchError
from newsletter.issue.load import load_issue

TESTS = Path(__file__).resolve().parent
PAGES = TESTS / "data" / "pages"
GOLDEN = TESTS / "golden"
SEED_PATH = "/diplomacy/putin-to-meet-top-aide-to-chinese-president/"
BOMB = PAGES / "gzip-bomb-1gib.html.gz.gz"
SEED_TITLE = "Putin to meet top aide to Chinese president"


class PageHandler(BaseHTTPRequestHandler):
    """Fixture pages and every way a fetch can go wrong, on 127.0.0.1."""

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def send(self, status: int, body: bytes, content_type: str | None = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, status: int, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        # The client hangs up on purpose on the huge and slow pages.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.route(urlsplit(self.path).path)

    def route(self, path: str) -> None:
        if path == SEED_PATH:
            self.send(200, (PAGES / "seed-article.html").read_bytes())
        elif path.startswith("/pages/"):
            name = path.removeprefix("/pages/")
            charset = "" if name == "windows-1252.html" else "; charset=utf-8"  # that one says it in a <meta>
            self.send(200, (PAGES / name).read_bytes(), f"text/html{charset}")
        elif path == "/short/seed":
            self.redirect(301, SEED_PATH + "?utm_source=newsletter&utm_medium=email")
        elif path.startswith("/chain/"):
            left = int(path.removeprefix("/chain/"))
            self.redirect(302, f"/chain/{left - 1}" if left > 1 else "/short/seed")
        elif path == "/to-ftp":
            self.redirect(302, "ftp://127.0.0.1/article.html")
        elif path == "/to-file":
            self.redirect(307, "file:///etc/passwd")
        elif path == "/missing":
            self.send(404, b"<h1>Not Found</h1>")
        elif path == "/broken":
            self.send(500, b"<h1>Internal Server Error</h1>")
        elif path == "/report.pdf":
            self.send(200, b"%PDF-1.4 not a page", "application/pdf")
        elif path == "/no-type":
            self.send(200, (PAGES / "seed-article.html").read_bytes(), None)
        elif path == "/no-type-binary":
            self.send(200, bytes(range(256)) * 4, None)
        elif path == "/huge":  # no Content-Length: only counting the bytes read finds out
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!DOCTYPE html><html><head><title>Huge</title></head><body>")
            for _ in range(6 * 16):  # 6 MB in 64 KB pieces, bounded
                self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
        elif path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b"<html>")
        elif path == "/slow":
            time.sleep(2)  # past the test's 0.3 s timeout
            self.send(200, b"<title>Too late</title>")
        elif path == "/drip":  # each byte within the read timeout, the whole far too slow
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/trickle-headers":  # one header line at a time, each well within the read timeout
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
            for number in range(40):
                self.wfile.write(f"X-Wait-{number}: {number}\r\n".encode())
                self.wfile.flush()
                time.sleep(0.1)
        elif path.startswith("/slow-hop/"):  # every redirect answers in time, the chain does not
            time.sleep(0.2)
            left = int(path.removeprefix("/slow-hop/"))
            self.redirect(302, f"/slow-hop/{left - 1}" if left > 1 else SEED_PATH)
        elif path.startswith("/encoded/"):
            self.encoded(path.removeprefix("/encoded/"))
        elif path == "/redirect-nowhere":
            self.send_response(302)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/redirect-broken":
            self.redirect(301, "http://[::1/article")
        elif path == "/redirect-bad-host":
            self.redirect(307, "http://www..indiawrites.org/article")
        else:
            self.send(404, b"no such fixture")

    def encoded(self, name: str) -> None:
        """The seed page, or the bomb, compressed as the fixture's name says."""
        page = (PAGES / "seed-article.html").read_bytes()
        if name == "bomb":  # 1904 bytes on the wire, 1 GiB once both gzip layers are undone
            body, encoding = BOMB.read_bytes(), "gzip, gzip"
        elif name == "gzip":
            body, encoding = gzip.compress(page), "gzip"
        elif name == "two-gzip-members":
            body, encoding = gzip.compress(page[:1000]) + gzip.compress(page[1000:]), "gzip"
        elif name == "deflate":
            body, encoding = zlib.compress(page), "deflate"
        elif name == "raw-deflate":  # no zlib header: what some servers send as "deflate"
            squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            body, encoding = squeeze.compress(page) + squeeze.flush(), "deflate"
        elif name == "deflate-then-gzip":
            body, encoding = gzip.compress(zlib.compress(page)), "deflate, gzip"
        elif name == "br":
            body, encoding = b"\x1b\x00\x00", "br"
        elif name == "gzip-thrice":
            body, encoding = gzip.compress(gzip.compress(gzip.compress(page))), "gzip, gzip, gzip"
        else:  # damaged
            body, encoding = gzip.compress(page)[:40] + b"not gzip at all" * 10, "gzip"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    path = tmp_path / "2015-03-16.yaml"
    shutil.copy(GOLDEN / "add_issue_before.yaml", path)
    path.chmod(0o644)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- fetching -------------------------------------------------------------------------------------------------


def test_fetch_follows_redirects_to_the_final_page(server: str) -> None:
    page = fetch_page(f"{server}/chain/3")
    assert page.url == f"{server}{SEED_PATH}?utm_source=newsletter&utm_medium=email"
    assert "<title>Putin to meet top aide to Chinese president | India Writes Network</title>" in page.html


def test_fetch_reads_charset_from_meta_and_sniffs_untyped_html(server: str) -> None:
    assert "<title>Russia’s turn to the east</title>" in fetch_page(f"{server}/pages/windows-1252.html").html
    assert "Putin to meet top aide" in fetch_page(f"{server}/no-type").html


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "{url}: the server answered 404 Not Found: check the address."),
        ("/broken", "{url}: the server answered 500 Internal Server Error: check the address."),
        ("/report.pdf", "{url}: not a web page (application/pdf): give the address of the article's HTML page."),
        ("/no-type-binary", "{url}: not a web page (no Content-Type): give the address of the article's HTML page."),
        ("/huge", "{url}: the page is larger than 5 MB: save it and add the file instead."),
        ("/huge-declared", "{url}: the page is larger than 5 MB: save it and add the file instead."),
        ("/to-ftp", "{url}: redirected to 'ftp://127.0.0.1/article.html': only http and https addresses are followed."),
        ("/to-file", "{url}: redirected to 'file:///etc/passwd': only http and https addresses are followed."),
        ("/chain/9", "{url}: more than 5 redirects: open it in a browser and add the final address."),
    ],
)  # fmt: skip
def test_fetch_refusals(server: str, path: str, message: str) -> None:
    url = server + path
    with pytest.raises(FetchError) as caught:
        fetch_page(url)
    assert str(caught.value) == message.format(url=url)


def test_fetch_times_out(server: str) -> None:
    url = server + "/slow"
    with pytest.raises(FetchError) as caught:
        fetch_page(url, timeout=0.3)
    assert str(caught.value) == (
        f"{url}: no answer within 0.3 seconds: try again later, or save the page and add the file."
    )


@pytest.mark.parametrize("path", ["/drip", "/trickle-headers", "/slow-hop/5"])
def test_one_deadline_covers_headers_body_and_redirects(server: str, path: str) -> None:
    """Every read comes within the 10 s read timeout; only the deadline for the whole fetch stops these (30 s in
    use, 0.5 s here). A header line every 3 s held `add` for 120 s before."""
    url = server + path
    with pytest.raises(FetchError) as caught:
        fetch_page(url, deadline=0.5)
    assert str(caught.value) == (
        f"{url}: the page did not arrive within 0.5 seconds: try again later, or save the page and add the file."
    )


def test_the_deadline_holds_through_an_injected_clock(server: str) -> None:
    """The deadline is read from the clock it is given, at every socket operation: one already past stops the
    fetch before it connects."""
    ticks = iter([0.0, 31.0])
    url = server + SEED_PATH
    with pytest.raises(FetchError) as caught:
        fetch_page(url, clock=lambda: next(ticks, 31.0))
    assert str(caught.value) == (
        f"{url}: the page did not arrive within 30 seconds: try again later, or save the page and add the file."
    )


def test_a_compression_bomb_stops_at_the_cap(server: str) -> None:
    """1904 bytes of `gzip, gzip` that decode to 1 GiB: decoding stops past 5 MB, memory stays near that."""
    url = server + "/encoded/bomb"
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as caught:
            fetch_page(url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == f"{url}: the page is larger than 5 MB: save it and add the file instead."
    assert peak < 24 * 1024 * 1024


@pytest.mark.parametrize("name", ["gzip", "two-gzip-members", "deflate", "raw-deflate", "deflate-then-gzip"])
def test_compressed_pages_decode_to_the_page(server: str, name: str) -> None:
    page = fetch_page(f"{server}/encoded/{name}")
    assert page.html == (PAGES / "seed-article.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("br", "{url}: the server compressed the page with 'br', which newsletter does not read: save the page "
               "from the browser and add the file."),
        ("gzip-thrice", "{url}: the page is compressed 3 times over, which no real page is: save it from the "
                        "browser and add the file."),
        ("damaged", "{url}: the page's gzip compression is damaged: try again, or save the page and add the file."),
    ],
)  # fmt: skip
def test_compression_we_cannot_undo_is_refused(server: str, name: str, message: str) -> None:
    url = f"{server}/encoded/{name}"
    with pytest.raises(FetchError) as caught:
        fetch_page(url)
    assert str(caught.value) == message.format(url=url)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/redirect-nowhere", "{url}: the server answered 302 Found, a redirect without an address to go to: open "
                              "the page in a browser and add the address it ends at."),
        # httpx reads the Location of every 3xx itself, and refuses this one before the response reaches us.
        ("/redirect-broken", "{url}: cannot fetch the page (Invalid URL in location header: Invalid port: ':1'.): "
                             "check the address and the network."),
        ("/redirect-bad-host", "{url}: redirected to 'http://www..indiawrites.org/article', which is not a valid "
                               "address (its host name has an empty part or one over 63 characters): open the page "
                               "in a browser and add the address it ends at."),
    ],
)  # fmt: skip
def test_broken_redirects_are_one_line_errors(server: str, path: str, message: str) -> None:
    url = server + path
    with pytest.raises(FetchError) as caught:
        fetch_page(url)
    assert str(caught.value) == message.format(url=url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1/a", "'http://[::1/a' is not a valid address (Invalid IPv6 URL)"),
        ("http://\x00x/", "'http://\\x00x/' is not a valid address (Invalid non-printable ASCII character in URL, "
                          "'\\x00' at position 7.)"),
        ("https://" + "a" * 70 + ".org/", "'https://" + "a" * 70 + ".org/' is not a valid address (its host name "
                                          "has an empty part or one over 63 characters)"),
        ("http://www.indiawrites.org:8O80/", "'http://www.indiawrites.org:8O80/' is not a valid address (Port could "
                                             "not be cast to integer value as '8O80')"),
    ],
)  # fmt: skip
def test_malformed_addresses_are_refused_before_any_request(url: str, message: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_page(url, transport=httpx.MockTransport(lambda request: pytest.fail("no request may go out")))
    assert str(caught.value) == message + ": give an http:// or https:// URL, or a saved .html/.txt file."


def test_fetch_cannot_connect() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(FetchError) as caught:
        fetch_page("https://www.indiawrites.org/a", transport=httpx.MockTransport(refuse))
    assert str(caught.value) == (
        "https://www.indiawrites.org/a: cannot fetch the page ([Errno 111] Connection refused): "
        "check the address and the network."
    )


# --- newsletter add ---------------------------------------------------------------------------------------------


def test_add_url_then_text_file_golden(server: str, issue: Path) -> None:
    code, out, err = run("add", str(issue), f"{server}/short/seed")
    assert (code, err) == (0, "")
    assert out == f"{issue}:28: added 'Putin to meet top aide to Chinese president' to section 'Lead story'.\n"

    seed_txt = str(PAGES / "seed-article.txt")
    code, out, err = run("add", str(issue), seed_txt, "--section", "Opinion", "--url", "https://example.org/a?utm_x=1")
    assert code == 0
    assert out == f"{issue}:51: added 'Putin to meet top aide to Chinese president' to new section 'Opinion'.\n"
    assert err == (
        "warning: no image found: add the image's https:// address, or remove this line.\n"
        "warning: no source found: add the publication's name, or remove this line.\n"
        "warning: the text names the image 'china_russia_economy_ap_img_0': put that image's address in 'image'.\n"
    )
    assert_golden("add_issue_after.yaml", issue.read_bytes().replace(server.encode(), b"http://127.0.0.1:PORT"))
    assert issue.stat().st_mode & 0o777 == 0o644
    # The result is a valid issue for the rest of the pipeline (its validator ignores the "not found" blanks).
    loaded = load_issue(issue)
    assert [(s.heading, len(s.articles)) for s in loaded.sections] == [
        ("Lead story", 2),
        ("About India Writes Network", 1),
        ("Opinion", 1),
    ]
    assert (
        loaded.sections[0].articles[1].image == f"{server}/wp-content/uploads/2015/03/china_russia_economy_ap_img_0.jpg"
    )


def test_add_reports_what_it_could_not_find(server: str, issue: Path) -> None:
    code, out, err = run("add", str(issue), f"{server}/pages/missing-metadata.html", "--section", "lead STORY")
    assert code == 0
    assert out == f"{issue}:28: added 'Putin to meet top aide to Chinese president' to section 'Lead story'.\n"
    assert err == (
        "warning: no image found: add the image's https:// address, or remove this line.\n"
        "warning: no author found: add the byline, or remove this line.\n"
    )


@pytest.mark.parametrize(
    "variant",
    [
        "{server}" + SEED_PATH,
        "{server}" + SEED_PATH.rstrip("/") + "?utm_campaign=x#comments",
        "{upper}" + SEED_PATH,
        "{https}" + SEED_PATH,
    ],
)
def test_add_refuses_a_duplicate(server: str, issue: Path, variant: str) -> None:
    assert run("add", str(issue), f"{server}/short/seed")[0] == 0
    before = issue.read_bytes()
    url = variant.format(server=server, upper=server.upper(), https=server.replace("http:", "https:"))
    existing = f"{server}{SEED_PATH}"
    code, out, err = run("add", str(issue), str(PAGES / "seed-article.html"), "--url", url)
    assert (code, out) == (1, "")
    assert err == f"{issue}:29:14: error: {url} is already in this issue (section 'Lead story'): nothing was added.\n"
    assert existing in before.decode()
    assert issue.read_bytes() == before


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "{url}: the server answered 404 Not Found: check the address."),
        ("/to-ftp", "{url}: redirected to 'ftp://127.0.0.1/article.html': only http and https addresses are followed."),
        ("/pages/no-title.html", "{url}: found no title in it (is it the article itself, not a log-in or cookie page?)."),
    ],
)  # fmt: skip
def test_add_writes_nothing_when_the_page_cannot_be_read(server: str, issue: Path, path: str, message: str) -> None:
    before = issue.read_bytes()
    url = server + path
    assert run("add", str(issue), url) == (1, "", f"error: {message.format(url=url)}\n")
    assert issue.read_bytes() == before
    assert [p.name for p in issue.parent.iterdir() if not p.name.startswith(".")] == [issue.name]


def test_add_to_a_broken_or_missing_issue(tmp_path: Path) -> None:
    seed = str(PAGES / "seed-article.html")
    missing = tmp_path / "no-such-folder" / "nope.yaml"
    assert run("add", str(missing), seed) == (
        1,
        "",
        f"{missing}: error: no such issue file: check the path, or create it with 'newsletter new'.\n",
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text('subject: "x\nsections: []\n', encoding="utf-8")
    code, out, err = run("add", str(broken), seed)
    assert (code, out) == (1, "")
    assert err == f"{broken}:3:1: error: invalid YAML (found unexpected end of stream): fix the syntax at this place.\n"
    empty = tmp_path / "empty.yaml"
    empty.write_text("subject: x\nsections: []\n", encoding="utf-8")
    assert run("add", str(empty), seed) == (
        1,
        "",
        f"{empty}: error: the issue has no sections yet: pass --section NAME to create one.\n",
    )
    assert empty.read_text(encoding="utf-8") == "subject: x\nsections: []\n"


@pytest.mark.parametrize("section", ["Lead\nstory", "Lead\u2028story", "Lead\x1b[2Jstory", "Lead\u202estory"])
def test_a_section_name_must_be_one_line_of_plain_text(issue: Path, section: str) -> None:
    from newsletter.clean import describe_char, find_unsafe

    before = issue.read_bytes()
    code, out, err = run("add", str(issue), str(PAGES / "seed-article.html"), "--section", section)
    assert (code, out) == (2, "")
    assert err.endswith(
        f"Error: Invalid value for --section: it contains {describe_char(find_unsafe(section))}: write the "
        "section's heading on one line.\n"
    )
    assert issue.read_bytes() == before


def test_add_to_an_issue_of_aliases_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "2015-03-16.yaml"
    laughs = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))
    path.write_text(f"l0: &l0 {{title: Lol}}\n{laughs}sections:\n- heading: Lead\n  articles: *l9\n", encoding="utf-8")
    before = path.read_bytes()
    assert run("add", str(path), str(PAGES / "seed-article.html")) == (
        1,
        "",
        f"{path}:2:10: error: '*l0' is a YAML alias, which an issue file never needs (aliases can make a small file "
        "expand without end): write the value out in full.\n",
    )
    assert path.read_bytes() == before


def test_an_internationalised_host_is_fetched() -> None:
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_host)
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<title>T</title>")

    page = fetch_page("https://भारत.भारत/लेख", transport=httpx.MockTransport(answer))
    assert (page.html, seen) == ("<title>T</title>", [b"xn--h2brj9c.xn--h2brj9c"])


# --- proxies: what httpx read from the environment, cli.py now reads and passes ----------------------------------
# The fixture server answers a proxy's absolute-form request ("GET http://host/path") for its own path, so it
# serves as the proxy here; the pages' host does not exist, so only the proxy can have answered.
ELSEWHERE = "http://www.indiawrites.invalid"


def test_pages_come_through_the_proxy_and_the_deadline_holds_there(server: str) -> None:
    page = fetch_page(ELSEWHERE + SEED_PATH, proxies={"http": server})
    assert (page.url, page.html) == (ELSEWHERE + SEED_PATH, (PAGES / "seed-article.html").read_text("utf-8"))
    url = ELSEWHERE + "/trickle-headers"
    with pytest.raises(FetchError) as caught:
        fetch_page(url, deadline=0.5, proxies={"http": server, "https": "http://127.0.0.1:9"})
    assert str(caught.value) == (
        f"{url}: the page did not arrive within 0.5 seconds: try again later, or save the page and add the file."
    )


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", " localhost , 127.0.0.1:8080"])
def test_no_proxy_hosts_are_fetched_directly(server: str, no_proxy: str) -> None:
    page = fetch_page(server + SEED_PATH, proxies={"http": "http://127.0.0.1:9", "no": no_proxy})
    assert page.url == server + SEED_PATH


def test_add_uses_the_proxy_the_environment_names(server: str, issue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server)
    code, out, err = run("add", str(issue), f"{ELSEWHERE}/short/seed")
    assert (code, out.split(": added ")[1]) == (0, f"'{SEED_TITLE}' to section 'Lead story'.\n"), err

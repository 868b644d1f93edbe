"""`newsletter add` against a real local HTTP server serving fixture pages: metadata, redirects, refusals, and the
exact YAML written (a golden file, comments and formatting kept; UPDATE_GOLDEN=1 rewrites it)."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from golden_files import assert_golden
from newsletter.articles import fetch_page
from newsletter.cli import cli
from newsletter.errors import FetchError
from newsletter.issue import load_issue

TESTS = Path(__file__).resolve().parent
PAGES = TESTS / "data" / "pages"
GOLDEN = TESTS / "golden"
SEED_PATH = "/diplomacy/putin-to-meet-top-aide-to-chinese-president/"


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
        else:
            self.send(404, b"no such fixture")


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
    for path in ("/slow", "/drip"):
        url = server + path
        with pytest.raises(FetchError) as caught:
            fetch_page(url, timeout=0.3)
        assert str(caught.value) == (
            f"{url}: no answer within 0.3 seconds: try again later, or save the page and add the file."
        )


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

"""Fetching an article page with limits that hold whatever the server does.

Three limits, each measured where a hostile server cannot get round it:
- Time: one deadline for the whole fetch (connect, TLS, headers, body, every redirect). httpx's timeouts are per
  read, so a server sending one header line every few seconds held `add` for minutes; here every socket operation
  gets at most the time left (httpcore's network backend, wrapped), so no thread or watchdog is needed.
- Size: the body is counted after decompression, as it is decoded. httpx decodes each network chunk in one call,
  so 2 KB of `Content-Encoding: gzip, gzip` became a gigabyte in memory before any cap could look at it; here the
  raw bytes are inflated a piece at a time (zlib's max_length) and reading stops at the cap.
- Addresses: only http(s), checked before the first request and at every redirect.
"""

from __future__ import annotations

import codecs
import re
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from newsletter.clean import clean_line, show
from newsletter.errors import FetchError

MAX_BYTES = 5 * 1024 * 1024
DEADLINE = 30.0  # seconds for the whole fetch, redirects included
TIMEOUT = 10.0  # seconds for any one connect, read or write
PIECE = 64 * 1024  # decoded bytes per zlib call
# Browsers accept these and so can we, a piece at a time; br and zstd would need a decoder that can stop early.
ENCODINGS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
MAX_ENCODINGS = 2  # layers of compression: a real server sends one
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "newsletter/0.1 (India and the World digest; +mailto:editor@indiawrites.org)"
SHOWN = 200  # characters of an address repeated in a message
# Python codecs a page may name that no browser decodes a page with (WHATWG Encoding): UTF-7 hides markup from
# filters, the escape codecs turn "\\x3c" into "<", and idna, punycode and undefined raise whatever `errors` says.
NOT_WEB_ENCODINGS = frozenset(("utf-7", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"))


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    html: str


def _shown(url: str) -> str:
    return show(url if len(url) <= SHOWN else url[: SHOWN - 1] + "…")


def address_problem(url: str) -> str:
    """Why `url` cannot be fetched as written ("is not a web address", "is not a valid address (...)"), or ''."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises for a port that is not a number from 0 to 65535
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return "is not a web address"
        host = httpx.URL(url).host  # IDNA-encodes a non-ASCII host: raises for one that cannot be
    except (ValueError, httpx.InvalidURL) as error:
        return f"is not a valid address ({show(str(error)[:SHOWN]) or type(error).__name__})"
    try:
        # httpx sends a non-ASCII host IDNA-encoded (checked above); an ASCII one goes to the socket layer as it
        # is, which encodes it and raises UnicodeError (not caught by httpx) for an empty or over-long label.
        if host.isascii():
            host.encode("idna")
    except UnicodeError:
        return "is not a valid address (its host name has an empty part or one over 63 characters)"
    return ""


def check_address(url: str, original: str) -> None:
    """FetchError unless `url` (the address given, or where `original` redirected to) can be fetched."""
    problem = address_problem(url)
    if not problem:
        return
    if url == original:
        raise FetchError(f"'{_shown(url)}' {problem}: give an http:// or https:// URL, or a saved .html/.txt file.")
    if problem == "is not a web address":
        raise FetchError(
            f"{_shown(original)}: redirected to '{_shown(url)}': only http and https addresses are followed."
        )
    raise FetchError(
        f"{_shown(original)}: redirected to '{_shown(url)}', which {problem}: open the page in a browser and add the "
        "address it ends at."
    )


class _Clock:
    """The time left before the deadline, as every socket operation asks for it."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.ends = clock() + deadline
        self.clock = clock

    def expired(self) -> bool:
        return self.clock() >= self.ends

    def limit(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.ends - self.clock()
        if left <= 0:
            raise error("the overall deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, clock: _Clock) -> None:
        self._stream, self._clock = stream, clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._clock.limit(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._clock.limit(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        limit = self._clock.limit(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, limit), self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, clock: _Clock) -> None:
        self._backend, self._clock = httpcore.SyncBackend(), clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limit = self._clock.limit(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, limit, local_address, socket_options)
        return _DeadlineStream(stream, self._clock)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        limit = self._clock.limit(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, limit, socket_options), self._clock)

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self._clock.limit(None, httpcore.PoolTimeout)))


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over our network backend, direct or through an http(s) proxy.

    httpx takes no network backend, so the pool it built is replaced by the same pool over ours. Given a transport,
    httpx also stops reading proxies from the environment: the caller passes them (`proxies`), and a proxy of
    another kind (socks) gets httpx's own transport, without the per-operation deadline."""

    def __init__(self, clock: _Clock, proxy: str = "") -> None:
        parsed = httpx.Proxy(proxy) if proxy else None
        if parsed is not None and parsed.url.scheme not in ("http", "https"):
            super().__init__(proxy=parsed)
            return
        super().__init__()
        backend, context = _DeadlineBackend(clock), httpx.create_ssl_context()
        if parsed is None:
            self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=backend)
            return
        url = parsed.url
        self._pool = httpcore.HTTPProxy(
            proxy_url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            proxy_auth=parsed.raw_auth,
            proxy_headers=parsed.headers.raw,
            ssl_context=context,
            proxy_ssl_context=parsed.ssl_context,
            network_backend=backend,
        )


def proxy_for(url: str, proxies: Mapping[str, str]) -> str:
    """The proxy `proxies` (urllib.request.getproxies(): scheme -> proxy, 'no' -> hosts) names for `url`, or ''."""
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme.lower()) or proxies.get("all") or ""
    host = (parts.hostname or "").lower()
    for entry in proxies.get("no", "").replace(" ", "").lower().split(","):
        # NO_PROXY as curl and httpx read it: '*', a host, or a domain (with or without its leading dot).
        domain = entry.split(":")[0].lstrip(".")
        if entry == "*" or (domain and (host == domain or host.endswith("." + domain))):
            return ""
    return proxy


def fetch_page(
    url: str,
    *,
    timeout: float = TIMEOUT,
    deadline: float = DEADLINE,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = 5,
    transport: httpx.BaseTransport | None = None,
    proxies: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FetchedPage:
    """GET an article page: redirects followed by hand so that each hop's address is checked; the whole fetch
    within `deadline` seconds, each network operation within `timeout`, the decoded body within `max_bytes`.

    `proxies` is urllib.request.getproxies() (the caller reads the environment); `transport` replaces the network
    (tests), and the deadline then holds between body pieces only."""
    check_address(url, url)
    limits = _Clock(deadline, clock)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        "Accept-Encoding": ", ".join(ENCODINGS),
    }
    current = url
    try:
        with httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            transport=transport or _DeadlineTransport(limits, proxy_for(url, proxies or {})),
            headers=headers,
        ) as client:
            for _ in range(max_redirects + 1):
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = _redirect_target(url, response)
                        continue
                    return _read_response(url, response, max_bytes, limits)
    except httpx.TimeoutException:
        if limits.expired():
            raise FetchError(
                f"{_shown(url)}: the page did not arrive within {deadline:g} seconds: try again later, or save the "
                "page and add the file."
            ) from None
        raise FetchError(
            f"{_shown(url)}: no answer within {timeout:g} seconds: try again later, or save the page and add the file."
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as error:
        # httpx reads a redirect's Location itself, and the socket layer encodes host names: either may refuse one.
        reason = show(str(error)[:SHOWN]) or type(error).__name__
        raise FetchError(
            f"{_shown(url)}: cannot fetch the page ({reason}): check the address and the network."
        ) from None
    raise FetchError(
        f"{_shown(url)}: more than {max_redirects} redirects: open it in a browser and add the final address."
    )


def _redirect_target(url: str, response: httpx.Response) -> str:
    location = str(response.headers.get("location", "")).strip()
    if not location:
        raise FetchError(
            f"{_shown(url)}: the server answered {response.status_code} {clean_line(response.reason_phrase, 100)}, a "
            "redirect without an address to go to: open the page in a browser and add the address it ends at."
        )
    try:
        target = urljoin(str(response.url), location)
    except ValueError:
        target = location  # not an address: the check says so
    check_address(target, url)
    return target


def _read_response(url: str, response: httpx.Response, max_bytes: int, limits: _Clock) -> FetchedPage:
    if response.status_code >= 400:
        reason = clean_line(response.reason_phrase, 100)
        raise FetchError(f"{_shown(url)}: the server answered {response.status_code} {reason}: check the address.")
    content_type = response.headers.get("content-type", "")
    mime = content_type.split(";")[0].strip().lower()
    # A declared non-HTML type is refused before reading; an undeclared one is sniffed from its first bytes.
    if mime and mime not in HTML_TYPES:
        raise FetchError(
            f"{_shown(url)}: not a web page ({show(mime[:100])}): give the address of the article's HTML page."
        )
    too_big = f"{_shown(url)}: the page is larger than {max_bytes // 1048576} MB: save it and add the file instead."
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(too_big)
    body = bytearray()
    encodings = content_encodings(url, response.headers)
    try:
        if response.is_stream_consumed:  # built in memory (a MockTransport's answer): httpx read and decoded it
            pieces: Iterator[bytes] = iter([response.content])
        else:
            pieces = decode_body(response.iter_raw(), encodings)
        for piece in pieces:
            body.extend(piece)
            if len(body) > max_bytes:
                raise FetchError(too_big)
            if limits.expired():
                raise httpx.ReadTimeout("the overall deadline has passed", request=response.request)
    except zlib.error:
        raise FetchError(
            f"{_shown(url)}: the page's {', '.join(encodings)} compression is damaged: try again, or save the page "
            "and add the file."
        ) from None
    if not mime and not re.match(rb"\s*(<!--.*?-->\s*)*<(!doctype html|html)", bytes(body[:1024]), re.I | re.S):
        raise FetchError(
            f"{_shown(url)}: not a web page (no Content-Type): give the address of the article's HTML page."
        )
    return FetchedPage(url=str(response.url), html=decode_html(bytes(body), content_type))


def content_encodings(url: str, headers: httpx.Headers) -> list[str]:
    """The Content-Encoding layers in the order they were applied; FetchError for one we cannot undo safely."""
    names = [name.strip().lower() for value in headers.get_list("content-encoding") for name in value.split(",")]
    names = [name for name in names if name and name != "identity"]
    unknown = next((name for name in names if name not in ENCODINGS), "")
    if unknown:
        raise FetchError(
            f"{_shown(url)}: the server compressed the page with '{show(unknown[:40])}', which newsletter does not "
            "read: save the page from the browser and add the file."
        )
    if len(names) > MAX_ENCODINGS:
        raise FetchError(
            f"{_shown(url)}: the page is compressed {len(names)} times over, which no real page is: save it from "
            "the browser and add the file."
        )
    return names


def decode_body(raw: Iterable[bytes], encodings: list[str]) -> Iterator[bytes]:
    """The body with every Content-Encoding undone, lazily: no piece is larger than PIECE, so whoever reads it
    stops a compression bomb at the size it chooses."""
    stream: Iterable[bytes] = raw
    for name in reversed(encodings):  # "gzip, deflate" was gzipped first: undo deflate first
        stream = _inflate(stream, name)
    return iter(stream)


def _inflate(chunks: Iterable[bytes], name: str) -> Iterator[bytes]:
    wbits = ENCODINGS[name]
    decoder = zlib.decompressobj(wbits)
    started = False
    for chunk in chunks:
        data = chunk
        while data:
            try:
                piece = decoder.decompress(data, PIECE)
            except zlib.error:
                if name != "deflate" or started:
                    raise
                # Some servers send raw deflate without the zlib header; browsers (and httpx) accept it.
                decoder, started = zlib.decompressobj(-zlib.MAX_WBITS), True
                continue
            started = True
            if piece:
                yield piece
            if decoder.eof:
                # gzip allows several members one after the other; anything after a deflate stream is ignored.
                data = decoder.unused_data if wbits == ENCODINGS["gzip"] else b""
                if data:
                    decoder = zlib.decompressobj(wbits)
            else:
                data = decoder.unconsumed_tail
    # Input is consumed as output is made, so what is left once it has all gone in is one match: a few hundred bytes.
    rest = decoder.flush()
    if rest:
        yield rest


def decode_html(body: bytes, content_type: str = "") -> str:
    """Bytes of a page as text: the charset of the Content-Type header, else a BOM, else <meta charset>, else UTF-8."""
    charset = ""
    header = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if header:
        charset = header.group(1)
    elif body.startswith(b"\xef\xbb\xbf"):
        charset = "utf-8-sig"
    else:
        found = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
        if found:
            charset = found.group(1).decode("ascii")
    if charset.lower() in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        charset = "cp1252"  # what browsers do (WHATWG Encoding): these labels mean windows-1252 on the web
    try:
        if charset and codecs.lookup(charset).name in NOT_WEB_ENCODINGS:
            charset = ""
        return body.decode(charset or "utf-8", errors="replace")
    except (LookupError, ValueError):
        # An unknown name, or a codec that is no text encoding on the web ("idna", "punycode" and "rot13" raise
        # whatever the error handler says): UTF-8 is the web's default.
        return body.decode("utf-8", errors="replace")

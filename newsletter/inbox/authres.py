"""Authentication-Results (RFC 8601) and DMARC relaxed alignment: did the From domain's owner send this mail?

Rules, decided in issue 3: only the topmost Authentication-Results header counts, and only when its authserv-id is
the publication's own receiving server ([inbox] authserv_id); any other such header is somebody else's claim.
A DKIM pass or an SPF pass whose domain is aligned (relaxed, as DMARC defines it) with the From domain
authenticates the sender.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Multi-label public suffixes a signing domain could be confused with. The alignment test below only ever relates
# a domain to its own ancestors or descendants, so this short list guards the one case that matters: a DKIM or
# SPF domain that is itself a public suffix (which nobody can sign for in practice, but which must never align).
_PUBLIC_SUFFIXES = frozenset(
    {
        "ac.in", "co.in", "edu.in", "firm.in", "gen.in", "gov.in", "ind.in", "mil.in", "net.in", "nic.in",
        "org.in", "res.in", "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "com.au", "net.au",
        "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "com.br",
        "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "com.hk", "com.sg", "com.my", "com.pk", "com.bd",
        "com.np", "com.lk", "co.za", "com.mx", "co.kr", "com.tr", "com.tw", "co.id", "com.ar", "com.ru", "com.ua",
        "co.il", "com.eg", "com.sa", "com.ng", "co.ke", "com.ph", "com.vn", "co.th", "gov.bd", "gov.lk",
    }
)  # fmt: skip
_COMMENT_OR_QUOTE = re.compile(r'"(?:[^"\\]|\\.)*"|\(')
_PAIR = re.compile(r'([A-Za-z0-9_.-]+)(?:/[0-9]+)?\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)')


@dataclass(frozen=True)
class Result:
    method: str  # dkim, spf, dmarc, ...
    result: str  # pass, fail, none, ...
    properties: dict[str, str]  # "header.d" -> "example.org", "smtp.mailfrom" -> "a@example.org", ...


@dataclass(frozen=True)
class AuthResults:
    authserv_id: str
    results: tuple[Result, ...]


@dataclass(frozen=True)
class Verdict:
    authenticated: bool
    summary: str  # for the consent record and the report, e.g. "mx.indiawrites.org: dkim=pass header.d=x (aligned)"


def strip_comments(value: str) -> str:
    """Remove RFC 5322 comments (nested parentheses), leaving quoted strings alone."""
    out: list[str] = []
    position = 0
    while True:
        match = _COMMENT_OR_QUOTE.search(value, position)
        if match is None:
            out.append(value[position:])
            return "".join(out)
        out.append(value[position : match.start()])
        if match.group() != "(":
            out.append(match.group())
            position = match.end()
            continue
        depth, index = 1, match.end()
        while index < len(value) and depth:
            char = value[index]
            if char == "\\":
                index += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            index += 1
        out.append(" ")
        position = index


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def parse_authentication_results(value: str) -> AuthResults | None:
    """The header's authserv-id and results, or None when it is not an Authentication-Results value at all."""
    parts = _split_outside_quotes(strip_comments(value), ";")
    head = parts[0].split()
    if not head:
        return None
    results: list[Result] = []
    for part in parts[1:]:
        pairs = [(key.lower(), raw.strip('"')) for key, raw in _PAIR.findall(part)]
        if not pairs:
            continue  # "none", or an empty trailing part
        (method, result), properties = pairs[0], dict(pairs[1:])
        results.append(Result(method, result.lower(), {k: v for k, v in properties.items() if k != "reason"}))
    return AuthResults(head[0].lower(), tuple(results))


def _domain_of(identity: str) -> str:
    return identity.rpartition("@")[2].strip().strip(".").lower()


def is_aligned(auth_domain: str, from_domain: str) -> bool:
    """DMARC relaxed alignment, for the cases that do not need the Public Suffix List: the two domains are equal,
    or one is a subdomain of the other and the shorter one is not a public suffix. Sibling subdomains
    (news.example.org and mail.example.org) count as not aligned, so such mail gets a confirmation instead."""
    auth_domain, from_domain = auth_domain.lower().strip("."), from_domain.lower().strip(".")
    if not auth_domain or not from_domain:
        return False
    if auth_domain == from_domain:
        return True
    shorter, longer = sorted((auth_domain, from_domain), key=len)
    if not longer.endswith("." + shorter):
        return False
    return "." in shorter and shorter not in _PUBLIC_SUFFIXES


def judge_sender(headers: list[str], from_domain: str, authserv_id: str) -> Verdict:
    """Whether the topmost Authentication-Results (first in `headers`, as in the message) proves the From domain."""
    if not authserv_id:
        return Verdict(False, "not authenticated: no [inbox] authserv_id is configured to trust")
    if not headers:
        return Verdict(False, f"not authenticated: no Authentication-Results header from {authserv_id}")
    parsed = parse_authentication_results(headers[0])
    if parsed is None or parsed.authserv_id != authserv_id.lower():
        found = parsed.authserv_id if parsed else "an unreadable one"
        return Verdict(False, f"not authenticated: the topmost Authentication-Results is from {found}, "
                              f"not {authserv_id}")  # fmt: skip
    seen: list[str] = []
    for result in parsed.results:
        if result.method == "dkim":
            domain = result.properties.get("header.d") or _domain_of(result.properties.get("header.i", ""))
            label = f"dkim={result.result} header.d={domain}"
        elif result.method == "spf":
            domain = _domain_of(result.properties.get("smtp.mailfrom", ""))
            label = f"spf={result.result} smtp.mailfrom={domain}"
        else:
            continue
        if result.result == "pass" and is_aligned(domain, from_domain):
            return Verdict(True, f"{authserv_id}: {label} (aligned with {from_domain})")
        seen.append(label + (" (not aligned)" if result.result == "pass" else ""))
    detail = ", ".join(seen) if seen else "no DKIM or SPF result"
    return Verdict(False, f"not authenticated: {authserv_id}: {detail}")

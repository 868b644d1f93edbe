"""Measure a page in real headless Chromium (Debian's package): run a script in it and read back JSON.

No driver library is needed: the script writes its JSON result into the DOM, and --dump-dom prints the DOM once
the page has loaded and the script has run.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from html import escape, unescape
from pathlib import Path
from typing import Any

from conftest import chromium_path, require

# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--blink-settings=imagesEnabled=false",
]


@contextlib.contextmanager
def devtools_page(*flags: str, timeout: float = 60.0) -> Iterator[str]:
    """Chromium kept running with remote debugging on (images on, only loopback resolvable: a remote image fails at
    once instead of waiting on DNS): the DevTools websocket URL of its first page. Skipped without chromium."""
    path = chromium_path()
    require(path is not None, "chromium is not installed (apt-get install chromium)")
    assert path is not None
    # Chromium's helper processes can still be writing the profile as the browser exits: cleaning up after it
    # must not turn a passed test into an error.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        command = [
            path,
            *[flag for flag in FLAGS if not flag.startswith("--blink-settings")],
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            *flags,
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "about:blank",
        ]
        browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            active = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (active.exists() and len(active.read_text().splitlines()) >= 2):
                if time.monotonic() > deadline:
                    raise AssertionError("timed out waiting for chromium to start")
                time.sleep(0.05)
            port = active.read_text().splitlines()[0]
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
            yield next(target["webSocketDebuggerUrl"] for target in targets if target["type"] == "page")
        finally:
            browser.terminate()
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                browser.kill()


def run_in_page(
    chromium: str,
    html: str,
    script: str,
    width: int,
    dark: bool = False,
    images: bool = False,
) -> Any:
    """Load `html` in a frame `width` CSS pixels wide, run `script` there once it has loaded, return its value.

    `dark` sets prefers-color-scheme: dark; `images` loads images (off by default: the page must read without
    them).

    The page goes into an iframe because headless Chromium will not make its window narrower than 500 px; the
    frame's media queries see the frame's width, as a phone's would. A srcdoc frame shares the outer page's
    origin, so it can hand its result out.
    """
    probe = (
        "<script>window.addEventListener('load', () => {"
        f"const result = JSON.stringify(({script})());"
        "parent.document.getElementById('__result').textContent = result;});</script>"
    )
    inner = html.replace("</body>", probe + "</body>", 1)
    outer = (
        "<!doctype html><html><body style='margin:0'>"
        f"<iframe id='frame' style='border:0;width:{width}px;height:3000px' srcdoc=\"{escape(inner, quote=True)}\">"
        "</iframe><pre id='__result'></pre></body></html>"
    )
    flags = FLAGS if not images else [flag for flag in FLAGS if not flag.startswith("--blink-settings=")]
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:  # Chromium helpers may linger
        path = Path(folder) / "page.html"
        path.write_text(outer, encoding="utf-8")
        command = [
            chromium,
            *flags,
            f"--user-data-dir={folder}/profile",
            "--window-size=1024,900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            path.as_uri(),
        ]
        if dark:
            command.insert(1, "--force-dark-mode")
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    match = re.search(r'<pre id="__result">(.+?)</pre>', done.stdout, re.DOTALL)
    if match is None:
        raise AssertionError(f"chromium returned no result (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(unescape(match.group(1)))


# Every visible element that holds text directly: its colour, its effective background (the first ancestor with
# an opaque background), their contrast ratio (WCAG 2), and the page's and cards' backgrounds.
MEASURE = r"""
function () {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  // The Gmail apps darken a light email themselves, by inverting lightness in CIELAB (Chromium's
  // kInvertLightnessLAB, the engine of Android WebView's darkening): Android inverts only light backgrounds
  // (brightness over 205) and dark text (under 150); iOS inverts every colour. Computed styles never show a paint
  // filter, so the light page's colours are put through the same arithmetic.
  const toLinear = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const toByte = (v) => Math.round(255 * Math.min(1, Math.max(0, v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055)));
  const f = (t) => t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  const finv = (t) => t * t * t > 216 / 24389 ? t * t * t : (116 * t - 16) / (24389 / 27);
  const W = [0.95047, 1, 1.08883];
  const invert = (c) => {
    const [r, g, b] = [toLinear(c.r), toLinear(c.g), toLinear(c.b)];
    const xyz = [0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b, 0.0193 * r + 0.1192 * g + 0.9505 * b];
    const [fx, fy, fz] = xyz.map((v, i) => f(v / W[i]));
    const L = 100 - (116 * fy - 16), A = 500 * (fx - fy), B = 200 * (fy - fz);
    const ny = (L + 16) / 116, X = W[0] * finv(ny + A / 500), Y = W[1] * finv(ny), Z = W[2] * finv(ny - B / 200);
    return {r: toByte(3.2406 * X - 1.5372 * Y - 0.4986 * Z), g: toByte(-0.9689 * X + 1.8758 * Y + 0.0415 * Z),
            b: toByte(0.0557 * X - 0.2040 * Y + 1.0570 * Z), a: c.a}; };
  const brightness = (c) => (c.r * 299 + c.g * 587 + c.b * 114) / 1000;
  const partial = (fg, bg) => ratio(brightness(fg) < 150 ? invert(fg) : fg, brightness(bg) > 205 ? invert(bg) : bg);
  const round = (x) => Math.round(x * 100) / 100;
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
    return parse(getComputedStyle(document.documentElement).backgroundColor) || {r: 255, g: 255, b: 255, a: 1}; };
  const visible = (el) => { for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false; }
    const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const texts = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.id === '__result' || ['SCRIPT', 'STYLE'].includes(el.tagName)) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (!own || !visible(el)) continue;
    const fg = parse(getComputedStyle(el).color), bg = background(el);
    texts.push({text: own.slice(0, 40), tag: el.tagName, ratio: round(ratio(fg, bg)),
                gmailAndroid: round(partial(fg, bg)), gmailIos: round(ratio(invert(fg), invert(bg))),
                color: getComputedStyle(el).color, background: `rgb(${bg.r}, ${bg.g}, ${bg.b})`});
  }
  const images = [...document.images].filter(visible).map((img) => { const r = img.getBoundingClientRect();
    const s = getComputedStyle(img);
    return {src: img.getAttribute('src'), alt: img.alt, width: r.width, height: r.height, right: r.right,
            naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, loaded: img.complete && img.naturalWidth > 0,
            textAlign: s.textAlign}; });
  // Stand-alone links (blocks, or a link that is all of its paragraph) are tap targets; a link inside a sentence is
  // not (WCAG 2.5.8's inline exception).
  const links = [...document.querySelectorAll('a[href]')].filter(visible).map((a) => {
    const s = getComputedStyle(a), r = a.getBoundingClientRect(), block = a.parentElement;
    const alone = block && block.textContent.trim() === a.textContent.trim();
    return {text: a.textContent.trim().slice(0, 40), height: Math.round(r.height * 10) / 10,
            target: s.display !== 'inline' || alone}; });
  const cards = [...document.querySelectorAll('.card')].map((el) => lum(background(el)));
  const masthead = document.querySelector('.masthead');
  const page = background(document.querySelector('.page') || document.body);
  return {
    dark: matchMedia('(prefers-color-scheme: dark)').matches,
    width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
    bodyLuminance: lum(background(document.body)),
    cardLuminances: cards, texts: texts, images: images, links: links,
    pageLuminance: lum(page), mastheadContrast: masthead ? round(ratio(background(masthead), page)) : null,
  };
}
"""

# Outlook.com's dark mode, as it works: it rewrites the colours it finds inline (or in the head) and marks each element
# whose text colour it changed with data-ogsc, and each whose background it changed with data-ogsb. The email's
# [data-ogsc]/[data-ogsb] rules then take over. Its own colour rewriting is left out: the email's rules override it.
OUTLOOK_DARK = r"""
for (const el of document.querySelectorAll('[style], [bgcolor]')) {
  const style = el.getAttribute('style') || '';
  if (/(^|;)\s*color\s*:/i.test(style)) el.setAttribute('data-ogsc', '');
  if (/background(-color)?\s*:/i.test(style) || el.hasAttribute('bgcolor')) el.setAttribute('data-ogsb', '');
}
"""


def outlook_dark(html: str) -> str:
    """The email as Outlook.com's dark mode marks it up, before any of the email's CSS is applied."""
    return html.replace("</body>", f"<script>{OUTLOOK_DARK}</script></body>", 1)


def without_styles(html: str) -> str:
    """The email as Gmail (with other accounts, and on the mobile web) and some Yahoo views show it: every <style>
    block dropped, inline styles only."""
    return re.sub(r"<style\b[^>]*>.*?</style>", "", html, flags=re.DOTALL | re.IGNORECASE)

"""Measure a page in real headless Chromium (Debian's package): run a script in it and read back JSON.

No driver library is needed: the script writes its JSON result into the DOM, and --dump-dom prints the DOM once
the page has loaded and the script has run.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from html import escape, unescape
from pathlib import Path
from typing import Any

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


def run_in_page(chromium: str, html: str, script: str, width: int, dark: bool = False) -> Any:
    """Load `html` in a frame `width` CSS pixels wide (dark mode on request), run `script` there, return its value.

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
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:  # Chromium helpers may linger
        path = Path(folder) / "page.html"
        path.write_text(outer, encoding="utf-8")
        command = [
            chromium,
            *FLAGS,
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
    texts.push({text: own.slice(0, 40), tag: el.tagName, ratio: Math.round(ratio(fg, bg) * 100) / 100,
                color: getComputedStyle(el).color, background: `rgb(${bg.r}, ${bg.g}, ${bg.b})`});
  }
  const cards = [...document.querySelectorAll('.card')].map((el) => lum(background(el)));
  return {
    dark: matchMedia('(prefers-color-scheme: dark)').matches,
    width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
    bodyLuminance: lum(background(document.body)),
    cardLuminances: cards, texts: texts,
  };
}
"""

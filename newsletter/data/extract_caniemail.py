"""Rebuild caniemail.json from a checkout of caniemail's repository (github.com/hteumeuleu/caniemail):

    .venv/bin/python newsletter/data/extract_caniemail.py PATH/TO/caniemail COMMIT DATE

Keeps only the features `newsletter check --clients` can find (the ones the built-in templates use on the sample and
the 25-story test issue, and every feature it has a fallback for) and, for each client in
newsletter.render.clients.CLIENTS, the most recent test result with its notes. Not part of the tool: run it by hand
when caniemail's data moves on.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.config import load_config  # noqa: E402
from newsletter.issue.load import load_issue  # noqa: E402
from newsletter.render.clients import CLIENTS, FALLBACKS, find_features  # noqa: E402
from newsletter.render.html import render_issue  # noqa: E402


def front_matter(text: str) -> dict[str, Any]:
    block = text.split("---", 2)[1]
    # caniemail's front matter is YAML with JSON-like flow mappings; tabs and trailing commas are its only quirks.
    block = re.sub(r",(\s*})", r"\1", block.replace("\t", "    "))
    data: dict[str, Any] = yaml.safe_load(block)
    return data


def latest(stats: dict[str, Any], client: str) -> tuple[str, list[str]] | None:
    family, platform = client.split("/")
    versions = (stats.get(family) or {}).get(platform) or {}
    if not versions:
        return None
    value = str(list(versions.values())[-1]).strip()
    letter = value[:1] if value[:1] in "ynau" else "u"
    return letter, re.findall(r"#(\d+)", value)


def main() -> None:
    repo, commit, date = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    config = load_config(ROOT / "newsletter.toml")
    used: set[str] = set(FALLBACKS)
    for issue in (ROOT / "issues" / "2015-03-16.yaml", ROOT / "tests" / "data" / "issues" / "2015-03-23.yaml"):
        used |= find_features(render_issue(load_issue(issue), config).html)
    features = {}
    for slug in sorted(used):
        path = repo / "_features" / f"{slug}.md"
        if not path.exists():
            continue
        meta = front_matter(path.read_text(encoding="utf-8"))
        notes = {str(k): str(v) for k, v in (meta.get("notes_by_num") or {}).items()}
        support = {}
        for client in CLIENTS:
            found = latest(meta.get("stats") or {}, client)
            if found is not None:
                letter, numbers = found
                support[client] = [letter, [notes[n] for n in numbers if n in notes]]
        features[slug] = {
            "title": str(meta["title"]),
            "url": f"https://www.caniemail.com/features/{slug}/",
            "last_test_date": str(meta.get("last_test_date", "")),
            "support": support,
        }
    data = {
        "source": {
            "name": "Can I email",
            "url": "https://www.caniemail.com/",
            "repository": "https://github.com/hteumeuleu/caniemail",
            "commit": commit,
            "date": date,
            "licence": "MIT (repository LICENSE), by Rémi Parmentier and contributors",
        },
        "features": features,
        # Every feature caniemail tests, by name only: a template using one whose data is not shipped here gets
        # "not assessed" instead of silence.
        "all_features": sorted(
            path.stem for path in (repo / "_features").glob("*.md") if not path.stem.startswith("_")
        ),
    }
    (HERE / "caniemail.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

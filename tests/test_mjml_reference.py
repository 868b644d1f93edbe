"""The MJML the templates write, through node's reference MJML (mjml 4) in strict validation.

mjml-python renders without validating (an unknown attribute or a misplaced tag passes silently); the reference
implementation refuses them in strict mode, so a template mistake shows here before a client shows it to readers.
`cd benchmarks && npm install` (which .ci/run does) puts it in benchmarks/node_modules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DATA, ROOT, SAMPLE_ISSUE, require
from newsletter.config import load_config
from newsletter.issue.load import load_issue
from newsletter.render.html import render_issue

BENCHMARKS = ROOT / "benchmarks"
# Reads MJML on standard input; prints the validation errors as JSON (strict mode throws them all at once).
VALIDATE = """
const mjml = require('mjml');
let source = '';
process.stdin.on('data', (chunk) => { source += chunk; });
process.stdin.on('end', () => {
  try {
    const result = mjml(source, {validationLevel: 'strict'});
    console.log(JSON.stringify({errors: result.errors, html: result.html.length}));
  } catch (error) {
    console.log(JSON.stringify({errors: error.details || [{message: String(error)}], html: 0}));
  }
});
"""


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    require(path is not None, "node is not installed (apt-get install nodejs npm)")
    assert path is not None
    found = subprocess.run(
        [path, "-e", "require.resolve('mjml')"], cwd=BENCHMARKS, capture_output=True, text=True, check=False
    )
    require(found.returncode == 0, "node's mjml is not installed (cd benchmarks && npm install)")
    return path


def validate(node: str, mjml: str) -> dict[str, object]:
    done = subprocess.run(
        [node, "-e", VALIDATE], cwd=BENCHMARKS, input=mjml, capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("issue", [SAMPLE_ISSUE, DATA / "issues" / "2015-03-23.yaml"], ids=["sample", "digest25"])
def test_generated_mjml_passes_strict_validation(node: str, issue: Path) -> None:
    rendered = render_issue(load_issue(issue), load_config(ROOT / "newsletter.toml"))
    result = validate(node, rendered.mjml)
    assert result["errors"] == []
    assert isinstance(result["html"], int) and result["html"] > 10_000


def test_strict_validation_refuses_a_template_mistake(node: str) -> None:
    # The harness itself: an attribute mj-text does not have, which mjml-python would pass through.
    mjml = '<mjml><mj-body><mj-section><mj-column><mj-text colour="red">Hi</mj-text></mj-column></mj-section></mj-body></mjml>'
    errors = validate(node, mjml)["errors"]
    assert isinstance(errors, list) and len(errors) == 1
    assert "Attribute colour is illegal" in str(errors[0])

"""Golden files: what people read, compared byte for byte. UPDATE_GOLDEN=1 rewrites them for review as a diff."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    assert path.exists(), f"{path} is missing: run the tests once with UPDATE_GOLDEN=1 and review the new file."
    expected = path.read_bytes()
    if actual != expected:
        # A readable diff of the first difference, rather than two walls of bytes.
        a, b = expected.decode("utf-8", "replace").splitlines(), actual.decode("utf-8", "replace").splitlines()
        first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        raise AssertionError(
            f"{name} differs from the golden file at line {first + 1}:\n"
            f"  golden: {a[first] if first < len(a) else '<end>'}\n"
            f"  actual: {b[first] if first < len(b) else '<end>'}\n"
            "If the change is intended, run with UPDATE_GOLDEN=1 and review the diff."
        )

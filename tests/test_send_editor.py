"""What the editor meets around a send: test copies kept side by side, each its own message; a declined or
unanswered question that says how to skip it; and no lock file left in sends/ whatever became of the send."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from send_support import ISSUE, Sub, make_publication, run

ROWS = [Sub("asha@example.org", "Asha Rao"), Sub("ravi@example.org", "Ravi")]
DECLINED = (
    "error: not sent: the send was not confirmed, so nothing was sent or recorded; answer y to the question, or "
    "add --yes to send without being asked.\n"
)


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    make_publication(tmp_path, ROWS)
    return tmp_path


def test_test_copies_are_kept_side_by_side_each_with_its_own_message_id(pub: Path) -> None:
    outputs = [run(pub, "send", ISSUE, "--test").stdout for _ in range(3)]
    names = ["editor@indiawrites.org.eml", "editor@indiawrites.org.2.eml", "editor@indiawrites.org.3.eml"]
    assert sorted(path.name for path in (pub / "outbox").iterdir()) == sorted(names)
    messages = [message_from_bytes((pub / "outbox" / name).read_bytes(), policy=policy.default) for name in names]
    ids = [str(message["Message-ID"]) for message in messages]
    assert len(set(ids)) == 3  # one per copy: Gmail shows a single message per Message-ID
    assert all(message_id.startswith("<2015-03-16.test-") for message_id in ids)
    assert [output.rpartition("(")[2] for output in outputs] == [f"{message_id}).\n" for message_id in ids]
    # The issue's own copy to the editor is not taken for one of them.
    run(pub, "subscribers", "add", "editor@indiawrites.org")
    assert run(pub, "send", ISSUE, "--yes").exit_code == 0
    sent = message_from_bytes((pub / "outbox" / "2015-03-16" / names[0]).read_bytes(), policy=policy.default)
    assert str(sent["Message-ID"]) not in ids


def test_declining_says_how_to_skip_the_question(pub: Path) -> None:
    declined = run(pub, "send", ISSUE, input="n\n")
    assert declined.exit_code == 1 and declined.stderr == DECLINED
    assert "Aborted!" not in declined.output and not (pub / "sends" / "2015-03-16.jsonl").exists()


def test_no_answer_at_all_is_a_no_that_says_so(pub: Path) -> None:
    unanswered = run(pub, "send", ISSUE, input="")  # end of input, as in a script without --yes
    assert unanswered.exit_code == 1 and unanswered.stderr.endswith(DECLINED)
    assert "Aborted!" not in unanswered.output and not (pub / "outbox").exists()


def test_no_lock_file_is_left_in_sends(pub: Path) -> None:
    sends = pub / "sends"
    run(pub, "send", ISSUE, input="n\n")
    assert not list(sends.glob("*.lock"))
    assert run(pub, "send", ISSUE, "--yes").exit_code == 0
    assert sorted(path.name for path in sends.iterdir()) == ["2015-03-16.jsonl"]
    (pub / "subscribers.csv").unlink()  # the next send fails while it holds the lock: the lock still goes
    failed = run(pub, "send", ISSUE, "--yes")
    assert failed.exit_code == 1 and "subscribers.csv does not exist" in failed.stderr
    assert sorted(path.name for path in sends.iterdir()) == ["2015-03-16.jsonl"]

"""Checkpoints of the audit log's head, outside the database: written on demand, on start and
by the scheduler, and checked by ``ecoradar audit verify`` against what someone with database
access (and the triggers dropped) can do without the chain noticing."""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoradar.audit import anchor, checkpoints, service
from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.core.clock import FakeClock
from tests.conftest import TEST_SECRET
from tests.integration.audit_support import (
    add_entries,
    drop_triggers,
    remove,
    rewrite_after_deleting,
    tamper,
)

runner = CliRunner()


def ecoradar(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def fill(container: Container, count: int) -> list[str]:
    with container.transaction() as session:
        return [e.hash for e in add_entries(session, count)]


def checkpoint_file(container: Container) -> Path:
    return anchor.checkpoint_path(container.settings)


def test_a_checkpoint_records_the_count_and_head_keyed_with_the_secret_key(
    container: Container,
) -> None:
    hashes = fill(container, 3)
    written = anchor.write_checkpoint(container)
    assert (written.count, written.head, written.at) == (3, hashes[-1], container.clock.now())
    lines = checkpoint_file(container).read_text().splitlines()
    assert lines == [written.line()]
    assert checkpoints.parse(lines[0], TEST_SECRET) == written
    with pytest.raises(ValueError, match="another secret key"):
        checkpoints.parse(lines[0], "another-secret-that-is-long-enough-0123456789")
    assert checkpoint_file(container).stat().st_mode & 0o777 == 0o600


def test_verify_checks_a_clean_chain_against_every_checkpoint(
    cli_env: dict[str, str], container: Container
) -> None:
    fill(container, 3)
    code, out, _ = ecoradar("audit", "checkpoint")
    assert code == 0
    assert json.loads(out)["count"] == 3
    hashes = fill(container, 2)
    assert ecoradar("audit", "checkpoint")[0] == 0
    code, out, err = ecoradar("audit", "verify")
    assert (code, err) == (0, "")
    assert f"audit log OK: 5 entries, head {hashes[-1]}" in out
    assert "checkpoints OK: 2 matched" in out
    assert re.search(r"\(newest: 5 entries at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\)", out)


def test_deleting_the_newest_entries_is_caught_by_a_checkpoint(
    cli_env: dict[str, str], container: Container
) -> None:
    fill(container, 5)
    anchor.write_checkpoint(container)
    with container.engine.begin() as conn:
        drop_triggers(conn)
        remove(conn, 5)
        remove(conn, 4)
    code, out, _ = ecoradar("audit", "verify", "--no-checkpoints")
    assert (code, out.splitlines()[0][:29]) == (0, "audit log OK: 3 entries, head")  # chain alone
    code, out, err = ecoradar("audit", "verify")
    assert (code, out) == (1, "")
    assert f"checkpoint {checkpoint_file(container)}:1:" in err
    assert (
        "the log has 3 entries, fewer than the checkpoint of 5 entries at "
        "2026-11-02T09:00:00+08:00: entries were removed from the end"
    ) in err


@pytest.mark.parametrize("append_a_forgery", [False, True])
def test_deleting_one_entry_and_recomputing_every_later_hash_is_caught_by_a_checkpoint(
    cli_env: dict[str, str], container: Container, append_a_forgery: bool
) -> None:
    hashes = fill(container, 5)
    anchor.write_checkpoint(container)
    with container.engine.begin() as conn:
        drop_triggers(conn)
        rewrite_after_deleting(conn, 2)
    if append_a_forgery:  # the count is back to 5, but not the head
        fill(container, 1)
    assert ecoradar("audit", "verify", "--no-checkpoints")[0] == 0  # the chain is sound again
    code, _, err = ecoradar("audit", "verify")
    assert code == 1
    if append_a_forgery:
        assert (
            f"the checkpoint of 5 entries at 2026-11-02T09:00:00+08:00 recorded {hashes[4]}" in err
        )
        assert "the log was rewritten at or before entry 5" in err
    else:
        assert "the log has 4 entries, fewer than the checkpoint of 5 entries" in err


def test_a_checkpoint_with_a_wrong_mac_is_reported(
    cli_env: dict[str, str], container: Container
) -> None:
    fill(container, 4)
    good = anchor.write_checkpoint(container)
    edited = json.loads(good.line()) | {"count": 3}  # moved back to hide the newest entry
    other = checkpoints.sign(
        "another-secret-that-is-long-enough-0123456789", at=good.at, count=4, head=good.head
    )
    path = checkpoint_file(container)
    with path.open("a") as file:
        file.write(json.dumps(edited) + "\n" + other.line() + "\nnot a checkpoint\n")
    code, _, err = ecoradar("audit", "verify")
    assert code == 1
    assert f"checkpoint {path}:2: MAC does not match: the line was edited or forged" in err
    assert f"checkpoint {path}:3: written under another secret key (key id {other.kid}" in err
    assert f"checkpoint {path}:4: not JSON: not a checkpoint" in err
    assert "audit log BROKEN" not in err  # the chain itself is sound


def test_verify_reads_a_copy_kept_elsewhere_instead_of_the_local_file(
    cli_env: dict[str, str], container: Container, tmp_path: Path
) -> None:
    fill(container, 4)
    anchor.write_checkpoint(container)
    copy = tmp_path / "elsewhere" / "checkpoints.jsonl"
    copy.parent.mkdir()
    shutil.copyfile(checkpoint_file(container), copy)
    with container.engine.begin() as conn:
        drop_triggers(conn)
        remove(conn, 4)
    checkpoint_file(container).unlink()  # whoever cut the log removed the local file too
    code, _, err = ecoradar("audit", "verify")
    assert code == 0
    assert "no audit checkpoints at" in err and "the newest entries are not anchored" in err
    code, _, err = ecoradar("audit", "verify", "--checkpoints", str(copy))
    assert code == 1
    assert f"checkpoint {copy}:1: the log has 3 entries, fewer than" in err
    code, _, err = ecoradar("audit", "verify", "--checkpoints", str(tmp_path / "missing.jsonl"))
    assert code == 2


def test_no_checkpoint_is_written_over_a_log_that_no_longer_matches_the_last_one(
    cli_env: dict[str, str], container: Container
) -> None:
    fill(container, 4)
    anchor.write_checkpoint(container)
    before = checkpoint_file(container).read_text()
    with container.engine.begin() as conn:
        drop_triggers(conn)
        rewrite_after_deleting(conn, 3)
    fill(container, 1)
    code, out, err = ecoradar("audit", "checkpoint")
    assert (code, out) == (1, "")
    assert "entry 4 has hash" in err and "the log was rewritten at or before entry 4" in err
    message = anchor.startup_checkpoint(container)
    assert message.startswith("audit checkpoint NOT written to ")
    assert checkpoint_file(container).read_text() == before


def test_a_new_checkpoint_verifies_the_entries_after_the_last_one(container: Container) -> None:
    fill(container, 3)
    anchor.write_checkpoint(container)
    fill(container, 2)
    with container.engine.begin() as conn:
        drop_triggers(conn)
        tamper(conn, 5, reason="changed after it was written")
    with pytest.raises(anchor.AnchorMismatch, match="broken at entry 5: hash does not match"):
        anchor.write_checkpoint(container)


def test_scheduled_checkpoints_are_written_when_due_and_the_log_grew(
    container: Container, clock: FakeClock
) -> None:
    first = anchor.scheduled_checkpoint(container)  # no file yet: due at once
    assert first is not None and first.count == 0
    fill(container, 2)
    assert anchor.scheduled_checkpoint(container) is None  # not due yet
    clock.advance(anchor.CHECKPOINT_INTERVAL)
    second = anchor.scheduled_checkpoint(container)
    assert second is not None and second.count == 2
    clock.advance(anchor.CHECKPOINT_INTERVAL * 3)
    assert anchor.scheduled_checkpoint(container) is None  # due, but the log did not grow
    fill(container, 1)
    third = anchor.scheduled_checkpoint(container)
    assert third is not None and third.count == 3
    assert len(checkpoint_file(container).read_text().splitlines()) == 3


def test_the_start_of_serve_anchors_the_log_and_says_where(container: Container) -> None:
    fill(container, 2)
    message = anchor.startup_checkpoint(container)
    path = checkpoint_file(container)
    assert message == (
        f"audit log anchored: checkpoint of 2 entries at 2026-11-02T09:00:00+08:00 in {path}"
    )
    with container.reading() as session:
        result = anchor.verify_anchored(session=session, files=[path], secret=TEST_SECRET)
    assert (result.ok, result.matched, result.chain.count) == (True, 1, 2)


def test_checkpoints_of_an_empty_log_and_of_a_later_time_all_match(
    container: Container, clock: FakeClock
) -> None:
    anchor.write_checkpoint(container)
    for _ in range(3):
        fill(container, 2)
        clock.advance(timedelta(hours=1))
        anchor.write_checkpoint(container)
    with container.reading() as session:
        result = anchor.verify_anchored(
            session=session, files=[checkpoint_file(container)], secret=TEST_SECRET, batch=4
        )
        head = service.head(session=session)
    assert (result.ok, result.matched, result.problems) == (True, 4, [])
    assert result.newest is not None and (result.newest.count, result.newest.head) == head


def test_a_checkpoint_from_the_future_does_not_stop_scheduled_ones(
    container: Container, clock: FakeClock
) -> None:
    anchor.write_checkpoint(container)
    clock.advance(-timedelta(days=1))  # the clock was wrong when it was written, and corrected
    fill(container, 1)
    written = anchor.scheduled_checkpoint(container)
    assert written is not None and written.count == 1

"""The checkpoint line (HMAC with the secret key) and the append-only file it lives in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecoradar.audit import checkpoints
from ecoradar.audit.chain import GENESIS

SECRET = "unit-test-secret-of-enough-length-0123456789"
AT = datetime(2026, 11, 29, 2, 30, 0, 123456, tzinfo=UTC)
HEAD = "ab" * 32


def test_a_signed_checkpoint_reads_back_the_same() -> None:
    checkpoint = checkpoints.sign(SECRET, at=AT, count=7, head=HEAD)
    line = checkpoint.line()
    assert json.loads(line) == {
        "v": 1,
        "at": "2026-11-29T02:30:00.123456Z",
        "count": 7,
        "head": HEAD,
        "kid": checkpoints.key_id(SECRET),
        "mac": checkpoint.mac,
    }
    assert checkpoints.parse(line, SECRET) == checkpoint


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", 6),
        ("head", GENESIS),
        ("at", "2026-11-29T02:30:01.123456Z"),
        ("mac", "0" * 64),
    ],
)
def test_changing_any_field_breaks_the_mac(field: str, value: object) -> None:
    fields = json.loads(checkpoints.sign(SECRET, at=AT, count=7, head=HEAD).line())
    fields[field] = value
    with pytest.raises(ValueError, match="MAC does not match"):
        checkpoints.parse(json.dumps(fields), SECRET)


def test_a_checkpoint_of_another_secret_key_is_named_as_such() -> None:
    line = checkpoints.sign("another secret " * 3, at=AT, count=7, head=HEAD).line()
    with pytest.raises(ValueError, match="written under another secret key"):
        checkpoints.parse(line, SECRET)


def test_the_key_id_reveals_nothing_of_the_secret_and_differs_per_secret() -> None:
    kid = checkpoints.key_id(SECRET)
    assert len(kid) == 16 and kid not in SECRET
    assert checkpoints.key_id(SECRET + "x") != kid


@pytest.mark.parametrize(
    "line",
    [
        "",
        "[]",
        '{"v": 2}',
        '{"v": 1, "at": "2026-11-29", "count": 1, "head": "x", "kid": "y", "mac": "z"}',
        "x" * 2000,
    ],
)
def test_a_line_that_is_not_a_checkpoint_is_refused(line: str) -> None:
    with pytest.raises(ValueError):
        checkpoints.parse(line, SECRET)


def test_a_boolean_count_is_not_a_count() -> None:
    fields = json.loads(checkpoints.sign(SECRET, at=AT, count=1, head=HEAD).line())
    fields["count"] = True
    with pytest.raises(ValueError, match="malformed"):
        checkpoints.parse(json.dumps(fields), SECRET)


def test_appends_keep_every_line_and_the_newest_good_one_is_found(tmp_path: Path) -> None:
    path = tmp_path / "home" / checkpoints.FILE_NAME
    assert checkpoints.newest(path, SECRET) is None
    written = [
        checkpoints.sign(SECRET, at=AT + timedelta(minutes=n), count=n, head=HEAD) for n in range(3)
    ]
    for checkpoint in written:
        checkpoints.append(path, checkpoint)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [c for _, c in checkpoints.load(path, SECRET).checkpoints] == written
    with path.open("a") as file:
        file.write('{"v":1,"at":"forged"}\n')
    assert checkpoints.newest(path, SECRET) == written[-1]


def test_a_line_cut_by_a_crash_does_not_swallow_the_next_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / checkpoints.FILE_NAME
    first = checkpoints.sign(SECRET, at=AT, count=1, head=HEAD)
    checkpoints.append(path, first)
    with path.open("a") as file:
        file.write(first.line()[:40])  # no line end
    second = checkpoints.sign(SECRET, at=AT, count=2, head=HEAD)
    checkpoints.append(path, second)
    loaded = checkpoints.load(path, SECRET)
    assert [c for _, c in loaded.checkpoints] == [first, second]
    assert [p.place for p in loaded.problems] == [f"{path}:2"]
    assert checkpoints.newest(path, SECRET) == second


def test_the_newest_checkpoint_is_found_behind_a_long_tail_of_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / checkpoints.FILE_NAME
    good = checkpoints.sign(SECRET, at=AT, count=5, head=HEAD)
    checkpoints.append(path, good)
    with path.open("a") as file:
        for _ in range(checkpoints.TAIL_BYTES // 20 + 10):
            file.write("garbage line number\n")
    assert checkpoints.newest(path, SECRET) == good

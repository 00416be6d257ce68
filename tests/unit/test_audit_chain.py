"""The audit log's hash chain as pure code: canonical bytes, hashes, verification."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoradar.audit.chain import (
    EDITED,
    GENESIS,
    NOT_GENESIS,
    RELINKED,
    EntryData,
    canonical,
    entry_hash,
    fields_of,
    plain,
    utc_text,
    verify,
)
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError

T0 = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)


def link(prev: EntryData | None, **changes: Any) -> EntryData:
    """The entry after ``prev`` (or the first), sealed with its hash."""
    fields: dict[str, Any] = {
        "id": 1 if prev is None else prev.id + 1,
        "at": T0 + timedelta(minutes=0 if prev is None else prev.id),
        "actor": "user:7:alice",
        "actor_user_id": 7,
        "action": "problem.accept",
        "entity_type": "problem",
        "entity_id": "42",
        "before": {"state": "new"},
        "after": {"state": "accepted"},
        "reason": "confirmed on site",
        "ip": "10.0.0.8",
    }
    fields.update(changes)
    prev_hash = GENESIS if prev is None else prev.hash
    return EntryData(**fields, prev_hash=prev_hash, hash=entry_hash(prev_hash, fields))


def chain_of(n: int) -> list[EntryData]:
    entries: list[EntryData] = []
    for _ in range(n):
        entries.append(link(entries[-1] if entries else None))
    return entries


def renumbered(entries: list[EntryData], start: int) -> list[EntryData]:
    return [dataclasses.replace(e, id=start + i) for i, e in enumerate(entries)]


class Colour(StrEnum):
    red = "red"


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_chinese_as_utf8() -> None:
    assert canonical({"b": 1, "a": {"y": "投诉", "x": [1, 2]}}) == (
        '{"a":{"x":[1,2],"y":"投诉"},"b":1}'.encode()
    )


def test_canonical_json_does_not_depend_on_key_order() -> None:
    assert canonical({"a": 1, "b": 2}) == canonical({"b": 2, "a": 1})


def test_datetimes_are_written_in_utc_with_microseconds_and_z() -> None:
    moment = datetime(2026, 11, 29, 10, 30, tzinfo=CHINA_TZ)
    assert utc_text(moment) == "2026-11-29T02:30:00.000000Z"
    assert canonical({"at": moment}) == b'{"at":"2026-11-29T02:30:00.000000Z"}'


def test_the_same_instant_in_two_time_zones_hashes_the_same() -> None:
    china = {"at": datetime(2026, 11, 29, 10, 30, 0, 5, tzinfo=CHINA_TZ)}
    utc = {"at": datetime(2026, 11, 29, 2, 30, 0, 5, tzinfo=UTC)}
    assert entry_hash(GENESIS, china) == entry_hash(GENESIS, utc)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(InputError, match="naive"):
        canonical({"at": datetime(2026, 11, 29)})  # noqa: DTZ001


def test_a_float_with_an_integral_value_hashes_like_the_integer_a_jsonb_column_returns() -> None:
    assert canonical({"v": 1e16}) == canonical({"v": 10_000_000_000_000_000})
    assert canonical({"v": 2.0}) == b'{"v":2}'
    assert canonical({"v": 0.1}) == b'{"v":0.1}'


def test_plain_json_turns_rich_values_into_what_a_json_column_keeps() -> None:
    value = {
        "when": datetime(2026, 11, 29, 10, 30, tzinfo=CHINA_TZ),
        "day": date(2026, 11, 29),
        "amount": Decimal("12.50"),
        "colour": Colour.red,
        "ref": UUID("12345678-1234-5678-1234-567812345678"),
        "pair": (1, 2),
        3: "int key",
    }
    assert plain(value) == {
        "when": "2026-11-29T02:30:00.000000Z",
        "day": "2026-11-29",
        "amount": "12.50",
        "colour": "red",
        "ref": "12345678-1234-5678-1234-567812345678",
        "pair": [1, 2],
        "3": "int key",
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": {1, 2}}, r"before\.x: a set cannot be stored"),
        ({"x": b"raw"}, r"before\.x: a bytes cannot be stored"),
        ({"x": [float("nan")]}, r"before\.x\[0\]: nan cannot be stored"),
        ({"x": "a\x00b"}, r"before\.x: text with a NUL"),
        ({"x": "\ud800"}, r"before\.x: text is not valid Unicode"),
        ({(1, 2): "tuple key"}, r"before: key \(1, 2\) is not a string"),
        ({1: "a", "1": "b"}, r"before: key '1' appears twice"),
    ],
)
def test_plain_json_refuses_what_a_json_column_cannot_keep_naming_the_place(
    value: dict[Any, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        plain(value, "before")


storable_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(storable_text, children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_plain_json_hashes_the_same_after_a_trip_through_json_text(value: Any) -> None:
    stored = plain(value)
    assert plain(stored) == stored
    assert canonical({"v": json.loads(json.dumps(stored))}) == canonical({"v": value})


def test_entry_hash_is_sha256_of_the_previous_hash_and_the_canonical_fields() -> None:
    fields = {"id": 1, "action": "user.create"}
    expected = hashlib.sha256(GENESIS.encode() + b'{"action":"user.create","id":1}').hexdigest()
    assert entry_hash(GENESIS, fields) == expected
    assert entry_hash("1" * 64, fields) != expected


def test_every_hashed_field_changes_the_hash() -> None:
    entry = link(None)
    fields = fields_of(entry)
    for name, other in {
        "id": 2,
        "at": T0 + timedelta(microseconds=1),
        "actor": "user:8:bob",
        "actor_user_id": 8,
        "action": "problem.reject",
        "entity_type": "clue",
        "entity_id": "43",
        "before": {"state": "old"},
        "after": None,
        "reason": "confirmed on site.",
        "ip": "10.0.0.9",
    }.items():
        assert entry_hash(GENESIS, {**fields, name: other}) != entry.hash, name


def test_an_empty_log_verifies_with_the_genesis_head() -> None:
    result = verify([])
    assert (result.ok, result.count, result.head, result.failure) == (True, 0, GENESIS, None)


def test_a_sound_chain_verifies_and_reports_its_head() -> None:
    entries = chain_of(5)
    result = verify(entries)
    assert result.ok
    assert result.count == 5
    assert result.head == entries[-1].hash


def test_verify_names_an_edited_entry() -> None:
    entries = chain_of(5)
    entries[2] = dataclasses.replace(entries[2], after={"state": "closed"})
    result = verify(entries)
    assert not result.ok
    assert (result.bad_id, result.problem) == (3, EDITED)
    assert result.count == 2
    assert result.head == entries[1].hash
    assert result.failure is not None
    assert result.failure.action == "problem.accept"
    assert result.failure.entity == "problem:42"
    assert result.failure.at == entries[2].at


def test_verify_names_the_gap_left_by_a_deleted_entry() -> None:
    entries = chain_of(5)
    del entries[2]
    result = verify(entries)
    assert result.bad_id == 4
    assert result.problem is not None
    assert result.problem.startswith("ids not consecutive: expected id 3, found 4")


def test_verify_names_the_broken_link_when_a_deleted_entry_is_hidden_by_renumbering() -> None:
    entries = chain_of(5)
    entries = entries[:2] + renumbered(entries[3:], 3)
    result = verify(entries)
    assert (result.bad_id, result.problem) == (3, RELINKED)


def test_verify_names_the_successor_of_an_entry_inserted_in_the_middle() -> None:
    entries = chain_of(4)
    intruder = link(entries[1], action="problem.close", reason="nothing to see")
    entries = [*entries[:2], intruder, *renumbered(entries[2:], 4)]
    result = verify(entries)
    assert (result.bad_id, result.problem) == (4, RELINKED)
    assert result.count == 3


def test_verify_names_the_successor_of_a_forged_entry_whose_own_hash_was_recomputed() -> None:
    entries = chain_of(4)
    entries[1] = link(entries[0], reason="rewritten")
    result = verify(entries)
    assert (result.bad_id, result.problem) == (3, RELINKED)


def test_verify_refuses_a_first_entry_that_does_not_start_from_genesis() -> None:
    entries = renumbered(chain_of(3)[1:], 1)
    result = verify(entries)
    assert (result.bad_id, result.problem) == (1, NOT_GENESIS)


def test_verify_names_an_entry_whose_stored_content_cannot_be_hashed() -> None:
    entries = chain_of(2)
    entries[1] = dataclasses.replace(entries[1], after={"x": float("inf")})
    result = verify(entries)
    assert result.bad_id == 2
    assert result.problem is not None
    assert result.problem.startswith("content cannot be hashed")


def test_an_expected_head_still_in_the_chain_is_found() -> None:
    entries = chain_of(5)
    result = verify(entries, expect_head=entries[2].hash)
    assert result.ok
    assert result.expected_at == 3


def test_an_expected_head_cut_off_with_the_tail_is_reported() -> None:
    entries = chain_of(5)
    noted = entries[-1].hash
    result = verify(entries[:3], expect_head=noted)
    assert not result.ok
    assert result.bad_id is None
    assert result.problem is not None
    assert f"the expected head {noted} is not in the chain" in result.problem
    assert result.count == 3


def test_verify_continues_from_a_part_already_checked() -> None:
    entries = chain_of(5)
    result = verify(entries[3:], start_count=3, start_head=entries[2].hash)
    assert (result.ok, result.count, result.head) == (True, 5, entries[-1].hash)
    wrong = verify(entries[3:], start_count=3, start_head=entries[1].hash)
    assert (wrong.ok, wrong.bad_id, wrong.problem) == (False, 4, RELINKED)

"""The hash chain of the audit log, as pure code: canonical bytes, entry hashes, verification.

Each entry's ``hash`` is ``sha256(prev_hash + canonical(fields))`` where ``prev_hash`` is the
previous entry's ``hash`` (``GENESIS`` for the first) and ``fields`` are the columns listed in
``HASHED_FIELDS``. Changing any of them, or removing or inserting an entry, breaks the chain at
that point; ``verify`` names the first entry where it breaks.

``canonical`` must give the same bytes for an entry however it was stored and read back (SQLite
JSON text, PostgreSQL JSONB, timestamps of either): values are first made plain JSON by ``plain``
(what the service stores, so what was hashed is what is kept), datetimes are written as UTC with
six fractional digits and a ``Z``, keys are sorted, and a float with an integral value is written
as the integer it equals (JSONB hands ``1e16`` back as ``10000000000000000``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol, TypeAlias
from uuid import UUID

from ecoradar.core.errors import InputError

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""

HASHED_FIELDS = (
    "id",
    "at",
    "actor",
    "actor_user_id",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "reason",
    "ip",
)
"""The columns an entry's hash covers (everything but ``prev_hash``, which is prefixed, and
``hash`` itself)."""

Json: TypeAlias = None | bool | int | float | str | list["Json"] | dict[str, "Json"]

EDITED = "hash does not match its content"
RELINKED = "prev_hash does not match the previous entry"
NOT_GENESIS = "prev_hash of the first entry is not the genesis hash"


class Entry(Protocol):
    """What verification reads of an entry (``AuditEntry`` and ``EntryData`` both have it)."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def actor_user_id(self) -> int | None: ...
    @property
    def action(self) -> str: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class EntryData:
    """An entry as plain data (a row read without the ORM, or one built in a test)."""

    id: int
    at: datetime
    actor: str
    actor_user_id: int | None
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any
    reason: str | None
    ip: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Failure:
    """Where and why verification stopped. ``entry_id`` is ``None`` when no single entry is
    at fault (an expected head that is not in the chain)."""

    entry_id: int | None
    problem: str
    action: str | None = None
    entity: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class VerifyResult:
    """``count`` entries were found sound, the last of them with hash ``head`` (``GENESIS`` for
    an empty log); ``failure`` is the first problem, if any. With an expected head,
    ``expected_at`` is the id of the entry that has it."""

    ok: bool
    count: int
    head: str
    failure: Failure | None = None
    expected_at: int | None = None

    @property
    def bad_id(self) -> int | None:
        return self.failure.entry_id if self.failure else None

    @property
    def problem(self) -> str | None:
        return self.failure.problem if self.failure else None


def utc_text(value: datetime) -> str:
    """``value`` as ISO 8601 UTC with six fractional digits and ``Z``; naive values refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"naive datetime {value.isoformat()} refused: audit times must be aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_text(value: str, place: str) -> str:
    """``value`` if both databases can store it as text (no NUL, valid UTF-8)."""
    if "\x00" in value:
        raise InputError(f"{place}: text with a NUL character cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{place}: text is not valid Unicode ({exc.reason})") from None
    return str(value)


def plain(value: Any, place: str = "value") -> Json:
    """``value`` as plain JSON, the form stored and hashed: mappings with string keys, lists,
    strings, finite numbers, booleans and null. Datetimes become ``utc_text``; dates and times
    ISO 8601; ``Decimal`` and ``UUID`` strings (exact); enums their value; pydantic models
    their JSON dump. Anything else (bytes, sets, NaN) is refused, naming ``place``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return plain(value.value, place)
    if isinstance(value, str):
        return check_text(value, place)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{place}: {value} cannot be stored as JSON")
        return float(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Mapping):
        result: dict[str, Json] = {}
        for key, item in value.items():
            name = _key(key, place)
            if name in result:
                raise InputError(f"{place}: key {name!r} appears twice")
            result[name] = plain(item, f"{place}.{name}")
        return result
    if isinstance(value, list | tuple):
        return [plain(item, f"{place}[{i}]") for i, item in enumerate(value)]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return plain(dump(mode="json"), place)
    raise InputError(f"{place}: a {type(value).__name__} cannot be stored in the audit log")


def _key(key: Any, place: str) -> str:
    if isinstance(key, Enum):
        key = key.value
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise InputError(f"{place}: key {key!r} is not a string")
    return check_text(str(key), f"{place} key")


def _canon(value: Json) -> Json:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Deterministic JSON of ``fields``: plain values, sorted keys, no whitespace, UTF-8."""
    text = json.dumps(
        _canon(plain(fields, "entry")),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``prev_hash`` followed by ``canonical(fields)``."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(fields)).hexdigest()


def fields_of(entry: Entry) -> dict[str, Any]:
    """The hashed fields of ``entry``."""
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def verify(
    entries: Iterable[Entry],
    *,
    expect_head: str | None = None,
    start_count: int = 0,
    start_head: str = GENESIS,
) -> VerifyResult:
    """Check ``entries`` (the whole log, in id order) and stop at the first problem.

    In order, each entry must have the next id (ids start at 1 and have no gaps), carry the
    previous entry's hash as ``prev_hash`` (``GENESIS`` for the first), and have a ``hash`` that
    matches its content. With ``expect_head`` (a head noted earlier) that hash must be one of
    the entries' hashes, else the log lost its tail or was rewritten.

    ``start_count`` and ``start_head``: ``entries`` continue a part of the log already checked,
    which ended with entry ``start_count`` of hash ``start_head`` (the count includes it).
    """
    count = start_count
    head = start_head
    expected_at: int | None = None
    for entry in entries:
        problem = _problem(entry, count + 1, head)
        if problem is not None:
            failure = Failure(
                entry.id,
                problem,
                entry.action,
                f"{entry.entity_type}:{entry.entity_id}",
                entry.at,
            )
            return VerifyResult(False, count, head, failure, expected_at)
        count += 1
        head = entry.hash
        if expect_head is not None and entry.hash == expect_head:
            expected_at = entry.id
    if expect_head is not None and expected_at is None:
        problem = (
            f"the expected head {expect_head} is not in the chain: entries were removed from "
            "the end, or the log was rewritten"
        )
        return VerifyResult(False, count, head, Failure(None, problem), None)
    return VerifyResult(True, count, head, None, expected_at)


def _problem(entry: Entry, expected_id: int, prev_hash: str) -> str | None:
    if entry.id != expected_id:
        return (
            f"ids not consecutive: expected id {expected_id}, found {entry.id} "
            "(an entry was deleted or inserted)"
        )
    if entry.prev_hash != prev_hash:
        return NOT_GENESIS if prev_hash == GENESIS else RELINKED
    try:
        computed = entry_hash(entry.prev_hash, fields_of(entry))
    except (InputError, UnicodeEncodeError) as exc:
        return f"content cannot be hashed: {exc}"
    if computed != entry.hash:
        return EDITED
    return None

"""The audit log on SQLite and PostgreSQL: appends, the chain, tampering, triggers,
transactions and concurrent writers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ecoradar.audit import chain, service
from ecoradar.audit.chain import EDITED, GENESIS, RELINKED
from ecoradar.audit.models import AuditEntry
from ecoradar.audit.service import AuditFilter
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from tests.integration.audit_support import (
    AT,
    add_entries,
    drop_triggers,
    remove,
    shift_ids,
    tamper,
)

GOLDEN_HASHES = [
    "bb8d19e0edd66fca0561ac584309d5ce037391c97e63e9366cb6fc5a96ba4610",
    "b0abc27524ae12b027783be911b1889b3d2c3b9d3b4ce2b19ebef664dd15fc96",
    "d21688854f1b14a560ad858226509098c68ec3fb1a7080ac6a1df301f2ad034e",
]
"""The hashes of ``add_entries(session, 3)``: the same on every backend and every run."""


def test_entries_are_chained_from_genesis_with_consecutive_ids(session: Session) -> None:
    entries = add_entries(session, 3)
    assert [e.id for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:2]]
    result = service.verify_log(session=session)
    assert (result.ok, result.count, result.head) == (True, 3, entries[-1].hash)


def test_the_same_entries_give_the_same_hashes_on_every_backend(session: Session) -> None:
    entries = add_entries(session, 3)
    assert [e.hash for e in entries] == GOLDEN_HASHES
    session.expire_all()
    stored = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [chain.entry_hash(e.prev_hash, chain.fields_of(e)) for e in stored] == GOLDEN_HASHES


def test_unicode_and_nested_json_survive_the_round_trip_and_still_verify(
    session: Session,
) -> None:
    before = {
        "举报人": {"姓名": "张三", "电话": "138 0000 0000"},
        "tags": ["夜间偷排", "黑烟", {"emoji": "🌫️", "depth": [[1, 2.5], [None, True]]}],
        "seen": datetime(2026, 11, 29, 22, 15, 30, 250, tzinfo=CHINA_TZ),
        "amount": Decimal("1234.50"),
        "big": 2**62,
        "ratio": 1e16,
    }
    entry = service.record(
        session=session,
        at=AT,
        actor="user:7:王芳",
        action="reporter_contact.read",
        entity_type="clue",
        entity_id="JX-2026-0001",
        before=before,
        after={"quote": 'say "hi"\n\ttab\\slash'},
        reason="核实线索，需要联系举报人",
        ip="2001:db8::1",
    )
    session.expire_all()
    stored = session.get_one(AuditEntry, entry.id)
    assert stored.before == {
        "举报人": {"姓名": "张三", "电话": "138 0000 0000"},
        "tags": ["夜间偷排", "黑烟", {"emoji": "🌫️", "depth": [[1, 2.5], [None, True]]}],
        "seen": "2026-11-29T14:15:30.000250Z",
        "amount": "1234.50",
        "big": 2**62,
        "ratio": pytest.approx(1e16),
    }
    assert stored.after == {"quote": 'say "hi"\n\ttab\\slash'}
    assert (stored.actor, stored.reason) == ("user:7:王芳", "核实线索，需要联系举报人")
    assert stored.at == AT
    assert service.verify_log(session=session).ok


def test_history_lists_one_records_entries_oldest_first(session: Session) -> None:
    add_entries(session, 2)
    service.record(
        session=session,
        at=AT + timedelta(hours=1),
        actor="system:scheduler",
        action="problem.escalate",
        entity_type="problem",
        entity_id=1,
        reason="SLA passed",
    )
    found = service.history(session=session, entity_type="problem", entity_id="1")
    assert [(e.id, e.action) for e in found] == [(1, "problem.accept"), (3, "problem.escalate")]
    assert found[1].before is None and found[1].after is None
    absent = 'SELECT count(*) FROM audit_log WHERE "before" IS NULL AND "after" IS NULL'
    assert session.scalar(text(absent)) == 1  # SQL NULL, not JSON null
    assert service.history(session=session, entity_type="clue", entity_id=1) == []


def test_search_filters_and_pages_newest_first(session: Session) -> None:
    add_entries(session, 4)
    add_entries(session, 1, actor="token:3:drone-east", entity_type="clue")
    page = service.search(session=session, filters=AuditFilter(entity_type="problem"), per_page=3)
    assert ([e.id for e in page.items], page.total, page.pages) == ([4, 3, 2], 4, 2)
    second = service.search(
        session=session, filters=AuditFilter(entity_type="problem"), page=2, per_page=3
    )
    assert [e.id for e in second.items] == [1]
    by_actor = service.search(session=session, filters=AuditFilter(actor="token:3:drone-east"))
    assert [e.id for e in by_actor.items] == [5]
    one = service.search(session=session, filters=AuditFilter(entity_type="problem", entity_id="2"))
    assert [e.id for e in one.items] == [2]
    late = service.search(session=session, filters=AuditFilter(since=AT + timedelta(minutes=3)))
    assert [e.id for e in late.items] == [4, 3]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"at": datetime(2026, 11, 29)}, "naive"),  # noqa: DTZ001
        ({"actor": "alice"}, "actor: 'alice' is not of the form kind:rest"),
        ({"action": "Accept"}, "action: 'Accept' is not of the form entity.verb"),
        ({"entity_type": " "}, "entity_type: must be a non-empty string"),
        ({"entity_id": "x" * 129}, "entity_id: 129 characters, at most 128"),
        ({"after": {"v": float("nan")}}, r"after\.v: nan cannot be stored"),
        ({"reason": "a\x00b"}, "reason: text with a NUL"),
    ],
)
def test_record_refuses_bad_input_naming_the_field(
    session: Session, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        add_entries(session, 1, **changes)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_an_entry_rolls_back_with_the_transaction_it_belongs_to(container: Container) -> None:
    with container.transaction() as session:
        add_entries(session, 2)
    with pytest.raises(RuntimeError), container.transaction() as session:
        add_entries(session, 1)
        raise RuntimeError("the change failed")
    with container.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
        entry = add_entries(session, 1)[0]
        assert entry.id == 3
        assert service.verify_log(session=session).ok


def test_the_database_refuses_to_update_or_delete_entries(container: Container) -> None:
    with container.transaction() as session:
        add_entries(session, 2)
    statements = [
        "UPDATE audit_log SET reason = 'changed' WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log",
    ]
    if container.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DBAPIError, match="audit_log is append-only"):
            with container.engine.begin() as conn:
                conn.execute(text(statement))
    with container.transaction() as session:
        assert session.scalars(select(AuditEntry.reason).order_by(AuditEntry.id)).all() == [
            "reason 1",
            "reason 2",
        ]


@pytest.mark.parametrize(
    "values",
    [
        {"after": {"state": "rejected"}},
        {"reason": "nothing found"},
        {"at": AT - timedelta(days=1)},
        {"actor": "user:8:bob"},
    ],
    ids=["after", "reason", "at", "actor"],
)
def test_verify_names_an_entry_edited_in_the_database(
    session: Session, values: dict[str, Any]
) -> None:
    add_entries(session, 5)
    drop_triggers(session)
    tamper(session, 3, **values)
    result = service.verify_log(session=session)
    assert (result.ok, result.bad_id, result.problem, result.count) == (False, 3, EDITED, 2)


def test_verify_names_the_gap_of_an_entry_deleted_from_the_middle(session: Session) -> None:
    add_entries(session, 5)
    drop_triggers(session)
    remove(session, 3)
    result = service.verify_log(session=session)
    assert result.bad_id == 4
    assert result.problem is not None
    assert result.problem.startswith("ids not consecutive: expected id 3, found 4")


def test_verify_names_the_break_after_a_deleted_entry_is_hidden_by_renumbering(
    session: Session,
) -> None:
    add_entries(session, 5)
    drop_triggers(session)
    remove(session, 3)
    shift_ids(session, 4, -1)
    result = service.verify_log(session=session)
    assert (result.bad_id, result.problem) == (3, RELINKED)


def test_an_entry_inserted_in_the_middle_breaks_the_chain_at_its_successor(
    session: Session,
) -> None:
    entries = add_entries(session, 4)
    hashes = [e.hash for e in entries]
    drop_triggers(session)
    shift_ids(session, 3, 1)
    # The database allows one successor per entry, so the successor's link must move first.
    tamper(session, 4, prev_hash="f" * 64)
    fields = {**chain.fields_of(entries[2]), "id": 3, "reason": "backdated approval"}
    session.execute(
        AuditEntry.__table__.insert().values(
            **fields, prev_hash=hashes[1], hash=chain.entry_hash(hashes[1], fields)
        )
    )
    result = service.verify_log(session=session)
    assert (result.bad_id, result.problem, result.count) == (4, RELINKED, 3)


def test_the_database_refuses_a_second_successor_of_one_entry(session: Session) -> None:
    entries = add_entries(session, 3)
    fields = {**chain.fields_of(entries[2]), "id": 99}
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            AuditEntry.__table__.insert().values(
                **fields,
                prev_hash=entries[1].hash,
                hash=chain.entry_hash(entries[1].hash, fields),
            )
        )


def test_verify_names_the_successor_of_a_forged_entry_whose_hash_was_recomputed(
    session: Session,
) -> None:
    entries = add_entries(session, 4)
    drop_triggers(session)
    fields = {**chain.fields_of(entries[1]), "reason": "forged"}
    tamper(session, 2, reason="forged", hash=chain.entry_hash(entries[1].prev_hash, fields))
    result = service.verify_log(session=session)
    assert (result.bad_id, result.problem, result.count) == (3, RELINKED, 2)


@pytest.mark.parametrize("batch", [1, 2, 3, 7])
def test_verify_reads_the_log_in_batches_without_missing_an_entry(
    session: Session, batch: int
) -> None:
    entries = add_entries(session, 7)
    assert service.verify_log(session=session, batch=batch).count == 7
    drop_triggers(session)
    tamper(session, 6, reason="edited")
    result = service.verify_log(session=session, batch=batch)
    assert (result.bad_id, result.count, result.head) == (6, 5, entries[4].hash)


def test_verify_finds_an_expected_head_and_misses_one_cut_off_with_the_tail(
    session: Session,
) -> None:
    entries = add_entries(session, 4)
    noted = entries[-1].hash
    assert service.verify_log(session=session, expect_head=noted).expected_at == 4
    drop_triggers(session)
    remove(session, 4)
    result = service.verify_log(session=session, expect_head=noted)
    assert not result.ok
    assert result.bad_id is None
    assert result.count == 3


def _append_from_threads(
    container: Container, threads: int, each: int
) -> tuple[list[BaseException], Callable[[], None]]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        try:
            start.wait(timeout=10)
            for n in range(each):
                with container.transaction() as session:
                    add_entries(session, 1, entity_id=f"{worker}-{n}", actor=f"user:{worker}:w")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]

    def run() -> None:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=120)

    return errors, run


def test_concurrent_appends_keep_one_chain(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = service._head

    def slow_head(session: Session) -> tuple[int, str]:
        head = original(session)
        time.sleep(0.02)  # widen the window between reading the head and appending
        return head

    monkeypatch.setattr(service, "_head", slow_head)
    errors, run = _append_from_threads(container, threads=3, each=6)
    run()
    assert errors == []
    with container.transaction() as session:
        result = service.verify_log(session=session)
        ids = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    assert (result.ok, result.count) == (True, 18)
    assert list(ids) == list(range(1, 19))


def test_without_the_append_lock_concurrent_appends_would_collide(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    if container.engine.dialect.name == "sqlite":
        pytest.skip(
            "on SQLite a unit of work that writes holds the write lock from its BEGIN IMMEDIATE:"
            " two appends cannot read the same head (tests/integration/test_write_turns.py)"
        )
    original = service._head
    both_read = threading.Barrier(2)

    def head_then_wait(session: Session) -> tuple[int, str]:
        head = original(session)
        both_read.wait(timeout=10)  # both writers have now seen the same head
        return head

    monkeypatch.setattr(service, "_take_append_lock", lambda session: None)
    monkeypatch.setattr(service, "_head", head_then_wait)
    errors, run = _append_from_threads(container, threads=2, each=1)
    run()
    assert len(errors) == 1
    assert isinstance(errors[0], DBAPIError)
    with container.transaction() as session:
        assert service.verify_log(session=session).count == 1

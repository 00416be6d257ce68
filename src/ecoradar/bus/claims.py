"""Exactly-once writes of consumed batches, and detection state that knows it is stale.

JetStream delivers a message at least once: a worker that committed a batch and died before
its acknowledgement gets (or leaves to another worker) the same message again. Each partition's
consumer lets one message at a time be unacknowledged, so a partition's messages are written in
stream order; the ``bus_partitions`` row of the partition, locked and updated in the very
transaction that writes the batch, records the last one written. A message whose sequence is
not beyond it is already stored (:class:`AlreadyWritten`: acknowledge it, write nothing), and
the archive gets no second copy of its packets.

The same row says who wrote the partition last. A worker keeps detection state for the points
of the partitions it holds; when the row names another worker, or a message this worker did
not write, the partition was written elsewhere meanwhile, and the worker drops its state for
those points before detecting (it is rebuilt from the store, as after a restart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.bus.models import BusPartition
from ecoradar.core.errors import EcoRadarError

T = BusPartition


@dataclass(frozen=True)
class Claim:
    """Message ``seq`` of the stream, on ``partition``, about to be written."""

    partition: int
    seq: int


class AlreadyWritten(EcoRadarError):
    """The message was written before (a redelivery): nothing was written now."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        super().__init__(f"message {claim.seq} of partition {claim.partition} is already stored")


class Claims:
    """One worker's record of the partitions it wrote; ``pending`` are claimed by the next
    transaction of a :class:`ClaimingContainer` (the batch's own)."""

    def __init__(
        self,
        *,
        stream: str,
        epoch: str,
        worker: str,
        forget: Callable[[set[int]], None],
        now: Callable[[], Any],
    ) -> None:
        self.stream, self.epoch, self.worker = stream, epoch, worker
        self.forget = forget
        self.now = now
        self.last: dict[int, int] = {}
        """Per partition, the sequence of the last message this worker committed."""
        self.pending: list[Claim] | None = None
        self.stale_partitions = 0
        """Times a partition turned out to have been written by another worker meanwhile."""

    def prepare(self, session: Session, partitions: range) -> None:
        """Make the partitions' rows (each worker at its start; existing rows stay)."""
        rows = [
            {
                "stream": self.stream,
                "partition_no": p,
                "epoch": self.epoch,
                "last_seq": 0,
                "worker": "",
                "updated_at": self.now(),
            }
            for p in partitions
        ]
        dialect = session.get_bind().dialect.name
        maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(maker(T).on_conflict_do_nothing(), rows)

    def claim(self, session: Session, pending: list[Claim]) -> None:
        """In the batch's transaction, first: lock the partitions' rows, refuse a message
        already written, drop stale detection state, record the messages as written."""
        query = (
            select(T.partition_no, T.epoch, T.last_seq, T.worker)
            .where(T.stream == self.stream, T.partition_no.in_([c.partition for c in pending]))
            .with_for_update()
        )
        found = {row.partition_no: row for row in session.execute(query)}
        stale: set[int] = set()
        for claim in pending:
            row = found.get(claim.partition)
            if row is None:
                raise EcoRadarError(f"partition {claim.partition} of {self.stream} has no row")
            same_epoch = row.epoch == self.epoch
            if same_epoch and row.last_seq >= claim.seq:
                raise AlreadyWritten(claim)
            if (
                not same_epoch
                or row.worker != self.worker
                or row.last_seq != self.last.get(claim.partition)
            ):
                stale.add(claim.partition)
        if stale:
            self.stale_partitions += len(stale)
            self.forget(stale)
        table = cast(Table, T.__table__)
        session.execute(
            update(table)
            .where(table.c.stream == self.stream, table.c.partition_no == bindparam("p"))
            .values(
                epoch=self.epoch,
                last_seq=bindparam("seq"),
                worker=self.worker,
                updated_at=self.now(),
            ),
            [{"p": c.partition, "seq": c.seq} for c in pending],
        )

    def committed(self, claims: list[Claim]) -> None:
        for claim in claims:
            self.last[claim.partition] = claim.seq


@dataclass
class ClaimingContainer(Container):
    """A container whose units of work that write claim ``claims.pending`` first."""

    claims: Claims | None = None

    @classmethod
    def wrap(cls, box: Container) -> ClaimingContainer:
        return cls(**{f.name: getattr(box, f.name) for f in fields(Container)})

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        claims = self.claims
        pending = claims.pending if claims is not None else None
        with super().transaction() as session:
            if claims is not None and pending:
                claims.claim(session, pending)
            yield session
        if claims is not None and pending:
            claims.committed(pending)

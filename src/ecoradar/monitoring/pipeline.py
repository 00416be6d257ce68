"""The intake pipeline: frames in, judged against the registry, detected on and stored in
batches. The TCP gateway and ``ecoradar ingest`` share it, so a packet is treated the same
whichever way it came.

A replay of more than :data:`PARALLEL_FROM` frames is judged in a second process
(:mod:`ecoradar.monitoring.parallel`): decoding, authenticating and making the rows there,
detecting and writing here, batch by batch in file order, so the result is the same as judging
everything here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice

from sqlalchemy.orm import Session

from ecoradar.analysers.check import detect_tampering
from ecoradar.bootstrap import Container
from ecoradar.core.writes import retrying
from ecoradar.detection.engine import DetectionEngine, Folded, Mode, PacketHours, load_configs
from ecoradar.monitoring.intake import Device, Judge
from ecoradar.monitoring.parallel import JudgingProcess
from ecoradar.monitoring.prepared import PreparedBatch, Received, prepare_batch
from ecoradar.monitoring.store import BatchResult, load_directory, write_prepared

DEFAULT_BATCH = 2000
PARALLEL_FROM = 3 * DEFAULT_BATCH
"""Frames of a replay after which the rest is judged in a second process (starting one costs
about half a second; below this a replay is judged in this process)."""


@dataclass
class IntakeSummary:
    """What happened to a run of frames: counts by outcome and by refusal reason."""

    packets: int = 0
    rows_offered: int = 0
    rows_inserted: int = 0
    bad_values: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, result: BatchResult, prepared: PreparedBatch) -> None:
        self.packets += result.packets
        self.rows_offered += result.rows_offered
        self.rows_inserted += result.rows_inserted
        self.outcomes.update(result.outcomes)
        self.bad_values += prepared.bad_values
        self.reasons.update(+prepared.reasons)

    @property
    def duplicates(self) -> int:
        """Values not stored because the same point, factor, kind and time was already there."""
        return self.rows_offered - self.rows_inserted


class Intake:
    """Judges frames against the registry and writes them in batches, durably.

    Split messages (Flag D) are joined per device before their values are stored; each part is
    archived as it comes.
    """

    def __init__(self, container: Container, *, mode: Mode = "replay", detect: bool = True) -> None:
        self.container = container
        self.dialect = container.engine.dialect.name
        with container.reading() as session:
            self.judger = Judge(load_directory(session))
            configs = load_configs(session)
        self.detection = DetectionEngine(configs, mode) if detect else None

    @property
    def directory(self) -> Mapping[str, Device]:
        return self.judger.directory

    def reload_directory(self) -> None:
        """Re-read the registry: new devices are let in; detection keeps its state except for
        points whose limits or thresholds changed (they are rebuilt from the store)."""
        with self.container.reading() as session:
            self.judger.directory = load_directory(session)
            configs = load_configs(session)
        if self.detection is not None:
            self.detection.reconfigure(configs)

    def judge(self, frame: bytes, peer: str, received_at: datetime) -> Received:
        return Received(frame, peer, received_at, self.judger(frame, received_at))

    def write(
        self,
        batch: Sequence[Received],
        lookahead: Sequence[Received] = (),
        *,
        within: Callable[[Session], object] | None = None,
    ) -> BatchResult:
        """Detect on ``batch`` and store it with its alerts in one transaction; when this
        returns, the batch is durable. ``lookahead``: what follows, when already read;
        ``within``: more work for the same transaction (the inbox's progress)."""
        prepared = prepare_batch(batch, self.dialect)
        ahead = prepare_batch(lookahead, self.dialect) if lookahead else None
        return self.write_prepared(prepared, ahead, within=within)

    def write_prepared(
        self,
        prepared: PreparedBatch,
        lookahead: PreparedBatch | None = None,
        *,
        within: Callable[[Session], object] | None = None,
    ) -> BatchResult:
        """:meth:`write` of a batch whose rows are made already; written again, whole, when
        the database was busy with other writes (``Container.write``)."""
        engine = self.detection

        def once() -> BatchResult:
            try:
                with self.container.transaction() as session:
                    if engine is not None and prepared.hourly:
                        self._detect(engine, session, prepared, lookahead)
                    result = write_prepared(session, prepared)
                    if engine is not None and prepared.parameters:
                        self._detect_parameters(session, prepared)
                    if within is not None:
                        within(session)
                    return result
            except BaseException:
                if engine is not None:  # its state ran ahead of the store: rebuild what it saw
                    engine.forget({point_id for _, point_id, _, _ in prepared.hourly})
                raise

        wait = self.container.settings.write_wait
        return retrying(once, wait=wait, what="a batch of device data")

    def _detect(
        self,
        engine: DetectionEngine,
        session: Session,
        prepared: PreparedBatch,
        lookahead: PreparedBatch | None,
    ) -> None:
        held = engine.process(
            session, _hours(prepared), self.container.clock.now(), _ahead(lookahead)
        )
        for (index, _, _, _), reason in zip(prepared.hourly, held, strict=True):
            if reason:
                prepared.hold_back(index, reason)

    def _detect_parameters(self, session: Session, prepared: PreparedBatch) -> None:
        """``parameter_tampering`` on the analysers that reported parameters in this batch."""
        keys = {(row[0], row[1]) for row in prepared.parameters}
        detect_tampering(session=session, keys=keys, now=self.container.clock.now())

    def sweep(self) -> int:
        """Open offline alerts for silent devices (see ``DetectionEngine.sweep``)."""
        if self.detection is None:
            return 0
        detection = self.detection
        return self.container.write(
            lambda session: detection.sweep(session, self.container.clock.now()),
            what="the offline sweep",
        )

    def run(
        self,
        frames: Iterable[tuple[bytes, str]],
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[int], object] | None = None,
        parallel_from: int | None = PARALLEL_FROM,
    ) -> IntakeSummary:
        """Judge and store ``(frame, peer)`` pairs in order, ``batch_size`` per transaction;
        ``progress(n)`` after each batch. When this returns, every frame is durably stored.

        The frames of a batch share the time they were read as their receive time. After
        ``parallel_from`` frames (``None``: never) the rest are judged in a second process."""
        summary = IntakeSummary()
        batches = self._prepared(_chunks(frames, batch_size), parallel_from)
        try:
            if self.detection is not None and self.dialect != "sqlite":
                self._run_overlapped(self.detection, batches, summary, progress)
            else:
                pending: PreparedBatch | None = None
                for prepared in batches:
                    if pending is not None:
                        self._commit(pending, prepared, summary, progress)
                    pending = prepared
                if pending is not None:
                    self._commit(pending, None, summary, progress)
        finally:
            batches.close()  # stops the judging process, if any
        if self.detection is not None and self.detection.mode == "replay":
            self.sweep()
        return summary

    def _run_overlapped(
        self,
        engine: DetectionEngine,
        batches: Iterator[PreparedBatch],
        summary: IntakeSummary,
        progress: Callable[[int], object] | None,
    ) -> None:
        """Fold each batch (with the next one in view) while the one before is written by a
        thread of its own: the database server's work on one batch overlaps detection's on the
        next. Batches are written one at a time and in order, each with its alerts. A batch
        with hours older than its points' newest is written before the next is folded (its
        refold changes their state).

        PostgreSQL only: there the writing thread waits on the server without holding the
        interpreter. SQLite's work is in this process, and its driver takes the interpreter
        back for every row: ``ecoradar ingest`` ran at 6,400-8,900 packets/s this way against
        7,300-10,100 one batch after the other (PostgreSQL: 7,100-9,700 against 5,400-6,600;
        2026-12-06, 21,264 hourly packets, three runs each, load 1.1-1.3)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecoradar-writer") as writer:
            writing: list[tuple[Future[BatchResult], PreparedBatch]] = []
            ahead_of_store: list[PreparedBatch] = []  # folded, not yet seen written

            def settle() -> None:
                if not writing:
                    return
                future, batch = writing[0]
                result = future.result()
                del writing[0]
                ahead_of_store.remove(batch)
                summary.add(result, batch)
                if progress is not None:
                    progress(len(batch))

            def step(batch: PreparedBatch, ahead: PreparedBatch | None) -> None:
                ahead_of_store.append(batch)
                folded = self._fold(engine, batch, ahead) if batch.hourly else None
                settle()
                writing.append((writer.submit(self._write_folded, batch, folded), batch))
                if folded is not None and folded.late:
                    settle()

            pending: PreparedBatch | None = None
            try:
                for prepared in batches:
                    if pending is not None:
                        step(pending, prepared)
                    pending = prepared
                if pending is not None:
                    step(pending, None)
                settle()
            except BaseException:
                for future, _ in writing:
                    future.cancel()
                # the state ran ahead of the store: what it saw is rebuilt from the store
                engine.forget({p for b in ahead_of_store for _, p, _, _ in b.hourly})
                raise

    def _fold(
        self, engine: DetectionEngine, batch: PreparedBatch, ahead: PreparedBatch | None
    ) -> Folded:
        """Detection's first half on ``batch``, reading the store on a connection of its own."""
        with self.container.reading() as session:
            folded = engine.fold(session, _hours(batch), _ahead(ahead))
        for (index, _, _, _), reason in zip(batch.hourly, folded.verdicts, strict=True):
            if reason:
                batch.hold_back(index, reason)
        return folded

    def _write_folded(self, batch: PreparedBatch, folded: Folded | None) -> BatchResult:
        """Write ``batch`` with its alerts (``folded``) in one transaction; again, whole, when
        the database was busy."""
        engine = self.detection
        assert engine is not None

        def once() -> BatchResult:
            with self.container.transaction() as session:
                if folded is not None:
                    engine.record(session, folded, self.container.clock.now())
                result = write_prepared(session, batch)
                if batch.parameters:
                    self._detect_parameters(session, batch)
                return result

        wait = self.container.settings.write_wait
        return retrying(once, wait=wait, what="a batch of device data")

    def _prepared(
        self, chunks: Iterator[list[tuple[bytes, str]]], parallel_from: int | None
    ) -> Generator[PreparedBatch, None, None]:
        clock = self.container.clock
        seen = 0
        for chunk in chunks:
            now = clock.now()
            yield prepare_batch(
                [Received(frame, peer, now, self.judger(frame, now)) for frame, peer in chunk],
                self.dialect,
            )
            seen += len(chunk)
            if parallel_from is not None and seen >= parallel_from:
                break
        else:
            return
        first = next(chunks, None)
        if first is None:
            return
        with JudgingProcess(self.judger, self.dialect) as process:
            yield from process.judge(chain([first], chunks), clock.now)
            self.judger = process.judge_state()

    def _commit(
        self,
        batch: PreparedBatch,
        lookahead: PreparedBatch | None,
        summary: IntakeSummary,
        progress: Callable[[int], object] | None,
    ) -> None:
        summary.add(self.write_prepared(batch, lookahead), batch)
        if progress is not None:
            progress(len(batch))


def _hours(prepared: PreparedBatch | None) -> list[PacketHours]:
    """What detection reads of the hourly uploads of ``prepared``."""
    if prepared is None:
        return []
    rows_of = prepared.rows_of
    return [
        PacketHours(point_id, data_time, received_at, rows_of(index))
        for index, point_id, data_time, received_at in prepared.hourly
    ]


def _ahead(prepared: PreparedBatch | None) -> list[PacketHours]:
    """What detection reads of the batch that follows: which point sent which hour (its values
    are read when that batch is written)."""
    if prepared is None:
        return []
    return [
        PacketHours(point_id, data_time, received_at, ())
        for _, point_id, data_time, received_at in prepared.hourly
    ]


def _chunks(frames: Iterable[tuple[bytes, str]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    iterator = iter(frames)
    while chunk := list(islice(iterator, size)):
        yield chunk

"""The intake pipeline: frames in, judged against the registry, detected on and stored in
batches. The TCP gateway and ``ecoradar ingest`` share it, so a packet is treated the same
whichever way it came."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.detection.engine import DetectionEngine, Mode, PacketHours, load_configs
from ecoradar.hj212.errors import HJ212Error
from ecoradar.hj212.reassembly import Reassembler
from ecoradar.monitoring.intake import Device, Outcome, Verdict, assess, measurement_rows
from ecoradar.monitoring.store import BatchResult, Received, load_directory, write_batch

DEFAULT_BATCH = 2000
HOURLY_CN = "2061"


@dataclass
class IntakeSummary:
    """What happened to a run of frames: counts by outcome and by refusal reason."""

    packets: int = 0
    rows_offered: int = 0
    rows_inserted: int = 0
    bad_values: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, result: BatchResult, verdicts: Sequence[Verdict]) -> None:
        self.packets += result.packets
        self.rows_offered += result.rows_offered
        self.rows_inserted += result.rows_inserted
        self.outcomes.update(result.outcomes)
        for verdict in verdicts:
            self.bad_values += verdict.bad_values
            if verdict.reason:
                self.reasons[verdict.reason] += 1

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
        self.reassembler = Reassembler()
        with container.transaction() as session:
            self.directory: dict[str, Device] = load_directory(session)
            configs = load_configs(session)
        self.detection = DetectionEngine(configs, mode) if detect else None

    def reload_directory(self) -> None:
        """Re-read the registry: new devices are let in; detection keeps its state except for
        points whose limits or thresholds changed (they are rebuilt from the store)."""
        with self.container.transaction() as session:
            self.directory = load_directory(session)
            configs = load_configs(session)
        if self.detection is not None:
            self.detection.reconfigure(configs)

    def judge(self, frame: bytes, peer: str, received_at: datetime) -> Received:
        verdict = assess(frame, self.directory, received_at)
        packet = verdict.packet
        device = verdict.device
        if device is not None and packet is not None and packet.is_split:
            try:
                whole = self.reassembler.add(packet)
            except HJ212Error as exc:
                verdict = replace(
                    verdict, outcome="refused", reason=exc.reason.value, detail=exc.detail
                )
            else:
                if whole is None:
                    verdict = replace(verdict, outcome="message", rows=[])
                else:
                    rows, bad = measurement_rows(whole, device.point_id, received_at)
                    outcome: Outcome = "stored" if rows else "message"
                    verdict = replace(verdict, outcome=outcome, rows=rows, bad_values=bad)
        return Received(frame, peer, received_at, verdict)

    def write(self, batch: Sequence[Received], lookahead: Sequence[Received] = ()) -> BatchResult:
        """Detect on ``batch`` and store it with its alerts in one transaction; when this
        returns, the batch is durable. ``lookahead``: what follows, when already read."""
        engine = self.detection
        try:
            with self.container.transaction() as session:
                if engine is not None:
                    batch = self._detect(engine, session, batch, lookahead)
                return write_batch(session, batch)
        except BaseException:
            if engine is not None:  # its state ran ahead of the store: rebuild what was touched
                engine.forget({r.verdict.device.point_id for r in batch if r.verdict.device})
            raise

    def _detect(
        self,
        engine: DetectionEngine,
        session: Session,
        batch: Sequence[Received],
        lookahead: Sequence[Received],
    ) -> Sequence[Received]:
        hourly = _hourly(batch)
        packets = [hours for _, hours in hourly]
        ahead = [hours for _, hours in _hourly(lookahead)]
        held = engine.process(session, packets, self.container.clock.now(), ahead)
        if not any(held):
            return batch
        out = list(batch)
        for (index, _), reason in zip(hourly, held, strict=True):
            item = batch[index]
            if reason:
                verdict = replace(
                    item.verdict,
                    outcome="quarantined",
                    reason=reason,
                    detail="DataTime in the future: archived, values not stored",
                    rows=[],
                )
                out[index] = replace(item, verdict=verdict)
        return out

    def _commit(
        self,
        batch: list[Received],
        lookahead: list[Received],
        summary: IntakeSummary,
        progress: Callable[[int], object] | None,
    ) -> None:
        summary.add(self.write(batch, lookahead), [r.verdict for r in batch])
        if progress is not None:
            progress(len(batch))

    def sweep(self) -> int:
        """Open offline alerts for silent devices (see ``DetectionEngine.sweep``)."""
        if self.detection is None:
            return 0
        with self.container.transaction() as session:
            return self.detection.sweep(session, self.container.clock.now())

    def run(
        self,
        frames: Iterable[tuple[bytes, str]],
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[int], object] | None = None,
    ) -> IntakeSummary:
        """Judge and store ``(frame, peer)`` pairs in order, ``batch_size`` per transaction;
        ``progress(n)`` after each batch. When this returns, every frame is durably stored."""
        summary = IntakeSummary()
        clock = self.container.clock
        pending: list[Received] = []
        for chunk in _chunks(frames, batch_size):
            batch = [self.judge(frame, peer, clock.now()) for frame, peer in chunk]
            if pending:  # written with the batch after it in view (see DetectionEngine)
                self._commit(pending, batch, summary, progress)
            pending = batch
        if pending:
            self._commit(pending, [], summary, progress)
        if self.detection is not None and self.detection.mode == "replay":
            self.sweep()
        return summary


def _hourly(batch: Sequence[Received]) -> list[tuple[int, PacketHours]]:
    """The hourly uploads of registered devices in ``batch``, with their positions."""
    found = []
    for index, item in enumerate(batch):
        verdict = item.verdict
        if (
            verdict.outcome == "stored"
            and verdict.device is not None
            and verdict.packet is not None
            and verdict.packet.cn == HOURLY_CN
        ):
            hours = PacketHours(
                verdict.device.point_id, verdict.rows[0].data_time, item.received_at, verdict.rows
            )
            found.append((index, hours))
    return found


def _chunks(frames: Iterable[tuple[bytes, str]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    chunk: list[tuple[bytes, str]] = []
    for item in frames:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

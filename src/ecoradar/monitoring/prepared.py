"""A batch of judged frames made ready for the database driver (pure: no database).

Making the rows (the archive row of every frame, the measurement rows, times as each backend
wants them) is most of the Python work of a write; it is done here, apart from the write, so
that ``ecoradar ingest`` can do it in the process that judges the frames (``parallel``) while
the writing process only detects and writes. The gateway and a replay write the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecoradar.analysers.parse import SITE_INFO_CN, ParameterRow, recover_parameters
from ecoradar.monitoring.intake import ROW_DATA_TIME, MeasurementRow, Verdict

RAW_COLUMNS = (
    "received_at",
    "peer",
    "mn",
    "cn",
    "qn",
    "data_time",
    "point_id",
    "outcome",
    "reason",
    "detail",
    "size",
    "raw",
)
RAW_OUTCOME, RAW_REASON, RAW_DETAIL = 7, 8, 9
"""Positions in an archive row."""
MAX_RAW_BYTES = 16_384
HOURLY_CN = "2061"
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""As ``ecoradar.core.db.SQLITE_DATETIME_FORMAT`` (what ``UTCDateTime`` stores on SQLite); not
imported from there so that a judging process does not load SQLAlchemy."""
FUTURE_DETAIL = "DataTime in the future: archived, values not stored"

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Received:
    """One frame as it arrived, with the verdict on it."""

    frame: bytes
    peer: str
    received_at: datetime
    verdict: Verdict


HourlyUpload = tuple[int, int, datetime, datetime]
"""An hourly upload (CN 2061) of a registered device, stored, for detection: the position of
its frame in the batch, its point, its data time and its receive time. A plain tuple: it
crosses a process boundary by the thousand."""


@dataclass
class PreparedBatch:
    """The rows of a batch, in the order of its frames, ready for ``store.write_prepared``."""

    dialect: str
    raws: list[Row] = field(default_factory=list)
    """One archive row per frame (columns :data:`RAW_COLUMNS`)."""
    rows: list[Row] = field(default_factory=list)
    """Measurement rows; those of frame ``i`` are ``rows[ends[i - 1]:ends[i]]``."""
    ends: list[int] = field(default_factory=list)
    hourly: list[HourlyUpload] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    bad_values: int = 0
    held: set[int] = field(default_factory=set)
    """Frames whose values are held back (archived as ``quarantined``, rows not written)."""
    parameters: list[ParameterRow] = field(default_factory=list)
    """Analyser parameters of the batch's CN=3020 uploads (``ecoradar.analysers``)."""

    def __len__(self) -> int:
        return len(self.raws)

    def rows_of(self, index: int) -> list[Row]:
        return self.rows[self.ends[index - 1] if index else 0 : self.ends[index]]

    def hold_back(self, index: int, reason: str, detail: str = FUTURE_DETAIL) -> None:
        """Archive frame ``index`` as ``quarantined`` for ``reason``; do not store its values.
        Once per frame (a batch written again after a busy database is judged again)."""
        if index in self.held:
            return
        raw = self.raws[index]
        self.outcomes[raw[RAW_OUTCOME]] -= 1
        self.outcomes["quarantined"] += 1
        if raw[RAW_REASON]:
            self.reasons[raw[RAW_REASON]] -= 1
        self.reasons[reason] += 1
        self.raws[index] = (*raw[:RAW_OUTCOME], "quarantined", reason, detail, *raw[10:])
        self.held.add(index)

    def stored_rows(self) -> list[Row]:
        """The measurement rows to write: every row but those of frames held back."""
        if not self.held:
            return self.rows
        return [row for i in range(len(self.raws)) if i not in self.held for row in self.rows_of(i)]


def prepare_batch(batch: Sequence[Received], dialect: str) -> PreparedBatch:
    """The rows of ``batch`` for a database of ``dialect`` (``sqlite``: times as the text
    SQLAlchemy stores; any other: aware datetimes)."""
    prepared = PreparedBatch(dialect)
    raws, rows, ends, hourly = prepared.raws, prepared.rows, prepared.ends, prepared.hourly
    outcomes, reasons = prepared.outcomes, prepared.reasons
    bad = 0
    sqlite = dialect == "sqlite"
    if sqlite:
        texts: dict[datetime, str] = {}

        def convert(when: datetime) -> Any:
            found = texts.get(when)
            if found is None:
                found = texts[when] = when.astimezone(UTC).strftime(SQLITE_DATETIME_FORMAT)
            return found

    else:

        def convert(when: datetime) -> Any:
            return when

    for index, item in enumerate(batch):
        verdict = item.verdict
        outcome = verdict.outcome
        outcomes[outcome] += 1
        if verdict.reason:
            reasons[verdict.reason] += 1
        bad += verdict.bad_values
        mn, cn, qn, detail = verdict.mn, verdict.cn, verdict.qn, verdict.detail
        device, data_time, frame = verdict.device, verdict.data_time, item.frame
        received = convert(item.received_at)
        raws.append(
            (
                received,
                item.peer[:128],
                mn[:64] if mn else None,
                cn[:8] if cn else None,
                qn[:32] if qn else None,
                convert(data_time) if data_time else None,
                device.point_id if device else None,
                outcome,
                verdict.reason,
                detail[:500] if detail else None,
                len(frame),
                frame[:MAX_RAW_BYTES],
            )
        )
        measured = verdict.rows
        if measured:
            if sqlite:
                _append_rows(rows, measured, convert)
            else:
                rows.extend(measured)
            if outcome == "stored" and device is not None and cn == HOURLY_CN:
                first: MeasurementRow = measured[0]
                hourly.append((index, device.point_id, first[ROW_DATA_TIME], item.received_at))
        ends.append(len(rows))
        if outcome == "stored" and device is not None and cn == SITE_INFO_CN:
            prepared.parameters.extend(recover_parameters(verdict, frame, item.received_at))
    prepared.bad_values = bad
    return prepared


def _append_rows(rows: list[Row], measured: list[MeasurementRow], convert: Any) -> None:
    first = measured[0]
    data_time, received = first[3], first[14]
    when, at = convert(data_time), convert(received)
    for row in measured:
        if row[3] is data_time and row[14] is received:
            rows.append((row[0], row[1], row[2], when, *row[4:14], at))
        else:
            rows.append((row[0], row[1], row[2], convert(row[3]), *row[4:14], convert(row[14])))

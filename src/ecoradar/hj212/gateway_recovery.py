"""Gap recovery: ask a device that was away for the hourly data it could not send.

HJ 212-2017 lets the platform ask for history (§6.6.5 table 9, CN 2061 "取污染物小时数据" with
``BeginTime``/``EndTime``, both "精确到小时" and inclusive; Appendix C tables C.47 to C.50): the
device answers 9011 (QnRtn), uploads the hours as ordinary 2061 packets, then sends 9012
(ExeRtn). The gateway keeps, per monitoring point, the latest hourly ``DataTime`` stored; when a
stored hourly upload is more than an hour after it, the hours between are a gap to ask for.

:class:`GapTracker` is pure state (times are passed in): which gaps each point owes, which one
has been asked for, and when to ask again. A gap is asked for once per connection of the device
and at most :data:`MAX_RECOVERY_ATTEMPTS` times; it is done when the device sends its execution
result (9012, whatever the ExeRtn: 100 "no data" means there is nothing to get) or refuses
(9011 with QnRtn other than 1). Uploads inside the gap are ordinary packets, stored once by the
natural key, so overlaps and repeats cost nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.db import UTCDateTime
from ecoradar.hj212.codes import QnRtn
from ecoradar.monitoring.models import Measurement

HOUR = timedelta(hours=1)
MAX_RECOVERY_HOURS = 7 * 24
"""Hours asked for at most per gap (7 days): older data is a matter for the operator."""
MAX_RECOVERY_ATTEMPTS = 3
"""Times one gap is asked for (HJ 212-2017 §6.2 table 1: 3 retries by default)."""
RECOVERY_ANSWER_TIMEOUT = timedelta(minutes=30)
"""After this long without an execution result, a gap may be asked for again."""
MAX_QUEUED_GAPS = 8
"""Gaps a point may owe at once; the oldest is given up beyond that."""
CLOCK_TOLERANCE = HOUR
"""Hourly data stamped further ahead of the platform clock is not trusted to reveal a gap."""


@dataclass
class Gap:
    """Hours ``begin`` .. ``end`` (inclusive, aware) a point has not sent."""

    begin: datetime
    end: datetime
    qn: str | None = None
    """QN of the latest 2061 request for this gap, echoed by the device's 9011/9012."""
    attempts: int = 0
    asked_at: datetime | None = None

    @property
    def hours(self) -> int:
        return int((self.end - self.begin) / HOUR) + 1


@dataclass
class _PointGaps:
    queue: deque[Gap] = field(default_factory=deque)
    """The first gap is the one asked for (or to ask for next)."""


class GapTracker:
    """Per point: the latest hourly data time stored, and the gaps still owed."""

    def __init__(self, latest: Mapping[int, datetime] | None = None) -> None:
        self.latest: dict[int, datetime] = dict(latest or {})
        self._gaps: dict[int, _PointGaps] = {}
        self.given_up = 0

    def owed(self, point_id: int) -> list[Gap]:
        """The gaps ``point_id`` still owes, the one asked for first."""
        state = self._gaps.get(point_id)
        return list(state.queue) if state else []

    def stored_hour(self, point_id: int, data_time: datetime, now: datetime) -> Gap | None:
        """An hourly value of ``data_time`` was stored; the gap to ask for now, if any."""
        if data_time > now + CLOCK_TOLERANCE:
            return None  # a device clock far ahead would hide every later gap
        latest = self.latest.get(point_id)
        if latest is None or data_time <= latest:
            if latest is None:
                self.latest[point_id] = data_time
            return self._due(point_id, now)
        self.latest[point_id] = data_time
        if data_time - latest <= HOUR:
            return self._due(point_id, now)
        end = data_time - HOUR
        begin = max(latest + HOUR, end - (MAX_RECOVERY_HOURS - 1) * HOUR)
        state = self._gaps.setdefault(point_id, _PointGaps())
        state.queue.append(Gap(begin, end))
        while len(state.queue) > MAX_QUEUED_GAPS:
            state.queue.popleft()
            self.given_up += 1
        return self._due(point_id, now)

    def reconnected(self, point_id: int, now: datetime) -> Gap | None:
        """The device is on a new connection: the request in flight, if any, was lost."""
        state = self._gaps.get(point_id)
        if not state or not state.queue:
            return None
        gap = state.queue[0]
        if gap.asked_at is not None:
            gap.asked_at = None  # ask again now, not after the timeout
        return self._due(point_id, now)

    def asked(self, point_id: int, gap: Gap, qn: str, now: datetime) -> None:
        """The 2061 request for ``gap`` was sent with ``qn``."""
        gap.qn = qn
        gap.asked_at = now
        gap.attempts += 1

    def answered(self, point_id: int, cn: str, qn: str | None, cp: Mapping[str, str]) -> bool:
        """A 9011/9012 of the device; whether it closed the gap asked for (matched by QN)."""
        state = self._gaps.get(point_id)
        if not state or not state.queue or qn is None or state.queue[0].qn != qn:
            return False
        if cn == "9011" and cp.get("QnRtn", "").strip() == str(int(QnRtn.READY)):
            return False  # ready: the uploads and the 9012 follow
        if cn not in ("9011", "9012"):
            return False
        state.queue.popleft()
        if not state.queue:
            del self._gaps[point_id]
        return True

    def next_due(self, point_id: int, now: datetime) -> Gap | None:
        """The gap to ask for now (after a gap closed), if any."""
        return self._due(point_id, now)

    def _due(self, point_id: int, now: datetime) -> Gap | None:
        state = self._gaps.get(point_id)
        while state and state.queue:
            gap = state.queue[0]
            if gap.asked_at is not None and now - gap.asked_at < RECOVERY_ANSWER_TIMEOUT:
                return None  # asked, waiting for the device
            if gap.attempts < MAX_RECOVERY_ATTEMPTS:
                return gap
            state.queue.popleft()
            self.given_up += 1
        if state is not None and not state.queue:
            del self._gaps[point_id]
        return None


def latest_hours(session: Session) -> dict[int, datetime]:
    """The latest hourly data time stored per monitoring point (kind ``hour``, CN 2061)."""
    rows = session.execute(
        select(
            Measurement.point_id,
            type_coerce(func.max(Measurement.data_time), UTCDateTime()),
        )
        .where(Measurement.kind == "hour")
        .group_by(Measurement.point_id)
    )
    return {point_id: latest for point_id, latest in rows if latest is not None}

"""Monitoring shapes for the API, and the time ranges a query may ask for.

Times go out as ISO 8601 in China Standard Time (``2026-11-01T08:00:00+08:00``). Nothing here
carries a device password or the bytes of a packet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel

from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError
from ecoradar.monitoring.service import (
    ONLINE_WINDOW,
    Aggregate,
    DeviceActivity,
    SeriesValue,
    UnknownDevice,
)
from ecoradar.registry.models import PointLimit

Kind = Literal["rtd", "minute", "hour", "day"]
DeviceState = Literal["online", "silent", "never"]

DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN: dict[str, timedelta] = {
    "rtd": timedelta(days=7),
    "minute": timedelta(days=31),
    "hour": timedelta(days=366),
    "day": timedelta(days=366),
}
"""The longest range one query may cover, by kind of value (real-time data is dense)."""
STEP: dict[str, timedelta] = {
    "rtd": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
"""The interval a value of each kind covers, so a range ends after its newest value."""
MAX_VALUES = 50_000
"""At most this many values in one series answer (``truncated`` says when there were more)."""


def china(value: datetime) -> datetime:
    return value.astimezone(CHINA_TZ)


def parse_instant(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is China Standard Time."""
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{name}: {text!r} is not an ISO 8601 date-time "
            "(e.g. 2026-11-01, 2026-11-01T08:00 or 2026-11-01T08:00+08:00)"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


def parse_day(text: str | None, name: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class TimeRange:
    """``since`` inclusive, ``until`` exclusive, both aware."""

    since: datetime
    until: datetime

    @property
    def since_text(self) -> str:
        return china(self.since).isoformat()

    @property
    def until_text(self) -> str:
        return china(self.until).isoformat()

    @property
    def first_day(self) -> date:
        return china(self.since).date()

    @property
    def last_day(self) -> date:
        return china(self.until - timedelta(microseconds=1)).date()

    def checked(self, kind: str) -> TimeRange:
        if self.since >= self.until:
            raise InputError(
                f"since ({china(self.since).isoformat()}) must be before "
                f"until ({china(self.until).isoformat()})"
            )
        longest = MAX_SPAN[kind]
        if self.until - self.since > longest:
            span = (self.until - self.since) / timedelta(days=1)
            raise InputError(
                f"the range from {china(self.since).isoformat()} to "
                f"{china(self.until).isoformat()} covers {span:g} days; "
                f"ask for at most {longest.days} days of {kind} values at a time"
            )
        return self

    @classmethod
    def ending_at(
        cls, latest: datetime | None, now: datetime, kind: str, span: timedelta
    ) -> TimeRange:
        """``span`` up to the end of the newest stored value (the clock when there is none)."""
        until = latest + STEP[kind] if latest is not None else now
        return cls(until - span, until)

    @classmethod
    def of_query(
        cls,
        since: str | None,
        until: str | None,
        *,
        kind: str,
        latest: datetime | None,
        now: datetime,
    ) -> TimeRange:
        """The range of an API query: either end may be left out (a week is assumed); without
        both, the week up to the newest stored value."""
        start = parse_instant(since, "since")
        end = parse_instant(until, "until")
        if start is None and end is None:
            return cls.ending_at(latest, now, kind, DEFAULT_SPAN)
        if start is None:
            assert end is not None
            start = end - DEFAULT_SPAN
        if end is None:
            end = start + DEFAULT_SPAN
        return cls(start, end).checked(kind)

    @classmethod
    def of_days(cls, first: str | None, last: str | None) -> TimeRange | None:
        """Whole China days ``first`` to ``last``, both included (a page's date fields);
        ``None`` when neither is given."""
        start = parse_day(first, "start")
        end = parse_day(last, "end")
        if start is None and end is None:
            return None
        if start is None:
            assert end is not None
            start = end - (DEFAULT_SPAN - timedelta(days=1))
        if end is None:
            end = start + (DEFAULT_SPAN - timedelta(days=1))
        since = datetime.combine(start, time(), CHINA_TZ)
        until = datetime.combine(end + timedelta(days=1), time(), CHINA_TZ)
        return cls(since, until).checked("hour")


class ValueRead(BaseModel):
    data_time: datetime
    avg: float | None
    min: float | None
    max: float | None
    zs_avg: float | None
    zs_min: float | None
    zs_max: float | None
    rtd: float | None
    zs_rtd: float | None
    cou: float | None
    flag: str | None

    @classmethod
    def of(cls, value: SeriesValue) -> ValueRead:
        return cls(
            data_time=china(value.data_time),
            avg=value.avg,
            min=value.min,
            max=value.max,
            zs_avg=value.zs_avg,
            zs_min=value.zs_min,
            zs_max=value.zs_max,
            rtd=value.rtd,
            zs_rtd=value.zs_rtd,
            cou=value.cou,
            flag=value.flag,
        )


class SeriesRead(BaseModel):
    """One factor of one point over a range, with the limit that applies to it."""

    mn: str
    factor: str
    kind: Kind
    since: datetime
    until: datetime
    unit: str | None
    limit: float | None
    """The effective limit; compare it with ``zs_avg`` when ``o2_reference`` is set."""
    o2_reference: float | None
    averaging: str | None
    standard: str | None
    truncated: bool
    """More than ``MAX_VALUES`` values in the range: only the first ones are here."""
    values: list[ValueRead]

    @classmethod
    def of(
        cls,
        *,
        mn: str,
        factor: str,
        kind: Kind,
        span: TimeRange,
        unit: str | None,
        limit: PointLimit | None,
        values: list[SeriesValue],
    ) -> SeriesRead:
        return cls(
            mn=mn,
            factor=factor,
            kind=kind,
            since=china(span.since),
            until=china(span.until),
            unit=limit.unit if limit is not None else unit,
            limit=limit.effective_limit if limit is not None else None,
            o2_reference=limit.o2_reference if limit is not None else None,
            averaging=limit.averaging if limit is not None else None,
            standard=limit.standard if limit is not None else None,
            truncated=len(values) > MAX_VALUES,
            values=[ValueRead.of(v) for v in values[:MAX_VALUES]],
        )


class AggregateRead(BaseModel):
    factor: str
    kind: str
    count: int
    valid: int
    """Values flagged N (normal)."""
    mean: float | None
    minimum: float | None
    maximum: float | None
    first: datetime | None
    last: datetime | None

    @classmethod
    def of(cls, item: Aggregate) -> AggregateRead:
        return cls(
            factor=item.factor,
            kind=item.kind,
            count=item.count,
            valid=item.valid,
            mean=item.mean,
            minimum=item.minimum,
            maximum=item.maximum,
            first=china(item.first) if item.first else None,
            last=china(item.last) if item.last else None,
        )


class AggregatesRead(BaseModel):
    mn: str
    since: datetime
    until: datetime
    items: list[AggregateRead]

    @classmethod
    def of(cls, mn: str, span: TimeRange, items: list[Aggregate]) -> AggregatesRead:
        return cls(
            mn=mn,
            since=china(span.since),
            until=china(span.until),
            items=[AggregateRead.of(x) for x in items],
        )


class DeviceRead(BaseModel):
    mn: str
    medium: str
    enterprise_code: str
    enterprise_name: str
    outlet_code: str
    outlet_name: str
    packets: int
    outcomes: dict[str, int]
    """Packets by outcome: stored, message, auth_failed, refused, unknown_device."""
    refusals: dict[str, int]
    """Packets by refusal reason (bad_crc, wrong_password, ...)."""
    last_packet_at: datetime | None
    state: DeviceState
    """online: a packet arrived within the last two hours; silent: not since; never: none."""

    @classmethod
    def of(cls, device: DeviceActivity, now: datetime) -> DeviceRead:
        last = device.last_packet
        return cls(
            mn=device.mn,
            medium=device.medium,
            enterprise_code=device.enterprise_code,
            enterprise_name=device.enterprise_name,
            outlet_code=device.outlet_code,
            outlet_name=device.outlet_name,
            packets=device.packets,
            outcomes=device.outcomes,
            refusals=device.refusals,
            last_packet_at=china(last) if last else None,
            state=state_of(last, now),
        )


def state_of(last_packet: datetime | None, now: datetime) -> DeviceState:
    if last_packet is None:
        return "never"
    return "online" if last_packet >= now - ONLINE_WINDOW else "silent"


class DevicePageRead(BaseModel):
    items: list[DeviceRead]
    total: int
    page: int
    per_page: int
    pages: int


class UnknownDeviceRead(BaseModel):
    mn: str
    packets: int
    first_seen: datetime
    last_seen: datetime
    last_peer: str

    @classmethod
    def of(cls, device: UnknownDevice) -> UnknownDeviceRead:
        return cls(
            mn=device.mn,
            packets=device.packets,
            first_seen=china(device.first_seen),
            last_seen=china(device.last_seen),
            last_peer=device.last_peer,
        )


class CountersRead(BaseModel):
    by_outcome: dict[str, int]
    by_reason: dict[str, int]
    per_device: dict[str, dict[str, int]]
    """Packets by outcome per MN (registered or not)."""

"""The triggers of service reminders: each a small pure rule over facts gathered elsewhere
(``reminders.facts``), with its parameters from the configuration (``reminders.toml``).

A rule returns the issues due (``Due``): what it is about (``subject``, the cool-down key with
the trigger and the enterprise), the factor where there is one, and the evidence (values,
times, limits) as plain JSON values. Near misses do not fire: a high spell on fewer days than
required, values flagged as a stop (planned shutdown), an outage right after a stop flag, and
exceedances (those are alerts, not reminders).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ecoradar.reminders.config import TriggerConfig

CHINA = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def local(moment: datetime) -> str:
    """ISO 8601 in China time with its offset (what evidence holds)."""
    return moment.astimezone(CHINA).isoformat()


@dataclass(frozen=True)
class Due:
    trigger: str
    subject: str
    evidence: dict[str, Any]
    factor: str | None = None


# --- permit_expiry ---------------------------------------------------------------------------


def permit_expiry(
    permit_no: str | None, valid_until: date | None, today: date, rule: TriggerConfig
) -> list[Due]:
    """The permit ends within one of ``days`` (60, 30): one issue per stage, so the 30-day
    reminder is a new issue after the 60-day one. An expired permit is not a reminder."""
    if valid_until is None:
        return []
    left = (valid_until - today).days
    stages = sorted(int(d) for d in rule.params.get("days", [60, 30]))
    stage = next((d for d in stages if 0 <= left <= d), None)
    if stage is None:
        return []
    evidence = {
        "permit_no": permit_no or "",
        "valid_until": valid_until.isoformat(),
        "days_left": left,
        "stage_days": stage,
    }
    return [Due("permit_expiry", f"permit:{valid_until.isoformat()}:{stage}", evidence)]


# --- selfcheck_overdue -----------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueTask:
    task_id: int
    point_code: str
    point_name: str
    due_date: date


def selfcheck_overdue(tasks: Sequence[OverdueTask], rule: TriggerConfig) -> list[Due]:
    """At least ``min_overdue`` self-inspection tasks open past their due day."""
    if len(tasks) < rule.whole("min_overdue") or not tasks:
        return []
    ordered = sorted(tasks, key=lambda t: (t.due_date, t.point_code))
    evidence = {
        "count": len(ordered),
        "oldest": ordered[0].due_date.isoformat(),
        "tasks": [
            {"point": t.point_code, "name": t.point_name, "due_date": t.due_date.isoformat()}
            for t in ordered[:20]
        ],
    }
    return [Due("selfcheck_overdue", "selfcheck", evidence)]


# --- rectification_due -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rectification:
    problem_id: int
    title: str
    due: datetime


def rectification_due(
    problems: Iterable[Rectification], as_of: datetime, rule: TriggerConfig
) -> list[Due]:
    """A problem being rectified whose deadline lies within ``within_days`` (not yet past:
    past it the problem is overdue, the register's matter)."""
    horizon = as_of + timedelta(days=rule.number("within_days"))
    out = []
    for p in sorted(problems, key=lambda p: p.due):
        if as_of <= p.due <= horizon:
            evidence = {
                "problem_id": p.problem_id,
                "title": p.title,
                "due": local(p.due),
                "days_left": round((p.due - as_of).total_seconds() / 86400, 1),
            }
            out.append(Due("rectification_due", f"problem:{p.problem_id}", evidence))
    return out


# --- near_limit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HourValue:
    at: datetime
    value: float | None
    """The value compared with the limit: O2-converted where the limit has a reference O2."""
    valid: bool
    """Flagged N (or without a flag); a stop (F), maintenance or fault flag is not valid."""


@dataclass(frozen=True)
class LimitedSeries:
    point_id: int
    mn: str
    outlet: str
    factor: str
    limit: float
    unit: str
    averaging: str
    o2_reference: float | None
    hours: Sequence[HourValue] = field(default_factory=tuple)


def _daily_values(series: LimitedSeries) -> dict[date, list[tuple[datetime, float]]]:
    days: dict[date, list[tuple[datetime, float]]] = {}
    for hour in series.hours:
        if hour.valid and hour.value is not None:
            days.setdefault(china_day(hour.at), []).append((hour.at, hour.value))
    return days


def near_limit(series: LimitedSeries, as_of: datetime, rule: TriggerConfig) -> list[Due]:
    """On ``days`` of the last ``window_days`` China days some valid value above ``share`` of
    the limit, and none above the limit in the window. Hourly limits compare hourly values;
    daily limits the day's mean of valid hours, as the exceedance rule does."""
    if series.limit <= 0:
        return []
    share, need, window = rule.number("share"), rule.whole("days"), rule.whole("window_days")
    last_day = china_day(as_of - HOUR)
    first_day = last_day - timedelta(days=window - 1)
    threshold = share * series.limit
    near: list[dict[str, Any]] = []
    for day, values in sorted(_daily_values(series).items()):
        if not first_day <= day <= last_day:
            continue
        if series.averaging == "day":
            mean = sum(v for _, v in values) / len(values)
            peak_at, peak = values[0][0], mean
        else:
            peak_at, peak = max(values, key=lambda item: item[1])
        if peak > series.limit:
            return []  # an exceedance: an alert, not a reminder
        if peak > threshold:
            near.append({"day": day.isoformat(), "at": local(peak_at), "value": peak})
    if len(near) < need:
        return []
    evidence = {
        "mn": series.mn,
        "outlet": series.outlet,
        "limit": series.limit,
        "unit": series.unit,
        "averaging": series.averaging,
        "o2_reference": series.o2_reference,
        "share": share,
        "days": len(near),
        "window_days": window,
        "peak": max(item["value"] for item in near),
        "near_days": near,
    }
    subject = f"point:{series.point_id}:{series.factor}"
    return [Due("near_limit", subject, evidence, factor=series.factor)]


# --- maintenance_flags -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlagCounts:
    point_id: int
    mn: str
    outlet: str
    window_hours: int
    """Hours with a maintenance or calibration flag in the window."""
    baseline_hours: int
    """The same in the baseline before the window."""


def maintenance_flags(counts: FlagCounts, rule: TriggerConfig) -> list[Due]:
    """More flagged hours per day in the window than ``ratio`` times the enterprise point's
    usual rate (the baseline weeks before it), and at least ``min_hours`` of them."""
    window, baseline = rule.whole("window_days"), rule.whole("baseline_days")
    if counts.window_hours < rule.whole("min_hours"):
        return []
    rate = counts.window_hours / window
    usual = counts.baseline_hours / baseline
    if rate <= rule.number("ratio") * usual:
        return []
    evidence = {
        "mn": counts.mn,
        "outlet": counts.outlet,
        "flags": list(rule.params.get("flags", ["M", "C"])),
        "window_days": window,
        "window_hours": counts.window_hours,
        "baseline_days": baseline,
        "baseline_hours": counts.baseline_hours,
        "rate_per_day": round(rate, 2),
        "usual_per_day": round(usual, 2),
    }
    return [Due("maintenance_flags", f"point:{counts.point_id}:flags", evidence)]


# --- device_offline --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataHour:
    at: datetime
    stopped: bool
    """Flagged as a stop (F) on any factor: the plant was shut down as planned."""


def device_offline(
    point_id: int,
    mn: str,
    outlet: str,
    hours: Sequence[DataHour],
    as_of: datetime,
    rule: TriggerConfig,
) -> list[Due]:
    """A gap of ``hours`` or more without data inside the last ``window_days``, counted from
    the hour after the last data (``hours`` holds the newest data hour before the window too).
    A gap right after a stop flag is a planned shutdown; a point never heard from is not a
    device gone offline."""
    if not hours:
        return []
    need = timedelta(hours=rule.number("hours"))
    start = as_of - timedelta(days=rule.number("window_days"))
    ordered = sorted(hours, key=lambda h: h.at)
    longest: tuple[timedelta, datetime, datetime | None] | None = None
    for this, following in zip(ordered, [*ordered[1:], None], strict=True):
        gap_start = max(this.at + HOUR, start)
        gap_end = following.at if following is not None else as_of
        if gap_end <= start or this.stopped:
            continue
        length = gap_end - gap_start
        if length >= need and (longest is None or length > longest[0]):
            longest = (length, gap_start, following.at if following is not None else None)
    if longest is None:
        return []
    length, since, until = longest
    evidence = {
        "mn": mn,
        "outlet": outlet,
        "from": local(since),
        "until": local(until) if until else None,
        "hours": round(length.total_seconds() / 3600),
        "window_days": rule.whole("window_days"),
    }
    return [Due("device_offline", f"point:{point_id}:offline", evidence)]


# --- standard_change and campaign ------------------------------------------------------------


@dataclass(frozen=True)
class Standard:
    standard_id: int
    industry: str
    standard: str
    effective: date
    changes: str
    changes_en: str = ""


def standard_change(
    industry: str, standards: Iterable[Standard], today: date, rule: TriggerConfig
) -> list[Due]:
    """A stricter standard for the enterprise's industry (its code starts with the standard's
    industry code) taking effect within ``ahead_days``."""
    horizon = today + timedelta(days=rule.number("ahead_days"))
    out = []
    for s in sorted(standards, key=lambda s: (s.effective, s.standard_id)):
        if industry.startswith(s.industry) and today <= s.effective <= horizon:
            evidence = {
                "standard": s.standard,
                "effective": s.effective.isoformat(),
                "days_left": (s.effective - today).days,
                "changes": s.changes,
                "changes_en": s.changes_en,
            }
            out.append(Due("standard_change", f"standard:{s.standard_id}", evidence))
    return out


@dataclass(frozen=True)
class CampaignFacts:
    campaign_id: int
    name: str
    starts: date
    ends: date
    industries: Sequence[str]
    region_ids: frozenset[int]
    """The campaign's regions and every region below them (empty: everywhere)."""
    text: str
    text_en: str = ""


def campaign(
    industry: str,
    region_id: int | None,
    campaigns: Iterable[CampaignFacts],
    today: date,
    rule: TriggerConfig,
) -> list[Due]:
    """A campaign running today that covers the enterprise's industry and region."""
    out = []
    for c in sorted(campaigns, key=lambda c: c.campaign_id):
        if not c.starts <= today <= c.ends:
            continue
        if c.industries and not any(industry.startswith(code) for code in c.industries):
            continue
        if c.region_ids and region_id not in c.region_ids:
            continue
        evidence = {
            "campaign": c.name,
            "starts": c.starts.isoformat(),
            "ends": c.ends.isoformat(),
            "text": c.text,
            "text_en": c.text_en,
        }
        out.append(Due("campaign", f"campaign:{c.campaign_id}", evidence))
    return out

"""The figures of the three big screens, JSON-ready, for one reach (a region's subtree, or
everything). Each figure comes from its own domain's service; this module only picks the
periods and puts them together. Codes (channels, alert kinds, colours, states) stay codes
here: the page labels them from the catalogs.

The session must be scoped to ``reach.principal`` (``auth.scope.apply_scope``): the monitoring
and alert counts rely on it; the problem and reminder figures filter by ``reach.region_ids``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.core.clock import CHINA_TZ
from ecoradar.detection.service import AlertFilter, count_alerts, search_alerts
from ecoradar.greencode import service as greencode
from ecoradar.greencode.models import GreenCode
from ecoradar.monitoring.service import device_states
from ecoradar.problems import figures as problems
from ecoradar.registry.models import Enterprise
from ecoradar.reminders.stats import outcomes as reminder_outcomes
from ecoradar.screens.tokens import Reach
from ecoradar.selfcheck.stats import StatsQuery
from ecoradar.selfcheck.stats import figures as selfcheck_figures
from ecoradar.stations.service import latest_readings, list_stations
from ecoradar.stations.wind import WIND_DIRECTION, WIND_SPEED
from ecoradar.stats.channels import TECHNICAL, discovery_stats

SCREENS = ("discovery", "monitoring", "closure")
TREND_DAYS = 30
TOP = 10
"""Rows in a screen's lists (worst data quality, top risk, exceedances, overdue)."""
MAP_POINTS = 1000
HANDLING_MONTHS = 6
REMINDER_DAYS = 90


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA_TZ)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months_back(day: date, n: int) -> date:
    month = day.year * 12 + day.month - 1 - n
    return date(month // 12, month % 12 + 1, 1)


def _place(p: problems.Place) -> dict[str, Any]:
    return {
        "id": p.id,
        "lat": p.lat,
        "lon": p.lon,
        "category": p.category,
        "severity": p.severity,
        "channel": p.channel,
    }


def _region(reach: Reach) -> dict[str, Any] | None:
    if reach.region is None:
        return None
    return {"code": reach.region.code, "name": reach.region.name}


def _received(
    session: Session, ids: frozenset[int] | None, since: datetime, until: datetime
) -> dict[str, int]:
    """Findings received by channel: the ``clues_received`` of the discovery statistics."""
    found = discovery_stats(session=session, region_ids=ids, since=since, until=until)
    return {row.channel: row.clues_received for row in found.channels if row.clues_received}


def discovery(*, session: Session, reach: Reach, now: datetime) -> dict[str, Any]:
    """Today's and this month's findings (received) by channel, the last 30 days by day (human
    clues and technical findings), the open problems and today's findings on the map."""
    today = now.astimezone(CHINA_TZ).date()
    ids = reach.region_ids
    start_today = _day_start(today)
    tomorrow = _day_start(today + timedelta(days=1))
    first = today - timedelta(days=TREND_DAYS - 1)
    by_day = problems.findings_by_day(
        session=session, region_ids=ids, since=_day_start(first), until=tomorrow
    )
    days = [first + timedelta(days=n) for n in range(TREND_DAYS)]
    human, technical = [], []
    for day in days:
        counts = by_day.get(day, {})
        tech = sum(n for c, n in counts.items() if c in TECHNICAL)
        technical.append(tech)
        human.append(sum(counts.values()) - tech)
    today_counts = _received(session, ids, start_today, tomorrow)
    month_counts = _received(session, ids, _day_start(_month_start(today)), tomorrow)
    open_total, open_places = problems.open_problems(
        session=session, region_ids=ids, limit=MAP_POINTS
    )
    fresh = problems.new_findings(
        session=session, region_ids=ids, since=start_today, limit=MAP_POINTS
    )
    return {
        "screen": "discovery",
        "as_of": now.isoformat(),
        "region": _region(reach),
        "technical_channels": list(TECHNICAL),
        "today": {"total": sum(today_counts.values()), "by_channel": today_counts},
        "month": {"total": sum(month_counts.values()), "by_channel": month_counts},
        "trend": {
            "days": [d.isoformat() for d in days],
            "human": human,
            "technical": technical,
        },
        "open_problems": {"total": open_total, "places": [_place(p) for p in open_places]},
        "today_findings": [_place(p) for p in fresh],
    }


def _station(session: Session, row: Any) -> dict[str, Any]:
    newest, readings = latest_readings(session=session, station=row.station)
    values = {r.factor: r.value for r in readings if r.valid}
    speed, direction = values.get(WIND_SPEED), values.get(WIND_DIRECTION)
    wind = None
    if speed is not None and direction is not None:
        wind = {"speed": speed, "direction": direction}
    return {
        "code": row.station.code,
        "name": row.station.name,
        "kind": row.station.kind,
        "lat": row.station.latitude,
        "lon": row.station.longitude,
        "hour": newest.isoformat() if newest else None,
        "readings": [
            {"factor": r.factor, "value": r.value}
            for r in readings
            if r.valid and r.factor not in (WIND_SPEED, WIND_DIRECTION)
        ][:6],
        "wind": wind,
    }


def _data_quality(session: Session, reach: Reach) -> list[dict[str, Any]]:
    """The enterprises whose green code scores data quality worst (online rate, device and
    falsification alerts), worst first."""
    rows = session.execute(
        select(Enterprise.code, Enterprise.name, GreenCode.indicators)
        .join(Enterprise, GreenCode.enterprise_id == Enterprise.id)
        .where(greencode.visible(reach.principal))
    )
    scored = []
    for code, name, indicators in rows:
        quality = (indicators or {}).get("data_quality") or {}
        score = quality.get("score")
        if score is None:
            continue
        detail = quality.get("detail") or {}
        scored.append(
            {
                "enterprise_code": code,
                "enterprise_name": name,
                "score": score,
                "online_rate": detail.get("online_rate"),
            }
        )
    scored.sort(key=lambda r: (r["score"], r["enterprise_code"]))
    return scored[:TOP]


def monitoring(*, session: Session, reach: Reach, now: datetime) -> dict[str, Any]:
    """Devices online, open alerts by kind, exceedances now, worst data quality, ambient
    stations with their newest readings and wind."""
    states = device_states(session=session, now=now)
    registered = sum(states.values())
    counts = count_alerts(session=session, filters=AlertFilter(state="open"))
    by_kind = {kind: t.open for kind, t in counts.by_kind.items() if t.open}
    exceeding = search_alerts(
        session=session, filters=AlertFilter(kind="exceedance", state="open"), per_page=TOP
    )
    stations = [
        row
        for row in list_stations(session=session)
        if reach.region_ids is None or row.station.region_id in reach.region_ids
    ]
    return {
        "screen": "monitoring",
        "as_of": now.isoformat(),
        "region": _region(reach),
        "devices": {
            **states,
            "registered": registered,
            "online_rate": round(states["online"] / registered, 4) if registered else None,
        },
        "alerts": {"open": sum(by_kind.values()), "by_kind": by_kind},
        "exceedances": {
            "total": exceeding.total,
            "items": [
                {
                    "enterprise_name": row.enterprise_name,
                    "outlet_name": row.outlet_name,
                    "factor": row.alert.factor,
                    "severity": row.alert.severity,
                    "since": row.alert.start.isoformat(),
                }
                for row in exceeding.items
            ],
        },
        "data_quality": _data_quality(session, reach),
        "stations": [_station(session, row) for row in stations],
    }


def closure(*, session: Session, reach: Reach, now: datetime) -> dict[str, Any]:
    """Codes by colour and the riskiest enterprises, this month's self-inspection, the
    reminders of the last 90 days and their outcomes, handling times, overdue problems."""
    today = now.astimezone(CHINA_TZ).date()
    ids = reach.region_ids
    colours = greencode.colour_counts(session=session, principal=reach.principal)
    risky = greencode.list_codes(session=session, principal=reach.principal, limit=TOP)
    scope = None if ids is None else Enterprise.region_id.in_(sorted(ids) or [-1])
    tasks = selfcheck_figures(
        session=session,
        query=StatsQuery(date_from=_month_start(today), date_to=today),
        now=now,
        scope=scope,
    )
    reminders = reminder_outcomes(
        session=session,
        region_ids=ids,
        since=_day_start(today - timedelta(days=REMINDER_DAYS - 1)),
        until=_day_start(today + timedelta(days=1)),
    )
    handling = []
    for back in range(HANDLING_MONTHS - 1, -1, -1):
        first = _months_back(today, back)
        following = _months_back(today, back - 1)
        found = problems.days_to_close(
            session=session,
            region_ids=ids,
            since=_day_start(first),
            until=_day_start(following),
        )
        handling.append({"month": f"{first.year:04d}-{first.month:02d}", **found})
    overdue_total, overdue = problems.overdue(session=session, region_ids=ids, now=now, limit=TOP)
    return {
        "screen": "closure",
        "as_of": now.isoformat(),
        "region": _region(reach),
        "colours": colours,
        "top_risk": [
            {
                "enterprise_code": r.enterprise_code,
                "enterprise_name": r.enterprise_name,
                "colour": r.colour,
                "score": r.score,
            }
            for r in risky.items
        ],
        "selfcheck": {
            key: tasks[key]
            for key in (
                "tasks_sent",
                "tasks_completed",
                "tasks_overdue",
                "tasks_open",
                "completion_rate",
            )
        },
        "reminders": {
            "days": REMINDER_DAYS,
            "reminders_issued": reminders.reminders_issued,
            "issues": reminders.issues,
            "issues_solved": reminders.issues_solved,
            "became_violations": reminders.became_violations,
            "median_days_to_solve": reminders.median_days_to_solve,
        },
        "handling": handling,
        "overdue": {
            "total": overdue_total,
            "items": [
                {
                    "id": o.id,
                    "title": o.title,
                    "category": o.category,
                    "state": o.state,
                    "days": o.days,
                }
                for o in overdue
            ],
        },
    }


FIGURES = {"discovery": discovery, "monitoring": monitoring, "closure": closure}

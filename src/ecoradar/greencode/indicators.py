"""The seven indicators of the green code, each 0-100 (higher is better) or None without
data (pure). The names are a contract (``greencode.model.INDICATORS``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ecoradar.greencode.events import (
    Event,
    IndicatorScore,
    alert_event,
    band_score,
    china_date,
    clamp,
    day_text,
    factor_label,
    overlap_hours,
    problem_event,
)
from ecoradar.greencode.facts import AlertFact, EnterpriseFacts
from ecoradar.greencode.model import Model


def monitoring_compliance(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """Share of valid hours without exceedance, by factor, on the national curve."""
    weight = model.weights["monitoring_compliance"]
    if facts.data_as_of is None:
        return IndicatorScore("monitoring_compliance", None, weight)
    hi = facts.data_as_of
    lo = hi - timedelta(days=model.compliance_window_days)
    rows = []
    for item in facts.factors:
        if item.valid_hours < model.compliance_min_valid_hours:
            continue
        hours = {a.id: overlap_hours(a.start, a.end, lo, hi) for a in item.exceedances}
        exceeded = min(sum(hours.values()), item.valid_hours)
        rows.append((item, exceeded, hours))
    if not rows:
        return IndicatorScore("monitoring_compliance", None, weight)
    per_factor = {
        f"{item.outlet}/{factor_label(item.factor)}": round(1 - exceeded / item.valid_hours, 4)
        for item, exceeded, _ in rows
    }
    if model.compliance_aggregate == "worst":
        share = min(1 - exceeded / item.valid_hours for item, exceeded, _ in rows)
    else:
        share = 1 - sum(e for _, e, _ in rows) / sum(i.valid_hours for i, _, _ in rows)
    score = round(band_score(share, model.compliance_bands), 2)
    events = [
        alert_event(alert, hours[alert.id] / item.valid_hours * 100)
        for item, _, hours in rows
        for alert in item.exceedances
        if hours[alert.id]
    ]
    detail = {
        "share": round(share, 4),
        "factors": per_factor,
        "aggregate": model.compliance_aggregate,
        "window_days": model.compliance_window_days,
    }
    return IndicatorScore("monitoring_compliance", score, weight, detail, tuple(events))


def data_quality(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """Online rate on its curve, less a penalty per suspected-falsification alert (heavier) and
    per device-trouble alert in the window."""
    weight = model.weights["data_quality"]
    points = [p for p in facts.points if p.expected_hours > 0]
    kinds = model.falsification_kinds | model.device_kinds
    alerts: list[AlertFact] = []
    if facts.data_as_of is not None:
        hi = facts.data_as_of
        lo = hi - timedelta(days=model.quality_window_days)
        alerts = [
            a
            for a in facts.alerts
            if a.kind in kinds and a.start < hi and (a.end is None or a.end > lo)
        ]
    if not points and not alerts:
        return IndicatorScore("data_quality", None, weight)
    events: list[Event] = []
    online: float | None = None
    base = 100.0
    if points:
        expected = sum(p.expected_hours for p in points)
        online = min(sum(min(p.hours_with_data, p.expected_hours) for p in points) / expected, 1)
        base = band_score(online, model.online_bands)
        for p in points:
            rate = min(p.hours_with_data / p.expected_hours, 1.0)
            if rate < model.online_bands[0][0]:
                percent = f"{rate * 100:.0f} %"
                days = model.quality_window_days
                text = f"online rate {percent} at {p.outlet} over {days} days"
                cost = (100 - band_score(rate, model.online_bands)) * p.expected_hours / expected
                params = {"outlet": p.outlet, "rate": round(rate, 4), "days": days}
                events.append(Event("point", p.point_id, text, text, None, cost, "online", params))
    falsified = [a for a in alerts if a.kind in model.falsification_kinds]
    device = [a for a in alerts if a.kind in model.device_kinds]
    events += [alert_event(a, model.falsification_penalty) for a in falsified]
    events += [alert_event(a, model.device_penalty) for a in device]
    penalty = len(falsified) * model.falsification_penalty + len(device) * model.device_penalty
    score = round(clamp(base - penalty), 2)
    detail = {
        "online_rate": round(online, 4) if online is not None else None,
        "falsification_alerts": len(falsified),
        "device_alerts": len(device),
        "window_days": model.quality_window_days,
    }
    return IndicatorScore("data_quality", score, weight, detail, tuple(events))


def self_inspection(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """On-time completion share of the tasks due in the window, less a penalty per failed
    item."""
    weight = model.weights["self_inspection"]
    since = china_date(facts.now) - timedelta(days=model.inspection_window_days)
    tasks = [t for t in facts.tasks if t.due_date > since]
    if not tasks:
        return IndicatorScore("self_inspection", None, weight)
    on_time = sum(t.on_time for t in tasks)
    failed = sum(t.failed_items for t in tasks)
    score = round(clamp(100 * on_time / len(tasks) - model.failed_item_penalty * failed), 2)
    events = []
    for t in tasks:
        due = t.due_date.isoformat()
        if not t.on_time:
            late = "submitted late" if t.submitted else "not done"
            text = f"self-inspection task #{t.id} at {t.point} due {due} {late}"
            public = f"self-inspection at {t.point} due {due} {late}"
            what = "task_late" if t.submitted else "task_missed"
            params: dict[str, Any] = {"point": t.point, "due": due}
            cost = 100 / len(tasks)
            events.append(Event("task", t.id, text, public, None, cost, what, params))
        if t.failed_items:
            text = f"self-inspection task #{t.id} at {t.point} due {due}: {t.failed_items} failed"
            public = f"self-inspection at {t.point} due {due}: {t.failed_items} item(s) failed"
            cost = model.failed_item_penalty * t.failed_items
            params = {"point": t.point, "due": due, "failed": t.failed_items}
            events.append(Event("task", t.id, text, public, None, cost, "task_failed", params))
    detail = {
        "due": len(tasks),
        "on_time": on_time,
        "failed_items": failed,
        "window_days": model.inspection_window_days,
    }
    return IndicatorScore("self_inspection", score, weight, detail, tuple(events))


def problems(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """Confirmed problems (in the window, or still open) by severity, and overdue
    rectification."""
    weight = model.weights["problems"]
    since = facts.now - timedelta(days=model.problems_window_days)
    counted = [p for p in facts.problems if p.final_at is None or p.confirmed_at >= since]
    events: list[Event] = []
    penalty = 0.0
    overdue = 0
    for p in counted:
        cost = model.severity_penalty.get(p.severity, 0.0)
        penalty += cost
        events.append(problem_event(p, cost))
        if p.overdue_since is not None and p.final_at is None:
            overdue += 1
            penalty += model.overdue_penalty
            events.append(problem_event(p, model.overdue_penalty, overdue=True))
    detail = {
        "confirmed": len(counted),
        "by_severity": {s: sum(p.severity == s for p in counted) for s in model.severity_penalty},
        "overdue": overdue,
        "window_days": model.problems_window_days,
    }
    return IndicatorScore("problems", round(clamp(100 - penalty), 2), weight, detail, tuple(events))


def fine_penalty(amount: float, model: Model) -> float:
    penalty = 0.0
    for lowest, cost in model.fine_brackets:
        if amount >= lowest:
            penalty = cost
    return penalty


def enforcement(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """Penalties recorded in the window: a fine (by amount) weighs more than an order to
    correct, which weighs more than a warning."""
    weight = model.weights["enforcement"]
    since = facts.now - timedelta(days=model.enforcement_window_days)
    events = []
    penalty = 0.0
    counts: dict[str, int] = {}
    for o in facts.outcomes:
        if not since <= o.recorded_at <= facts.now:
            continue
        counts[o.kind] = counts.get(o.kind, 0) + 1
        if o.kind == "fine":
            amount = float(o.fine_amount or 0)
            cost = fine_penalty(amount, model)
            what = f"fine ¥{o.fine_amount}"
        else:
            cost = model.outcome_penalty.get(o.kind, 0.0)
            what = o.kind.replace("_", " ")
            if o.kind == "public_security":
                what = "transferred to public security"
        penalty += cost
        day = day_text(o.recorded_at)
        params = {"kind": o.kind, "day": day}
        if o.fine_amount is not None:
            params["amount"] = str(o.fine_amount)
        events.append(
            Event(
                "outcome",
                o.problem_id,
                f"problem #{o.problem_id} {what} {day}",
                f"{what} {day}",
                o.recorded_at,
                cost,
                "outcome",
                params,
            )
        )
    detail = {"outcomes": counts, "window_days": model.enforcement_window_days}
    score = round(clamp(100 - penalty), 2)
    return IndicatorScore("enforcement", score, weight, detail, tuple(events))


def reminders(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """Share of the service reminders issued in the window, and due, that were answered in
    time (every issue answered by the reminder's answer deadline); none: no data."""
    weight = model.weights["reminders"]
    found = facts.reminders
    if found is None or found.sent == 0:
        return IndicatorScore("reminders", None, weight)
    score = round(100 * min(found.answered_on_time, found.sent) / found.sent, 2)
    events = tuple(
        Event(
            "reminder",
            i,
            f"service reminder #{i} not answered in time",
            "a service reminder not answered in time",
            None,
            100 / found.sent,
            "reminder",
        )
        for i in found.late_ids
    )
    detail = {"sent": found.sent, "answered_on_time": found.answered_on_time}
    return IndicatorScore("reminders", score, weight, detail, events)


def permit(facts: EnterpriseFacts, model: Model) -> IndicatorScore:
    """Valid: 100; within ``expiring_days`` of expiry: falling to ``expiring_floor`` on the last
    valid day; expired: 0; none recorded: no data."""
    weight = model.weights["permit"]
    found = facts.permit
    if found is None or (found.permit_no is None and found.valid_until is None):
        return IndicatorScore("permit", None, weight)
    number = found.permit_no or "(no number)"
    if found.valid_until is None:
        return IndicatorScore("permit", 100.0, weight, {"permit_no": found.permit_no})
    left = (found.valid_until - china_date(facts.now)).days
    until = found.valid_until.isoformat()
    detail = {"permit_no": found.permit_no, "valid_until": until, "days_left": left}
    params = {"permit_no": found.permit_no, "until": until}
    if left < 0:
        text = f"discharge permit {number} expired {until}"
        event = Event("permit", None, text, text, None, 100.0, "permit_expired", params)
        return IndicatorScore("permit", 0.0, weight, detail, (event,))
    if left >= model.permit_expiring_days:
        return IndicatorScore("permit", 100.0, weight, detail)
    floor = model.permit_expiring_floor
    score = round(floor + (100 - floor) * left / max(model.permit_expiring_days, 1), 2)
    text = f"discharge permit {number} expires {until}"
    event = Event("permit", None, text, text, None, 100 - score, "permit_expiring", params)
    return IndicatorScore("permit", score, weight, detail, (event,))


SCORERS = {
    "monitoring_compliance": monitoring_compliance,
    "data_quality": data_quality,
    "self_inspection": self_inspection,
    "problems": problems,
    "enforcement": enforcement,
    "reminders": reminders,
    "permit": permit,
}

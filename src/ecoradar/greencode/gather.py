"""Gathering the scoring model's facts from the database, for a batch of enterprises at once
(a few grouped queries per batch, never one per enterprise or per value).

Monitoring windows end at ``data_as_of`` (:func:`data_as_of`): the end of the newest stored
hour, never later than the clock's hour, so replayed (old) data is scored at its own time, as
detection does in replay. Everything the bureau and the enterprises do (problems, outcomes,
tasks, permits) is dated by the clock and judged against ``now``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.core.db import UTCDateTime
from ecoradar.detection.models import Alert
from ecoradar.greencode.facts import (
    AlertFact,
    EnterpriseFacts,
    FactorHours,
    OutcomeFact,
    PermitFact,
    PointHours,
    ProblemFact,
    RemindersFacts,
    TaskFact,
)
from ecoradar.greencode.model import Model
from ecoradar.greencode.models import RepairApplication
from ecoradar.greencode.scoring import HOUR, china_date, utc_now_hour
from ecoradar.monitoring.models import Measurement
from ecoradar.monitoring.service import latest_hours
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit
from ecoradar.reminders.service import Responsiveness, responsiveness_facts
from ecoradar.rewards.models import ProblemOutcome
from ecoradar.selfcheck.models import ControlPoint, SelfcheckTask

VERIFIED_STATES = ("confirmed", "rectifying", "rectified", "closed", "reopened", "transferred")
"""States a confirmed problem can be in (``unfounded`` and ``rejected`` never count)."""


def data_as_of(*, session: Session, now: datetime) -> datetime | None:
    """The end of the newest stored hour of any point, at most ``now`` floored to the hour;
    None without any hourly value."""
    newest = max(latest_hours(session=session).values(), default=None)
    if newest is None:
        return None
    return min(newest + HOUR, utc_now_hour(now))


def _first_hours(session: Session, point_ids: list[int]) -> dict[int, datetime]:
    """The oldest stored hourly data time per point: a probe of the key per point."""
    oldest = (
        select(func.min(Measurement.data_time))
        .where(Measurement.point_id == MonitoringPoint.id, Measurement.kind == "hour")
        .scalar_subquery()
    )
    query = select(MonitoringPoint.id, type_coerce(oldest, UTCDateTime())).where(
        MonitoringPoint.id.in_(point_ids)
    )
    return {p: t for p, t in session.execute(query) if t is not None}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value)


class _Batch:
    def __init__(self, session: Session, ids: Sequence[int], now: datetime, model: Model):
        self.session = session
        self.ids = list(ids)
        self.now = now
        self.model = model
        self.points: dict[int, tuple[int, str]] = {}
        """point id -> (enterprise id, outlet code)."""

    def load_points(self) -> None:
        rows = self.session.execute(
            select(MonitoringPoint.id, Outlet.enterprise_id, Outlet.code)
            .join(Outlet, MonitoringPoint.outlet_id == Outlet.id)
            .where(Outlet.enterprise_id.in_(self.ids))
        )
        self.points = {p: (e, code) for p, e, code in rows}

    def factors(self, as_of: datetime, alerts: list[AlertFact]) -> dict[int, list[FactorHours]]:
        ids = list(self.points)
        if not ids:
            return {}
        lo = as_of - timedelta(days=self.model.compliance_window_days)
        limited = {
            (point_id, factor)
            for point_id, factor in self.session.execute(
                select(PointLimit.point_id, PointLimit.factor).where(PointLimit.point_id.in_(ids))
            )
        }
        valid = or_(Measurement.flag.is_(None), Measurement.flag == "N")
        m = Measurement
        rows = self.session.execute(
            select(m.point_id, m.factor, func.sum(case((valid, 1), else_=0)))
            .where(m.point_id.in_(ids), m.kind == "hour", m.data_time >= lo, m.data_time < as_of)
            .group_by(m.point_id, m.factor)
        )
        by_key: dict[tuple[int, str], list[AlertFact]] = defaultdict(list)
        ids_of_alert = {a.id: a for a in alerts}
        for alert_id, point_id in self._alert_points.items():
            alert = ids_of_alert[alert_id]
            if alert.kind == "exceedance":
                by_key[(point_id, alert.factor)].append(alert)
        out: dict[int, list[FactorHours]] = defaultdict(list)
        for point_id, factor, count in rows:
            if (point_id, factor) not in limited:
                continue
            enterprise_id, outlet = self.points[point_id]
            out[enterprise_id].append(
                FactorHours(
                    point_id, outlet, factor, int(count or 0), tuple(by_key[(point_id, factor)])
                )
            )
        return out

    def point_hours(self, as_of: datetime) -> dict[int, list[PointHours]]:
        ids = list(self.points)
        if not ids:
            return {}
        lo = as_of - timedelta(days=self.model.quality_window_days)
        m = Measurement
        query = (
            select(m.point_id, func.count(func.distinct(m.data_time)))
            .where(m.point_id.in_(ids), m.kind == "hour", m.data_time >= lo, m.data_time < as_of)
            .group_by(m.point_id)
        )
        seen: dict[int, int] = {}
        for point_id, count in self.session.execute(query):
            seen[point_id] = int(count)
        first = _first_hours(self.session, ids)
        out: dict[int, list[PointHours]] = defaultdict(list)
        for point_id, (enterprise_id, outlet) in self.points.items():
            start = first.get(point_id)
            if start is None or start >= as_of:
                continue
            expected = int((as_of - max(start, lo)) / HOUR)
            out[enterprise_id].append(
                PointHours(point_id, outlet, expected, int(seen.get(point_id, 0)))
            )
        return out

    def alerts(self, as_of: datetime) -> list[AlertFact]:
        self._alert_points: dict[int, int] = {}
        ids = list(self.points)
        if not ids:
            return []
        days = max(self.model.compliance_window_days, self.model.quality_window_days)
        lo = as_of - timedelta(days=days)
        kinds = {"exceedance"} | self.model.falsification_kinds | self.model.device_kinds
        rows = self.session.scalars(
            select(Alert).where(
                Alert.point_id.in_(ids),
                Alert.kind.in_(sorted(kinds)),
                Alert.start < as_of,
                or_(Alert.end.is_(None), Alert.end > lo),
            )
        )
        found = []
        for a in rows:
            outlet = self.points[a.point_id][1]
            found.append(AlertFact(a.id, a.kind, a.factor, outlet, a.start, a.end, a.severity))
            self._alert_points[a.id] = a.point_id
        return found

    def tasks(self) -> dict[int, list[TaskFact]]:
        since = china_date(self.now) - timedelta(days=self.model.inspection_window_days)
        t = SelfcheckTask
        rows = self.session.execute(
            select(
                t.id,
                t.enterprise_id,
                ControlPoint.code,
                t.due_date,
                t.due_at,
                t.submitted_at,
                t.failed_items,
            )
            .join(ControlPoint, t.point_id == ControlPoint.id)
            .where(
                t.enterprise_id.in_(self.ids),
                t.due_date > since,
                or_(t.due_at <= self.now, t.submitted_at.is_not(None)),
            )
        )
        out: dict[int, list[TaskFact]] = defaultdict(list)
        for task_id, enterprise_id, point, due_date, due_at, submitted_at, failed in rows:
            on_time = submitted_at is not None and submitted_at <= due_at
            out[enterprise_id].append(
                TaskFact(
                    task_id,
                    point,
                    due_date,
                    on_time,
                    submitted_at is not None,
                    len(failed or []),
                )
            )
        return out

    def problems(self) -> tuple[dict[int, list[ProblemFact]], dict[int, list[OutcomeFact]]]:
        rows = list(
            self.session.scalars(
                select(Problem).where(
                    Problem.enterprise_id.in_(self.ids), Problem.state.in_(VERIFIED_STATES)
                )
            )
        )
        outcomes = {
            o.problem_id: o
            for o in self.session.scalars(
                select(ProblemOutcome).where(ProblemOutcome.problem_id.in_([p.id for p in rows]))
            )
        }
        problems: dict[int, list[ProblemFact]] = defaultdict(list)
        found: dict[int, list[OutcomeFact]] = defaultdict(list)
        for p in rows:
            assert p.enterprise_id is not None
            target = p.transfer_target if isinstance(p.transfer_target, dict) else {}
            transferred_ps = p.state == "transferred" and target.get("kind") == "public_security"
            confirmed_at = _when(p.state_times.get("confirmed"))
            if confirmed_at is None and transferred_ps:
                confirmed_at = _when(p.state_times.get("transferred"))
            if confirmed_at is None:
                continue  # closed or transferred without ever being confirmed
            final_at = None
            if p.state == "closed":
                final_at = p.closed_at or _when(p.state_times.get("closed"))
            elif p.state == "transferred":
                final_at = _when(p.state_times.get("transferred"))
            overdue = p.overdue_since if final_at is None else None
            if (
                overdue is None
                and p.state == "rectifying"
                and p.rectification_due is not None
                and p.rectification_due < self.now
            ):
                overdue = p.rectification_due
            outcome = outcomes.get(p.id)
            public_security = transferred_ps or (
                outcome is not None and outcome.kind == "public_security"
            )
            problems[p.enterprise_id].append(
                ProblemFact(
                    p.id,
                    p.severity,
                    p.category,
                    p.state,
                    confirmed_at,
                    final_at,
                    overdue,
                    p.violation,
                    public_security,
                )
            )
            if outcome is not None:
                found[p.enterprise_id].append(
                    OutcomeFact(p.id, outcome.kind, outcome.fine_amount, outcome.recorded_at)
                )
            elif transferred_ps:
                found[p.enterprise_id].append(
                    OutcomeFact(p.id, "public_security", None, final_at or confirmed_at)
                )
        return problems, found

    def lifted(self) -> dict[int, frozenset[str]]:
        out: dict[int, set[str]] = defaultdict(set)
        for enterprise_id, covers in self.session.execute(
            select(RepairApplication.enterprise_id, RepairApplication.covers).where(
                and_(
                    RepairApplication.enterprise_id.in_(self.ids),
                    RepairApplication.state == "approved",
                )
            )
        ):
            out[enterprise_id].update(covers or [])
        return {e: frozenset(keys) for e, keys in out.items()}


def facts_for(
    *,
    session: Session,
    enterprise_ids: Sequence[int],
    now: datetime,
    model: Model,
    as_of: datetime | None,
) -> dict[int, EnterpriseFacts]:
    """The facts of each enterprise of ``enterprise_ids`` (unknown ids are left out);
    ``as_of``: :func:`data_as_of`, computed once for a whole recomputation."""
    batch = _Batch(session, enterprise_ids, now, model)
    enterprises = session.execute(
        select(
            Enterprise.id, Enterprise.code, Enterprise.permit_no, Enterprise.permit_valid_until
        ).where(Enterprise.id.in_(batch.ids))
    ).all()
    batch.load_points()
    factors: dict[int, list[FactorHours]] = {}
    points: dict[int, list[PointHours]] = {}
    alerts_by: dict[int, list[AlertFact]] = defaultdict(list)
    if as_of is not None:
        alerts = batch.alerts(as_of)
        factors = batch.factors(as_of, alerts)
        points = batch.point_hours(as_of)
        for alert in alerts:
            if alert.kind != "exceedance":
                alerts_by[batch.points[batch._alert_points[alert.id]][0]].append(alert)
    tasks = batch.tasks()
    problems, outcomes = batch.problems()
    lifted = batch.lifted()
    answered = responsiveness_facts(
        session=session,
        enterprise_ids=batch.ids,
        since=now - timedelta(days=model.reminders_window_days),
        until=now,
    )
    return {
        e: EnterpriseFacts(
            enterprise_id=e,
            code=code,
            now=now,
            data_as_of=as_of if e in points or e in factors else None,
            factors=tuple(factors.get(e, ())),
            points=tuple(points.get(e, ())),
            alerts=tuple(alerts_by.get(e, ())),
            tasks=tuple(tasks.get(e, ())),
            problems=tuple(problems.get(e, ())),
            outcomes=tuple(outcomes.get(e, ())),
            permit=PermitFact(permit_no, valid_until)
            if permit_no is not None or valid_until is not None
            else None,
            reminders=_reminders(answered.get(e)),
            lifted=lifted.get(e, frozenset()),
        )
        for e, code, permit_no, valid_until in enterprises
    }


def _reminders(found: Responsiveness | None) -> RemindersFacts | None:
    """Reminders whose answer is still open (not yet due) are left out: not yet a fact."""
    if found is None or found.sent - found.pending <= 0:
        return None
    return RemindersFacts(
        sent=found.sent - found.pending,
        answered_on_time=found.answered_on_time,
        late_ids=found.late_ids,
    )

"""Generation: every trigger as of ``T``, merged into one reminder per enterprise and period.

- Issues still in their cool-down (the same enterprise, trigger and subject in a reminder made
  as of less than ``cooldown_days`` before ``T``) are left out, so running again for the same
  ``T`` creates nothing.
- The period's reminder is created (numbered ``<prefix>-<year>-<seq>``) or, while still a draft,
  extended; an issued one is not changed (new issues wait for the next period).
- A new reminder whose issues are all of automatic trigger classes is issued at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.reminders import triggers as rules
from ecoradar.reminders import wording
from ecoradar.reminders.config import TRIGGERS, Config
from ecoradar.reminders.facts import EnterpriseFacts, campaigns, gather, standards
from ecoradar.reminders.models import Reminder, ReminderCounter, ReminderIssue
from ecoradar.reminders.notify import Notifier


@dataclass
class GenerationReport:
    as_of: datetime | None = None
    created: list[str] = field(default_factory=list)
    extended: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    issues: int = 0

    @property
    def idle(self) -> bool:
        return not (self.created or self.extended or self.issues)

    def __str__(self) -> str:
        return (
            f"service reminders: {len(self.created)} created ({len(self.issued)} issued "
            f"automatically), {len(self.extended)} drafts extended, {self.issues} issue(s)"
        )


def period_key(as_of: datetime, period: str) -> str:
    day = rules.china_day(as_of)
    if period == "day":
        return day.isoformat()
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def evaluate(
    facts: EnterpriseFacts, config: Config, as_of: datetime, extra: Extra
) -> list[rules.Due]:
    """Every enabled trigger's issues for one enterprise (pure, given the facts)."""
    e = facts.enterprise
    today = rules.china_day(as_of)
    on = {code: t for code, t in config.triggers.items() if t.enabled}
    due: list[rules.Due] = []
    if "permit_expiry" in on:
        due += rules.permit_expiry(e.permit_no, e.permit_valid_until, today, on["permit_expiry"])
    if "selfcheck_overdue" in on:
        due += rules.selfcheck_overdue(facts.overdue, on["selfcheck_overdue"])
    if "rectification_due" in on:
        due += rules.rectification_due(facts.rectifications, as_of, on["rectification_due"])
    for point in facts.points:
        if "near_limit" in on:
            for series in point.series:
                due += rules.near_limit(series, as_of, on["near_limit"])
        if "maintenance_flags" in on and point.flags is not None:
            due += rules.maintenance_flags(point.flags, on["maintenance_flags"])
        if "device_offline" in on:
            due += rules.device_offline(
                point.point_id, point.mn, point.outlet, point.hours, as_of, on["device_offline"]
            )
    if "standard_change" in on:
        due += rules.standard_change(e.industry, extra.standards, today, on["standard_change"])
    if "campaign" in on:
        due += rules.campaign(e.industry, e.region_id, extra.campaigns, today, on["campaign"])
    return sorted(due, key=lambda d: (TRIGGERS.index(d.trigger), d.subject))


@dataclass(frozen=True)
class Extra:
    standards: Sequence[rules.Standard]
    campaigns: Sequence[rules.CampaignFacts]


def outside_cooldown(
    due: Sequence[rules.Due],
    recent: dict[tuple[str, str], datetime],
    config: Config,
    as_of: datetime,
) -> list[rules.Due]:
    """The issues not sent (as of) within their trigger's cool-down before ``as_of``."""
    keep = []
    for d in due:
        last = recent.get((d.trigger, d.subject))
        cooldown = timedelta(days=config.trigger(d.trigger).cooldown_days)
        if last is not None and last > as_of - cooldown:
            continue
        keep.append(d)
    return keep


def _recent(
    session: Session, config: Config, as_of: datetime
) -> dict[int, dict[tuple[str, str], datetime]]:
    longest = max(t.cooldown_days for t in config.triggers.values())
    rows = session.execute(
        select(
            ReminderIssue.enterprise_id,
            ReminderIssue.trigger,
            ReminderIssue.subject,
            Reminder.as_of,
        )
        .join(Reminder, ReminderIssue.reminder_id == Reminder.id)
        .where(Reminder.as_of > as_of - timedelta(days=longest), Reminder.as_of <= as_of)
    ).all()
    out: dict[int, dict[tuple[str, str], datetime]] = {}
    for enterprise_id, trigger, subject, at in rows:
        seen = out.setdefault(enterprise_id, {})
        if (trigger, subject) not in seen or seen[(trigger, subject)] < at:
            seen[(trigger, subject)] = at
    return out


def next_number(session: Session, prefix: str, year: int) -> str:
    counter = session.scalar(
        select(ReminderCounter)
        .where(ReminderCounter.prefix == prefix, ReminderCounter.year == year)
        .with_for_update()
    )
    if counter is None:
        counter = ReminderCounter(prefix=prefix, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{prefix}-{year:04d}-{counter.last:04d}"


def _add_issues(reminder: Reminder, due: Sequence[rules.Due], now: datetime) -> int:
    position = max((i.position for i in reminder.issues), default=0)
    have = {(i.trigger, i.subject) for i in reminder.issues}
    added = 0
    for d in due:
        if (d.trigger, d.subject) in have:
            continue
        position += 1
        reminder.issues.append(
            ReminderIssue(
                enterprise_id=reminder.enterprise_id,
                position=position,
                trigger=d.trigger,
                factor=d.factor,
                subject=d.subject,
                evidence=d.evidence,
                suggestion=wording.suggestion(d.trigger, d.evidence),
                basis=wording.basis(d.trigger, d.evidence),
                state="open",
                answer_media_ids=[],
                created_at=now,
            )
        )
        added += 1
    return added


@dataclass(frozen=True)
class Assessed:
    """One enterprise's issues as of ``T``, before the cool-down."""

    enterprise_id: int
    region_id: int | None
    due: list[rules.Due]


def assess(*, session: Session, config: Config, as_of: datetime) -> list[Assessed]:
    """Every enterprise's issues as of ``as_of``: the reading part of :func:`generate`, which
    the scheduler runs outside its turn to write."""
    extra = Extra(standards(session), campaigns(session))
    out = []
    for facts in gather(session=session, config=config, as_of=as_of):
        due = evaluate(facts, config, as_of, extra)
        if due:
            out.append(Assessed(facts.enterprise.id, facts.enterprise.region_id, due))
    return out


def generate(
    *,
    session: Session,
    config: Config,
    as_of: datetime,
    now: datetime,
    actor: str,
    notifier: Notifier | None = None,
    assessed: Sequence[Assessed] | None = None,
) -> GenerationReport:
    """Evaluate every trigger as of ``as_of`` (or take ``assessed``, :func:`assess`'s answer
    for the same ``as_of``) and create (or extend) the reminders due."""
    from ecoradar.reminders.service import issue_now  # the lifecycle lives there

    report = GenerationReport(as_of=as_of)
    if assessed is None:
        assessed = assess(session=session, config=config, as_of=as_of)
    recent = _recent(session, config, as_of)
    key = period_key(as_of, config.period)
    for found in assessed:
        enterprise_id = found.enterprise_id
        due = outside_cooldown(found.due, recent.get(enterprise_id, {}), config, as_of)
        if not due:
            continue
        reminder = session.scalar(
            select(Reminder).where(
                Reminder.enterprise_id == enterprise_id, Reminder.period_key == key
            )
        )
        if reminder is not None and reminder.state != "draft":
            continue  # sent already: the rest waits for the next period
        if reminder is None:
            reminder = Reminder(
                number=next_number(session, config.prefix, rules.china_day(as_of).year),
                enterprise_id=enterprise_id,
                region_id=found.region_id,
                period_key=key,
                state="draft",
                as_of=as_of,
                bureau_name=config.bureau_name,
                bureau_name_en=config.bureau_name_en,
                intro="",
                created_at=now,
                created_by=actor,
                deliveries=[],
                updated_at=now,
            )
            session.add(reminder)
            created = True
        else:
            reminder.as_of = max(reminder.as_of, as_of)
            reminder.updated_at = now
            created = False
        added = _add_issues(reminder, due, now)
        if not added:
            continue
        session.flush()
        report.issues += added
        audit(
            session=session,
            at=now,
            actor=actor,
            action="reminder.create" if created else "reminder.extend",
            entity_type="reminder",
            entity_id=reminder.number,
            before=None if created else {"issues": len(reminder.issues) - added},
            after={
                "state": reminder.state,
                "enterprise_id": enterprise_id,
                "as_of": as_of.isoformat(),
                "issues": [[d.trigger, d.subject] for d in due],
            },
        )
        (report.created if created else report.extended).append(reminder.number)
        if created and all(config.trigger(d.trigger).auto for d in due):
            issue_now(
                session=session, reminder=reminder, config=config, now=now, actor=actor,
                notifier=notifier,
            )  # fmt: skip
            report.issued.append(reminder.number)
    return report

"""Where the follow-up's advisories go: the service reminders (issue 15, part A).

Each advisory becomes an issue of the ``campaign`` trigger (its evidence names the five-step
campaign, the step and the finding's text, which the reminder shows as the suggestion; subject
``fivestep:<record id>:<step>:<n>``) in the enterprise's reminder of the current period: the
period's draft is extended, or a new draft made (numbered as ``reminders generate`` numbers
them). Drafts only: an officer reviews and issues them as any other. When the period's reminder
has gone out already, nothing is sent and the advisories stay on the record (the follow-up's
result says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.fivestep.follow_up import ReminderSink
from ecoradar.fivestep.models import FiveStepRecord
from ecoradar.registry.models import Enterprise
from ecoradar.reminders import wording
from ecoradar.reminders.config import Config, config_for
from ecoradar.reminders.generate import next_number, period_key
from ecoradar.reminders.models import Reminder, ReminderIssue
from ecoradar.reminders.triggers import china_day

if TYPE_CHECKING:
    from ecoradar.bootstrap import Container

TRIGGER = "campaign"


def _evidence(record: FiveStepRecord, advisory: dict[str, Any]) -> dict[str, Any]:
    campaign = record.campaign
    return {
        "campaign": campaign.name,
        "starts": campaign.period_start.isoformat(),
        "ends": campaign.period_end.isoformat(),
        "text": advisory["text"],
        "fivestep_record_id": record.id,
        "step": advisory.get("step"),
        "category": advisory.get("category"),
    }


def send_advisories(
    *,
    session: Session,
    config: Config,
    enterprise_id: int,
    advisories: Sequence[dict[str, Any]],
    now: datetime,
    actor: str,
    source: str,
) -> str | None:
    record_id = int(source.rsplit(":", 1)[1])
    record = session.get(FiveStepRecord, record_id)
    enterprise = session.get(Enterprise, enterprise_id)
    if record is None or enterprise is None:
        return None
    subjects = [f"fivestep:{record.id}:{a.get('step')}:{a.get('n')}" for a in advisories]
    sent = session.execute(
        select(ReminderIssue.subject, Reminder.number)
        .join(Reminder, ReminderIssue.reminder_id == Reminder.id)
        .where(
            ReminderIssue.enterprise_id == enterprise_id,
            ReminderIssue.trigger == TRIGGER,
            ReminderIssue.subject.in_(subjects),
        )
        .order_by(Reminder.id)
    ).all()
    if sent and {s for s, _ in sent} >= set(subjects):
        return str(sent[-1][1])  # every advisory went out already (a record completed again)
    key = period_key(now, config.period)
    reminder = session.scalar(
        select(Reminder).where(Reminder.enterprise_id == enterprise_id, Reminder.period_key == key)
    )
    if reminder is not None and reminder.state != "draft":
        return None
    created = reminder is None
    if reminder is None:
        reminder = Reminder(
            number=next_number(session, config.prefix, china_day(now).year),
            enterprise_id=enterprise_id, region_id=enterprise.region_id, period_key=key,
            state="draft", as_of=now, bureau_name=config.bureau_name,
            bureau_name_en=config.bureau_name_en, intro="", created_at=now, created_by=actor,
            deliveries=[], updated_at=now,
        )  # fmt: skip
        session.add(reminder)
    have = {(i.trigger, i.subject) for i in reminder.issues} | {(TRIGGER, s) for s, _ in sent}
    position = max((i.position for i in reminder.issues), default=0)
    added = []
    for advisory in advisories:
        subject = f"fivestep:{record.id}:{advisory.get('step')}:{advisory.get('n')}"
        if (TRIGGER, subject) in have:
            continue
        evidence = _evidence(record, advisory)
        position += 1
        reminder.issues.append(
            ReminderIssue(
                enterprise_id=enterprise_id, position=position, trigger=TRIGGER,
                factor=advisory.get("factor"), subject=subject, evidence=evidence,
                suggestion=wording.suggestion(TRIGGER, evidence),
                basis=wording.basis(TRIGGER, evidence), state="open", answer_media_ids=[],
                created_at=now,
            )
        )  # fmt: skip
        added.append(subject)
    reminder.updated_at = now
    session.flush()
    if added:
        audit(
            session=session,
            at=now,
            actor=actor,
            action="reminder.create" if created else "reminder.extend",
            entity_type="reminder",
            entity_id=reminder.number,
            after={"state": reminder.state, "enterprise_id": enterprise_id, "source": source,
                   "issues": [[TRIGGER, s] for s in added]},
        )  # fmt: skip
    return reminder.number


def sink_for(box: Container) -> ReminderSink:
    """``send_advisories`` with the reminders' configuration of ``box``'s settings."""
    config = config_for(box.settings)

    def sink(
        *,
        session: Session,
        enterprise_id: int,
        advisories: Sequence[dict[str, Any]],
        now: datetime,
        actor: str,
        source: str,
    ) -> str | None:
        return send_advisories(
            session=session, config=config, enterprise_id=enterprise_id,
            advisories=advisories, now=now, actor=actor, source=source,
        )  # fmt: skip

    return sink

"""Ignored reminders: past ``answer_due`` with an issue unanswered (open or returned), a
reminder becomes a finding in the problem register through the findings intake (channel and
category from ``[escalation]``; ``source_ref`` ``reminder:<number>``, so once) and is marked
``escalated``; the green code counts it as ignored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex
from ecoradar.reminders.config import Config
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.service import OPEN_FOR_ANSWER, set_state
from ecoradar.web.templating import local_time


def _local(moment: datetime | None) -> str:
    return local_time(moment)


def escalate_ignored(
    *,
    session: Session,
    index: RegionIndex,
    policy: Policy,
    config: Config,
    now: datetime,
    actor: str,
) -> list[str]:
    """Reminders past ``answer_due`` with an issue unanswered become a finding each."""
    late = session.scalars(
        select(Reminder).where(Reminder.state.in_(OPEN_FOR_ANSWER), Reminder.answer_due < now)
    ).all()
    done = []
    for reminder in late:
        unanswered = [i for i in reminder.issues if i.state in ("open", "returned")]
        if not unanswered:
            continue
        e = reminder.enterprise
        recorded = record_finding(
            session=session,
            index=index,
            item=FindingIn(
                channel=config.escalation_channel,
                category=config.escalation_category,
                lat=e.latitude,
                lon=e.longitude,
                region_id=e.region_id,
                observed_at=now,
                title=f"{e.name}: 企业环境服务提醒函 {reminder.number} 逾期未答复",
                description=(
                    f"{e.name}（{e.code}）未在 {_local(reminder.answer_due)} 前答复服务提醒函"
                    f" {reminder.number} 的 {len(unanswered)} 项问题："
                    + "；".join(f"{i.trigger} {i.factor or ''}".strip() for i in unanswered)
                ),
                severity=config.escalation_severity,
                source_ref=f"reminder:{reminder.number}",
                enterprise_id=e.id,
                match_key=f"reminder-ignored:{e.id}",
                data={
                    "reminder": reminder.number,
                    "issues": [{"trigger": i.trigger, "factor": i.factor} for i in unanswered],
                },
            ),
            now=now,
            actor=actor,
            policy=policy,
        )
        reminder.problem_id = recorded.problem.id
        reminder.escalated_at = now
        set_state(session, reminder, "escalated", now, actor, None)
        done.append(reminder.number)
    return done

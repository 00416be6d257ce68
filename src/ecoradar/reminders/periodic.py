"""The reminders' part of the scheduler's pass (``problems.scheduler.run_once``):

1. once per China day, generate the reminders due as of now: what is due is read first
   (``assess``, outside the turn to write), then written (``generate``);
2. every pass, escalate reminders left unanswered past their deadline (a finding each).

Each step is its own unit of work (``Container.write``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.problems.policy import load_policy
from ecoradar.reminders import triggers
from ecoradar.reminders.config import Config, config_for
from ecoradar.reminders.escalation import escalate_ignored
from ecoradar.reminders.facts import latest_data_time
from ecoradar.reminders.generate import Assessed, GenerationReport, assess, generate
from ecoradar.reminders.models import ReminderPass
from ecoradar.reminders.notify import Notifier, from_config

ACTOR = "system:scheduler"


@dataclass
class RemindersReport:
    generated: GenerationReport | None = None
    escalated: list[str] = field(default_factory=list)

    @property
    def idle(self) -> bool:
        return (self.generated is None or self.generated.idle) and not self.escalated

    def __str__(self) -> str:
        parts = [str(self.generated)] if self.generated and not self.generated.idle else []
        if self.escalated:
            parts.append(f"{len(self.escalated)} reminder(s) escalated")
        return "; ".join(parts)


def default_as_of(session: Session, now: datetime) -> datetime:
    """Now, or for replayed data the end of the newest stored hour (as detection does)."""
    latest = latest_data_time(session)
    if latest is None:
        return now
    return min(now, latest + triggers.HOUR)


def run_reminders(
    container: Container, *, notifier: Notifier | None = None, config: Config | None = None
) -> RemindersReport:
    report = RemindersReport()
    config = config or config_for(container.settings)
    sender = notifier if notifier is not None else from_config(config.notify)
    now = container.clock.now()
    day = triggers.china_day(now)

    def daily(session: Session, as_of: datetime, assessed: list[Assessed]) -> GenerationReport:
        if session.get(ReminderPass, day) is not None:
            return GenerationReport()  # another process made today's pass meanwhile
        made = generate(
            session=session, config=config, as_of=as_of, now=now, actor=ACTOR,
            notifier=sender, assessed=assessed,
        )  # fmt: skip
        session.add(
            ReminderPass(
                day=day, as_of=as_of, finished_at=container.clock.now(), reminders=len(made.created)
            )
        )
        return made

    def escalate(session: Session) -> list[str]:
        return escalate_ignored(
            session=session,
            index=container.regions.get(session),
            policy=load_policy(session=session, settings=container.settings),
            config=config,
            now=now,
            actor=ACTOR,
        )

    # what is due is read outside the turn to write: over every enterprise it takes seconds
    due: tuple[datetime, list[Assessed]] | None = None
    with container.reading() as session:
        if session.get(ReminderPass, day) is None:
            as_of = default_as_of(session, now)
            due = as_of, assess(session=session, config=config, as_of=as_of)
    if due is not None:
        report.generated = container.write(
            lambda session: daily(session, *due), what="service reminders (generation)"
        )
    report.escalated = container.write(escalate, what="service reminders (escalation)")
    return report

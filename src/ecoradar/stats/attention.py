"""What needs an officer's attention now (issue 18 item 1): the figures of the officer home
(``/``) and ``GET /api/attention``, each with the list page that shows exactly those records.

Every figure is counted by the service behind its list page, with the filter the link carries,
so the number on the home page is the number of rows the link shows:

- ``new_clues``: clues whose problem is still ``reported`` (nobody accepted or rejected it) —
  ``/clues?state=reported``;
- ``problems_overdue``: open problems past their running deadline (flagged by the deadline
  job) — ``/problems?state=<open states>&overdue=1``;
- ``problems_due_soon``: open problems not yet overdue whose running deadline (acceptance while
  reported, else handling) ends within ``problems.service.DUE_SOON`` — ``/problems?due=soon``;
- ``alerts_<severity>``: open alerts (no end yet) by severity — ``/alerts?state=open&severity=``;
- ``codes_turned_red``: enterprises whose code turned red within ``RED_WITHIN`` —
  ``/greencode?colour=red&within=7``;
- ``reminders_to_review`` / ``answers_to_review``: service reminders drafted and waiting for an
  officer to issue them, and those whose every issue the enterprise answered —
  ``/reminders?state=draft`` / ``answered``;
- ``questions_open`` / ``questions_overdue``: supervisors' questions not answered yet, and those
  of them past their due time — ``/supervision/questions?state=open`` / ``overdue``.

All within the officer's region subtree (an administrator: everywhere).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import apply_scope, scope_of
from ecoradar.clues import desk
from ecoradar.core.errors import PermissionDenied
from ecoradar.detection import service as alerts
from ecoradar.greencode import service as greencode
from ecoradar.problems import service as problems
from ecoradar.problems.models import Problem
from ecoradar.problems.workflow import OPEN_STATES
from ecoradar.reminders.models import Reminder
from ecoradar.reminders.service import visible as visible_reminders
from ecoradar.supervision.models import SupervisionQuestion

RED_WITHIN = timedelta(days=7)
SEVERITIES = ("high", "medium", "low")
"""Alert severities, most urgent first (``detection.service.SEVERITIES``)."""
OPEN = ",".join(s.value for s in sorted(OPEN_STATES, key=lambda s: s.value))


def query_string(**params: str) -> str:
    return "?" + urlencode(params, safe=",")


@dataclass(frozen=True)
class Item:
    key: str
    """What is counted (see the module's docstring); the page words it."""
    group: str
    """``clues``, ``problems``, ``alerts``, ``codes``, ``reminders``, ``questions``."""
    count: int
    href: str
    """The list page showing these records."""
    urgent: bool = False
    """Shown in the accent colour when the count is not zero."""


@dataclass(frozen=True)
class Attention:
    at: datetime
    items: list[Item]

    def get(self, key: str) -> Item:
        return next(i for i in self.items if i.key == key)

    @property
    def total(self) -> int:
        return sum(i.count for i in self.items)


def may_see(principal: Principal) -> bool:
    """Officers and administrators have the attention panel."""
    return principal.is_admin or principal.has_role("officer")


def attention(*, session: Session, principal: Principal, now: datetime) -> Attention:
    """The figures for ``principal`` at ``now``; ``session`` is scoped to ``principal`` here if
    it is not already (the alerts rely on the session's scope)."""
    if not may_see(principal):
        raise PermissionDenied("the attention panel is for officers and administrators")
    if scope_of(session) is None:
        apply_scope(session, principal)
    items = [
        Item("new_clues", "clues", _new_clues(session, principal), "/clues?state=reported"),
        *_problems(session, principal, now),
        *_alerts(session),
        _red_codes(session, principal, now),
        *_reminders(session, principal),
        *_questions(session, principal, now),
    ]
    return Attention(now, items)


def _new_clues(session: Session, principal: Principal) -> int:
    query = desk.DeskQuery(state="reported")
    return desk.list_desk(session=session, principal=principal, query=query, per_page=1).total


def _problem_count(session: Session, principal: Principal, filters: Any) -> int:
    return problems.list_problems(
        session=session, principal=principal, filters=filters, per_page=1
    ).total


def _problems(session: Session, principal: Principal, now: datetime) -> list[Item]:
    states = tuple(OPEN.split(","))
    overdue = _problem_count(session, principal, problems.ProblemFilter(state=states, overdue=True))
    soon = _problem_count(
        session, principal, problems.ProblemFilter(due_between=problems.due_soon(now))
    )
    return [
        Item(
            "problems_overdue",
            "problems",
            overdue,
            "/problems" + query_string(state=OPEN, overdue="1"),
            urgent=True,
        ),
        Item("problems_due_soon", "problems", soon, "/problems?due=soon"),
    ]


def _alerts(session: Session) -> list[Item]:
    counts = alerts.count_alerts(session=session, filters=alerts.AlertFilter(state="open"))
    return [
        Item(
            f"alerts_{severity}",
            "alerts",
            counts.by_severity[severity].open if severity in counts.by_severity else 0,
            "/alerts" + query_string(state="open", severity=severity),
            urgent=severity == "high",
        )
        for severity in SEVERITIES
    ]


def _red_codes(session: Session, principal: Principal, now: datetime) -> Item:
    found = greencode.list_codes(
        session=session,
        principal=principal,
        colour="red",
        colour_since=now - RED_WITHIN,
        limit=1,
    )
    days = RED_WITHIN.days
    return Item(
        "codes_turned_red",
        "codes",
        found.total,
        "/greencode" + query_string(colour="red", within=str(days)),
        urgent=True,
    )


def _reminders(session: Session, principal: Principal) -> list[Item]:
    def count(state: str) -> int:
        query = visible_reminders(select(func.count(Reminder.id)), principal)
        return session.scalar(query.where(Reminder.state == state)) or 0

    return [
        Item("reminders_to_review", "reminders", count("draft"), "/reminders?state=draft"),
        Item("answers_to_review", "reminders", count("answered"), "/reminders?state=answered"),
    ]


def _questions(session: Session, principal: Principal, now: datetime) -> list[Item]:
    """Counted as ``supervision.service.question_list`` selects them for an officer."""
    where: list[ColumnElement[bool]] = [SupervisionQuestion.answered_at.is_(None)]
    if not principal.is_admin:
        where.append(Problem.region_id.in_(sorted(principal.region_ids)))
    query = (
        select(func.count(SupervisionQuestion.id))
        .join(Problem, SupervisionQuestion.problem_id == Problem.id)
        .where(*where)
    )
    unanswered = session.scalar(query) or 0
    overdue = session.scalar(query.where(SupervisionQuestion.due_at < now)) or 0
    return [
        Item("questions_open", "questions", unanswered, "/supervision/questions?state=open"),
        Item(
            "questions_overdue",
            "questions",
            overdue,
            "/supervision/questions?state=overdue",
            urgent=True,
        ),
    ]


def as_json(found: Attention) -> dict[str, Any]:
    return {
        "at": found.at.isoformat(),
        "total": found.total,
        "items": [asdict(i) for i in found.items],
    }

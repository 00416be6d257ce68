"""Public reports of a simulated history sent as clues: through ``clues.intake.submit_clue``,
the one path every channel takes, at the history's own clock. So a back-filled report gets
what a live one gets: its clue row, tracking code, deduplication against the open problems
and its audit entry, and the clue desk shows the month behind the demo.

A report names the enterprise it is about (the reporter saw where it came from), so the
deduplication keeps reports about neighbouring enterprises apart; a routine inspection of the
same matter is attached to the problem the report opened while that is still open
(:func:`keyed_problem`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.clues.catalog import get_service
from ecoradar.clues.intake import ClueIn, ClueReceipt, submit_clue
from ecoradar.problems.models import Problem
from ecoradar.problems.workflow import FINAL_STATES
from ecoradar.registry.models import Enterprise

FINAL = frozenset(state.value for state in FINAL_STATES)


def public_clue(
    box: Container,
    *,
    enterprise_id: int | None,
    place: tuple[float, float],
    category: str,
    key: str,
    now: datetime,
    text: str,
    reporter_user_id: int | None = None,
) -> ClueReceipt:
    """A member of the public reports ``text`` at ``place``, about the enterprise
    ``enterprise_id`` if given (anonymously, or as the registered user ``reporter_user_id``);
    ``key`` makes the report's ``source_ref``, so the same report sent twice is one clue."""

    def work(session: Session) -> ClueReceipt:
        company = session.get(Enterprise, enterprise_id) if enterprise_id is not None else None
        about = company.name if company is not None else ""
        return submit_clue(
            session=session,
            settings=box.settings,
            index=box.regions.get(session),
            item=ClueIn(
                channel="public",
                category=category,
                lat=place[0],
                lon=place[1],
                description=f"{about}：{text}" if about else text,
                observed_at=now - timedelta(hours=2),
                attributes=required_attributes(category),
                anonymous=reporter_user_id is None,
                reporter_user_id=reporter_user_id,
                source_ref=f"sim:public:{key}",
                client=f"sim:{key}",
                enterprise_id=enterprise_id,
            ),
            now=now,
            actor="system:simulation",
        )

    return box.write(work, what="a simulated public report")


def keyed_problem(box: Container, problem_id: int | None) -> int | None:
    """``problem_id`` while that problem is still open (a finding can join it), else None."""
    if problem_id is None:
        return None
    with box.reading() as session:
        problem = session.get(Problem, problem_id)
        if problem is None or problem.state in FINAL:
            return None
        return problem.id


def required_attributes(category: str) -> dict[str, str | list[str]]:
    """A value for each required attribute of the catalogue service ``category`` (its first
    choice, or the middle of its range)."""
    values: dict[str, str | list[str]] = {}
    for attribute in get_service(category).attributes:
        if not attribute.required or not attribute.variable:
            continue
        if attribute.values:
            values[attribute.code] = attribute.values[0].key
        elif attribute.datatype == "number":
            low, high = attribute.minimum or 0.0, attribute.maximum or 10.0
            values[attribute.code] = f"{(low + high) / 2:g}"
        else:
            values[attribute.code] = "演示"
    return values

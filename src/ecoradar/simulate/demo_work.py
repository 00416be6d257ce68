"""Work the demo leaves to the people who log in, made once with the demo's city.

The history's simulated officer settles what it finds, so without this a person logging in as
a role could find nothing to do. :func:`leave_work` makes, through the services, at the end of
the history:

* ``citizen`` reports a smell in the grid of ``gridworker`` (a clue of their own, with its
  tracking code), left ``reported``: a new clue on the officer's desk and in the attention
  counts;
* a passer-by reports waste dumped nearby; the simulated officer accepts it and sends
  ``gridworker`` to verify it;
* ``deputy`` follows the grid worker's problem and asks the bureau about the newest open
  problem of an enterprise, or of any (an open question for the officer).

The demo's enterprise account gets its own work from the history, which leaves that
enterprise's last week to its people (``HistoryConfig.people_days``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.bootstrap import Container
from ecoradar.problems.models import Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.service import take_action
from ecoradar.problems.workflow import Action, Payload
from ecoradar.regions.models import Region
from ecoradar.simulate.history_clues import FINAL, public_clue
from ecoradar.supervision import service as supervision


@dataclass(frozen=True)
class LeftWork:
    citizen_problem: int | None
    grid_problem: int | None
    question_problem: int | None


def leave_work(box: Container) -> LeftWork:
    """Make the work above for the demo accounts that exist (see the module's docstring)."""
    users = _users(box)
    citizen_problem = grid_problem = question_problem = None
    place = _place_in_grid(box, users["gridworker"]) if "gridworker" in users else None
    if place is None:
        place = _any_place(box)
    now = box.clock.now()
    if "citizen" in users:
        citizen_problem = public_clue(
            box,
            enterprise_id=None,
            place=place,
            category="odour",
            key=f"demo:citizen:{now:%Y%m%d%H%M}",
            now=now,
            text="小区附近晚上一直有很重的化工异味",
            reporter_user_id=users["citizen"].id,
        ).problem_id
    if "gridworker" in users:
        nearby = (place[0] + 6e-4, place[1] - 6e-4)
        grid_problem = public_clue(
            box,
            enterprise_id=None,
            place=nearby,
            category="solid_waste",
            key=f"demo:waste:{now:%Y%m%d%H%M}",
            now=now,
            text="路边空地堆放大量工业固废",
        ).problem_id
        box.write(
            lambda s: _send_to_verify(box, s, grid_problem, users["gridworker"].id),
            what="a demo assignment",
        )
    if "deputy" in users:
        question_problem = box.write(
            lambda s: _supervise(box, s, users["deputy"], grid_problem), what="a demo question"
        )
    return LeftWork(citizen_problem, grid_problem, question_problem)


def _users(box: Container) -> dict[str, User]:
    names = ("citizen", "gridworker", "deputy", "sim-officer")
    with box.reading() as session:
        found = session.scalars(select(User).where(User.username.in_(names)))
        return {user.username: user for user in found}


def _place_in_grid(box: Container, worker: User) -> tuple[float, float] | None:
    """A place (lat, lon) inside the worker's grid: the middle of its box, or another point
    of a 5 x 5 net over it when the middle lies outside (an odd shape)."""
    with box.reading() as session:
        grid = session.get(Region, worker.region_id) if worker.region_id else None
        if grid is None:
            return None
        index = box.regions.get(session)
        steps = (0.5, 0.3, 0.7, 0.1, 0.9)
        for fy in steps:
            for fx in steps:
                lon = grid.min_lon + (grid.max_lon - grid.min_lon) * fx
                lat = grid.min_lat + (grid.max_lat - grid.min_lat) * fy
                found = index.smallest(lon, lat)
                if found is not None and found.code == grid.code:
                    return lat, lon
    return None


def _any_place(box: Container) -> tuple[float, float]:
    with box.reading() as session:
        city = session.scalar(select(Region).where(Region.level == "city").order_by(Region.code))
        assert city is not None, "the demo's city has no city region"
        return (city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2


def _send_to_verify(box: Container, session: Session, problem_id: int, worker_id: int) -> None:
    officer = session.scalar(select(User).where(User.username == "sim-officer"))
    assert officer is not None, "the history's officer is missing"
    who = accounts.principal_of(session=session, user=officer)
    policy = load_policy(session=session, settings=box.settings)
    now = box.clock.now()
    for action, payload in (
        (Action.ACCEPT, Payload()),
        (Action.ASSIGN, Payload(assignee_id=worker_id)),
    ):
        take_action(
            session=session,
            principal=who,
            problem_id=problem_id,
            action=action,
            payload=payload,
            now=now,
            policy=policy,
        )


def _supervise(box: Container, session: Session, deputy: User, follow: int | None) -> int | None:
    """The deputy follows ``follow`` and asks about the newest open problem (one of an
    enterprise first)."""
    who = accounts.principal_of(session=session, user=deputy)
    now = box.clock.now()
    if follow is not None:
        supervision.follow(session=session, principal=who, problem_id=follow, now=now)
    asked = session.scalar(
        select(Problem.id)
        .where(Problem.state.not_in(sorted(FINAL)))
        .order_by(Problem.enterprise_id.is_(None), Problem.reported_at.desc(), Problem.id.desc())
        .limit(1)
    )
    if asked is None:
        return None
    supervision.ask(
        session=session,
        settings=box.settings,
        principal=who,
        problem_id=asked,
        question="请问该企业的问题目前处理到哪一步？何时能整改到位？",
        now=now,
    )
    return asked

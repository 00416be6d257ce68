"""What the people of a simulated history do, through EcoRadar's own services: an officer
handles each problem (accepts, verifies on site, confirms or finds it unfounded, names a
violation, orders rectification, records a penalty, closes), enterprises answer their
self-inspection tasks and report rectification, the public reports and routine inspections
find violations. Every act runs at its own time on the fake clock (:class:`Agenda`), each in a
unit of work of its own (``Container.write``)."""

from __future__ import annotations

import heapq
import io
import itertools
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth import passwords
from ecoradar.auth import service as accounts
from ecoradar.auth.models import User
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.clock import Clock, FakeClock
from ecoradar.media.inspect import MediaLimits
from ecoradar.media.service import store_upload
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import Problem
from ecoradar.problems.policy import load_policy
from ecoradar.problems.service import take_action
from ecoradar.problems.violations import set_violation
from ecoradar.problems.workflow import Action, Evidence, OnsiteRecord, Payload
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.rewards.outcomes import record_outcome
from ecoradar.selfcheck.models import SelfcheckTask
from ecoradar.selfcheck.service import add_photo, submit_task
from ecoradar.selfcheck.templates import items_of
from ecoradar.simulate.behaviour import TaskPlan

Act = Callable[[datetime], None]


class Agenda:
    """Acts to run at given times, in time order, each with the fake clock set to its time
    (never backwards: an act due in the past runs now). On a clock that runs by itself (the
    demo's), an act runs at the clock's time once it is due."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[datetime, int, Act]] = []
        self._order = itertools.count()

    def at(self, when: datetime, act: Act) -> None:
        heapq.heappush(self._heap, (when, next(self._order), act))

    def run_until(self, until: datetime) -> int:
        """Run every act due before ``until``; returns how many ran."""
        ran = 0
        while self._heap and self._heap[0][0] < until:
            when, _, act = heapq.heappop(self._heap)
            now = max(when, self.clock.now())
            if isinstance(self.clock, FakeClock):
                self.clock.set(now)
            act(now)
            ran += 1
        return ran

    def clear(self) -> None:
        """Drop every act still to run."""
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._heap)


def photo(seed: int) -> bytes:
    """A small JPEG, different per seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48), (rng.randrange(256), rng.randrange(256), 90))
    ImageDraw.Draw(image).rectangle((8, 8, 40, 30), fill=(rng.randrange(256), 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@dataclass
class Cast:
    """The officer who handles everything (city scope), one user per enterprise, and the
    officer's on-site photo (one upload, cited on every on-site record)."""

    officer: Principal
    enterprises: dict[int, Principal]
    """Enterprise id -> its user."""
    places: dict[int, tuple[float, float]]
    """Enterprise id -> (lat, lon)."""
    onsite_photo: int
    limits: MediaLimits


def make_cast(box: Container) -> Cast:
    """The officer and the enterprise users, created when missing (one password hash for
    all: hashing is slow, and nobody logs in); a demo started again finds them made."""
    secret = secrets.token_urlsafe(18)
    hashed = passwords.prepare(secret, username="sim-officer")
    now = box.clock.now()
    with box.transaction() as session:
        made = {
            u.username: u for u in session.scalars(select(User).where(User.username.like("sim-%")))
        }

        def user(username: str, **fields: Any) -> User:
            if username in made:
                return made[username]
            return accounts.create_user(
                session=session, username=username, password=hashed, now=now, **fields
            )

        city = session.scalar(select(Region).where(Region.level == "city").order_by(Region.code))
        assert city is not None, "the simulated city has no city region"
        officer = user("sim-officer", role="officer", display_name="模拟执法人员", region=city.code)
        found = session.execute(
            select(Enterprise.id, Enterprise.code, Enterprise.latitude, Enterprise.longitude)
        ).all()
        users = {
            eid: user(f"sim-{code.lower()}", role="enterprise", enterprise=code)
            for eid, code, _, _ in found
        }
        officer_p = accounts.principal_of(session=session, user=officer)
        limits = MediaLimits.from_settings(box.settings)
        media = store_upload(
            session=session,
            home=box.settings.home,
            data=photo(0),
            filename="onsite.jpg",
            now=now,
            uploaded_by=officer_p.actor,
            limits=limits,
        )
        return Cast(
            officer=officer_p,
            enterprises={
                eid: accounts.principal_of(session=session, user=u) for eid, u in users.items()
            },
            places={eid: (lat, lon) for eid, _, lat, lon in found},
            onsite_photo=media.id,
            limits=limits,
        )


# --- problems -------------------------------------------------------------------------------


@dataclass
class Case:
    """How the officer will settle one problem (decided by what the on-site check shows)."""

    problem_id: int
    enterprise_id: int
    confirm: bool
    violation: str | None = None
    outcome: tuple[str, Decimal | None] | None = None
    rectify_late: bool = False
    rng: random.Random = field(default_factory=random.Random)
    until_verdict: bool = False
    """Stop after the on-site verdict (confirmed or unfounded)."""
    own_rectification: bool = False
    """The enterprise's people report the rectification themselves (the demo's enterprise
    account): the simulation stops at the order and takes up the closure once reported."""


DELAYS: dict[str, tuple[float, float]] = {
    "reported": (1, 12),
    "verifying": (4, 48),
    "rectified": (6, 48),
}
"""Hours (range) before the officer's next visit after leaving a problem in each state."""
DESK = {
    "reported": Action.ACCEPT,
    "accepted": Action.ASSIGN,
    "reopened": Action.ASSIGN,
    "assigned": Action.START_VERIFICATION,
}
"""The officer's desk work: taken one after the other in one visit."""
RECTIFY_DAYS = 15


class Handling:
    """Drives cases to their end, one step per act."""

    def __init__(self, box: Container, cast: Cast, agenda: Agenda) -> None:
        self.box, self.cast, self.agenda = box, cast, agenda
        self.cases: dict[int, Case] = {}
        self.active: set[int] = set()
        """Cases with a step on the agenda."""
        self.settled: set[int] = set()
        self.passed: set[int] = set()
        """Problems left to people (the demo's officer)."""
        """Cases followed until the verdict, which has been given."""

    def open(self, case: Case, when: datetime) -> None:
        """Handle a new problem (a known one is woken instead)."""
        if case.problem_id not in self.cases:
            self.cases[case.problem_id] = case
        self.wake(case.problem_id, when)

    def wake(self, problem_id: int, when: datetime) -> None:
        """Take up a known problem again (a new finding reopened it)."""
        if problem_id in self.active or problem_id in self.settled:
            return
        self.active.add(problem_id)
        case = self.cases[problem_id]
        self.agenda.at(when + self._delay(case, "reported"), self._step(problem_id))

    def _delay(self, case: Case, state: str) -> timedelta:
        lo, hi = DELAYS.get(state, (1, 12))
        return timedelta(hours=case.rng.uniform(lo, hi))

    def _step(self, problem_id: int) -> Act:
        return lambda now: self.step(problem_id, now)

    def _act(
        self, session: Session, who: Principal, pid: int, action: Action, now: datetime, **kw: Any
    ) -> None:
        take_action(
            session=session,
            principal=who,
            problem_id=pid,
            action=action,
            payload=Payload(**kw),
            now=now,
            policy=load_policy(session=session, settings=self.box.settings),
        )

    def step(self, problem_id: int, now: datetime) -> None:
        case = self.cases[problem_id]
        state = self.box.write(lambda s: self._advance(s, case, now), what="a simulated act")
        if case.until_verdict and state not in DESK and state != "verifying":
            self.settled.add(problem_id)
            state = None
        if state is None:
            self.active.discard(problem_id)
            return
        if state == "rectifying":
            due = now + timedelta(days=RECTIFY_DAYS)
            shift = case.rng.uniform(2, 8) if case.rectify_late else -case.rng.uniform(1, 10)
            next_at = due + timedelta(days=shift)
        else:
            next_at = now + self._delay(case, state)
        self.agenda.at(next_at, self._step(problem_id))

    def _advance(self, session: Session, case: Case, now: datetime) -> str | None:
        """Take the next visit's steps of ``case``: the desk work (accept, assign to
        oneself, start verifying) at once; on site, the verdict and, when confirmed, the
        violation, the rectification order and the penalty; then the enterprise's report of
        rectification; then the closure. The state it leaves the problem in (None: done)."""
        problem = session.get(Problem, case.problem_id)
        assert problem is not None
        officer, pid = self.cast.officer, case.problem_id
        if problem.state in DESK:
            while problem.state in DESK:
                action = DESK[problem.state]
                extra = {"assignee_id": officer.user_id} if action == Action.ASSIGN else {}
                self._act(session, officer, pid, action, now, **extra)
        elif problem.state == "verifying":
            onsite = OnsiteRecord(
                at=now - timedelta(minutes=30),
                lat=problem.lat,
                lon=problem.lon,
                photo_ids=(self.cast.onsite_photo,),
                text="现场核查" + ("属实" if case.confirm else "未发现问题"),
            )
            action = Action.CONFIRM if case.confirm else Action.MARK_UNFOUNDED
            self._act(session, officer, pid, action, now, onsite=onsite)
            if case.confirm and not case.until_verdict:
                if case.violation is not None:
                    set_violation(
                        session=session,
                        principal=officer,
                        problem_id=pid,
                        violation=case.violation,
                        now=now,
                        reason="现场核查认定",
                    )
                self._order(session, case, now)
        elif problem.state == "confirmed":
            self._order(session, case, now)
        elif problem.state == "rectifying" and case.own_rectification:
            pass  # the enterprise's own account reports it; the officer looks again later
        elif problem.state == "rectifying":
            company = self.cast.enterprises[case.enterprise_id]
            evidence = Evidence(text="已完成整改", document=f"整改报告{pid}")
            self._act(session, company, pid, Action.REPORT_RECTIFIED, now, evidence=evidence)
        elif problem.state == "rectified":
            self._act(session, officer, pid, Action.CLOSE, now)
        else:
            return None  # final: closed, unfounded, rejected, transferred
        session.flush()
        return problem.state if problem.state not in ("closed", "unfounded") else None

    def _order(self, session: Session, case: Case, now: datetime) -> None:
        """Order rectification within ``RECTIFY_DAYS`` and record the penalty, if any."""
        officer, pid = self.cast.officer, case.problem_id
        due = now + timedelta(days=RECTIFY_DAYS)
        self._act(
            session,
            officer,
            pid,
            Action.ORDER_RECTIFICATION,
            now,
            requirement="限期整改",
            rectification_due=due,
        )
        if case.outcome is not None:
            kind, fine = case.outcome
            record_outcome(
                session=session,
                principal=officer,
                problem_id=pid,
                kind=kind,
                fine_amount=fine,
                now=now,
                decision_ref=f"模拟〔{pid}〕号",
            )


def report(
    box: Container,
    *,
    enterprise_id: int,
    place: tuple[float, float],
    channel: str,
    category: str,
    key: str,
    now: datetime,
    text: str,
    attach_to: int | None = None,
) -> int:
    """A finding about an enterprise from ``channel`` (a report, an inspection); its problem.
    ``key`` groups findings about one matter into one problem; ``attach_to`` names the open
    problem a public report (a clue, which has no key) opened about the same matter."""

    def work(session: Session) -> int:
        recorded = record_finding(
            session=session,
            index=box.regions.get(session),
            item=FindingIn(
                channel=channel,
                category=category,
                lat=place[0],
                lon=place[1],
                observed_at=now - timedelta(hours=2),
                description=text,
                severity="medium",
                source_ref=f"sim:{channel}:{key}",
                enterprise_id=enterprise_id,
                match_key=f"sim:{key}",
                attach_to=attach_to,
            ),
            now=now,
            actor="system:simulation",
            policy=load_policy(session=session, settings=box.settings),
        )
        return recorded.problem.id

    return box.write(work, what="a simulated finding")


# --- self-inspection -------------------------------------------------------------------------


def answer_task(box: Container, cast: Cast, task_id: int, plan: TaskPlan, now: datetime) -> None:
    """The enterprise answers the task: a photo for each photo item, yes to every yes/no
    item and the middle of each number's range; a failing plan answers the first item that
    must be yes with no."""

    def work(session: Session) -> None:
        task = session.get(SelfcheckTask, task_id)
        assert task is not None
        if task.state == "submitted":
            return
        company = cast.enterprises[task.enterprise_id]
        answers: dict[str, Any] = {}
        failing = plan.failed
        for item in items_of(task.template_version):
            if item.kind == "photo":
                add_photo(
                    session=session,
                    principal=company,
                    task_id=task_id,
                    item=item.code,
                    data=photo(task_id),
                    filename="check.jpg",
                    home=box.settings.home,
                    limits=cast.limits,
                    now=now,
                )
            elif item.kind == "yes_no":
                answers[item.code] = not (failing and item.must_be_yes)
                failing = failing and not item.must_be_yes
            elif item.kind == "number":
                low = item.min if item.min is not None else 0.0
                high = item.max if item.max is not None else low + 2.0
                answers[item.code] = round((low + high) / 2, 2)
        point = task.point
        submit_task(
            session=session,
            principal=company,
            task_id=task_id,
            answers=answers,
            position=(point.latitude, point.longitude),
            now=now,
            index=box.regions.get(session),
            policy=load_policy(session=session, settings=box.settings),
        )

    box.write(work, what="a simulated self-inspection")

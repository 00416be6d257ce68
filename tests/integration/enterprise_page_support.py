"""Hand-seeded data for the enterprise page: the small registry (enterprise 1 in grid G1,
enterprise 2 in G2, enterprise 3 in county B) and, for enterprise 1, one or more entries of
every kind the timeline merges, each at a known time (``AGO`` hours before the clock).

Written straight through the ORM, so each entry's time is exactly what the test expects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.detection.models import Alert
from ecoradar.greencode.models import GreenCode, GreenCodeHistory
from ecoradar.inspections.models import Draw, Inspection
from ecoradar.power import service as power
from ecoradar.power.models import PowerEpisode, PowerMeter, PowerReading
from ecoradar.problems.models import Finding, Problem, ProblemEvent
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint
from ecoradar.reminders.models import Reminder
from ecoradar.selfcheck.models import SelfcheckTask
from tests.factories import GAS_MN, uscc, write_csv
from tests.integration import selfcheck_support
from tests.integration.power_support import METERS, METERS_HEADER, UNITS, UNITS_HEADER

REPORTER_NAME = "举报人李秘密"
REPORTER_CONTACT = "13912345678"
HIDDEN_NOTE = "内部研判意见"
PROBLEM_TITLE = "夜间偷排废水"
HIDDEN_TITLE = "尚在核实的问题"

AGO = {
    # (kind, label): hours before now. Two entries share a time (6 h): the kinds' order
    # breaks the tie (power before inspection before ... before alert, newest first).
    ("alert", "open"): 2,
    ("problem", "order_rectification"): 3,
    ("code", "red"): 4,
    ("reminder", "issued"): 5,
    ("power", "idle"): 6,
    ("alert", "closed"): 6,
    ("finding", "public"): 30,
    ("problem", "opened"): 30.5,
    ("problem", "internal"): 29,
    ("inspection", "done"): 40,
    ("reminder", "draft"): 45,
    ("code", "first"): 200,
}


@dataclass(frozen=True)
class Seeded:
    enterprise_id: int
    problem_id: int
    hidden_problem_id: int
    now: datetime


def seed(box: Container, tmp_path: Path) -> Seeded:
    """The small registry, control points and their tasks (``selfcheck_support.world``), the
    power registry of ``power_support``, and every kind of entry for enterprise 1."""
    selfcheck_support.world(box, tmp_path)
    selfcheck_support.generate(box, box.clock.now().date() + timedelta(days=2))
    units = write_csv(tmp_path / "units.csv", UNITS_HEADER, UNITS)
    meters = write_csv(tmp_path / "meters.csv", METERS_HEADER, METERS)
    with box.transaction() as session:
        power.import_power(session=session, units=units, meters=meters, now=box.clock.now())
    return seed_entries(box, uscc(1), GAS_MN)


def seed_entries(box: Container, code: str, mn: str, factor: str = "a21026") -> Seeded:
    """Every kind of entry for the enterprise of ``code`` (its point ``mn``; its control
    points' tasks moved three days back, so the past ones are missed and the first is done;
    two hours of readings for its meters)."""
    now = box.clock.now()

    def at(kind: str, label: str) -> datetime:
        return now - timedelta(hours=AGO[(kind, label)])

    with box.transaction() as session:
        e1 = session.scalar(select(Enterprise).where(Enterprise.code == code))
        point = session.scalar(select(MonitoringPoint).where(MonitoringPoint.mn == mn))
        assert e1 is not None
        assert point is not None and e1.region_id is not None
        region = session.get(Region, e1.region_id)
        assert region is not None
        for label, end in (("open", None), ("closed", at("alert", "closed") + timedelta(hours=1))):
            start = at("alert", label)
            session.add(
                Alert(
                    point_id=point.id,
                    factor=factor,
                    kind="exceedance" if label == "open" else "time_anomaly",
                    start=start,
                    end=end,
                    severity="high",
                    evidence={},
                    raised_at=start,
                    updated_at=start,
                )
            )
        problem = _problem(e1, region, "rectifying", at("finding", "public"), PROBLEM_TITLE)
        hidden = _problem(e1, region, "verifying", at("finding", "public"), HIDDEN_TITLE)
        session.add_all([problem, hidden])
        session.flush()
        session.add(
            Finding(
                problem_id=problem.id,
                channel="public",
                source_ref="public:test-1",
                category="water",
                description="夜间排放",
                observed_at=at("finding", "public"),
                received_at=at("finding", "public"),
                lat=e1.latitude,
                lon=e1.longitude,
                severity="high",
                data={},
                reporter_name=REPORTER_NAME,
                reporter_contact=REPORTER_CONTACT,
            )
        )
        for action, public, states in (
            ("opened", True, (None, "reported")),
            ("internal", False, ("reported", "accepted")),
            ("order_rectification", True, ("confirmed", "rectifying")),
        ):
            session.add(
                ProblemEvent(
                    problem_id=problem.id,
                    at=at("problem", action),
                    actor=f"public:{REPORTER_NAME}" if action == "opened" else "user:1:officer",
                    action="accept" if action == "internal" else action,
                    from_state=states[0],
                    to_state=states[1],
                    public=public,
                    detail={"internal": {"reason": HIDDEN_NOTE}} if not public else {},
                )
            )
        session.add(
            ProblemEvent(
                problem_id=hidden.id,
                at=at("problem", "opened"),
                actor="user:1:officer",
                action="opened",
                to_state="reported",
                public=True,
                detail={},
            )
        )
        session.add(
            GreenCode(
                enterprise_id=e1.id,
                colour="red",
                score=55.0,
                vetoed=False,
                indicators={},
                vetoes=[],
                reasons=[],
                model_version="test",
                scheme="4",
                computed_at=at("code", "red"),
                data_as_of=None,
                colour_since=at("code", "red"),
            )
        )
        for label, previous in (("first", None), ("red", "green")):
            session.add(
                GreenCodeHistory(
                    enterprise_id=e1.id,
                    at=at("code", label),
                    kind=label if label == "first" else "colour",
                    colour="green" if label == "first" else "red",
                    previous_colour=previous,
                    score=97.0 if label == "first" else 55.0,
                    vetoed=False,
                    indicators={},
                    vetoes=[],
                    reasons=[],
                    model_version="test",
                    data_as_of=None,
                )
            )
        for label, number in (("issued", "ZS-2026-0001"), ("draft", "ZS-2026-0002")):
            made = at("reminder", label)
            session.add(
                Reminder(
                    number=number,
                    enterprise_id=e1.id,
                    region_id=e1.region_id,
                    period_key=f"2026-{number[-1]}",
                    state=label,
                    as_of=made,
                    bureau_name="测试局",
                    created_at=made,
                    created_by="user:1:officer",
                    issued_at=made if label == "issued" else None,
                    answer_due=made + timedelta(days=7) if label == "issued" else None,
                    deliveries=[],
                    updated_at=made,
                )
            )
        draw = Draw(
            period="2026-11",
            period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 30),
            region_id=e1.region_id,
            seed="seed",
            algorithm="test",
            rates={"red": 1.0},
            uncoded_colour="blue",
            inspectors_per_inspection=1,
            model_version="test",
            scheme="4",
            candidates=[],
            created_at=at("inspection", "done") - timedelta(days=3),
            created_by="user:1:officer",
        )
        session.add(draw)
        session.flush()
        session.add(
            Inspection(
                draw_id=draw.id,
                enterprise_id=e1.id,
                colour="red",
                coded=True,
                rate=1.0,
                state="done",
                eligible=[],
                outcome="clean",
                done_at=at("inspection", "done"),
                created_at=draw.created_at,
            )
        )
        start = at("power", "idle")
        session.add(
            PowerEpisode(
                enterprise_id=e1.id,
                rule="treatment_idle",
                subject="TF1",
                start=start,
                end=start + timedelta(minutes=45),
                minutes=45.0,
                state="idle",
                facts={},
                detected_at=start,
                updated_at=start,
            )
        )
        for meter in session.scalars(
            select(PowerMeter).where(PowerMeter.enterprise_id == e1.id)
        ):  # two hours of readings around the episode: production runs, treatment idles
            for minute in range(0, 120, 2):
                when = start - timedelta(minutes=30) + timedelta(minutes=minute)
                idle = meter.code == "T1" and 30 <= minute < 75
                kw = 5.0 if idle else (150.0 if meter.code == "P1" else 80.0)
                session.add(
                    PowerReading(
                        meter_id=meter.id, at=when, kw=kw, kwh=None, source="http", received_at=when
                    )
                )
        # Self-inspection: enterprise 1's tasks due before today are missed; one is done.
        tasks = list(
            session.scalars(
                select(SelfcheckTask)
                .where(SelfcheckTask.enterprise_id == e1.id)
                .order_by(SelfcheckTask.due_at, SelfcheckTask.id)
            )
        )
        for task in tasks:
            task.due_date -= timedelta(days=3)
            task.due_at -= timedelta(days=3)
        done = tasks[0]
        done.state = "submitted"
        done.submitted_at = done.due_at - timedelta(hours=3)
        done.submitted_by = "user:9:enterprise"
        return Seeded(e1.id, problem.id, hidden.id, now)


def _problem(
    enterprise: Enterprise, region: Region, state: str, at: datetime, title: str
) -> Problem:
    return Problem(
        title=title,
        description="",
        category="water",
        severity="high",
        state=state,
        channel="public",
        lat=enterprise.latitude,
        lon=enterprise.longitude,
        region_id=region.id,
        office_region_id=region.id,
        enterprise_id=enterprise.id,
        reported_at=at,
        state_times={state: at.isoformat()},
        created_at=at,
        updated_at=at,
    )

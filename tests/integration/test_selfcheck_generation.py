"""Task generation: idempotent, catching up after downtime, per schedule, in China time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.problems.models import CalendarDay
from ecoradar.selfcheck.models import SelfcheckTask
from tests.integration.selfcheck_support import generate, load_points, point_id, point_row, world

# conftest's clock starts at 2026-11-02 01:00 UTC = 09:00 China time, a Monday.
TODAY = date(2026, 11, 2)


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    world(container, tmp_path)
    return container


def tasks(box: Container) -> list[tuple[int, date, str, str]]:
    with box.transaction() as session:
        rows = session.execute(
            select(
                SelfcheckTask.point_id,
                SelfcheckTask.due_date,
                SelfcheckTask.period_key,
                SelfcheckTask.state,
            ).order_by(SelfcheckTask.point_id, SelfcheckTask.due_date)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_todays_tasks_are_created_once_however_often_the_generator_runs(box: Container) -> None:
    first = generate(box, TODAY)
    assert first.created == 3  # two daily points and the weekly one (a Monday)
    again = generate(box, TODAY)
    assert again.created == 0 and again.points == 0
    assert len(tasks(box)) == 3


def test_a_forced_rerun_over_existing_tasks_inserts_nothing(box: Container) -> None:
    from ecoradar.problems.policy import stored_calendar
    from ecoradar.selfcheck.generator import generate_tasks
    from ecoradar.selfcheck.models import ControlPoint

    generate(box, TODAY)
    with box.transaction() as session:
        session.execute(ControlPoint.__table__.update().values(generated_until=None))
    with box.transaction() as session:
        report = generate_tasks(
            session=session, until=TODAY, now=box.clock.now(), calendar=stored_calendar(session)
        )
    assert report.due == 3 and report.created == 0
    assert len(tasks(box)) == 3


def test_after_days_of_downtime_the_missed_days_are_created_exactly_once(
    box: Container, clock: FakeClock
) -> None:
    generate(box, TODAY)
    clock.advance(timedelta(days=3))  # nobody ran the generator on the 3rd and 4th
    report = generate(box, TODAY + timedelta(days=3))
    assert report.created == 6  # 3 days x 2 daily points; the weekly one is not due
    assert generate(box, TODAY + timedelta(days=3)).created == 0
    daily = point_id(box, 1, "CP01")
    days = [d for p, d, _, _ in tasks(box) if p == daily]
    assert days == [TODAY + timedelta(days=n) for n in range(4)]


def test_a_new_point_gets_no_tasks_for_days_before_it_existed(
    box: Container, clock: FakeClock, tmp_path: Path
) -> None:
    generate(box, TODAY)
    clock.advance(timedelta(days=5))
    load_points(box, tmp_path, [point_row(1, "CP09", "tank_area", "daily")])
    generate(box, TODAY + timedelta(days=5))
    new = point_id(box, 1, "CP09")
    assert [d for p, d, _, _ in tasks(box) if p == new] == [TODAY + timedelta(days=5)]


def test_the_day_follows_china_time_not_utc(box: Container, clock: FakeClock) -> None:
    # 2026-11-02 16:30 UTC is already 2026-11-03 00:30 in China
    clock.set(datetime(2026, 11, 2, 16, 30, tzinfo=UTC))
    from ecoradar.selfcheck.periodic import run_selfcheck

    report = run_selfcheck(box)
    assert report.generated is not None and report.generated.until == date(2026, 11, 3)
    due = {d for _, d, _, _ in tasks(box)}
    assert date(2026, 11, 3) in due


def test_generation_ahead_to_a_month_end_uses_period_keys_per_schedule(
    box: Container, tmp_path: Path
) -> None:
    load_points(
        box,
        tmp_path,
        [
            point_row(2, "M31", "hazardous_waste_store", "0 9 L * *"),
            point_row(2, "MON", "solid_waste_yard", "monthly"),
        ],
    )
    generate(box, date(2027, 1, 31))
    cron = point_id(box, 2, "M31")
    monthly = point_id(box, 2, "MON")
    found = tasks(box)
    assert [d for p, d, _, _ in found if p == cron] == [
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
    ]
    assert [k for p, _, k, _ in found if p == monthly] == ["2026-12", "2027-01"]
    weekly = point_id(box, 1, "CP02")
    keys = [k for p, _, k, _ in found if p == weekly]
    assert keys[0] == "2026-W45" and len(keys) == len(set(keys)) == 13


def test_working_days_only_follows_the_stored_calendar(box: Container, tmp_path: Path) -> None:
    path = tmp_path / "wd.csv"
    path.write_text(
        "enterprise_code,point_code,type,name,longitude,latitude,schedule,working_days_only\n"
        f"{point_row(2, 'WD')[0]},WD,outfall,工作日点位,120.75,30.5,daily,yes\n",
        encoding="utf-8",
    )
    from ecoradar.selfcheck.importer import import_points

    with box.transaction() as session:
        import_points(session=session, path=path, now=box.clock.now(), actor="cli:test")
        session.add(CalendarDay(day=date(2026, 11, 4), kind="holiday", name="测试假日"))
    generate(box, date(2026, 11, 8))
    wd = point_id(box, 2, "WD")
    assert [d for p, d, _, _ in tasks(box) if p == wd] == [
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 5),
        date(2026, 11, 6),
    ]


def test_a_task_keeps_the_template_version_it_was_issued_with(box: Container) -> None:
    from ecoradar.selfcheck.defaults import DEFAULT_ITEMS
    from ecoradar.selfcheck.templates import issue_version

    generate(box, TODAY)
    with box.transaction() as session:
        before = dict(
            session.execute(select(SelfcheckTask.id, SelfcheckTask.template_version_id)).all()
        )
        items = [*DEFAULT_ITEMS["wastewater_treatment"]]
        items[1] = {**items[1], "min": 6.5}
        issued = issue_version(
            session=session,
            point_type_code="wastewater_treatment",
            items=items,
            now=box.clock.now(),
            actor="cli:test",
        )
        assert issued.created and issued.version.version == 2
        same = issue_version(
            session=session,
            point_type_code="wastewater_treatment",
            items=items,
            now=box.clock.now(),
            actor="cli:test",
        )
        assert not same.created and same.version.id == issued.version.id
    generate(box, TODAY + timedelta(days=1))
    with box.transaction() as session:
        rows = dict(
            session.execute(select(SelfcheckTask.id, SelfcheckTask.template_version_id)).all()
        )
        newest = session.scalar(
            select(SelfcheckTask.template_version_id)
            .where(SelfcheckTask.point_id == point_id(box, 1, "CP01"))
            .order_by(SelfcheckTask.due_date.desc())
            .limit(1)
        )
        count = session.scalar(select(func.count()).select_from(SelfcheckTask))
    assert {k: rows[k] for k in before} == before
    assert newest == issued.version.id
    assert count == 5

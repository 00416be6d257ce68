"""Deadlines kept by the scheduler on the stored register: working days, holidays and worked
weekends from ``ecoradar calendar import``, overdue flags, escalation level by level, extension,
and the ``ecoradar scheduler run-once`` and ``ecoradar calendar`` commands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.cli import app as cli
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ, FakeClock
from ecoradar.problems.models import CalendarDay, Problem, ProblemEvent
from ecoradar.problems.scheduler import run_once
from ecoradar.regions.models import Region
from tests.conftest import create_login
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, load_small_registry
from tests.integration.problem_support import Driver, add_alert, create_app_for, public_report

runner = CliRunner()
FRIDAY = date(2026, 11, 6)
MONDAY, TUESDAY, WEDNESDAY = (FRIDAY + timedelta(days=n) for n in (3, 4, 5))


def china(day: date, at: time = time(10, 0)) -> datetime:
    return datetime.combine(day, at, CHINA_TZ).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The last instant of a China calendar day."""
    return china(day, time.max)


@pytest.fixture
def box(settings: Settings, clock: FakeClock, tmp_path: Path) -> Iterator[Container]:
    """A container accepting within 2 working days, offices at the township level (so each
    escalation step lands on another area: A1, then A, then C)."""
    tuned = settings.model_copy(
        update={"problem_accept_within": "2wd", "problem_office_level": "township"}
    )
    made = bootstrap(tuned, clock=clock)
    load_small_registry(made, tmp_path)
    yield made
    made.close()


def report_on(box: Container, day: date) -> int:
    assert isinstance(box.clock, FakeClock)
    box.clock.set(china(day))
    return public_report(box, reporter_user_id=None)


def problem(box: Container, pid: int) -> Problem:
    with box.transaction() as session:
        found = session.get(Problem, pid)
        assert found is not None
        session.expunge(found)
        return found


def region_code(box: Container, region_id: int | None) -> str | None:
    with box.transaction() as session:
        found = session.get(Region, region_id) if region_id is not None else None
        return found.code if found is not None else None


def run_at(box: Container, when: datetime) -> Any:
    assert isinstance(box.clock, FakeClock)
    box.clock.set(when)
    return run_once(box)


def import_calendar(tmp_path: Path, text: str, *options: str) -> Any:
    path = tmp_path / "calendar.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(cli, ["calendar", "import", str(path), *options])


def stored_calendar(box: Container) -> list[tuple[date, str, str]]:
    with box.transaction() as session:
        rows = session.scalars(select(CalendarDay).order_by(CalendarDay.day))
        return [(r.day, r.kind, r.name) for r in rows]


def test_a_friday_report_is_overdue_only_after_tuesdays_end(box: Container) -> None:
    pid = report_on(box, FRIDAY)
    assert problem(box, pid).acceptance_due == end_of(TUESDAY)
    report = run_at(box, end_of(TUESDAY))
    assert report.newly_overdue == 0 and problem(box, pid).overdue_since is None
    report = run_at(box, end_of(TUESDAY) + timedelta(microseconds=1))
    assert (report.newly_overdue, report.escalated) == (1, 1)
    late = problem(box, pid)
    assert late.overdue_since == end_of(TUESDAY)
    assert late.escalation_level == 1
    assert region_code(box, late.office_region_id) == "A1"
    assert region_code(box, late.escalation_region_id) == "A"


def test_a_holiday_imported_later_pushes_the_deadline_a_day(
    box: Container, cli_env: dict[str, str], tmp_path: Path
) -> None:
    pid = report_on(box, FRIDAY)
    result = import_calendar(tmp_path, f"date,kind,name\n{MONDAY},holiday,测试假日\n")
    assert result.exit_code == 0, result.output
    assert "1 holiday(s), 0 workday(s)" in result.output
    assert run_at(box, end_of(TUESDAY) + timedelta(hours=1)).newly_overdue == 0
    assert problem(box, pid).acceptance_due == end_of(WEDNESDAY)
    assert run_at(box, end_of(WEDNESDAY) + timedelta(seconds=1)).newly_overdue == 1


def test_a_worked_saturday_pulls_the_deadline_a_day(
    box: Container, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = import_calendar(tmp_path, f"{FRIDAY + timedelta(days=1)},workday,调休上班\n")
    assert result.exit_code == 0, result.output
    pid = report_on(box, FRIDAY)
    assert problem(box, pid).acceptance_due == end_of(MONDAY)
    assert run_at(box, end_of(MONDAY) + timedelta(seconds=1)).newly_overdue == 1
    assert problem(box, pid).overdue_since == end_of(MONDAY)


def test_overdue_problems_are_flagged_filtered_listed_first_and_escalated_level_by_level(
    box: Container,
) -> None:
    late = report_on(box, FRIDAY)
    fresh = report_on(box, WEDNESDAY)
    run_at(box, end_of(WEDNESDAY) - timedelta(hours=1))
    admin = create_login(box, "admin", username="admin")
    client = TestClient(create_app_for(box))

    def listed(**params: Any) -> list[int]:
        response = client.get("/api/problems", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed() == [late, fresh]  # the older one first: it is overdue
    assert listed(overdue="true") == [late]
    assert listed(overdue="false") == [fresh]
    detail = client.get(f"/api/problems/{late}", headers=admin.headers).json()
    assert detail["overdue"] and detail["deadline"]["level"] == 1
    assert run_once(box).escalated == 0  # the same level is not escalated twice
    # one further full period (2 working days after Tuesday: Thursday) moves it up again
    thursday = WEDNESDAY + timedelta(days=1)
    assert run_at(box, end_of(thursday)).escalated == 0
    assert run_at(box, end_of(thursday) + timedelta(seconds=1)).escalated == 1
    again = problem(box, late)
    assert again.escalation_level == 2
    assert region_code(box, again.escalation_region_id) == "C"
    with box.transaction() as session:
        steps = session.scalars(
            select(ProblemEvent.detail).where(
                ProblemEvent.problem_id == late, ProblemEvent.action == "escalated"
            )
        ).all()
    assert [s["escalation_level"] for s in steps] == [1, 2]


def test_an_extension_moves_the_handling_deadline_by_thirty_days_and_clears_overdue(
    box: Container,
) -> None:
    pid = report_on(box, date(2026, 11, 5))  # a Thursday
    officer = create_login(box, "officer", username="officer-a", region="A")
    client = TestClient(create_app_for(box))
    Driver(client, box, officer.headers).act(pid, "accept")
    due = problem(box, pid).handling_due
    assert due == end_of(date(2027, 1, 4))  # 60 days after 5 November: a Monday
    report = run_at(box, due + timedelta(seconds=1))
    assert report.newly_overdue == 1
    assert problem(box, pid).escalation_level == 1
    Driver(client, box, officer.headers).act(pid, "extend_deadline", reason="等待检测报告")
    report = run_once(box)
    extended = problem(box, pid)
    assert extended.handling_due == end_of(date(2027, 2, 3))
    assert extended.overdue_since is None and extended.escalation_level == 0
    assert report.newly_overdue == 0 and report.escalated == 0
    listed = client.get("/api/problems?overdue=true", headers=officer.headers).json()
    assert listed["total"] == 0


def test_the_scheduler_command_prints_its_report(
    container: Container, cli_env: dict[str, str], tmp_path: Path
) -> None:
    load_small_registry(container, tmp_path)
    for mn in (GAS_MN, WATER_MN, OPEN_MN):
        add_alert(container, mn, kind="offline")
    # the command keeps the real time: the three new problems are not due for 15 days
    result = runner.invoke(cli, ["scheduler", "run-once"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "3 alert(s) turned into findings, 0 problem(s) newly overdue, 0 escalated, "
        "0 back within their deadline; green code: 0 stale recomputed, daily pass over 3, "
        "3 changed colour\n"
    )
    again = runner.invoke(cli, ["scheduler", "run-once"])
    assert again.output.startswith("0 alert(s) turned into findings")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-11-09,holiday,x\n2026-11-9,holiday,y\n", ".csv:2: date"),
        ("2026-11-09,holiday\n2026-11-09,holiday\n", "already listed"),
        ("2026-11-10,workday,周二\n", "working day already"),
        ("2026-11-09,vacation,x\n", "kind"),
    ],
)
def test_a_refused_calendar_file_leaves_the_stored_calendar_unchanged(
    container: Container, cli_env: dict[str, str], tmp_path: Path, text: str, words: str
) -> None:
    good = import_calendar(tmp_path, "2026-10-01,holiday,国庆节\n2026-10-10,workday,调休\n")
    assert good.exit_code == 0, good.output
    before = stored_calendar(container)
    for options in ((), ("--replace",)):
        refused = import_calendar(tmp_path, text, *options)
        assert refused.exit_code == 1
        assert words in refused.output
        assert stored_calendar(container) == before
    missing = runner.invoke(cli, ["calendar", "import", str(tmp_path / "absent.csv")])
    assert missing.exit_code != 0
    assert stored_calendar(container) == before
    listed = runner.invoke(cli, ["calendar", "list"])
    assert "2026-10-01" in listed.output and "国庆节" in listed.output

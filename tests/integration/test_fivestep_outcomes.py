"""Outcome figures of the service reminders (``GET /api/stats/reminders`` and its CSV) on
hand-built reminders: each figure's arithmetic per region and period, drafts left out, a
violation counted only after the reminder, and each officer's scope."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise
from ecoradar.reminders.models import Reminder, ReminderIssue
from tests.factories import uscc
from tests.integration.fivestep_support import FiveStepWorld, five_step_world
from tests.integration.problem_support import IN_G1, enterprise_id, public_report

CN = timedelta(hours=8)


def china(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC) - CN


def add_reminder(
    box: Container,
    serial: int,
    number: str,
    issued_at: datetime | None,
    issues: list[tuple[str, float | None]],
) -> None:
    """A reminder of enterprise ``serial`` with issues (state, days to the officer's decision)."""
    with box.transaction() as session:
        e = session.scalar(select(Enterprise).where(Enterprise.code == uscc(serial)))
        assert e is not None
        made = issued_at or china(2026, 10, 1)
        reminder = Reminder(
            number=number,
            enterprise_id=e.id,
            region_id=e.region_id,
            period_key=number,
            state="issued" if issued_at else "draft",
            as_of=made,
            bureau_name="舟山市生态环境局",
            bureau_name_en="",
            intro="",
            created_at=made,
            created_by="cli:test",
            issued_at=issued_at,
            deliveries=[],
            updated_at=made,
        )
        for n, (state, days) in enumerate(issues, 1):
            reminder.issues.append(
                ReminderIssue(
                    enterprise_id=e.id,
                    position=n,
                    trigger="selfcheck_overdue",
                    factor=None,
                    subject=f"task:{number}:{n}",
                    evidence={},
                    suggestion="",
                    basis="",
                    state=state,
                    answer_media_ids=[],
                    created_at=made,
                    decided_at=made + timedelta(days=days) if days is not None else None,
                )
            )
        session.add(reminder)


def confirmed_problem(box: Container, serial: int, reported_at: datetime) -> None:
    problem_id = public_report(
        box, reporter_user_id=None, place=IN_G1, enterprise=enterprise_id(box, serial)
    )
    with box.transaction() as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None
        problem.reported_at = reported_at
        problem.state_times = {**problem.state_times, "confirmed": reported_at.isoformat()}


@pytest.fixture
def w(container: Container, tmp_path: Path) -> FiveStepWorld:
    world = five_step_world(container, tmp_path)
    # county A (enterprises 1, 2): two reminders in October, five issues, three solved in 2, 4
    # and 10 days; enterprise 2 then had a confirmed problem (both its issues became violations)
    add_reminder(
        container,
        1,
        "ZS-2026-0001",
        china(2026, 10, 5),
        [("accepted", 2), ("accepted", 4), ("open", None)],
    )
    add_reminder(
        container, 2, "ZS-2026-0002", china(2026, 10, 20), [("accepted", 10), ("returned", 3)]
    )
    add_reminder(container, 1, "ZS-2026-0003", None, [("open", None)])  # a draft: not counted
    confirmed_problem(container, 2, china(2026, 10, 25))
    confirmed_problem(container, 1, china(2026, 10, 2))  # before its reminder: not counted
    # county B (enterprise 3): one reminder on 1 November, its one issue solved in a day
    add_reminder(container, 3, "ZS-2026-0004", china(2026, 11, 1, 9), [("accepted", 1)])
    return world


def figures(w: FiveStepWorld, login: Any, **params: str) -> dict[str, Any]:
    query = {"from": "2026-10-01", "to": "2026-11-30", **params}
    response = w.client.get("/api/stats/reminders", params=query, headers=login.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cells(body: dict[str, Any]) -> dict[tuple[str, str | None], tuple[Any, ...]]:
    keys = (
        "reminders_issued",
        "issues",
        "issues_solved",
        "solved_share",
        "median_days_to_solve",
        "became_violations",
    )
    return {(r["period"], r["region_code"]): tuple(r[k] for k in keys) for r in body["rows"]}


def test_each_figure_per_county_and_month_for_the_whole_city(w: FiveStepWorld) -> None:
    body = figures(w, w.staff.admin, period="month", level="county")
    assert body["since"] == "2026-10-01T00:00:00+08:00"
    assert cells(body) == {
        ("2026-10", "A"): (2, 5, 3, 0.6, 4.0, 2),
        ("2026-10", "B"): (0, 0, 0, None, None, 0),
        ("2026-10", None): (2, 5, 3, 0.6, 4.0, 2),
        ("2026-11", "A"): (0, 0, 0, None, None, 0),
        ("2026-11", "B"): (1, 1, 1, 1.0, 1.0, 0),
        ("2026-11", None): (1, 1, 1, 1.0, 1.0, 0),
    }
    total = body["total"]
    assert (total["reminders_issued"], total["issues"], total["issues_solved"]) == (3, 6, 4)
    assert total["solved_share"] == round(4 / 6, 4)
    assert total["median_days_to_solve"] == 3.0  # median of 1, 2, 4, 10
    assert total["became_violations"] == 2


def test_a_quarter_and_the_whole_range_add_the_months_up(w: FiveStepWorld) -> None:
    quarter = cells(figures(w, w.staff.admin, period="quarter", level="county"))
    assert quarter[("2026-Q4", None)] == (3, 6, 4, round(4 / 6, 4), 3.0, 2)
    whole = cells(figures(w, w.staff.admin, period="all", level="county"))
    assert whole[("all", "A")] == (2, 5, 3, 0.6, 4.0, 2)


def test_a_violation_counts_only_within_the_period_asked(w: FiveStepWorld) -> None:
    # up to 24 October the problem of 25 October has not happened yet
    early = figures(w, w.staff.admin, period="all", level="county", to="2026-10-24")
    assert early["total"]["became_violations"] == 0
    assert early["total"]["reminders_issued"] == 2


def test_an_officer_sees_the_figures_of_their_county_only(w: FiveStepWorld) -> None:
    body = figures(w, w.staff.county_b, period="month")
    assert body["level"] == "county"
    assert {region for _, region in cells(body)} == {"B", None}
    assert body["total"]["reminders_issued"] == 1 and body["total"]["issues"] == 1
    township = figures(w, w.staff.township_a1, period="all")
    assert township["level"] == "township"
    assert cells(township)[("all", "A1")] == (2, 5, 3, 0.6, 4.0, 2)
    public = w.client.get("/api/stats/reminders", params={"from": "2026-10-01", "to": "2026-10-02"})
    assert public.status_code in (401, 403)


def test_the_csv_has_a_header_and_one_line_per_cell_with_the_total_last(
    w: FiveStepWorld,
) -> None:
    response = w.client.get(
        "/api/stats/reminders",
        params={"from": "2026-10-01", "to": "2026-11-30", "level": "county", "format": "csv"},
        headers=w.staff.admin.headers,
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7
    assert rows[0]["period"] == "2026-10" and rows[0]["region_code"] == "A"
    assert rows[0]["median_days_to_solve"] == "4.0" and rows[1]["solved_share"] == ""
    assert rows[-1]["period"] == "all" and rows[-1]["issues"] == "6"


def test_bad_ranges_are_refused(w: FiveStepWorld) -> None:
    backwards = w.client.get(
        "/api/stats/reminders",
        params={"from": "2026-11-01", "to": "2026-10-01"},
        headers=w.staff.admin.headers,
    )
    assert backwards.status_code == 422
    too_many = w.client.get(
        "/api/stats/reminders",
        params={"from": "1990-01-01", "to": "2026-10-01", "level": "grid"},
        headers=w.staff.admin.headers,
    )
    assert too_many.status_code == 422 and "cells" in too_many.text


def test_days_outside_the_calendar_are_refused_not_crashed(w: FiveStepWorld) -> None:
    response = w.client.get(
        "/api/stats/reminders",
        params={"from": "9999-12-01", "to": "9999-12-31"},
        headers=w.staff.admin.headers,
    )
    assert response.status_code == 422 and "9998-12-31" in response.text

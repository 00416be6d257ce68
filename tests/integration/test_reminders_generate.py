"""Generation on a real database: triggers over stored data (O2-converted values, stop flags),
merging into one numbered reminder per enterprise and period, cool-downs, idempotence for the
same time, automatic issue."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ecoradar.bootstrap import Container
from ecoradar.reminders.models import Campaign, Reminder, UpcomingStandard
from ecoradar.reminders.notify import FakeNotifier
from ecoradar.selfcheck.models import SelfcheckTask
from tests.conftest import MakeUser
from tests.factories import uscc
from tests.integration import reminders_support as rs
from tests.integration import selfcheck_support as sc


@pytest.fixture
def world(container: Container, tmp_path: Path) -> Container:
    rs.world(container, tmp_path)
    return container


def near_days(box: Container, so2: float, o2: float, days: int, flag: str = "N") -> None:
    point = rs.point_id(box)
    rows = []
    for d in range(days):
        rows += [(rs.day_hours(d), rs.SO2, so2, flag), (rs.day_hours(d), rs.O2, o2, "N")]
    rs.hours(box, point, rows)
    # the hours between stay quiet and keep the device online
    quiet = []
    for h in range(1, 24 * 15):
        at = rs.AS_OF - timedelta(hours=h)
        if at.hour != 2:
            quiet += [(at, rs.SO2, 5.0, "N"), (at, rs.O2, o2, "N")]
    rs.hours(box, point, quiet)


def reminders(box: Container) -> list[Reminder]:
    with box.reading() as session:
        found = list(session.scalars(select(Reminder).order_by(Reminder.id)))
        for r in found:
            _ = r.issues, r.enterprise
        return found


def triggers_of(reminder: Reminder) -> list[str]:
    return [i.trigger for i in reminder.issues]


def test_near_limit_compares_the_o2_converted_value(world: Container) -> None:
    """25 mg/m3 measured at 9 % O2 is 31.25 at the 6 % reference: above 80 % of 35."""
    near_days(world, 25.0, 9.0, 7)
    rs.run(world)
    [reminder] = reminders(world)
    [issue] = reminder.issues
    assert issue.trigger == "near_limit" and issue.factor == rs.SO2
    assert issue.evidence["near_days"][0]["value"] == pytest.approx(31.25)
    assert issue.evidence["o2_reference"] == 6.0


def test_a_converted_value_above_the_limit_is_an_exceedance_not_a_reminder(
    world: Container,
) -> None:
    near_days(world, 25.0, 12.0, 7)  # 25 x 15 / 9 = 41.7 > 35
    assert rs.run(world).created == []


def test_a_short_high_spell_and_a_planned_shutdown_do_not_fire(world: Container) -> None:
    near_days(world, 30.0, 6.0, 5)
    assert rs.run(world).created == []
    near_days(world, 30.0, 6.0, 10, flag="F")  # the plant stopped: the values are not valid
    assert rs.run(world).created == []


def test_triggers_due_together_are_one_numbered_reminder(world: Container) -> None:
    near_days(world, 30.0, 6.0, 8)
    rs.set_permit(world, 1, date(2026, 12, 15))
    report = rs.run(world)
    assert report.created == ["ZS-2026-0001"]
    [reminder] = reminders(world)
    assert triggers_of(reminder) == ["permit_expiry", "near_limit"]
    assert reminder.state == "draft"  # near_limit is reviewed by an officer first
    assert reminder.enterprise.code == uscc(1)
    assert all(i.suggestion and i.basis for i in reminder.issues)


def test_running_again_for_the_same_time_creates_nothing(world: Container) -> None:
    near_days(world, 30.0, 6.0, 8)
    rs.set_permit(world, 2, date(2026, 12, 15))
    first = rs.run(world)
    again = rs.run(world)
    assert len(first.created) == 2 and again.idle
    assert len(reminders(world)) == 2


def test_cool_downs_hold_the_same_issue_back_until_they_end(world: Container) -> None:
    near_days(world, 30.0, 6.0, 9)
    rs.run(world)
    week_later = rs.AS_OF + timedelta(days=7)  # a new period, near_limit still due
    quiet = {"enabled": False}  # no data after AS_OF: the device would be offline
    assert rs.run(world, rs.config(device_offline=quiet), as_of=week_later).created == []
    short = rs.config(near_limit={"cooldown_days": 5}, device_offline=quiet)
    report = rs.run(world, short, as_of=week_later)
    assert report.created == ["ZS-2026-0002"]
    assert [triggers_of(r) for r in reminders(world)] == [["near_limit"], ["near_limit"]]


def test_a_later_trigger_joins_the_periods_draft(world: Container) -> None:
    near_days(world, 30.0, 6.0, 9)
    rs.run(world)
    rs.set_permit(world, 1, date(2026, 12, 15))
    report = rs.run(world, as_of=rs.AS_OF + timedelta(hours=20))  # same ISO week
    assert report.extended == ["ZS-2026-0001"] and report.created == []
    [reminder] = reminders(world)
    assert triggers_of(reminder) == ["near_limit", "permit_expiry"]


def test_an_automatic_class_is_issued_and_delivered_at_once(
    world: Container, make_user: MakeUser
) -> None:
    from ecoradar.auth.models import User

    login = make_user("enterprise", enterprise=uscc(1))
    with world.transaction() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        user.email, user.phone = "ehs@example.com", "13800000000"
    rs.set_permit(world, 1, date(2026, 12, 15))
    fake = FakeNotifier()
    report = rs.run(world, notifier=fake)
    assert report.issued == ["ZS-2026-0001"]
    [reminder] = reminders(world)
    assert reminder.state == "issued" and reminder.answer_due is not None
    assert sorted((m.channel, m.to) for m in fake.sent) == [
        ("email", "ehs@example.com"),
        ("sms", "13800000000"),
    ]
    assert "ZS-2026-0001" in fake.sent[0].subject
    assert {d["channel"] for d in reminder.deliveries} == {"email", "sms"}


def test_device_offline_fires_unless_the_outage_follows_a_stop(world: Container) -> None:
    point = rs.point_id(world)
    start = rs.AS_OF - timedelta(days=6)
    before = [(start + timedelta(hours=h), rs.SO2, 5.0, "N") for h in range(10)]
    after = [(start + timedelta(hours=h), rs.SO2, 5.0, "N") for h in range(50, 144)]
    rs.hours(world, point, before + after)
    [due] = rs.run(world).created
    [reminder] = reminders(world)
    assert triggers_of(reminder) == ["device_offline"]
    assert reminder.issues[0].evidence["hours"] == 40
    assert due == reminder.number


def test_an_outage_after_a_stop_flag_is_a_planned_shutdown(world: Container) -> None:
    point = rs.point_id(world)
    start = rs.AS_OF - timedelta(days=6)
    before = [(start + timedelta(hours=h), rs.SO2, 0.0, "N") for h in range(9)]
    before.append((start + timedelta(hours=9), rs.SO2, 0.0, "F"))
    after = [(start + timedelta(hours=h), rs.SO2, 5.0, "N") for h in range(50, 144)]
    rs.hours(world, point, before + after)
    assert rs.run(world).created == []


def test_maintenance_flags_above_the_enterprises_usual(world: Container) -> None:
    point = rs.point_id(world)
    rows = [(rs.AS_OF - timedelta(hours=h), rs.SO2, 5.0, "N") for h in range(1, 24 * 63)]
    flagged = dict.fromkeys(range(3, 60, 5), "M")  # 12 flagged hours in the last week
    flagged.update(dict.fromkeys(range(24 * 20, 24 * 60, 24 * 10), "C"))  # 4 in the 8 weeks before
    rs.hours(
        world,
        point,
        [(at, f, v, flagged.get(i + 1, flag)) for i, (at, f, v, flag) in enumerate(rows)],
    )
    rs.run(world)
    [reminder] = reminders(world)
    [issue] = reminder.issues
    assert issue.trigger == "maintenance_flags"
    assert (issue.evidence["window_hours"], issue.evidence["baseline_hours"]) == (12, 4)


def test_selfcheck_overdue_rectification_standard_and_campaign(
    world: Container, tmp_path: Path
) -> None:
    sc.load_points(world, tmp_path, [sc.point_row(2, "CP01", "outfall", "daily", 120.75, 30.5)])
    sc.generate(world, date(2026, 11, 20))
    with world.transaction() as session:
        tasks = session.scalars(select(SelfcheckTask).order_by(SelfcheckTask.due_date)).all()
        assert len(tasks) >= 2
        e2 = rs.enterprise_id(world, 2)
        session.add(
            UpcomingStandard(
                industry="44", standard="GB 13271-2026", effective=date(2026, 12, 31),
                changes="氮氧化物限值由150降至50", changes_en="NOx 150 -> 50",
                created_at=world.clock.now(), created_by="cli:test",
            )
        )  # fmt: skip
        session.add(
            Campaign(
                name="夏秋季VOCs专项治理", starts=date(2026, 6, 1), ends=date(2026, 11, 30),
                industries=[], region_ids=[], text="请开展VOCs无组织排放自查",
                text_en="Check fugitive VOC emissions", created_at=world.clock.now(),
                created_by="cli:test",
            )
        )  # fmt: skip
    rs.run(world)
    by_enterprise = {r.enterprise_id: triggers_of(r) for r in reminders(world)}
    assert by_enterprise[e2] == ["selfcheck_overdue", "standard_change", "campaign"]
    assert len(by_enterprise) == 3  # the campaign and the standard reach every 4411 enterprise


def test_rectification_due_from_the_register(world: Container) -> None:
    from tests.integration import reminders_followup_support as fs

    problem_id = fs.rectifying_problem(world, due=rs.AS_OF + timedelta(days=3))
    rs.run(world, rs.config(campaign={"enabled": False}, standard_change={"enabled": False}))
    [reminder] = reminders(world)
    assert triggers_of(reminder) == ["rectification_due"]
    assert reminder.issues[0].evidence["problem_id"] == problem_id


def test_a_failed_delivery_is_recorded_and_the_reminder_still_issued(
    world: Container, make_user: MakeUser
) -> None:
    from ecoradar.auth.models import User

    login = make_user("enterprise", enterprise=uscc(1))
    with world.transaction() as session:
        user = session.get(User, login.user_id)
        assert user is not None
        user.email, user.phone = "ehs@example.com", "13800000000"
    rs.set_permit(world, 1, date(2026, 12, 15))
    fake = FakeNotifier(fail={"sms"})
    rs.run(world, notifier=fake)
    [reminder] = reminders(world)
    assert reminder.state == "issued"
    outcome = {d["channel"]: (d["ok"], d["error"]) for d in reminder.deliveries}
    assert outcome["email"] == (True, None)
    assert outcome["sms"][0] is False and "refused" in outcome["sms"][1]

"""Monitoring alerts become findings in the scheduler: once each, attached to one problem per
point, factor and kind, with the category of the point's medium and the enterprise's place."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.detection.models import Alert
from ecoradar.problems.from_alerts import alert_ref
from ecoradar.problems.models import Finding, Problem
from ecoradar.problems.scheduler import run_once
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from tests.conftest import create_login
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, load_small_registry, uscc
from tests.integration.problem_support import Driver, add_alert, create_app_for, jpeg


@pytest.fixture
def box(container: Container, tmp_path: Path) -> Container:
    load_small_registry(container, tmp_path)
    return container


def finding_of(box: Container, alert_id: int) -> tuple[Finding, Problem]:
    with box.transaction() as session:
        found = session.scalar(
            select(Finding).where(
                Finding.channel == "monitoring", Finding.source_ref == alert_ref(alert_id)
            )
        )
        assert found is not None, f"alert {alert_id} has no finding"
        problem = found.problem
        session.expunge_all()
        return found, problem


def count(box: Container, model: type[Finding] | type[Problem]) -> int:
    with box.transaction() as session:
        return session.scalar(select(func.count(model.id))) or 0


def codes(box: Container, *region_ids: int) -> list[str]:
    with box.transaction() as session:
        return [session.get(Region, r).code for r in region_ids]  # type: ignore[union-attr]


def test_each_alert_becomes_one_finding_and_a_second_run_adds_nothing(box: Container) -> None:
    alerts = [add_alert(box, mn, kind="offline") for mn in (GAS_MN, WATER_MN, OPEN_MN)]
    report = run_once(box)
    assert report.findings_from_alerts == 3
    assert count(box, Finding) == 3 and count(box, Problem) == 3
    again = run_once(box)
    assert again.findings_from_alerts == 0
    assert count(box, Finding) == 3 and count(box, Problem) == 3
    for alert_id in alerts:
        finding, problem = finding_of(box, alert_id)
        assert finding.data["alert_id"] == alert_id and finding.data["factor"] is None
        assert problem.channel == "monitoring" and problem.state == "reported"


def test_the_category_follows_the_medium_and_the_place_the_enterprise(box: Container) -> None:
    gas = add_alert(box, GAS_MN, factor="a21026", severity="critical")
    water = add_alert(box, WATER_MN, factor="w01018")
    far = add_alert(box, OPEN_MN, factor="a21002", severity="low")
    run_once(box)
    expected = {
        gas: ("air", 1, "G1", "A"),
        water: ("water", 2, "G2", "A"),
        far: ("air", 3, "B", "B"),
    }
    with box.transaction() as session:
        ids = {
            serial: session.scalar(select(Enterprise.id).where(Enterprise.code == uscc(serial)))
            for serial in (1, 2, 3)
        }
    for alert_id, (category, serial, region, office) in expected.items():
        finding, problem = finding_of(box, alert_id)
        assert (finding.category, problem.category) == (category, category)
        assert problem.enterprise_id == ids[serial]
        assert codes(box, problem.region_id, problem.office_region_id) == [region, office]
        assert problem.point_id is not None
    assert finding_of(box, gas)[1].severity == "critical"
    assert finding_of(box, far)[1].severity == "low"


def test_alerts_of_the_same_point_factor_and_kind_attach_to_one_problem(box: Container) -> None:
    now = box.clock.now()
    first = add_alert(box, GAS_MN, factor="a21026", start=now - timedelta(hours=30))
    second = add_alert(box, GAS_MN, factor="a21026", start=now - timedelta(hours=5))
    other_factor = add_alert(box, GAS_MN, factor="a21002", start=now - timedelta(hours=5))
    other_kind = add_alert(box, GAS_MN, factor="a21026", kind="flatline")
    run_once(box)
    one, problem = finding_of(box, first)
    two, same = finding_of(box, second)
    assert problem.id == same.id
    assert (one.attached_automatically, two.attached_automatically) == (False, True)
    assert finding_of(box, other_factor)[1].id != problem.id
    assert finding_of(box, other_kind)[1].id != problem.id
    assert count(box, Problem) == 3


def test_many_alerts_are_promoted_in_batches(box: Container) -> None:
    start = box.clock.now() - timedelta(days=2)
    made = [add_alert(box, GAS_MN, start=start + timedelta(hours=2 * n)) for n in range(7)]
    assert run_once(box, alert_batch=3).findings_from_alerts == 7
    assert {finding_of(box, a)[1].id for a in made} == {finding_of(box, made[0])[1].id}


def test_a_device_clock_in_the_future_does_not_block_the_other_alerts(box: Container) -> None:
    ahead = add_alert(box, GAS_MN, kind="time_anomaly", start=box.clock.now() + timedelta(days=1))
    later = add_alert(box, WATER_MN, kind="offline")
    report = run_once(box)
    assert report.findings_from_alerts == 2
    finding, _ = finding_of(box, ahead)
    assert finding.observed_at <= box.clock.now()
    assert finding.data["start"] == (box.clock.now() + timedelta(days=1)).isoformat()
    assert finding_of(box, later)[0].channel == "monitoring"


def test_an_alert_that_goes_on_is_still_one_finding(box: Container) -> None:
    alert_id = add_alert(box, GAS_MN, factor="a21026")
    run_once(box)
    with box.transaction() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        alert.end = box.clock.now()
    assert run_once(box).findings_from_alerts == 0
    assert count(box, Finding) == 1


def test_the_same_alert_after_closure_reopens_its_problem(box: Container) -> None:
    first = add_alert(box, GAS_MN, factor="a21026")
    run_once(box)
    _, problem = finding_of(box, first)
    officer = create_login(box, "officer", username="officer-a", region="A")
    worker = create_login(box, "grid_worker", username="worker-g1", region="G1")
    client = TestClient(create_app_for(box))
    Driver(client, box, officer.headers).to_closed(problem.id, worker.user_id, jpeg(31))
    box.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    again = add_alert(box, GAS_MN, factor="a21026")
    assert run_once(box).findings_from_alerts == 1
    finding, reopened = finding_of(box, again)
    assert reopened.id == problem.id and reopened.state == "reopened"
    assert finding.attached_automatically

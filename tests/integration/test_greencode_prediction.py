"""Does the green code predict? A small simulated history with hidden violators, played
through the real intake, detection, scheduler steps and services on each backend: the
detectors fire on what the enterprises do, the codes rank the violators first, and inspections
drawn at the colours' rates find more violations per inspection than uniform draws."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.detection.models import Alert
from ecoradar.problems.models import Problem
from ecoradar.registry.models import Enterprise, MonitoringPoint
from ecoradar.simulate.evaluate import auc, compare_draws
from ecoradar.simulate.history import HistoryConfig, HistoryResult, run_history
from tests.conftest import BACKENDS, START, TEST_SECRET
from tests.integration.problem_support import fast_hashing

CONFIG = HistoryConfig(
    enterprises=20,
    history_days=30,
    after_days=90,
    seed=1,
    mix={"clean": 0.7, "careless": 0.2, "falsifier": 0.1},
    report_rate=0.6,
    routine_rate=0.3,
)
"""Small enough for a test (about 14,000 packets); more careless and falsifying enterprises
and more reports than the benchmark, so a few enterprises give the outcome."""
AUC_FLOOR = 0.75
RATIO_FLOOR = 1.5
FALSIFYING = {"flatline", "near_limit_pinning", "repeated_sequence", "zero_value"} | {
    "flag_abuse",
    "o2_anomaly",
}


@dataclass
class Played:
    box: Container
    result: HistoryResult


@pytest.fixture(scope="module", params=BACKENDS)
def played(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Played]:
    directory = tmp_path_factory.mktemp("history")
    server = None
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), directory / "history.db")
        url = f"sqlite:///{directory / 'history.db'}"
    else:
        server = request.getfixturevalue("postgres")
        url = server.fresh()
    settings = Settings(
        environment="test", secret_key=TEST_SECRET, home=directory / "home", database_url=url
    )
    clock = FakeClock(START)
    box = bootstrap(settings, clock=clock)
    try:
        with fast_hashing():
            result = run_history(box, clock, directory / "files", CONFIG)
        yield Played(box, result)
    finally:
        box.close()
        if server is not None:
            server.drop(url.rsplit("/", 1)[1])


def test_every_incident_the_enterprises_cause_raises_its_alert_and_only_falsifiers_falsify(
    played: Played,
) -> None:
    result = played.result
    with played.box.reading() as session:
        rows = session.execute(
            select(MonitoringPoint.mn, Alert.kind, Alert.start, Alert.end).join(
                MonitoringPoint, Alert.point_id == MonitoringPoint.id
            )
        ).all()
    kinds = {incident.kind for incident in result.incidents}
    assert {"exceedance", "offline"} <= kinds and kinds & FALSIFYING
    for incident in result.incidents:
        assert any(
            mn == incident.mn
            and kind == incident.kind
            and start < incident.end
            and (end is None or end > incident.start)
            for mn, kind, start, end in rows
        ), incident
    for (label, kind), count in result.alerts_by_class.items():
        if kind in FALSIFYING:
            assert label == "falsifier", (label, kind, count)
    assert result.packets > 13_000


def test_what_each_class_does_shows_in_its_code(played: Played) -> None:
    rows = played.result.enterprises
    assert len(rows) == CONFIG.enterprises
    mean = {
        label: sum(r.score for r in rows if r.behaviour == label)
        / sum(1 for r in rows if r.behaviour == label)
        for label in ("clean", "careless", "falsifier")
    }
    assert mean["clean"] > mean["careless"] + 10
    assert mean["clean"] > mean["falsifier"] + 10
    assert all(r.colour != "red" for r in rows if r.behaviour == "clean")
    assert any(r.colour == "red" for r in rows if r.behaviour == "falsifier")
    tasks = played.result.tasks
    assert tasks["submitted"] > 0 and tasks["overdue"] > 0


def test_the_score_ranks_violators_first_and_targeted_draws_find_more_per_inspection(
    played: Played,
) -> None:
    result = played.result
    rows = result.enterprises
    scores = [r.score for r in rows]
    found = [r.found_after for r in rows]
    truth = [r.violated_after for r in rows]
    assert 0 < sum(found) <= sum(truth) < len(rows)
    assert all(r.violated_after for r in rows if r.found_after), "a confirmed problem is real"
    assert auc(scores, truth) >= AUC_FLOOR
    assert auc(scores, found) >= AUC_FLOOR
    with played.box.reading() as session:
        confirmed = {
            code
            for code, times, reported in session.execute(
                select(Enterprise.code, Problem.state_times, Problem.reported_at).join(
                    Enterprise, Problem.enterprise_id == Enterprise.id
                )
            )
            if "confirmed" in times and reported >= result.scored_at
        }
    assert confirmed == {r.code for r in rows if r.found_after}
    draws = compare_draws(
        result.draw_periods(), result.model.inspection_rates, seeds=300, find_rate=0.8
    )
    assert draws.expected_ratio >= RATIO_FLOOR
    assert draws.ratio >= RATIO_FLOOR
    assert abs(draws.risk.per_draw - draws.uniform.per_draw) < 0.1 * draws.risk.per_draw

"""The detection depth kinds end to end: hours replayed through the intake path (and through
``ecoradar ingest``), the daily passes of the scheduler, alerts stored and exported, findings."""

from __future__ import annotations

import json
import math
import random
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.detection.depth_pass import run_depth
from ecoradar.detection.models import Alert
from ecoradar.hj212.codec import encode
from ecoradar.hj212.packet import Edition, flag_for, make_qn
from ecoradar.monitoring.pipeline import Intake
from ecoradar.problems.models import Finding
from ecoradar.problems.scheduler import run_once
from ecoradar.registry.models import MonitoringPoint
from ecoradar.web import pages_alerts
from tests.catalog_support import check_catalogs
from tests.conftest import MakeUser, log_in
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, load_small_registry

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

runner = CliRunner()
T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
EN = {"Accept-Language": "en-US,en;q=0.9"}
LIMIT = 35.0  # a21026 at the small registry's gas points (converted to 6 % O2)


def packet(mn: str, i: int, so2: float, *, raw: bool = False) -> bytes:
    """Hour ``i``: SO2 converted ``so2`` (ZsAvg; Avg as measured at the hour's O2, about 9 %),
    NOx, flow and O2 with their own noise. ``raw``: ``so2`` is the measured Avg."""
    rng = random.Random(f"{mn}{i}")
    o2 = round(rng.uniform(8.7, 9.3), 2)
    avg = so2 if raw else so2 * (21 - o2) / 15
    return encode(
        st="31",
        cn="2061",
        pw=PASSWORD,
        mn=mn,
        qn=make_qn(T0 + i * H),
        flag=flag_for(Edition.V2017),
        data_time=T0 + i * H,
        items={
            "a21026": {"Avg": f"{avg:.3f}", "ZsAvg": f"{avg * 15 / (21 - o2):.3f}", "Flag": "N"},
            "a21002": {"Avg": f"{rng.uniform(25, 35):.3f}", "Flag": "N"},
            "a00000": {"Avg": f"{rng.uniform(47, 53):.3f}", "Flag": "N"},
            "a19001": {"Avg": f"{o2}", "Flag": "N"},
        },
    ).rstrip(b"\r\n")


def rhythm(mn: str, hours: int, level: float, noise: float = 0.06) -> list[float]:
    rng = random.Random(mn)
    load = [1 + 0.2 * math.sin(2 * math.pi * i / 24) for i in range(hours)]
    return [round(level * x * rng.uniform(1 - noise, 1 + noise), 3) for x in load]


@pytest.fixture
def city(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_small_registry(container, tmp_path)
    return container


def replay(box: Container, series: dict[str, list[float]], *, raw: bool = False) -> None:
    hours = len(next(iter(series.values())))
    frames = [
        packet(mn, i, values[i], raw=raw) for i in range(hours) for mn, values in series.items()
    ]
    Intake(box).run([(f, "test") for f in frames], batch_size=50)


def exported(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["alerts", "export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def cloned(hours: int = 4 * 24) -> dict[str, list[float]]:
    source = rhythm(GAS_MN, hours, 15.0)
    copier = rhythm(OPEN_MN, hours, 12.0)
    for i in range(30, 78):  # two days of GAS_MN's values, scaled and shifted
        copier[i] = round(1.2 * source[i] + 1.0, 2)
    return {GAS_MN: source, OPEN_MN: copier}


def test_a_cloned_stream_is_one_alert_at_each_point_exported_and_a_finding(
    city: Container,
) -> None:
    replay(city, cloned())
    report = run_once(city)
    assert "cloned_stream" in str(report)
    alerts = exported("--kind", "cloned_stream")
    assert sorted(a["mn"] for a in alerts) == sorted([GAS_MN, OPEN_MN])
    for alert in alerts:
        other = alert["evidence"]["other"]
        assert other["mn"] == ({GAS_MN, OPEN_MN} - {alert["mn"]}).pop()
        assert alert["factor"] == "a21026"
        fit = alert["evidence"]["fit"]
        assert fit["r"] > 0.999 and fit["residual"] < 0.1 * fit["noise"]
        assert len(alert["evidence"]["series"]["this"]) == len(alert["evidence"]["series"]["other"])
    with city.reading() as session:
        refs = set(session.scalars(select(Finding.source_ref)))
        ids = set(session.scalars(select(Alert.id).where(Alert.kind == "cloned_stream")))
    assert {f"alert:{i}" for i in ids} <= refs


def test_running_the_pass_again_extends_the_alerts_instead_of_doubling_them(
    city: Container,
) -> None:
    replay(city, cloned())
    run_depth(city, force=True)
    run_depth(city, force=True)
    assert run_depth(city).skipped  # no new China day since
    assert len(exported("--kind", "cloned_stream")) == 2


def test_correlated_outlets_with_their_own_noise_raise_no_clone(city: Container) -> None:
    load = rhythm("load", 4 * 24, 1.0, noise=0.02)
    rng = random.Random(5)
    series = {
        GAS_MN: [round(15 * x * rng.uniform(0.95, 1.05), 3) for x in load],
        OPEN_MN: [round(12 * x * rng.uniform(0.95, 1.05), 3) for x in load],
    }
    replay(city, series)
    run_depth(city, force=True)
    assert exported("--kind", "cloned_stream") == []


def test_ecoradar_ingest_runs_the_passes_and_finds_bunching_below_the_limit(
    city: Container, tmp_path: Path
) -> None:
    rng = random.Random(9)
    hours = 29 * 24
    high = []
    for i in range(hours):
        value = 0.82 * LIMIT * (1 + 0.1 * math.sin(2 * math.pi * i / 24))
        value *= math.exp(rng.gauss(0, 0.08))
        if value > 0.95 * LIMIT:  # held just under the limit
            value = LIMIT * rng.uniform(0.93, 0.995)
        high.append(round(value, 3))
    honest = rhythm(OPEN_MN, hours, 0.82 * LIMIT, noise=0.15)
    capture = tmp_path / "capture.txt"
    capture.write_bytes(
        b"\n".join(
            packet(mn, i, values[i])
            for i in range(hours)
            for mn, values in ((GAS_MN, high), (OPEN_MN, honest))
        )
        + b"\n"
    )
    result = runner.invoke(app, ["ingest", str(capture)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "limit_bunching" in result.stdout
    alerts = exported("--kind", "limit_bunching")
    assert [(a["mn"], a["factor"]) for a in alerts] == [(GAS_MN, "a21026")]
    evidence = alerts[0]["evidence"]
    assert evidence["above_observed"] < evidence["above_expected"]
    assert len(evidence["histogram"]["observed"]) == len(evidence["histogram"]["edges"])


def test_standard_gas_in_the_stream_is_a_variance_collapse(city: Container) -> None:
    steady = rhythm(GAS_MN, 8 * 24 + 30, 20.0)
    rng = random.Random(3)
    for i in range(8 * 24, 8 * 24 + 20):
        steady[i] = round(20.0 * (1 + rng.gauss(0, 0.002)), 3)
    replay(city, {GAS_MN: steady}, raw=True)  # the analyser reads the cylinder's gas
    alerts = exported("--kind", "variance_collapse")
    assert [(a["mn"], a["factor"]) for a in alerts] == [(GAS_MN, "a21026")]
    with city.reading() as session:
        point = session.scalars(select(MonitoringPoint).where(MonitoringPoint.mn == GAS_MN)).one()
        stored = session.scalars(select(Alert).where(Alert.point_id == point.id)).all()
    assert {a.kind for a in stored} == {"variance_collapse"}
    assert alerts[0]["evidence"]["spread_ratio"] < 0.2


# -- the alert page --------------------------------------------------------------------------
TEMPLATES = [
    Path(pages_alerts.__file__).parent / "templates" / "detection" / "_depth_evidence.html",
    Path(pages_alerts.__file__).parent / "templates" / "_alerts_macros.html",
]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_depth_evidence_is_translated(locale: str) -> None:
    check_catalogs(locale, TEMPLATES, at_least=60)


def test_the_alert_page_draws_both_cloned_series_and_names_the_other_point(
    city: Container, make_user: MakeUser
) -> None:
    replay(city, cloned())
    run_depth(city, force=True)
    alerts = exported("--kind", "cloned_stream")
    mine = next(a for a in alerts if a["mn"] == OPEN_MN)
    with TestClient(create_app(city)) as client:
        log_in(client, city, make_user("admin"))
        html = client.get(f"/alerts/{mine['id']}", headers={"Accept-Language": "zh-CN"}).text
    assert 'id="clone-chart"' in html and "/static/js/alerts_depth.js" in html
    assert f'href="/monitoring/{GAS_MN}"' in html
    assert "数据克隆" in html and "另一点位" in html
    assert "相关系数不低于" in html  # the rule's settings are named (their keys beside them)
    assert ">cloned_stream<" not in html and ">other<" not in html and ">series<" not in html


def test_the_alert_page_draws_the_histogram_of_a_bunching(
    city: Container, make_user: MakeUser
) -> None:
    rng = random.Random(9)
    values = []
    for i in range(29 * 24):
        value = 0.82 * LIMIT * (1 + 0.1 * math.sin(2 * math.pi * i / 24))
        value *= math.exp(rng.gauss(0, 0.08))
        values.append(round(LIMIT * rng.uniform(0.93, 0.995) if value > 0.95 * LIMIT else value, 3))
    replay(city, {GAS_MN: values})
    run_depth(city, force=True)
    (alert,) = exported("--kind", "limit_bunching")
    with TestClient(create_app(city)) as client:
        log_in(client, city, make_user("admin"))
        html = client.get(f"/alerts/{alert['id']}", headers=EN).text
    assert 'id="bunching-chart"' in html and "Bunching below the limit" in html
    assert '<dt data-fact="above_observed">Hours just above the limit</dt>' in html
    assert ">histogram<" not in html and ">window_share<" not in html

"""The detection depth rules "beyond the contract" (issue 20, item 5) end to end: hours replayed
through the intake path, an inspection of a draw recorded as done, the daily depth pass, the
alerts exported as the other kinds are, and their evidence drawn on the alert page."""

from __future__ import annotations

import json
import math
import random
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.detection.depth_pass import point_production, run_depth
from ecoradar.hj212.codec import encode
from ecoradar.hj212.packet import Edition, flag_for, make_qn
from ecoradar.inspections.models import Draw, Inspection
from ecoradar.monitoring.pipeline import Intake
from ecoradar.power.models import PowerMeter, PowerReading, PowerUnit
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet
from tests.conftest import MakeUser, log_in
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, load_small_registry

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

runner = CliRunner()
T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
DAYS = 18
VISIT_DAY = 15
DILUTED = range(14 * 24 + 20, 15 * 24 + 6)  # ten hours of air let in, overnight
ROUNDED_DAY = 17
EN = {"Accept-Language": "en-US,en;q=0.9"}


def hour_packet(mn: str, i: int, so2: float, o2: float, flow: float, *, whole: bool) -> bytes:
    """Hour ``i``: SO2 as measured (``so2``) and converted to 6 % O2, O2 and flow."""
    avg = f"{round(so2):.1f}" if whole else f"{so2:.3f}"
    return encode(
        st="31",
        cn="2061",
        pw=PASSWORD,
        mn=mn,
        qn=make_qn(T0 + i * H),
        flag=flag_for(Edition.V2017),
        data_time=T0 + i * H,
        items={
            "a21026": {"Avg": avg, "ZsAvg": f"{float(avg) * 15 / (21 - o2):.3f}", "Flag": "N"},
            "a00000": {"Avg": f"{flow:.3f}", "Flag": "N"},
            "a19001": {"Avg": f"{o2:.2f}", "Flag": "N"},
        },
    ).rstrip(b"\r\n")


def frames() -> list[bytes]:
    """GAS_MN: SO2 drops in the working hours of the visit; OPEN_MN: ten hours diluted, then a
    day with half of its values typed in as whole numbers."""
    out = []
    for mn in (GAS_MN, OPEN_MN):
        rng = random.Random(mn)
        for i in range(DAYS * 24):
            so2 = 14.0 * (1 + 0.2 * math.sin(2 * math.pi * i / 24)) * rng.uniform(0.95, 1.05)
            o2, flow = 9.0 + rng.uniform(-0.3, 0.3), 50.0 * rng.uniform(0.97, 1.03)
            whole = False
            if mn == GAS_MN and i // 24 == VISIT_DAY and 9 <= i % 24 < 17:
                so2 *= 0.55
            if mn == OPEN_MN and i in DILUTED:
                so2, o2, flow = so2 / 3, 20.9 - (20.9 - o2) / 3, flow * 1.6
            if mn == OPEN_MN and i // 24 == ROUNDED_DAY and i % 2 == 0:
                whole = True
            out.append(hour_packet(mn, i, so2, o2, flow, whole=whole))
    return out


def inspected(box: Container, mn: str, day: int) -> int:
    """A draw's inspection of ``mn``'s enterprise, done at 15:00 China time of ``day``."""
    done = T0 + (day * 24 + 15) * H
    with box.transaction() as session:
        enterprise = session.scalars(
            select(Enterprise)
            .join(Outlet, Outlet.enterprise_id == Enterprise.id)
            .join(MonitoringPoint, MonitoringPoint.outlet_id == Outlet.id)
            .where(MonitoringPoint.mn == mn)
        ).one()
        draw = Draw(
            period="2026-03",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            region_id=enterprise.region_id,
            seed="item5",
            algorithm="test",
            rates={"green": 1.0},
            uncoded_colour="green",
            inspectors_per_inspection=1,
            model_version="test",
            scheme="three",
            candidates=[[enterprise.code, "green"]],
            created_at=T0,
            created_by="test",
        )
        session.add(draw)
        session.flush()
        inspection = Inspection(
            draw_id=draw.id,
            enterprise_id=enterprise.id,
            colour="green",
            coded=True,
            rate=1.0,
            state="done",
            eligible=[],
            outcome="clean",
            finding_ids=[],
            problem_ids=[],
            done_at=done,
            done_by="inspector",
            created_at=T0,
        )
        session.add(inspection)
        session.flush()
        return inspection.id


def exported(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["alerts", "export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def city(container: Container, tmp_path: Path, cli_env: dict[str, str]) -> Container:
    load_small_registry(container, tmp_path)
    Intake(container).run([(f, "test") for f in frames()], batch_size=100)
    return container


def test_the_daily_pass_finds_the_drop_the_dilution_and_the_round_values_and_shows_them(
    city: Container, make_user: MakeUser
) -> None:
    inspection_id = inspected(city, GAS_MN, VISIT_DAY)
    report = run_depth(city, force=True)
    assert "inspection_drop" in str(report) and "dilution" in str(report)
    (drop,) = exported("--kind", "inspection_drop")
    assert drop["mn"] == GAS_MN and drop["factor"] == "a21026"
    assert drop["start"].startswith("2026-03-17T09:00:00")
    assert drop["evidence"]["visit_inspection"] == inspection_id
    assert drop["evidence"]["relative_drop"] < 0.7
    (diluted,) = exported("--kind", "dilution")
    assert diluted["mn"] == OPEN_MN and diluted["factor"] == "a19001"
    assert diluted["evidence"]["hours"] == len(DILUTED)
    assert diluted["evidence"]["concentration_ratio"] < 0.5
    run_depth(city, force=True)  # again: the alerts are extended, not doubled
    assert len(exported("--kind", "inspection_drop")) == 1
    assert len(exported("--kind", "dilution")) == 1
    with TestClient(create_app(city)) as client:
        log_in(client, city, make_user("admin"))
        html = client.get(f"/alerts/{drop['id']}", headers={"Accept-Language": "zh-CN"}).text
        assert 'id="visit-chart"' in html and "/static/js/alerts_depth.js" in html
        assert "检查期间数据下降" in html and "检查日" in html
        assert ">inspection_drop<" not in html and ">relative_drop<" not in html
        html = client.get(f"/alerts/{diluted['id']}", headers=EN).text
        assert 'id="dilution-chart"' in html and "Dilution" in html
        assert "Usual oxygen while producing (%)" in html
        assert ">usual_o2<" not in html and ">dilution_factor<" not in html
        (rounded,) = exported("--kind", "rounded_values")
        assert rounded["mn"] == OPEN_MN and rounded["start"].startswith("2026-03-19")
        assert rounded["evidence"]["round_unit"] == 1.0
        assert rounded["evidence"]["resolution"] == 0.001
        html = client.get(f"/alerts/{rounded['id']}", headers=EN).text
        assert 'id="digits-chart"' in html and "Values too round" in html
        assert "Resolution of the instrument" in html and ">round_hours<" not in html


def test_production_meters_say_when_the_line_runs_for_the_dilution_rule(
    container: Container, tmp_path: Path
) -> None:
    load_small_registry(container, tmp_path)
    with container.transaction() as session:
        point = session.scalars(select(MonitoringPoint).where(MonitoringPoint.mn == OPEN_MN)).one()
        enterprise_id = session.scalar(
            select(Outlet.enterprise_id).where(Outlet.id == point.outlet_id)
        )
        assert enterprise_id is not None
        unit = PowerUnit(
            enterprise_id=enterprise_id, code="L1", name="line", kind="production", updated_at=T0
        )
        session.add(unit)
        session.flush()
        meter = PowerMeter(
            code="M-L1", enterprise_id=enterprise_id, unit_id=unit.id, rated_kw=500.0,
            running_kw=200.0, idle_kw=50.0, interval_s=900, points=[OPEN_MN], updated_at=T0,
        )  # fmt: skip
        session.add(meter)
        session.flush()
        for quarter, kw in enumerate([300.0, 310.0, 290.0, 305.0, 20.0, 25.0, 22.0, 21.0, 120.0]):
            session.add(
                PowerReading(
                    meter_id=meter.id,
                    at=T0 + quarter * timedelta(minutes=15),
                    kw=kw,
                    kwh=None,
                    source="mqtt",
                    received_at=T0,
                )  # fmt: skip
            )
        point_id = point.id
    with container.reading() as session:
        hours = point_production(session, {OPEN_MN: point_id, GAS_MN: 999}, T0, T0 + 3 * H)
    assert hours == {point_id: {T0: True, T0 + H: False}}  # the third hour is partial: the flow's

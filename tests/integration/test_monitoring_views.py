"""Online monitoring over HTTP: series, aggregates, devices, unknown devices, counters and the
pages, on both databases, after packets went in through the real intake."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest

from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.hj212.codec import decode
from ecoradar.hj212.encoder import encode_packet
from ecoradar.monitoring.pipeline import Intake
from ecoradar.simulate.traffic import FactorProfile, PointProfile, hourly_series
from tests.conftest import MakeUser, log_in
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, WATER_MN, load_small_registry, uscc

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

HOUR = datetime(2026, 11, 1, 0, tzinfo=UTC)  # 08:00 China time
HOURS = 48
GAS = PointProfile(
    GAS_MN, PASSWORD, "gas", (FactorProfile("a21026", 35, 6), FactorProfile("a21002", 50, 6))
)
WATER = PointProfile(WATER_MN, PASSWORD, "water", (FactorProfile("w01018", 50),))
STRANGER = "FFFF0000FFFF0000FFFF0000"
EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
SERIES = f"/api/monitoring/points/{GAS_MN}/series"


def flagged(frame: bytes, flag: str) -> bytes:
    """``frame`` with every item's data flag set to ``flag``."""
    packet = decode(frame)
    items = {code: {**item, "Flag": flag} for code, item in packet.items.items()}
    return encode_packet(replace(packet, items=items), max_length=4096)


def values_of(frames: list[bytes], code: str, suffix: str) -> list[float]:
    return [float(decode(f).items[code][suffix]) for f in frames]


@pytest.fixture
def frames() -> list[bytes]:
    """48 hours of the gas point, the last hour flagged C (calibration)."""
    series = hourly_series(GAS, HOUR, HOURS)
    return [*series[:-1], flagged(series[-1], "C")]


@pytest.fixture
def client(
    container: Container,
    clock: FakeClock,
    tmp_path: Path,
    frames: list[bytes],
    make_user: MakeUser,
) -> Iterator[TestClient]:
    """The small registry; the gas point reported just now (and sent a broken and an
    unauthenticated packet), the water point three days ago, the open point never; an unknown
    MN sent two packets from two addresses. The client is logged in as an administrator."""
    load_small_registry(container, tmp_path)
    clock.set(HOUR + timedelta(hours=HOURS + 1))
    intake = Intake(container)
    intake.run([(f, "10.1.1.1:4000") for f in frames])
    water = hourly_series(WATER, HOUR - timedelta(days=3), 2)
    intake.write([intake.judge(f, "10.1.1.2:5000", clock.now() - timedelta(days=3)) for f in water])
    stranger = replace(GAS, mn=STRANGER, password="654321")
    intruder = replace(GAS, password="999999")
    broken = frames[0].rstrip(b"\r\n")[:-4] + b"0000"
    intake.run(
        [
            (broken, "10.1.1.1:4000"),
            (hourly_series(intruder, HOUR, 1)[0], "10.9.9.9:1"),
            (hourly_series(stranger, HOUR, 1)[0], "10.0.0.9:1"),
            (hourly_series(stranger, HOUR + timedelta(hours=1), 1)[0], "10.0.0.10:2"),
        ]
    )
    with TestClient(create_app(container)) as test_client:
        log_in(test_client, container, make_user("admin"))
        yield test_client


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


# --- series -------------------------------------------------------------------------------


def test_a_series_holds_the_ingested_hourly_values_in_china_time_with_the_limit(
    client: TestClient, frames: list[bytes]
) -> None:
    response = client.get(
        SERIES,
        params={"factor": "a21026", "since": "2026-11-01T08:00", "until": "2026-11-03T08:00"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["since"] == "2026-11-01T08:00:00+08:00"
    assert body["until"] == "2026-11-03T08:00:00+08:00"
    assert (body["limit"], body["unit"], body["o2_reference"]) == (35.0, "mg/m3", 6.0)
    assert body["kind"] == "hour" and body["truncated"] is False
    values = body["values"]
    assert len(values) == HOURS
    assert values[0]["data_time"] == "2026-11-01T08:00:00+08:00"
    assert values[-1]["data_time"] == "2026-11-03T07:00:00+08:00"
    assert [v["avg"] for v in values] == values_of(frames, "a21026", "Avg")
    assert [v["zs_avg"] for v in values] == values_of(frames, "a21026", "ZsAvg")
    assert [v["max"] for v in values] == values_of(frames, "a21026", "Max")
    assert [v["cou"] for v in values] == values_of(frames, "a21026", "Cou")
    assert {v["flag"] for v in values[:-1]} == {"N"} and values[-1]["flag"] == "C"
    assert all(v["rtd"] is None for v in values)


def test_without_a_range_the_series_is_the_week_up_to_the_newest_value(
    client: TestClient, frames: list[bytes]
) -> None:
    body = client.get(SERIES, params={"factor": "a21002"}).json()
    assert body["until"] == "2026-11-03T08:00:00+08:00"  # after the newest hour, not the clock
    assert body["since"] == "2026-10-27T08:00:00+08:00"
    assert [v["avg"] for v in body["values"]] == values_of(frames, "a21002", "Avg")
    assert body["limit"] == 50.0


def test_a_time_without_offset_is_china_time_and_an_offset_is_honoured(
    client: TestClient,
) -> None:
    naive = client.get(
        SERIES, params={"factor": "a21026", "since": "2026-11-02T08:00", "until": "2026-11-02T10"}
    ).json()
    utc = client.get(
        SERIES,
        params={"factor": "a21026", "since": "2026-11-02T00:00Z", "until": "2026-11-02T02:00Z"},
    ).json()
    assert [v["data_time"] for v in naive["values"]] == [
        "2026-11-02T08:00:00+08:00",
        "2026-11-02T09:00:00+08:00",
    ]
    assert naive["values"] == utc["values"]
    only_since = client.get(SERIES, params={"factor": "a21026", "since": "2026-11-03"}).json()
    assert only_since["until"] == "2026-11-10T00:00:00+08:00" and len(only_since["values"]) == 8


def test_a_factor_without_a_limit_has_its_unit_from_the_standard_and_no_limit(
    client: TestClient,
) -> None:
    body = client.get(SERIES, params={"factor": "a00000"}).json()
    assert body["limit"] is None and body["unit"] == "m3/s" and len(body["values"]) == HOURS
    daily = client.get(SERIES, params={"factor": "a21026", "kind": "day"}).json()
    assert daily["values"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-11-03", "until": "2026-11-01"}, "must be before until"),
        ({"since": "2025-01-01", "until": "2026-11-01"}, "ask for at most 366 days of hour"),
        (
            {"kind": "rtd", "since": "2026-11-01", "until": "2026-11-09"},
            "at most 7 days of rtd values",
        ),
        ({"since": "yesterday"}, "since: 'yesterday' is not an ISO 8601 date-time"),
        ({"until": "2026-13-01"}, "until: '2026-13-01' is not an ISO 8601"),
    ],
)
def test_a_bad_range_is_refused_with_a_message_naming_the_problem(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get(SERIES, params={"factor": "a21026", **params})
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_an_unknown_kind_or_a_missing_factor_is_refused(client: TestClient) -> None:
    weekly = client.get(SERIES, params={"factor": "a21026", "kind": "week"})
    assert weekly.status_code == 422 and "rtd" in weekly.text and "hour" in weekly.text
    assert client.get(SERIES).status_code == 422


@pytest.mark.parametrize("tail", ["series?factor=a21026", "aggregates"])
def test_an_unknown_mn_is_a_404(client: TestClient, tail: str) -> None:
    response = client.get(f"/api/monitoring/points/NOPE0001/{tail}")
    assert response.status_code == 404
    assert "NOPE0001" in response.json()["detail"]


# --- aggregates ---------------------------------------------------------------------------


def test_aggregates_count_valid_values_and_summarize_each_factor(
    client: TestClient, frames: list[bytes]
) -> None:
    response = client.get(
        f"/api/monitoring/points/{GAS_MN}/aggregates",
        params={"since": "2026-11-01T08:00+08:00", "until": "2026-11-03T08:00+08:00"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-11-01T08:00:00+08:00"
    items = {(a["factor"], a["kind"]): a for a in body["items"]}
    assert set(items) == {(f, "hour") for f in ("a00000", "a19001", "a21002", "a21026")}
    so2 = items[("a21026", "hour")]
    avgs = values_of(frames, "a21026", "Avg")
    assert (so2["count"], so2["valid"]) == (HOURS, HOURS - 1)
    assert so2["mean"] == pytest.approx(fmean(avgs))
    assert (so2["minimum"], so2["maximum"]) == (min(avgs), max(avgs))
    assert so2["first"] == "2026-11-01T08:00:00+08:00"
    assert so2["last"] == "2026-11-03T07:00:00+08:00"
    late = client.get(
        f"/api/monitoring/points/{GAS_MN}/aggregates", params={"since": "2026-11-03T07:00"}
    ).json()
    assert {a["count"] for a in late["items"]} == {1}


# --- devices, unknown devices, counters ---------------------------------------------------


def test_devices_show_packets_by_outcome_refusals_by_reason_and_whether_online(
    client: TestClient,
) -> None:
    body = client.get("/api/monitoring/devices").json()
    assert body["total"] == 3
    devices = {d["mn"]: d for d in body["items"]}
    gas = devices[GAS_MN]
    assert gas["enterprise_code"] == uscc(1) and gas["outlet_code"] == "DA001"
    assert gas["outcomes"] == {"stored": HOURS, "refused": 1, "auth_failed": 1}
    assert gas["packets"] == HOURS + 2
    assert gas["refusals"] == {"bad_crc": 1, "wrong_password": 1}
    assert gas["state"] == "online"
    assert gas["last_packet_at"] == "2026-11-03T09:00:00+08:00"  # the clock, in China time
    water = devices[WATER_MN]
    assert water["state"] == "silent" and water["outcomes"] == {"stored": 2}
    assert water["last_packet_at"] == "2026-10-31T09:00:00+08:00"
    never = devices[OPEN_MN]
    assert never["packets"] == 0 and never["last_packet_at"] is None and never["state"] == "never"


def test_devices_can_be_searched_by_mn_or_enterprise_name_and_paged(client: TestClient) -> None:
    def found(**params: object) -> list[str]:
        return [
            d["mn"] for d in client.get("/api/monitoring/devices", params=params).json()["items"]
        ]

    assert found(q="w0000") == [WATER_MN]  # part of an MN, any case
    assert found(q="测试企业3") == [OPEN_MN]
    assert found(q="100%") == []
    assert found(state="online") == [GAS_MN] and found(state="never") == [OPEN_MN]
    assert found(state="silent", q="测试") == [WATER_MN] and found(state="silent", q="企业1") == []
    assert client.get("/api/monitoring/devices", params={"state": "asleep"}).status_code == 422
    first, second = found(per_page=2), found(per_page=2, page=2)
    assert len(first) == 2 and len(second) == 1 and set(first).isdisjoint(second)


def test_an_unknown_mn_is_listed_with_its_latest_peer(client: TestClient) -> None:
    (device,) = client.get("/api/monitoring/unknown-devices").json()
    assert device["mn"] == STRANGER and device["packets"] == 2
    assert device["last_peer"] == "10.0.0.10:2"  # the latest, not the greatest address
    assert device["first_seen"] == device["last_seen"] == "2026-11-03T09:00:00+08:00"


def test_counters_give_packets_by_outcome_and_reason_overall_and_per_device(
    client: TestClient,
) -> None:
    body = client.get("/api/monitoring/counters").json()
    assert body["by_outcome"] == {
        "stored": HOURS + 2,
        "refused": 1,
        "auth_failed": 1,
        "unknown_device": 2,
    }
    assert body["by_reason"] == {"bad_crc": 1, "wrong_password": 1, "unknown_mn": 2}
    assert body["per_device"][STRANGER] == {"unknown_device": 2}
    assert body["per_device"][GAS_MN]["stored"] == HOURS


def test_no_answer_carries_a_password_or_the_bytes_of_a_packet(client: TestClient) -> None:
    paths = [
        f"{SERIES}?factor=a21026",
        f"/api/monitoring/points/{GAS_MN}/aggregates",
        "/api/monitoring/devices",
        "/api/monitoring/unknown-devices",
        "/api/monitoring/counters",
        "/monitoring",
        f"/monitoring/{GAS_MN}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "PW=" not in response.text and "CP=&&" not in response.text, path
        for secret in (PASSWORD, "654321", "999999"):  # not as a whole number, at least
            assert not re.search(rf"(?<![\d.]){secret}(?!\d)", response.text), (path, secret)
        if path.startswith("/api/"):
            keys = keys_in(response.json())
            assert keys.isdisjoint({"password", "pw", "raw", "protected"}), path


# --- pages --------------------------------------------------------------------------------


def status_of(html: str, mn: str) -> str:
    match = re.search(rf'<tr data-mn="{mn}" data-status="(\w+)">', html)
    assert match, f"no row for {mn}"
    return match.group(1)


def test_the_device_page_lists_devices_with_their_status_and_the_unknown_devices(
    client: TestClient,
) -> None:
    html = client.get("/monitoring").text
    assert '<html lang="zh-CN">' in html and "在线监测" in html
    assert [status_of(html, mn) for mn in (GAS_MN, WATER_MN, OPEN_MN)] == [
        "online",
        "silent",
        "never",
    ]
    assert "在线" in html and "离线" in html and "从未上报" in html
    assert "3 天 0 小时前" in html  # the water point's silence
    assert f'href="/monitoring/{GAS_MN}"' in html and f'href="/registry/{uscc(1)}"' in html
    assert "CRC 校验失败" in html and "密码错误" in html
    unknown = re.search(r'id="unknown-rows">(.*?)</tbody>', html, re.S)
    assert unknown and STRANGER in unknown.group(1) and "10.0.0.10:2" in unknown.group(1)
    for state in ("devices", "online", "silent", "never", "unknown"):
        figure = re.search(rf'id="stat-{state}">\s*<span class="stat-value">(\d+)<', html)
        assert figure, state
        assert figure.group(1) == ("3" if state == "devices" else "1"), state
    silent = client.get("/monitoring", params={"state": "silent"}).text
    assert re.findall(r'<tr data-mn="(\w+)" data-status', silent) == [WATER_MN]
    assert '<option value="silent" selected>' in silent


def test_the_device_page_in_english(client: TestClient) -> None:
    html = client.get("/monitoring", headers=EN).text
    assert '<html lang="en">' in html and "Online monitoring" in html
    assert "Online" in html and "Silent" in html and "Never reported" in html
    assert "3 d 0 h ago" in html and "CRC mismatch" in html and "Unknown devices" in html
    assert "在线" not in html


def test_the_device_search_partial_is_the_results_only_and_pushes_the_page_url(
    client: TestClient,
) -> None:
    response = client.get(
        "/monitoring/rows", params={"q": "测试企业2"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert re.findall(r'<tr data-mn="(\w+)"', response.text) == [WATER_MN]
    assert response.headers["hx-push-url"] == "/monitoring?q=%E6%B5%8B%E8%AF%95%E4%BC%81%E4%B8%9A2"
    empty = client.get("/monitoring", params={"q": "没有"}).text
    assert 'id="device-empty"' in empty


def test_the_search_keeps_the_state_filter_and_all_states_means_any(client: TestClient) -> None:
    both = client.get("/monitoring/rows", params={"q": "测试企业2", "state": "never"})
    assert both.status_code == 200
    assert re.findall(r'<tr data-mn="(\w+)"', both.text) == []
    anything = client.get("/monitoring/rows", params={"q": "测试企业2", "state": ""})
    assert anything.status_code == 200
    assert re.findall(r'<tr data-mn="(\w+)"', anything.text) == [WATER_MN]


def test_the_point_page_shows_the_enterprise_factors_chart_and_figures_for_the_week(
    client: TestClient,
) -> None:
    html = client.get(f"/monitoring/{GAS_MN}").text
    assert "测试企业1有限公司" in html and "DA001" in html and "锅炉排口" in html
    tabs = re.findall(r'data-factor="(\w+)" data-name="([^"]*)"', html)
    assert tabs == [
        ("a21002", "氮氧化物"),
        ("a21026", "二氧化硫"),
        ("a00000", "废气"),
        ("a19001", "氧气含量"),
    ]
    assert 'data-url="/api/monitoring/points/' + GAS_MN + '/series"' in html
    assert 'data-since="2026-10-27T08:00:00+08:00" data-until="2026-11-03T08:00:00+08:00"' in html
    assert re.search(r'id="series-chart"[^>]*\sdata-factor="a21002"', html)
    labels = json.loads(re.search(r"data-labels='([^']*)'", html).group(1))  # type: ignore[union-attr]
    assert labels["limit"] == "限值" and labels["converted"] == "折算浓度"
    flags = json.loads(re.search(r"data-flags='([^']*)'", html).group(1))  # type: ignore[union-attr]
    assert flags["C"] == "校准" and flags["N"] == "正常"
    rows = re.findall(r'<tr data-factor="(\w+)" data-kind="hour">', html)
    assert sorted(rows) == ["a00000", "a19001", "a21002", "a21026"]
    assert "最新小时数据：2026-11-03 07:00" in html
    assert "/static/vendor/echarts.min.js" in html and "/static/js/series.js" in html
    assert 'class="preset active" href="/monitoring/' in html


def test_the_point_page_in_english_for_chosen_days_and_factor(client: TestClient) -> None:
    html = client.get(
        f"/monitoring/{GAS_MN}",
        params={"factor": "a21026", "start": "2026-11-02", "end": "2026-11-02"},
        headers=EN,
    ).text
    assert '<html lang="en">' in html and "Hourly values" in html and "Sulphur dioxide" in html
    assert 'data-since="2026-11-02T00:00:00+08:00" data-until="2026-11-03T00:00:00+08:00"' in html
    assert re.search(
        r'class="factor-tab active" aria-current="true">\s*<span class="mono">a21026', html
    )
    assert json.loads(re.search(r"data-labels='([^']*)'", html).group(1))["limit"] == "Limit"  # type: ignore[union-attr]
    assert 'value="2026-11-02"' in html
    assert re.search(
        r'<tr data-factor="a21026" data-kind="hour">.*?data-label="Count">24</td>', html, re.S
    )


def test_a_bad_range_on_the_point_page_says_so_and_shows_the_last_week(
    client: TestClient,
) -> None:
    response = client.get(
        f"/monitoring/{GAS_MN}", params={"start": "2026-11-05", "end": "2026-11-01"}
    )
    assert response.status_code == 422
    assert 'id="range-error"' in response.text and "无法识别所选时段" in response.text
    assert 'data-until="2026-11-03T08:00:00+08:00"' in response.text


@pytest.mark.parametrize(
    ("headers", "words"), [(ZH, "没有登记 MN 号为"), (EN, "No monitoring point")]
)
def test_an_unknown_mn_gets_a_translated_404_page(
    client: TestClient, headers: dict[str, str], words: str
) -> None:
    response = client.get("/monitoring/<b>NOPE", headers=headers)
    assert response.status_code == 404
    assert (
        words in response.text and "&lt;b&gt;NOPE" in response.text and "<b>" not in response.text
    )


def test_the_enterprise_page_links_each_point_to_its_monitoring_page(client: TestClient) -> None:
    html = client.get(f"/registry/{uscc(1)}").text
    assert f'href="/monitoring/{GAS_MN}"' in html and "查看监测数据" in html
    nav = client.get("/monitoring").text
    assert re.search(r'<a href="/monitoring" class="active" aria-current="page">在线监测</a>', nav)


def test_the_chart_assets_are_served_locally(client: TestClient) -> None:
    for path in (
        "/static/js/series.js",
        "/static/css/monitoring.css",
        "/static/vendor/echarts.min.js",
    ):
        assert client.get(path).status_code == 200, path


def test_a_point_without_values_has_a_page_ending_at_the_clock(client: TestClient) -> None:
    html = client.get(f"/monitoring/{OPEN_MN}").text
    assert "尚无小时数据" in html and 'id="aggregates-empty"' in html
    assert 'data-until="2026-11-03T09:00:00+08:00"' in html  # the clock: nothing stored
    assert re.findall(r'data-factor="(\w+)" data-name', html) == ["a21002", "a21026"]

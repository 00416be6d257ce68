"""Alerts over HTTP: the list and its filters, one alert, chart windows, counts, the live stream
(Server-Sent Events) and the pages, on both databases, after packets raised the alerts through
the real intake."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import update

from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ, FakeClock
from ecoradar.detection import views as alert_views
from ecoradar.hj212.codec import encode
from ecoradar.hj212.packet import Edition, flag_for, make_qn
from ecoradar.monitoring.pipeline import Intake
from ecoradar.registry.models import Enterprise
from ecoradar.web import pages_alerts
from tests.conftest import MakeUser, log_in
from tests.factories import GAS_MN, OPEN_MN, PASSWORD, load_small_registry, uscc

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

T0 = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 China time
H = timedelta(hours=1)
HOURS = 60
XSS = "<script>alert('x')</script>化工"
EN = {"Accept-Language": "en-US,en;q=0.9"}
STREAM_SECONDS = 8.0
"""A test's stream ends by itself after this long: reading it can never hang."""


def so2_packet(mn: str, i: int, so2: float) -> bytes:
    """Hour ``i`` of ``mn``: SO2 (limit 35, hourly) at ``so2``, the rest ordinary."""
    return encode(
        st="31",
        cn="2061",
        pw=PASSWORD,
        mn=mn,
        qn=make_qn(T0 + i * H),
        flag=flag_for(Edition.V2017),
        data_time=T0 + i * H,
        items={
            "a21026": {"Avg": f"{so2 * 0.8:.3f}", "ZsAvg": f"{so2:.3f}", "Flag": "N"},
            "a21002": {"Avg": f"{noise(mn, 'n', i, 30, 5):.3f}", "Flag": "N"},
            "a00000": {"Avg": f"{noise(mn, 'f', i, 50, 3):.3f}", "Flag": "N"},
            "a19001": {"Avg": f"{noise(mn, 'o', i, 9, 0.5):.3f}", "Flag": "N"},
        },
    ).rstrip(b"\r\n")


def noise(mn: str, salt: str, i: int, base: float, spread: float) -> float:
    """A value that varies like a measurement (never a repeating pattern), the same every run."""
    return round(base + random.Random(f"{mn}{salt}{i}").uniform(-spread, spread), 3)


def ordinary(mn: str, i: int) -> float:
    return noise(mn, "s", i, 15, 5)


def frames() -> list[bytes]:
    """60 hours of two devices. GAS_MN exceeds at hours 10-12 (a little), 30-31 (more than
    twice the limit) and from 58 on (still exceeding); OPEN_MN is silent at hours 20-25."""
    out = []
    for i in range(HOURS):
        so2 = 40.0 if 10 <= i < 13 else 80.0 if i in (30, 31) else 45.0 if i >= 58 else None
        out.append(so2_packet(GAS_MN, i, so2 if so2 is not None else ordinary(GAS_MN, i)))
        if not 20 <= i < 26:
            out.append(so2_packet(OPEN_MN, i, ordinary(OPEN_MN, i)))
    return out


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    """The small registry (enterprise 3, of OPEN_MN, with markup in its name) and four alerts:
    three exceedances at GAS_MN (the last still open) and OPEN_MN offline for six hours."""
    load_small_registry(container, tmp_path)
    with container.transaction() as session:
        session.execute(update(Enterprise).where(Enterprise.code == uscc(3)).values(name=XSS))
    Intake(container).run([(f, "10.1.1.1:4000") for f in frames()], batch_size=16)
    return container


@pytest.fixture
def client(city: Container, make_user: MakeUser) -> Iterator[TestClient]:
    """The app, the client logged in as an administrator (who sees every alert)."""
    with TestClient(create_app(city)) as test_client:
        log_in(test_client, city, make_user("admin"))
        yield test_client


def items(client: TestClient, **params: object) -> list[dict[str, Any]]:
    response = client.get("/api/alerts", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def summary(alerts: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(a["kind"], a["mn"], a["start"][5:16]) for a in alerts]


# --- the list -----------------------------------------------------------------------------


def test_the_list_holds_every_alert_newest_first_with_where_and_how_long(
    client: TestClient, clock: FakeClock
) -> None:
    body = client.get("/api/alerts").json()
    assert (body["total"], body["page"], body["pages"]) == (4, 1, 1)
    alerts = body["items"]
    assert summary(alerts) == [
        ("exceedance", GAS_MN, "03-04T10:00"),
        ("exceedance", GAS_MN, "03-03T06:00"),
        ("offline", OPEN_MN, "03-02T20:00"),
        ("exceedance", GAS_MN, "03-02T10:00"),
    ]
    still, high, offline, first = alerts
    assert first["end"] == "2026-03-02T13:00:00+08:00" and first["open"] is False
    assert first["duration_seconds"] == 3 * 3600 and first["severity"] == "low"
    assert first["factor"] == "a21026" and first["factor_name"] == "二氧化硫"
    assert first["kind_name"] == "超标"
    assert first["enterprise_code"] == uscc(1) and first["enterprise_name"] == "测试企业1有限公司"
    assert (first["outlet_code"], first["outlet_name"]) == ("DA001", "锅炉排口")
    assert first["evidence"]["limit"] == 35.0 and len(first["evidence"]["values"]) == 3
    assert high["severity"] == "high" and high["duration_seconds"] == 2 * 3600
    assert offline["factor"] is None and offline["factor_name"] is None
    assert offline["kind_name"] == "设备离线" and offline["enterprise_name"] == XSS
    assert (offline["start"], offline["end"]) == (
        "2026-03-02T20:00:00+08:00",
        "2026-03-03T02:00:00+08:00",
    )
    assert still["open"] is True and still["end"] is None
    assert still["duration_seconds"] == int((clock.now() - (T0 + 58 * H)).total_seconds())
    assert still["raised_at"] == "2026-11-02T09:00:00+08:00"  # the clock, in China time


def test_the_list_speaks_the_language_of_the_request(client: TestClient) -> None:
    alerts = client.get("/api/alerts", headers=EN).json()["items"]
    assert [a["kind_name"] for a in alerts] == ["Exceedance", "Exceedance", "Offline", "Exceedance"]
    assert alerts[0]["factor_name"] == "Sulphur dioxide (SO2)"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "offline"}, ["offline 03-02T20:00"]),
        ({"severity": "high"}, ["exceedance 03-03T06:00"]),
        ({"state": "open"}, ["exceedance 03-04T10:00"]),
        (
            {"state": "closed"},
            ["exceedance 03-03T06:00", "offline 03-02T20:00", "exceedance 03-02T10:00"],
        ),
        ({"mn": OPEN_MN}, ["offline 03-02T20:00"]),
        ({"q": "化工"}, ["offline 03-02T20:00"]),  # part of the enterprise name
        (
            {"q": GAS_MN[-6:].lower(), "state": "closed", "severity": "low"},
            ["exceedance 03-02T10:00"],
        ),
        ({"q": "100%"}, []),  # a wildcard is taken literally
        (
            {"since": "2026-03-03T00:00"},  # overlapping from then on: the offline alert too
            ["exceedance 03-04T10:00", "exceedance 03-03T06:00", "offline 03-02T20:00"],
        ),
        ({"until": "2026-03-02T12:00+08:00"}, ["exceedance 03-02T10:00"]),
        ({"since": "2026-03-02T04:00Z", "until": "2026-03-02T05:00Z"}, ["exceedance 03-02T10:00"]),
    ],
)
def test_the_list_can_be_filtered(
    client: TestClient, params: dict[str, str], expected: list[str]
) -> None:
    found = [f"{a['kind']} {a['start'][5:16]}" for a in items(client, **params)]
    assert found == expected


def test_the_list_is_paged(client: TestClient) -> None:
    first = client.get("/api/alerts", params={"per_page": 3}).json()
    second = client.get("/api/alerts", params={"per_page": 3, "page": 2}).json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (
        4,
        2,
        3,
        1,
    )
    assert {a["id"] for a in first["items"]}.isdisjoint(a["id"] for a in second["items"])
    assert client.get("/api/alerts", params={"page": 9}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"kind": "explosion"}, ["kind", "exceedance"]),
        ({"severity": "dire"}, ["severity", "high"]),
        ({"state": "ajar"}, ["state", "open"]),
        ({"since": "yesterday"}, ["since: 'yesterday' is not an ISO 8601 date-time"]),
        ({"until": "2026-02-30"}, ["until: '2026-02-30' is not an ISO 8601"]),
        ({"since": "2026-03-05", "until": "2026-03-01"}, ["since (2026-03-05T00:00:00+08:00)"]),
        ({"per_page": "1000"}, ["per_page"]),
        ({"q": "x" * 101}, ["q"]),
    ],
)
def test_bad_filters_are_refused_with_a_message_naming_the_parameter(
    client: TestClient, params: dict[str, str], words: list[str]
) -> None:
    paths = ["/api/alerts"] if "per_page" in params else ["/api/alerts", "/api/alerts/counts"]
    for path in paths:
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, response.text)
        for word in words:
            assert word in response.text, (path, word)


# --- one alert ----------------------------------------------------------------------------


def test_one_alert_is_as_the_list_has_it(client: TestClient) -> None:
    listed = items(client, kind="offline")[0]
    response = client.get(f"/api/alerts/{listed['id']}")
    assert response.status_code == 200 and response.json() == listed
    assert listed["evidence"]["parameters"] == {"intervals": 3}


@pytest.mark.parametrize(
    ("alert_id", "status"), [("999999", 404), ("0", 422), ("abc", 422), ("9" * 30, 422)]
)
def test_an_unknown_or_malformed_alert_id_is_refused(
    client: TestClient, alert_id: str, status: int
) -> None:
    response = client.get(f"/api/alerts/{alert_id}")
    assert response.status_code == status
    if status == 404:
        assert "no alert with id 999999" in response.json()["detail"]


# --- windows ------------------------------------------------------------------------------


def test_windows_of_a_factor_include_the_device_level_alerts(client: TestClient) -> None:
    def windows(mn: str, **params: str) -> list[dict[str, Any]]:
        response = client.get("/api/alerts/windows", params={"mn": mn, **params})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    gas = windows(GAS_MN, factor="a21026", until="2026-03-05T00:00")
    assert [(w["start"], w["end"], w["label"]) for w in gas] == [
        ("2026-03-02T10:00:00+08:00", "2026-03-02T13:00:00+08:00", "超标"),
        ("2026-03-03T06:00:00+08:00", "2026-03-03T08:00:00+08:00", "超标"),
        ("2026-03-04T10:00:00+08:00", "2026-03-05T00:00:00+08:00", "超标"),  # open: to until
    ]
    assert gas[-1]["open"] is True and gas[0]["factor"] == "a21026"
    assert windows(GAS_MN, factor="a21002") == []
    for code in ("a21026", "a21002", "a19001"):  # offline concerns every factor of the device
        (offline,) = windows(OPEN_MN, factor=code)
        assert offline["kind"] == "offline" and offline["factor"] is None
        assert (offline["start"], offline["end"]) == (
            "2026-03-02T20:00:00+08:00",
            "2026-03-03T02:00:00+08:00",
        )
    assert len(windows(GAS_MN)) == 3  # without a factor: every alert of the point
    narrow = windows(GAS_MN, factor="a21026", since="2026-03-03", until="2026-03-04")
    assert [w["start"][5:16] for w in narrow] == ["03-03T06:00"]
    english = client.get(
        "/api/alerts/windows", params={"mn": OPEN_MN, "factor": "a21026"}, headers=EN
    ).json()
    assert english[0]["label"] == "Offline"


def test_windows_by_path_are_what_a_chart_asks_for(client: TestClient, clock: FakeClock) -> None:
    """The chart appends its own query (factor, kind, since, until) to ``data-windows-url``."""
    by_path = client.get(
        f"/api/alerts/windows/{GAS_MN}",
        params={"factor": "a21026", "kind": "hour", "since": "2026-03-04", "until": "2026-03-05"},
    ).json()
    by_query = client.get(
        "/api/alerts/windows",
        params={"mn": GAS_MN, "factor": "a21026", "since": "2026-03-04", "until": "2026-03-05"},
    ).json()
    assert by_path == by_query and len(by_path) == 1
    (still,) = client.get(f"/api/alerts/windows/{GAS_MN}", params={"since": "2026-03-04"}).json()
    assert still["open"] and still["end"] == clock.now().astimezone(CHINA_TZ).isoformat()
    assert still["end"] == "2026-11-02T09:00:00+08:00"  # open, without an until: up to now


def test_windows_of_an_unknown_mn_or_with_bad_times_are_refused(client: TestClient) -> None:
    missing = client.get("/api/alerts/windows", params={"mn": "NOPE0001"})
    assert missing.status_code == 404 and "NOPE0001" in missing.json()["detail"]
    assert client.get("/api/alerts/windows").status_code == 422
    bad = client.get(f"/api/alerts/windows/{GAS_MN}", params={"since": "soon"})
    assert bad.status_code == 422 and "since: 'soon'" in bad.json()["detail"]


# --- counts -------------------------------------------------------------------------------


def test_counts_by_kind_and_severity_open_and_closed(client: TestClient) -> None:
    body = client.get("/api/alerts/counts").json()
    assert (body["open"], body["closed"], body["total"]) == (1, 3, 4)
    assert body["by_kind"] == {
        "exceedance": {"open": 1, "closed": 2, "total": 3},
        "offline": {"open": 0, "closed": 1, "total": 1},
    }
    assert body["by_severity"] == {
        "low": {"open": 1, "closed": 1, "total": 2},
        "high": {"open": 0, "closed": 1, "total": 1},
        "medium": {"open": 0, "closed": 1, "total": 1},
    }
    narrowed = client.get("/api/alerts/counts", params={"mn": OPEN_MN}).json()
    assert narrowed["total"] == 1 and list(narrowed["by_kind"]) == ["offline"]


# --- the stream ---------------------------------------------------------------------------


@pytest.fixture
def short_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams end after a few seconds and send a comment every half second, so a test reading
    one always gets a line to look at and never waits long."""
    monkeypatch.setattr(alert_views, "STREAM_LIFE", STREAM_SECONDS)
    monkeypatch.setattr(alert_views, "STREAM_KEEPALIVE", 0.5)


def read_events(
    lines: Iterator[str], done: Callable[[list[dict[str, Any]]], bool], seconds: float
) -> list[dict[str, Any]]:
    """SSE events (``{"event", "id", "data"}``) until ``done(events)`` or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if line.startswith(("event:", "id:", "data:")):
            name, _, value = line.partition(":")
            current[name] = json.loads(value) if name == "data" else value.strip()
        elif not line and current:
            events.append(current)
            current = {}
            if done(events):
                break
        if time.monotonic() > deadline:
            break
    return events


def watching(lines: Iterator[str]) -> str:
    """Read the stream's opening (retry and a comment saying where it watches from)."""
    first = next(lines)
    assert first.startswith("retry: ")
    comment = next(lines)
    assert comment.startswith(": watching from ")
    return comment


def test_the_stream_sends_an_alert_raised_after_it_started(
    client: TestClient, city: Container, short_streams: None
) -> None:
    with client.stream("GET", "/api/alerts/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        lines = response.iter_lines()
        watching(lines)
        Intake(city).run([(so2_packet(OPEN_MN, HOURS, 90.0), "10.1.1.2:4000")])
        events = read_events(lines, lambda found: bool(found), STREAM_SECONDS)
    assert len(events) == 1, "alerts raised before the stream started are not sent"
    (event,) = events
    assert event["event"] == "alert" and re.fullmatch(r"\d+:\d+", event["id"])
    alert = event["data"]
    assert (alert["kind"], alert["mn"], alert["open"]) == ("exceedance", OPEN_MN, True)
    assert alert["start"] == "2026-03-04T12:00:00+08:00" and alert["kind_name"] == "超标"
    assert alert["enterprise_name"] == XSS
    assert client.get(f"/api/alerts/{alert['id']}").json() == alert


def test_the_stream_sends_a_change_to_an_alert_and_honours_its_filters(
    client: TestClient, city: Container, short_streams: None
) -> None:
    with client.stream("GET", "/api/alerts/stream", params={"mn": GAS_MN}) as response:
        lines = response.iter_lines()
        watching(lines)
        Intake(city).run(
            [
                (so2_packet(OPEN_MN, HOURS, 90.0), "10.1.1.2:4000"),  # not this MN
                (so2_packet(GAS_MN, HOURS, 30.0), "10.1.1.1:4000"),  # the open one ends
            ]
        )
        events = read_events(lines, lambda found: bool(found), STREAM_SECONDS)
    (event,) = events
    alert = event["data"]
    assert (alert["mn"], alert["start"], alert["open"]) == (
        GAS_MN,
        "2026-03-04T10:00:00+08:00",
        False,
    )
    assert alert["end"] == "2026-03-04T12:00:00+08:00"


def test_a_stream_resumes_after_the_last_event_id_it_was_given(
    client: TestClient, short_streams: None
) -> None:
    with client.stream(
        "GET", "/api/alerts/stream", params={"kind": "exceedance"}, headers={"Last-Event-ID": "0:0"}
    ) as response:
        events = read_events(response.iter_lines(), lambda found: len(found) >= 3, STREAM_SECONDS)
    assert sorted(e["data"]["start"][5:16] for e in events) == [
        "03-02T10:00",
        "03-03T06:00",
        "03-04T10:00",
    ]
    with client.stream(
        "GET", "/api/alerts/stream", headers={"Last-Event-ID": "not a token"}
    ) as response:
        lines = response.iter_lines()
        watching(lines)  # a malformed id: a fresh start, not an error


def test_a_bad_stream_filter_is_refused(client: TestClient) -> None:
    response = client.get("/api/alerts/stream", params={"kind": "explosion"})
    assert response.status_code == 422 and "kind" in response.text


@pytest.fixture
def live(city: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """The app under uvicorn on a free port (in a thread); streams would live a minute."""
    monkeypatch.setattr(alert_views, "STREAM_LIFE", 60.0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(city), log_level="warning", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", (server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_a_stream_ends_when_its_client_goes_away(
    live: tuple[str, Any], admin_headers: dict[str, str]
) -> None:
    url, (server, thread) = live
    with (
        httpx.Client(timeout=10, headers=admin_headers) as http,
        http.stream("GET", url + "/api/alerts/stream") as response,
    ):
        assert next(response.iter_lines()).startswith("retry: ")
    # The client is gone: the stream must end on its own, or the server would wait for it.
    time.sleep(1.5)
    server.should_exit = True
    thread.join(timeout=8)
    assert not thread.is_alive(), "a stream whose client went away kept the server from stopping"


def test_stopping_the_server_ends_open_streams(
    settings: Any, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    """``ecoradar serve`` stopped with Ctrl-C while a browser holds a stream open stops at once,
    not when the stream would have ended."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ECORADAR_DATABASE_URL": settings.resolved_database_url,
        "ECORADAR_HOME": str(tmp_path / "serve-home"),
        "ECORADAR_ENVIRONMENT": "development",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ecoradar", "serve", "--no-gateway", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        with (
            # keep-alives come every 15 s: a stuck stream fails
            httpx.Client(timeout=5, headers=admin_headers) as http,
            http.stream("GET", base + "/api/alerts/stream") as response,
        ):
            lines = response.iter_lines()
            assert next(lines).startswith("retry: ")
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGINT)
            for _line in lines:  # the server ends the stream
                pass
            process.wait(timeout=15)
            assert time.monotonic() - stopped_at < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


# --- the pages ----------------------------------------------------------------------------


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-id="(\d+)" data-kind="(\w+)"', html)


def test_the_alert_page_lists_filters_and_counts_in_chinese(client: TestClient) -> None:
    response = client.get("/alerts")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html and "<title>报警" in html
    assert re.search(r'<a href="/alerts" class="active" aria-current="page">报警</a>', html)
    assert [kind for _id, kind in row_ids(html)] == [
        "exceedance",
        "exceedance",
        "offline",
        "exceedance",
    ]
    assert "超标" in html and "设备离线" in html and "二氧化硫" in html and "整台设备" in html
    assert "2026-03-02 20:00" in html and "6 小时" in html and "进行中" in html
    assert f'href="/monitoring/{GAS_MN}"' in html and f'href="/registry/{uscc(3)}"' in html
    card = re.search(
        r'data-kind="exceedance"\s+href="([^"]+)">\s*<span class="kind-card-value">(\d+)', html
    )
    assert card and card.groups() == ("/alerts?kind=exceedance", "3")
    assert 'data-stream-url="/api/alerts/stream"' in html
    assert "/static/js/alerts.js" in html and "/static/css/alerts.css" in html


def test_markup_in_an_enterprise_name_is_shown_as_text(client: TestClient) -> None:
    for path in ("/alerts", "/alerts?q=%E5%8C%96%E5%B7%A5"):
        html = client.get(path).text
        assert XSS not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;化工" in html
    offline = items(client, kind="offline")[0]
    detail = client.get(f"/alerts/{offline['id']}").text
    assert XSS not in detail and "&lt;script&gt;" in detail


def test_the_page_filters_by_kind_state_days_and_text_and_keeps_them_in_its_links(
    client: TestClient,
) -> None:
    html = client.get("/alerts", params={"state": "closed", "start": "2026-03-03"}).text
    assert [kind for _id, kind in row_ids(html)] == ["exceedance", "offline"]
    assert '<option value="closed" selected>' in html and 'value="2026-03-03"' in html
    # the stream tells of every change (an alert closing too); the list shows what matches
    assert 'data-stream-url="/api/alerts/stream"' in html
    assert 'data-rows-url="/alerts/rows?state=closed&amp;start=2026-03-03"' in html
    partial = client.get("/alerts/rows", params={"q": "化工"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and [k for _i, k in row_ids(partial.text)] == ["offline"]
    assert partial.headers["hx-push-url"] == "/alerts?q=%E5%8C%96%E5%B7%A5"
    device = client.get("/alerts", params={"mn": OPEN_MN}).text
    assert 'id="filter-mn"' in device and len(row_ids(device)) == 1


def test_the_page_is_paged_and_its_pages_keep_the_filters(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_alerts, "PER_PAGE", 2)
    first = client.get("/alerts", params={"kind": "exceedance"}).text
    assert len(row_ids(first)) == 2 and "第 1 / 2 页" in first
    assert 'href="/alerts?kind=exceedance&amp;page=2"' in first
    assert 'hx-get="/alerts/rows?kind=exceedance&amp;page=2"' in first
    second = client.get("/alerts/rows", params={"kind": "exceedance", "page": 2}).text
    assert [k for _i, k in row_ids(second)] == ["exceedance"]
    assert 'href="/alerts?kind=exceedance"' in second  # back to the first page
    past = client.get("/alerts", params={"kind": "exceedance", "page": 99}).text
    assert row_ids(past) == row_ids(second)  # past the end (an old link): the last page


def test_bad_days_on_the_page_are_explained_and_ignored(client: TestClient) -> None:
    response = client.get("/alerts", params={"start": "2026-03-05", "end": "2026-03-01"})
    assert response.status_code == 422
    assert 'id="filter-error"' in response.text and "无法识别所选日期" in response.text
    assert len(row_ids(response.text)) == 4
    assert client.get("/alerts", params={"kind": "explosion"}).status_code == 422


def test_the_alert_page_in_english(client: TestClient) -> None:
    html = client.get("/alerts", headers=EN).text
    assert '<html lang="en">' in html and "<h1>Alerts</h1>" in html
    assert "Exceedance" in html and "Offline" in html and "Whole device" in html
    assert "2 h" in html and "超标" not in html and "报警" not in html


def test_an_alert_page_shows_the_evidence_and_links_to_the_point_on_its_window(
    client: TestClient,
) -> None:
    high = items(client, severity="high")[0]
    html = client.get(f"/alerts/{high['id']}").text
    assert "超标" in html and "测试企业1有限公司" in html and 'data-severity="high"' in html
    assert 'id="evidence-limit">35 mg/m3' in html
    assert html.count('<tr class="over">') == 2 and "2026-03-03 07:00" in html
    chart = json.loads(re.search(r"data-chart='([^']*)'", html).group(1))  # type: ignore[union-attr]
    assert chart["limit"] == 35.0 and chart["unit"] == "mg/m3"
    assert chart["window"] == {
        "start": "2026-03-03T06:00:00+08:00",
        "end": "2026-03-03T08:00:00+08:00",
    }
    assert [v for _t, v in chart["values"]] == [80.0, 80.0]
    assert (
        f'href="/monitoring/{GAS_MN}?factor=a21026&amp;start=2026-03-02&amp;end=2026-03-04"' in html
    )
    assert "/static/vendor/echarts.min.js" in html
    offline = items(client, kind="offline")[0]
    page = client.get(f"/alerts/{offline['id']}", headers=EN).text
    assert "Whole device (every factor)" in page and "Missing hours needed" in page
    assert "Last hour before the gap" in page and "2026-03-02 19:00" in page
    assert "evidence-chart" not in page  # nothing to draw: no values
    assert f'href="/monitoring/{OPEN_MN}?start=2026-03-01&amp;end=2026-03-04"' in page


@pytest.mark.parametrize("alert_id", ["999999", "abc", "9" * 20])
def test_an_unknown_alert_gets_a_translated_404_page(client: TestClient, alert_id: str) -> None:
    response = client.get(f"/alerts/{alert_id}")
    assert response.status_code == 404 and "没有编号为" in response.text
    english = client.get(f"/alerts/{alert_id}", headers=EN)
    assert english.status_code == 404 and "There is no alert number" in english.text


def test_the_point_page_shades_alert_windows_and_lists_the_alerts_of_its_range(
    client: TestClient,
) -> None:
    html = client.get(f"/monitoring/{GAS_MN}").text
    assert f'data-windows-url="/api/alerts/windows/{GAS_MN}"' in html
    load = re.search(r'hx-get="(/alerts/point/[^"]+)" hx-trigger="load"', html)
    assert load, "the point page loads its alerts"
    listed = client.get(load.group(1).replace("&amp;", "&")).text
    assert [k for _i, k in re.findall(r'<tr data-id="(\d+)" data-kind="(\w+)"', listed)] == [
        "exceedance",
        "exceedance",
        "exceedance",
    ]  # the week up to the newest value
    assert f'href="/alerts?mn={GAS_MN}"' in listed
    empty = client.get(
        f"/alerts/point/{GAS_MN}", params={"since": "2026-01-01", "until": "2026-01-02"}
    )
    assert 'id="point-alerts-empty"' in empty.text

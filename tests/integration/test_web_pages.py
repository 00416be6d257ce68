"""The pages (Jinja2 + htmx) and the JSON API, through FastAPI's test client, in both languages."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecoradar.bootstrap import Container
from ecoradar.regions import service as regions
from ecoradar.registry import service as registry
from ecoradar.web.i18n import LOCALE_COOKIE
from ecoradar.web.templating import TEMPLATE_DIR
from tests.catalog_support import check_catalogs
from tests.conftest import MakeUser, log_in
from tests.factories import (
    ENTERPRISE_HEADER,
    POINT_HEADER,
    china_city,
    enterprise_row,
    gas_rows,
    uscc,
    write_csv,
    write_json,
)

with warnings.catch_warnings():
    # Starlette 1.x asks for the ``httpx2`` package; the pinned httpx 0.28 works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

X, Y = 120.25, 30.5  # inside grid G1 of china_city()
PASSWORD = "pw-Secret-7788"
XSS = "<script>alert(1)</script>"
ENTERPRISES = 31
EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def client(container: Container, tmp_path: Path, make_user: MakeUser) -> Iterator[TestClient]:
    """The app over a small city: 30 test enterprises in grid G1 (one with markup in its name),
    one chemical works in county B; a protected gas point and an unprotected water point. The
    client is logged in as an administrator (who sees all of it)."""
    path = write_json(tmp_path / "city.geojson", china_city())
    features = regions.read_regions_file(path)
    with container.transaction() as session:
        regions.import_regions(
            session=session, features=features, source="city", now=container.clock.now()
        )
    rows = [enterprise_row(i, X, Y) for i in range(1, 31)]
    rows[6] = enterprise_row(7, X, Y, name=XSS)
    rows.append(enterprise_row(31, 122.5, 31.0, name="清溪化工有限公司", address="园区大道8号"))
    enterprises = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, rows)
    points = write_csv(
        tmp_path / "p.csv",
        [*POINT_HEADER, "standard", "password"],
        [
            *[[*row, "", PASSWORD] for row in gas_rows(1, "MN0001")],
            [uscc(31), "DW001", "总排口", "MN0031", "water", "w21003", "", "", "", "",
             "GB18918-2002/1A", ""],
        ],
    )  # fmt: skip
    with container.transaction() as session:
        registry.import_registry(
            session=session,
            enterprises=enterprises,
            points=points,
            regions=container.regions,
            now=container.clock.now(),
        )
    with TestClient(create_app(container)) as test_client:
        log_in(test_client, container, make_user("admin"))
        yield test_client


def rows_in(html: str) -> int:
    return html.count('<td class="cell-name"')


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no element #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- overview and languages ---------------------------------------------------------------


def test_the_overview_counts_areas_enterprises_and_devices_in_chinese_by_default(
    client: TestClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert "概览" in html and "企业名录" in html and "各级区域" in html
    assert text_of(html, "stat-enterprises") == str(ENTERPRISES)
    levels = dict(re.findall(r'data-level="(\w+)"><td>[^<]*</td><td class="num">(\d+)<', html))
    assert levels == {"city": "1", "county": "2", "township": "2", "grid": "2"}
    assert text_of(html, "protected") == "1" and text_of(html, "unprotected") == "1"
    for link in ('href="/registry"', 'href="/map"', 'href="/api/docs"'):
        assert link in html


def test_the_overview_is_in_english_when_the_browser_asks_for_it(client: TestClient) -> None:
    html = client.get("/", headers=EN).text
    assert '<html lang="en">' in html
    assert "Overview" in html and "Areas by level" in html and "Monitoring points" in html
    assert "概览" not in html


def test_the_language_cookie_wins_over_the_browser(client: TestClient) -> None:
    client.cookies.set(LOCALE_COOKIE, "en")
    html = client.get("/registry", headers=ZH).text
    assert '<html lang="en">' in html and "Enterprise registry" in html


def test_choosing_a_language_sets_the_cookie_and_returns_to_the_page(client: TestClient) -> None:
    response = client.get(
        "/lang/en", params={"next": "/registry?q=a&page=2"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/registry?q=a&page=2"
    assert f"{LOCALE_COOKIE}=en" in response.headers["set-cookie"]
    assert "httponly" in response.headers["set-cookie"].lower()
    assert '<html lang="en">' in client.get("/").text
    client.get("/lang/zh_CN", params={"next": "/"})
    assert '<html lang="zh-CN">' in client.get("/", headers=EN).text


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:/evil.example",
        "evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "",
    ],
)
def test_the_language_switch_never_redirects_off_the_site(client: TestClient, target: str) -> None:
    response = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_an_unknown_language_is_a_404_page(client: TestClient) -> None:
    response = client.get("/lang/fr", params={"next": "/"}, follow_redirects=False)
    assert response.status_code == 404
    assert "set-cookie" not in response.headers


# --- registry -----------------------------------------------------------------------------


def test_the_registry_shows_25_enterprises_a_page_with_their_monitoring_points(
    client: TestClient,
) -> None:
    html = client.get("/registry").text
    assert rows_in(html) == 25
    assert f"共 {ENTERPRISES} 家企业" in html
    assert 'href="/registry?page=2"' in html and 'hx-get="/registry/rows?page=2"' in html
    assert "第 1 / 2 页" in html
    row = re.search(
        rf'<tr>\s*<td class="cell-name"[^>]*><a href="/registry/{uscc(1)}">.*?</tr>', html, re.S
    )
    assert row and "区域G1" in row.group(0) and "测试路1号" in row.group(0)
    assert re.search(r'<td class="num"[^>]*>1</td>\s*</tr>', row.group(0))

    second = client.get("/registry", params={"page": 2}).text
    assert rows_in(second) == ENTERPRISES - 25
    assert "第 2 / 2 页" in second and 'rel="prev"' in second


def test_a_page_past_the_end_shows_the_last_page(client: TestClient) -> None:
    html = client.get("/registry", params={"page": 9}).text
    assert rows_in(html) == ENTERPRISES - 25


@pytest.mark.parametrize(
    ("query", "expected"),
    [("化工", [uscc(31)]), (uscc(12)[-8:], [uscc(12)]), ("测试路3号", [uscc(3)]), ("没有", [])],
)
def test_the_registry_search_matches_name_code_or_address(
    client: TestClient, query: str, expected: list[str]
) -> None:
    html = client.get("/registry", params={"q": query}).text
    found = re.findall(r'<td class="cell-name"[^>]*><a href="/registry/(\w+)">', html)
    assert found == expected
    assert f'value="{query}"' in html
    if not expected:
        assert 'id="registry-empty"' in html


def test_the_htmx_partial_is_the_results_only_and_pushes_the_page_url(
    client: TestClient,
) -> None:
    response = client.get(
        "/registry/rows", params={"q": "测试", "page": 2}, headers={"HX-Request": "true", **EN}
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and '<nav class="mainnav"' not in html
    assert rows_in(html) == 5 and "30 enterprises match" in html
    assert "Page 2 of 2" in html
    assert response.headers["hx-push-url"] == "/registry?q=%E6%B5%8B%E8%AF%95&page=2"
    plain = client.get("/registry/rows", params={"q": "测试"})
    assert "hx-push-url" not in plain.headers and rows_in(plain.text) == 25


# --- enterprise detail --------------------------------------------------------------------


def test_the_enterprise_page_shows_its_area_points_and_limits_but_never_a_password(
    client: TestClient,
) -> None:
    response = client.get(f"/registry/{uscc(1)}")
    assert response.status_code == 200
    html = response.text
    assert "测试企业1有限公司" in html and "测试路1号" in html
    chain = re.search(r'id="region-chain">(.*?)</ol>', html, re.S)
    assert chain, "no region chain"
    names = re.findall(r"<span>(\S+) <span class=\"mono chain-code\">", chain.group(1))
    assert names == ["区域C", "区域A", "区域A1", "区域G1"]
    assert "MN0001" in html and "废气" in html and "已设密码" in html
    assert "a21026" in html and "二氧化硫" in html and "小时均值" in html
    assert re.search(r'<td class="num">35</td>\s*<td>mg/m3</td>', html)
    assert PASSWORD not in html
    assert 'id="enterprise-map"' in html and f'data-lon="{X}"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html


def test_the_enterprise_page_in_english_translates_labels_and_limits_from_standards(
    client: TestClient,
) -> None:
    html = client.get(f"/registry/{uscc(31).lower()}", headers=EN).text
    assert '<html lang="en">' in html
    assert "Wastewater" in html and "Unprotected" in html and "Daily average" in html
    assert "GB18918-2002/1A" in html and "Ammonia nitrogen" in html
    assert re.search(r'<td class="num">5</td>\s*<td>mg/L</td>', html)


@pytest.mark.parametrize(("headers", "words"), [(ZH, "未找到"), (EN, "Not found")])
def test_an_unknown_enterprise_code_gets_a_translated_404_page(
    client: TestClient, headers: dict[str, str], words: str
) -> None:
    response = client.get("/registry/91330502MA0000000X", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text and "91330502MA0000000X" in response.text


def test_markup_in_an_imported_name_is_shown_as_text(client: TestClient) -> None:
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    listing = client.get("/registry", params={"q": "script"}).text
    assert XSS not in listing and escaped in listing
    detail = client.get(f"/registry/{uscc(7)}").text
    assert XSS not in detail and detail.count(escaped) >= 3  # title, breadcrumb, heading
    searched = client.get("/registry", params={"q": '"><img src=x onerror=alert(1)>'}).text
    assert "<img src=x" not in searched and "&lt;img src=x" in searched
    missing = client.get("/registry/<b>x</b>").text
    assert "<b>x</b>" not in missing


# --- map ----------------------------------------------------------------------------------


def test_the_map_page_loads_the_areas_and_enterprises_without_tiles(client: TestClient) -> None:
    html = client.get("/map").text
    assert 'data-regions-url="/api/regions"' in html
    assert 'data-enterprises-url="/api/enterprises.geojson"' in html
    assert 'data-tile-url=""' in html and 'data-label-county="区县"' in html
    assert "http://" not in html and "https://" not in html


def test_the_map_uses_the_configured_tile_server(client: TestClient, container: Container) -> None:
    container.settings.tile_url = "https://tiles.example/{z}/{x}/{y}.png"
    container.settings.tile_attribution = "© Example & Co"
    html = client.get("/map", headers=EN).text
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="© Example &amp; Co"' in html


def test_static_assets_are_served_locally(client: TestClient) -> None:
    for path in (
        "/static/css/app.css",
        "/static/js/maps.js",
        "/static/vendor/htmx.min.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
    ):
        assert client.get(path).status_code == 200, path


# --- JSON API -----------------------------------------------------------------------------


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def test_health_reports_the_database(client: TestClient, container: Container) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == container.engine.dialect.name


def test_the_regions_api_is_a_feature_collection(client: TestClient) -> None:
    body = client.get("/api/regions").json()
    assert body["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in body["features"]) == [
        "A", "A1", "A2", "B", "C", "G1", "G2",
    ]  # fmt: skip
    grids = client.get("/api/regions", params={"level": "grid"}).json()["features"]
    assert {f["properties"]["parent"] for f in grids} == {"A1"}


def test_the_enterprise_api_searches_and_never_returns_a_password(client: TestClient) -> None:
    found = client.get("/api/enterprises", params={"q": "化工"}).json()
    assert found["total"] == 1 and found["items"][0]["code"] == uscc(31)
    assert client.get("/api/enterprises").json()["total"] == ENTERPRISES
    response = client.get(f"/api/enterprises/{uscc(1)}")
    assert response.status_code == 200
    body = response.json()
    assert body["outlets"][0]["points"][0]["mn"] == "MN0001"
    assert body["outlets"][0]["points"][0]["protected"] is True
    assert not any("password" in key.lower() for key in keys_in(body))
    assert PASSWORD not in response.text
    geojson = client.get("/api/enterprises.geojson").json()
    assert len(geojson["features"]) == ENTERPRISES and PASSWORD not in json.dumps(geojson)
    assert client.get("/api/enterprises/NOPE").status_code == 404


# --- catalogs -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_template_string_is_in_both_catalogs(locale: str) -> None:
    check_catalogs(locale, TEMPLATE_DIR.glob("*.html"), at_least=1)

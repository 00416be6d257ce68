"""Every answer carries a Content-Security-Policy the pages keep to (scripts and styles from
/static only), and Strict-Transport-Security in production."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from ecoradar.web.security_headers import HSTS, content_security_policy, tile_source
from ecoradar.web.templating import TEMPLATE_DIR
from tests.conftest import TEST_SECRET

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import STATIC_DIR, create_app

PAGE = {"Accept": "text/html"}
ADDRESSES = [
    ("/login", PAGE, 200),
    ("/report", PAGE, 200),
    ("/no-such-page", PAGE, 404),
    ("/api/docs", {}, 200),
    ("/api/problems", {}, 401),
    ("/static/css/app.css", {}, 200),
    ("/health", {}, 200),
]


def policy_of(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


def test_every_answer_carries_the_content_security_policy_and_no_hsts_outside_production(
    client: TestClient,
) -> None:
    for address, headers, status in ADDRESSES:
        response = client.get(address, headers=headers)
        assert response.status_code == status, address
        policy = policy_of(response.headers["content-security-policy"])
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", address
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers, address
    refused = client.post(
        "/api/auth/token", content="NaN", headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 422 and "content-security-policy" in refused.headers


def test_production_answers_tell_browsers_to_use_https_only(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(
        environment="production",
        secret_key=TEST_SECRET,
        home=tmp_path / "home",
        database_url=database_url,
        tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
    )
    box = bootstrap(settings, clock=clock)
    try:
        with TestClient(create_app(box)) as client:
            for address, headers, status in ADDRESSES:
                response = client.get(address, headers=headers)
                assert response.status_code == status, address
                assert response.headers["strict-transport-security"] == HSTS, address
                images = policy_of(response.headers["content-security-policy"])["img-src"]
                assert "https://*.tiles.example.org" in images.split()
    finally:
        box.close()


def test_the_map_tiles_server_is_the_only_other_place_images_may_come_from() -> None:
    assert tile_source(None) is None and tile_source("/tiles/{z}/{x}/{y}.png") is None
    assert tile_source("https://t.example.cn/{z}/{x}/{y}") == "https://t.example.cn"
    assert tile_source("http://{s}.t.example.cn:8080/{z}") == "http://*.t.example.cn:8080"
    assert tile_source("https://t{s}.example.cn/{z}") == "https://*.example.cn"
    assert tile_source("https://a.{s}.example.cn/{z}") == "https:"
    assert "img-src 'self' data: blob:;" in content_security_policy(None)


def test_no_template_or_page_script_needs_inline_code_or_style() -> None:
    """The policy forbids inline scripts, inline event handlers, style elements and style
    attributes: the templates have none (their data goes to scripts in data-* attributes)."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:|hx-on",
        re.IGNORECASE,
    )
    found = []
    for template in sorted(TEMPLATE_DIR.rglob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if inline.search(line):
                found.append(f"{template.relative_to(TEMPLATE_DIR)}:{number}: {line.strip()}")
    for script in sorted((STATIC_DIR / "js").glob("*.js")):
        text = script.read_text(encoding="utf-8")
        for pattern in (r"\beval\(", r"new Function\(", r"setAttribute\(\s*['\"]style"):
            if re.search(pattern, text):
                found.append(f"js/{script.name}: {pattern}")
    assert found == []

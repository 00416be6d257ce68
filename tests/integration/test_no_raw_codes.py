"""No page shows a raw code: every role, in both languages, crawls the pages it can reach in
a city holding data of every kind (alerts of several kinds, clues from several channels,
problems in every state, self-inspection tasks, codes, reminders, a station, power metering)
and reads their visible text for snake_case codes (``time_anomaly``), internal actor kinds
(``public:anonymous``) and, on the Chinese pages, code values (``reported``) and untranslated
English."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from tests.conftest import log_in
from tests.integration.problem_support import create_app_for
from tests.integration.rawcode_support import City, build_city, crawl, raw_codes

STARTS = [
    "/", "/registry", "/monitoring", "/alerts", "/problems", "/clues", "/selfcheck",
    "/greencode", "/reminders", "/stats", "/stations", "/power", "/grid", "/grid/clues",
    "/supervision", "/fivestep", "/inspections", "/exposure", "/praise", "/brief",
    "/supervision/questions", "/report", "/track", "/public/exposure", "/public/supervision",
]  # fmt: skip
LOCALES = {"zh_CN": "zh-CN,zh;q=0.9", "en": "en"}


@pytest.fixture
def city(container: Container, tmp_path: Path) -> City:
    return build_city(container, tmp_path)


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_no_page_shows_a_raw_code_to_any_role(
    container: Container, city: City, locale: str
) -> None:
    people = city.people
    problems = [f"/problems/{pid}" for pid in city.problems.values()]
    findings: dict[str, list[str]] = {}
    names = frozenset({people.admin.username, people.officer_a.username})
    for login in (
        people.admin, people.officer_a, people.worker_g1, people.enterprise, city.supervisor,
        people.reporter, None,
    ):  # fmt: skip
        client = TestClient(create_app_for(container))
        client.cookies.set("ecoradar_locale", locale)
        client.headers["Accept-Language"] = LOCALES[locale]
        if login is not None:
            log_in(client, container, login)
        who = login.role if login is not None else "anonymous"
        visited = 0
        for address, texts in crawl(client, [*STARTS, *problems]):
            visited += 1
            codes = raw_codes(texts, chinese=locale == "zh_CN", names=names)
            if codes:
                findings[f"{who} {address}"] = sorted(set(codes))
        assert visited > 3, (who, visited)
    report = "\n".join(f"{where}: {codes}" for where, codes in sorted(findings.items()))
    assert not findings, f"raw codes on {len(findings)} pages ({locale}):\n{report}"

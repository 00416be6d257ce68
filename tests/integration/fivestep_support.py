"""Shared setup for the five-step tests: the small registry (enterprises 1 and 2 in county A,
3 in county B), staff of every level, a client, and a minimal PDF report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ecoradar.bootstrap import Container
from tests.factories import uscc
from tests.integration.inspections_support import Staff, city
from tests.integration.problem_support import create_app_for

E1, E2, E3 = uscc(1), uscc(2), uscc(3)
PERIOD = (date(2026, 10, 1), date(2026, 10, 31))
"""The campaign period of the tests (the fake clock starts on 2026-11-02)."""


def pdf(text: str = "report") -> bytes:
    """The smallest PDF the media module accepts (header and %%EOF)."""
    body = f"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% {text}\ntrailer<<>>\n%%EOF\n"
    return body.encode("ascii")


@dataclass
class FiveStepWorld:
    box: Container
    staff: Staff
    client: TestClient

    def campaign(
        self,
        *,
        who: Any = None,
        region: str = "C",
        enterprises: tuple[str, ...] = (E1, E2, E3),
        industries: tuple[str, ...] = (),
        name: str = "2026年秋季五步法检查",
    ) -> dict[str, Any]:
        login = who or self.staff.city
        response = self.client.post(
            "/api/fivestep/campaigns",
            headers=login.headers,
            json={
                "name": name,
                "period_start": PERIOD[0].isoformat(),
                "period_end": PERIOD[1].isoformat(),
                "region": region,
                "enterprises": list(enterprises),
                "industries": list(industries),
            },
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def record_of(self, campaign: dict[str, Any], code: str) -> int:
        for record in campaign["records"]:
            if record["enterprise_code"] == code:
                return int(record["id"])
        raise AssertionError(f"no record of {code}")

    def post(self, path: str, login: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, headers=(login or self.staff.city).headers, **kwargs)

    def third_party(
        self,
        record_id: int,
        findings: list[dict[str, Any]],
        *,
        login: Any = None,
        company: str = "浙江某某检测技术有限公司",
        accreditation: str = "CMA-221112340567",
        report_no: str = "ZJJC-2026-0815",
    ) -> Any:
        import json

        return self.post(
            f"/api/fivestep/records/{record_id}/third-party",
            login,
            data={
                "company": company,
                "accreditation_no": accreditation,
                "report_no": report_no,
                "findings": json.dumps(findings, ensure_ascii=False),
            },
            files={"report": ("report.pdf", pdf(report_no), "application/pdf")},
        )


def five_step_world(box: Container, tmp_path: Path) -> FiveStepWorld:
    staff = city(box, tmp_path)
    return FiveStepWorld(box, staff, TestClient(create_app_for(box)))

"""The ``third_party`` clue channel end to end: an accredited company's report uploaded in the
five-step check becomes clues (intake, routing, the register) carrying the company, its
accreditation number and the report; the same report again changes nothing; a second company's
report of the same problem is merged by deduplication; the channel's own rules; the clue export,
the import and Open311 keep working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecoradar.bootstrap import Container
from ecoradar.cli import app
from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.clues.models import Clue
from ecoradar.core.errors import InputError
from ecoradar.problems.models import Finding, Problem, ProblemAttachment
from ecoradar.registry.models import Enterprise
from tests.integration.fivestep_support import E1, FiveStepWorld, five_step_world, pdf

runner = CliRunner()
LEAK = {
    "category": "water",
    "description": "雨水排口检出COD浓度异常，疑似生产废水混入",
    "violation": True,
    "severity": "high",
}
ADVICE = {"category": "air", "description": "活性炭更换记录不完整", "violation": False}


@pytest.fixture
def w(container: Container, tmp_path: Path) -> FiveStepWorld:
    return five_step_world(container, tmp_path)


def result_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    step = {s["step"]: s for s in body["steps"]}["third_party"]
    assert isinstance(step, dict)
    return step


def test_a_report_sends_its_violations_in_as_third_party_clues_and_keeps_the_rest(
    w: FiveStepWorld,
) -> None:
    record_id = w.record_of(w.campaign(), E1)
    response = w.third_party(record_id, [LEAK, ADVICE])
    assert response.status_code == 200, response.text
    step = result_of(response)
    assert step["state"] == "done" and step["outcome"] == "findings"
    r = step["result"]
    assert isinstance(r, dict)
    assert (
        r["company"] == "浙江某某检测技术有限公司" and r["accreditation_no"] == "CMA-221112340567"
    )
    assert len(r["clues"]) == 1 and [a["text"] for a in r["advisories"]] == [ADVICE["description"]]
    with w.box.reading() as session:
        clue = session.get(Clue, r["clues"][0]["clue_id"])
        assert clue is not None and clue.channel == "third_party" and not clue.anonymous
        finding = clue.finding
        assert finding.channel == "third_party"
        assert finding.source_ref == "third_party:CMA-221112340567:ZJJC-2026-0815:1"
        assert finding.data["company"] == "浙江某某检测技术有限公司"
        assert finding.data["report_media_id"] == r["report_media_id"]
        problem = session.get(Problem, clue.problem_id)
        assert problem is not None and problem.category == "water"
        e1 = session.scalar(select(Enterprise).where(Enterprise.code == E1))
        assert e1 is not None and problem.enterprise_id == e1.id
        documents = list(
            session.scalars(
                select(ProblemAttachment).where(
                    ProblemAttachment.problem_id == problem.id,
                    ProblemAttachment.purpose == "document",
                )
            )
        )
        assert [d.media_id for d in documents] == [r["report_media_id"]]
        assert not documents[0].public
    report = w.client.get(f"/api/fivestep/records/{record_id}/report", headers=w.staff.city.headers)
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")
    outsider = w.client.get(
        f"/api/fivestep/records/{record_id}/report", headers=w.staff.county_b.headers
    )
    assert outsider.status_code == 404


def test_the_same_report_uploaded_again_changes_nothing_in_the_register(w: FiveStepWorld) -> None:
    record_id = w.record_of(w.campaign(), E1)
    first = result_of(w.third_party(record_id, [LEAK]))["result"]
    reopened = w.post(
        f"/api/fivestep/records/{record_id}/steps/third_party",
        json={"action": "reopen", "reason": "重新上传"},
    )
    assert reopened.status_code == 200
    again = result_of(w.third_party(record_id, [LEAK]))["result"]
    assert isinstance(first, dict) and isinstance(again, dict)
    assert again["clues"][0]["clue_id"] == first["clues"][0]["clue_id"]
    with w.box.reading() as session:
        assert session.scalar(select(func.count()).select_from(Clue)) == 1
        assert session.scalar(select(func.count()).select_from(Finding)) == 1


def test_a_second_companys_report_of_the_same_problem_joins_it_by_deduplication(
    w: FiveStepWorld,
) -> None:
    first = w.campaign(name="第一轮")
    second = w.campaign(name="第二轮")
    one = result_of(w.third_party(w.record_of(first, E1), [LEAK]))["result"]
    two = result_of(
        w.third_party(
            w.record_of(second, E1),
            [LEAK],
            company="杭州另一家检测有限公司",
            accreditation="CMA-231100000001",
            report_no="HZ-2026-77",
        )
    )["result"]
    assert isinstance(one, dict) and isinstance(two, dict)
    assert two["clues"][0]["clue_id"] != one["clues"][0]["clue_id"]
    assert two["clues"][0]["problem_id"] == one["clues"][0]["problem_id"]
    assert two["clues"][0]["duplicate"] is True
    with w.box.reading() as session:
        problem = session.get(Problem, one["clues"][0]["problem_id"])
        assert problem is not None
        assert [f.data["company"] for f in problem.findings] == [
            "浙江某某检测技术有限公司",
            "杭州另一家检测有限公司",
        ]


def test_a_report_that_is_not_a_pdf_or_names_no_company_is_refused_and_leaves_nothing(
    w: FiveStepWorld,
) -> None:
    record_id = w.record_of(w.campaign(), E1)
    path = f"/api/fivestep/records/{record_id}/third-party"
    data = {
        "company": "某检测公司",
        "accreditation_no": "CMA-1",
        "report_no": "R-1",
        "findings": json.dumps([LEAK]),
    }
    not_pdf = w.post(path, data=data, files={"report": ("r.txt", b"plain text", "text/plain")})
    assert not_pdf.status_code == 422
    blank = w.post(
        path, data={**data, "company": "  "}, files={"report": ("r.pdf", pdf(), "application/pdf")}
    )
    assert blank.status_code == 422 and "company" in blank.text
    bad_finding = w.post(
        path,
        data={**data, "findings": json.dumps([{**LEAK, "category": "x"}])},
        files={"report": ("r.pdf", pdf(), "application/pdf")},
    )
    assert bad_finding.status_code == 422 and "category" in bad_finding.text
    with w.box.reading() as session:
        assert session.scalar(select(func.count()).select_from(Clue)) == 0
    steps = w.client.get(f"/api/fivestep/records/{record_id}", headers=w.staff.city.headers)
    assert {s["step"]: s["state"] for s in steps.json()["steps"]}["third_party"] == "pending"


def test_the_channel_rules_refuse_a_third_party_clue_without_company_or_report(
    w: FiveStepWorld,
) -> None:
    base = ClueIn(
        channel="third_party",
        category="water",
        lat=30.5,
        lon=120.25,
        description="检测发现异常",
        anonymous=False,
        reporter_name="检测公司",
        data={"company": "检测公司", "accreditation_no": "CMA-9", "report_no": "R9"},
    )
    with w.box.transaction() as session:
        for data, field in (
            ({"accreditation_no": "CMA-9", "report_no": "R9", "report_media_id": 1}, "company"),
            (base.data, "report_media_id"),
        ):
            with pytest.raises(InputError, match=field):
                submit_clue(
                    session=session,
                    settings=w.box.settings,
                    index=w.box.regions.get(session),
                    item=ClueIn(**{**base.__dict__, "data": data}),
                    now=w.box.clock.now(),
                    actor="user:1:admin",
                )


def test_third_party_clues_are_exported_not_importable_and_not_open311_requests(
    w: FiveStepWorld, cli_env: dict[str, str], tmp_path: Path
) -> None:
    record_id = w.record_of(w.campaign(), E1)
    clue_id = result_of(w.third_party(record_id, [LEAK]))["result"]["clues"][0]["clue_id"]  # type: ignore[index]
    exported = runner.invoke(app, ["clues", "export"], catch_exceptions=False)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(r["id"], r["channel"]) for r in rows] == [(clue_id, "third_party")]
    assert w.client.get("/open311/v2/requests.json").json() == []
    assert w.client.get(f"/open311/v2/requests/{clue_id}.json").status_code == 404
    source = tmp_path / "clues.csv"
    source.write_text("category,lat,long,description\nwater,30.5,120.25,x\n", encoding="utf-8")
    refused = runner.invoke(app, ["clues", "import", str(source), "--channel", "third_party"])
    assert refused.exit_code != 0

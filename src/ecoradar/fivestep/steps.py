"""The steps' own work, each finishing its step through ``service.move_step`` (audited).

- ``self_screening`` and ``monitoring_review``: the figures of ``fivestep.figures`` over the
  campaign's period, kept on the step; the outcome follows from them.
- ``third_party``: the accredited company's report (a PDF, stored by the media module) and its
  findings. A finding that is a violation becomes a clue on the ``third_party`` channel (the
  clue intake: deduplication, routing, the problem register), carrying the company, its
  accreditation number and the report; a finding that is not a violation is kept as an
  advisory for the follow-up, which sends it as a service-reminder issue.
- ``enforcement``: an inspection of the enterprise from the inspections register (issue 14)
  linked, or a result recorded here, whose findings go into the problem register through the
  common finding intake (channel ``inspection``).
- ``follow_up``: gathers every step's advisories and problems; see ``fivestep.follow_up``.

Every step may carry the officer's own advisories (findings that are not violations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.clues.intake import ClueIn, submit_clue
from ecoradar.config import Settings
from ecoradar.core.errors import ConflictError, InputError
from ecoradar.fivestep import figures, service
from ecoradar.fivestep.models import FiveStepRecord
from ecoradar.greencode.gather import data_as_of
from ecoradar.inspections.service import get_inspection
from ecoradar.media.inspect import MediaLimits
from ecoradar.media.service import store_upload
from ecoradar.problems.intake import FindingIn, record_finding
from ecoradar.problems.models import CATEGORIES, SEVERITIES, ProblemAttachment
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex

TEXT_MAX = 2000
MAX_FINDINGS = 30
ADVISORY_MAX = 20
COMPANY_MAX = 100
ACCREDITATION_MAX = 64
"""As the clue rules allow (``clues.rules``: names 100, other fields 64 characters)."""


@dataclass(frozen=True)
class FindingItem:
    """One finding of a check: what, where (the enterprise's place by default), and whether it
    is a violation (into the problem register) or not (an advisory for a reminder)."""

    category: str
    description: str
    violation: bool = True
    severity: str = "medium"
    factor: str | None = None


def _clean_advisories(advisories: Sequence[str]) -> list[dict[str, Any]]:
    """The officer's own advisories (one text each), as the follow-up reads them."""
    found = [a.strip() for a in advisories if a.strip()]
    if len(found) > ADVISORY_MAX:
        raise InputError(f"advisories: at most {ADVISORY_MAX}")
    for n, text in enumerate(found, 1):
        if len(text) > TEXT_MAX or "\x00" in text:
            raise InputError(f"advisories[{n}]: at most {TEXT_MAX} characters")
    return [{"n": n, "category": None, "text": t, "factor": None} for n, t in enumerate(found, 1)]


def _check_findings(items: Sequence[FindingItem]) -> None:
    if len(items) > MAX_FINDINGS:
        raise InputError(f"findings: at most {MAX_FINDINGS}")
    for n, item in enumerate(items, 1):
        if item.category not in CATEGORIES:
            raise InputError(f"findings[{n}].category: {item.category!r} is not a category")
        if item.severity not in SEVERITIES:
            raise InputError(f"findings[{n}].severity: {item.severity!r} is not a severity")
        if not item.description.strip() or len(item.description) > TEXT_MAX:
            raise InputError(f"findings[{n}].description: required, at most {TEXT_MAX}")


def _record(session: Session, principal: Principal, record_id: int) -> FiveStepRecord:
    service._require_manager(principal)
    return service.get_record(session=session, principal=principal, record_id=record_id)


def complete_self_screening(
    *,
    session: Session,
    principal: Principal,
    record_id: int,
    now: datetime,
    advisories: Sequence[str] = (),
    note: str = "",
) -> FiveStepRecord:
    record = _record(session, principal, record_id)
    campaign = record.campaign
    found = figures.self_screening(
        session=session,
        enterprise_id=record.enterprise_id,
        first=campaign.period_start,
        last=campaign.period_end,
        now=now,
    )
    found["advisories"] = _clean_advisories(advisories)
    outcome = "findings" if found["advisories"] else figures.self_screening_outcome(found)
    return service.move_step(
        session=session, principal=principal, record_id=record_id, step="self_screening",
        action="complete", outcome=outcome, reason=note, result=found, now=now,
    )  # fmt: skip


def complete_monitoring_review(
    *,
    session: Session,
    principal: Principal,
    record_id: int,
    now: datetime,
    advisories: Sequence[str] = (),
    note: str = "",
) -> FiveStepRecord:
    record = _record(session, principal, record_id)
    since, until = service.period_bounds(record.campaign)
    as_of = data_as_of(session=session, now=now) or now
    found = figures.monitoring(
        session=session, enterprise_id=record.enterprise_id, since=since, until=until,
        as_of=as_of,
    )  # fmt: skip
    found["advisories"] = _clean_advisories(advisories)
    outcome = "findings" if found["advisories"] else figures.monitoring_outcome(found)
    return service.move_step(
        session=session, principal=principal, record_id=record_id, step="monitoring_review",
        action="complete", outcome=outcome, reason=note, result=found, now=now,
    )  # fmt: skip


@dataclass(frozen=True)
class ThirdPartyReport:
    company: str
    accreditation_no: str
    report_no: str
    filename: str
    data: bytes
    findings: tuple[FindingItem, ...] = ()


def _text(name: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit or "\x00" in value:
        raise InputError(f"{name}: required, at most {limit} characters")
    return value


def submit_third_party(
    *,
    session: Session,
    settings: Settings,
    index: RegionIndex,
    principal: Principal,
    record_id: int,
    report: ThirdPartyReport,
    now: datetime,
) -> FiveStepRecord:
    """Store the report, send its violations in as ``third_party`` clues, keep the rest as
    advisories, and complete the step (``findings`` when the report found anything)."""
    record = _record(session, principal, record_id)
    company = _text("company", report.company, COMPANY_MAX)
    accreditation = _text("accreditation_no", report.accreditation_no, ACCREDITATION_MAX)
    report_no = _text("report_no", report.report_no, ACCREDITATION_MAX)
    _check_findings(report.findings)
    if record.step("third_party").state != "pending":
        raise ConflictError("step third_party is finished: reopen it to upload another report")
    with session.begin_nested():
        media = store_upload(
            session=session, home=settings.home, data=report.data,
            filename=report.filename or "report.pdf", now=now, uploaded_by=principal.actor,
            limits=MediaLimits.from_settings(settings),
        )  # fmt: skip
        if media.kind != "document":
            raise InputError("report: the report must be a PDF document")
        enterprise = record.enterprise
        clues: list[dict[str, Any]] = []
        advisories: list[dict[str, Any]] = []
        for n, item in enumerate(report.findings, 1):
            if not item.violation:
                advisories.append(_advisory(item, n))
                continue
            receipt = submit_clue(
                session=session,
                settings=settings,
                index=index,
                item=ClueIn(
                    channel="third_party",
                    category=item.category,
                    lat=enterprise.latitude,
                    lon=enterprise.longitude,
                    description=item.description.strip(),
                    observed_at=now,
                    anonymous=False,
                    reporter_name=company,
                    reporter_user_id=principal.user_id,
                    address_string=enterprise.address or None,
                    source_ref=f"third_party:{accreditation}:{report_no}:{n}",
                    enterprise_id=enterprise.id,
                    data={
                        "company": company,
                        "accreditation_no": accreditation,
                        "report_no": report_no,
                        "report_media_id": media.id,
                        "enterprise_code": enterprise.code,
                        "severity": item.severity,
                    },
                ),
                now=now,
                actor=principal.actor,
            )
            _attach_report(session, receipt.problem_id, media.id, now, principal.actor)
            clues.append(
                {"n": n, "clue_id": receipt.clue_id, "problem_id": receipt.problem_id,
                 "duplicate": receipt.duplicate, "category": item.category}
            )  # fmt: skip
        result = {
            "company": company,
            "accreditation_no": accreditation,
            "report_no": report_no,
            "report_media_id": media.id,
            "findings": len(report.findings),
            "clues": clues,
            "problem_ids": sorted({c["problem_id"] for c in clues}),
            "advisories": advisories,
        }
        return service.move_step(
            session=session, principal=principal, record_id=record_id, step="third_party",
            action="complete", outcome="findings" if report.findings else "clean",
            result=result, now=now,
        )  # fmt: skip


def _advisory(item: FindingItem, n: int) -> dict[str, Any]:
    return {
        "n": n,
        "category": item.category,
        "text": item.description.strip(),
        "factor": item.factor,
    }


def _attach_report(
    session: Session, problem_id: int, media_id: int, now: datetime, actor: str
) -> None:
    session.add(
        ProblemAttachment(
            problem_id=problem_id, media_id=media_id, finding_id=None, purpose="document",
            public=False, added_at=now, added_by=actor,
        )
    )  # fmt: skip
    session.flush()


def record_enforcement(
    *,
    session: Session,
    principal: Principal,
    index: RegionIndex,
    policy: Policy,
    record_id: int,
    now: datetime,
    inspection_id: int | None = None,
    text: str = "",
    findings: Sequence[FindingItem] = (),
) -> FiveStepRecord:
    """Link a done inspection of the enterprise (its outcome and problems), or record the
    result here: findings that are violations go into the problem register (channel
    ``inspection``, ``source_ref`` ``fivestep:<record id>:<n>``), the rest are advisories."""
    record = _record(session, principal, record_id)
    enterprise = record.enterprise
    if inspection_id is not None:
        if findings:
            raise InputError("findings: a linked inspection brings its own")
        inspection = get_inspection(
            session=session, principal=principal, inspection_id=inspection_id
        )
        if inspection.enterprise_id != enterprise.id:
            raise InputError(f"inspection: {inspection_id} is of another enterprise")
        if inspection.state != "done":
            raise InputError(f"inspection: {inspection_id} has no result yet")
        result: dict[str, Any] = {
            "inspection_id": inspection.id,
            "inspection_outcome": inspection.outcome,
            "problem_ids": list(inspection.problem_ids or []),
            "finding_ids": list(inspection.finding_ids or []),
            "text": inspection.result_text or "",
            "advisories": [],
        }
        outcome = "clean" if inspection.outcome == "clean" else "findings"
    else:
        _check_findings(findings)
        if len(text) > TEXT_MAX:
            raise InputError(f"text: at most {TEXT_MAX} characters")
        problem_ids: list[int] = []
        finding_ids: list[int] = []
        advisories = []
        for n, item in enumerate(findings, 1):
            if not item.violation:
                advisories.append(_advisory(item, n))
                continue
            recorded = record_finding(
                session=session,
                index=index,
                item=FindingIn(
                    channel="inspection", category=item.category, severity=item.severity,
                    lat=enterprise.latitude, lon=enterprise.longitude, observed_at=now,
                    description=item.description.strip(), enterprise_id=enterprise.id,
                    source_ref=f"fivestep:{record.id}:{n}",
                    match_key=f"inspection:{enterprise.id}:{item.category}",
                    data={"fivestep_record_id": record.id},
                ),
                now=now,
                actor=principal.actor,
                policy=policy,
            )  # fmt: skip
            finding_ids.append(recorded.finding.id)
            if recorded.problem.id not in problem_ids:
                problem_ids.append(recorded.problem.id)
        result = {
            "inspection_id": None,
            "text": text.strip(),
            "problem_ids": problem_ids,
            "finding_ids": finding_ids,
            "advisories": advisories,
        }
        outcome = "findings" if findings else "clean"
    return service.move_step(
        session=session, principal=principal, record_id=record_id, step="enforcement",
        action="complete", outcome=outcome, result=result, now=now,
    )  # fmt: skip

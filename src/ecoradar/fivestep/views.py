"""The five-step check over HTTP (thin). Staff and enterprise users read (an enterprise user
only its own records); officers and administrators create campaigns and move steps, within
their scope; anything outside it answers 404."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import FileResponse

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.fivestep import follow_up, service, steps
from ecoradar.fivestep.models import FiveStepRecord
from ecoradar.fivestep.schemas import (
    CampaignIn,
    CampaignRead,
    CampaignSummary,
    CheckBody,
    EnforcementBody,
    FindingBody,
    MoveBody,
    RecordRead,
)
from ecoradar.fivestep.sink import sink_for
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems.policy import load_policy
from ecoradar.web.deps import ContainerDep, ReaderDep, SessionDep, StaffDep, require_roles

router = APIRouter(prefix="/api/fivestep", tags=["five-step check"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
OfficerDep = Annotated[Principal, Depends(require_roles("admin", "officer"))]


def summary(campaign: Any, records: list[FiveStepRecord]) -> CampaignSummary:
    return CampaignSummary(
        id=campaign.id, name=campaign.name, period_start=campaign.period_start,
        period_end=campaign.period_end, region=campaign.region.code,
        enterprises=len(records), complete=sum(r.state == "complete" for r in records),
    )  # fmt: skip


@router.get("/campaigns", response_model=list[CampaignSummary])
def list_campaigns(session: SessionDep, principal: ReaderDep) -> list[CampaignSummary]:
    """The campaigns you may see, newest period first."""
    found = service.list_campaigns(session=session, principal=principal)
    return [summary(c, service.records_of(principal, c)) for c in found]


@router.post("/campaigns", response_model=CampaignRead, status_code=201)
def create_campaign(
    body: CampaignIn, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> CampaignRead:
    """A campaign over enterprises chosen by code, or by industry, in a region in your scope."""
    campaign = service.create_campaign(
        session=session, principal=principal, name=body.name, period_start=body.period_start,
        period_end=body.period_end, region_code=body.region, enterprise_codes=body.enterprises,
        industries=body.industries, now=box.clock.now(),
    )  # fmt: skip
    return CampaignRead.of(campaign, campaign.records)


@router.get("/campaigns/{campaign_id}", response_model=CampaignRead)
def get_campaign(campaign_id: Id, session: SessionDep, principal: ReaderDep) -> CampaignRead:
    campaign = service.get_campaign(session=session, principal=principal, campaign_id=campaign_id)
    return CampaignRead.of(campaign, service.records_of(principal, campaign))


@router.get("/records/{record_id}", response_model=RecordRead)
def get_record(record_id: Id, session: SessionDep, principal: ReaderDep) -> RecordRead:
    return RecordRead.of(
        service.get_record(session=session, principal=principal, record_id=record_id)
    )


@router.post("/records/{record_id}/self-screening", response_model=RecordRead)
def self_screening(
    record_id: Id, body: CheckBody, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> RecordRead:
    """Complete the self-screening on the enterprise's self-inspection tasks of the period."""
    return RecordRead.of(
        steps.complete_self_screening(
            session=session, principal=principal, record_id=record_id, now=box.clock.now(),
            advisories=body.advisories, note=body.note,
        )
    )  # fmt: skip


@router.post("/records/{record_id}/monitoring-review", response_model=RecordRead)
def monitoring_review(
    record_id: Id, body: CheckBody, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> RecordRead:
    """Complete the review of the online monitoring: alerts, online rate, data quality."""
    return RecordRead.of(
        steps.complete_monitoring_review(
            session=session, principal=principal, record_id=record_id, now=box.clock.now(),
            advisories=body.advisories, note=body.note,
        )
    )  # fmt: skip


def findings_of(text: str) -> tuple[steps.FindingItem, ...]:
    """The ``findings`` form field: a JSON list of findings (``FindingBody``)."""
    if not text.strip():
        return ()
    try:
        raw = json.loads(text)
    except ValueError:
        raise InputError("findings: not JSON") from None
    if not isinstance(raw, list):
        raise InputError("findings: a JSON list")
    items = []
    for n, entry in enumerate(raw, 1):
        try:
            body = FindingBody.model_validate(entry)
        except ValueError as exc:
            raise InputError(f"findings[{n}]: {exc}") from None
        items.append(steps.FindingItem(**body.model_dump()))
    return tuple(items)


@router.post("/records/{record_id}/third-party", response_model=RecordRead)
async def third_party(
    record_id: Id,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
    company: Annotated[str, Form(max_length=100)],
    accreditation_no: Annotated[str, Form(max_length=64)],
    report_no: Annotated[str, Form(max_length=64)],
    report: Annotated[UploadFile, File(description="The report, a PDF")],
    findings: Annotated[str, Form(max_length=100_000, description="JSON list")] = "",
) -> RecordRead:
    """Upload the accredited company's report and its findings: violations become clues on the
    ``third_party`` channel, the rest advisories for the follow-up."""
    limits = MediaLimits.from_settings(box.settings)
    data = await report.read(limits.max_document_bytes + 1)
    return RecordRead.of(
        steps.submit_third_party(
            session=session, settings=box.settings, index=box.regions.get(session),
            principal=principal, record_id=record_id, now=box.clock.now(),
            report=steps.ThirdPartyReport(
                company=company, accreditation_no=accreditation_no, report_no=report_no,
                filename=report.filename or "report.pdf", data=data,
                findings=findings_of(findings),
            ),
        )
    )  # fmt: skip


@router.post("/records/{record_id}/enforcement", response_model=RecordRead)
def enforcement(
    record_id: Id,
    body: EnforcementBody,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> RecordRead:
    """Link a done inspection of the enterprise, or record the result and its findings."""
    return RecordRead.of(
        steps.record_enforcement(
            session=session, principal=principal, index=box.regions.get(session),
            policy=load_policy(session=session, settings=box.settings), record_id=record_id,
            now=box.clock.now(), inspection_id=body.inspection_id, text=body.text,
            findings=[steps.FindingItem(**f.model_dump()) for f in body.findings],
        )
    )  # fmt: skip


@router.post("/records/{record_id}/follow-up", response_model=RecordRead)
def follow_up_step(
    record_id: Id, body: CheckBody, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> RecordRead:
    """Send the advisories on as a service reminder and complete the record."""
    return RecordRead.of(
        follow_up.complete_follow_up(
            session=session, principal=principal, record_id=record_id, now=box.clock.now(),
            note=body.note, sink=sink_for(box),
        )
    )  # fmt: skip


@router.post("/records/{record_id}/steps/{step}", response_model=RecordRead)
def move(
    record_id: Id,
    step: Annotated[str, Path(max_length=20)],
    body: MoveBody,
    session: SessionDep,
    box: ContainerDep,
    principal: OfficerDep,
) -> RecordRead:
    """Skip a step (say, no online monitoring) or reopen a finished one, with the reason."""
    return RecordRead.of(
        service.move_step(
            session=session, principal=principal, record_id=record_id, step=step,
            action=body.action, reason=body.reason, now=box.clock.now(),
        )
    )  # fmt: skip


@router.get("/records/{record_id}/report", response_class=FileResponse)
def get_report(
    record_id: Id, session: SessionDep, box: ContainerDep, principal: StaffDep
) -> FileResponse:
    """The third-party report of a record you may see."""
    record = service.get_record(session=session, principal=principal, record_id=record_id)
    media_id = record.step("third_party").result.get("report_media_id")
    if not isinstance(media_id, int):
        raise NotFoundError(f"five-step record {record_id} has no third-party report")
    found, path = media.open_media(session=session, home=box.settings.home, media_id=media_id)
    return media.file_response(found, path)

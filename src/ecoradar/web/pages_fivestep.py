"""Five-step check pages: the campaigns (and a form to start one), a campaign's enterprises
with the state of each step, and an enterprise's record with each step's figures, findings and
the officer's forms. Handlers stay thin: they call ``ecoradar.fivestep`` (what the JSON API
calls); a refused form shows the page again with its message."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.fivestep import follow_up, service, steps, workflow
from ecoradar.fivestep.models import STEPS
from ecoradar.fivestep.sink import sink_for
from ecoradar.media.inspect import MediaLimits
from ecoradar.problems.models import CATEGORIES
from ecoradar.problems.policy import load_policy
from ecoradar.regions.models import Region
from ecoradar.web.deps import ContainerDep, PageReaderDep, SessionDep
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

FINDING_ROWS = 3
ACTIONS = ("self_screening", "monitoring_review", "third_party", "enforcement", "follow_up")


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


def _missing(request: Request) -> HTMLResponse:
    return render(request, "404.html", status_code=404, code=None)


def _regions(session: Session, principal: Principal) -> list[Region]:
    query = select(Region).where(Region.level.in_(("city", "county", "township")))
    if not principal.unrestricted:
        query = query.where(Region.id.in_(sorted(principal.region_ids)))
    return list(session.scalars(query.order_by(Region.code)))


def _list_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    campaigns = service.list_campaigns(session=session, principal=principal)
    rows = []
    for c in campaigns:
        records = service.records_of(principal, c)
        rows.append((c, len(records), sum(r.state == "complete" for r in records)))
    return render(
        request,
        "fivestep/list.html",
        status_code=status_code,
        rows=rows,
        manager=service.may_manage(principal),
        regions=_regions(session, principal) if service.may_manage(principal) else [],
        error=error,
        values=values or {},
    )


@router.get("/fivestep")
def campaigns_page(request: Request, session: SessionDep, principal: PageReaderDep) -> HTMLResponse:
    return _list_page(request, session, principal)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").replace("\n", ",").split(",") if p.strip()]


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: a day (YYYY-MM-DD)") from None


@router.post("/fivestep/campaigns", response_model=None)
async def create_campaign_page(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageReaderDep
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        with session.begin_nested():
            campaign = service.create_campaign(
                session=session, principal=principal, name=values.get("name", ""),
                period_start=_day(values.get("period_start", ""), "period_start"),
                period_end=_day(values.get("period_end", ""), "period_end"),
                region_code=values.get("region", ""),
                enterprise_codes=_split(values.get("enterprises", "")),
                industries=_split(values.get("industries", "")), now=box.clock.now(),
            )  # fmt: skip
    except (InputError, PermissionDenied) as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 422
        return _list_page(
            request, session, principal, error=str(exc), values=values, status_code=status
        )
    return RedirectResponse(f"/fivestep/campaigns/{campaign.id}", status_code=303)


@router.get("/fivestep/campaigns/{campaign_id}")
def campaign_page(
    request: Request, session: SessionDep, principal: PageReaderDep, campaign_id: str
) -> HTMLResponse:
    number = _number(campaign_id)
    if number is None:
        return _missing(request)
    try:
        campaign = service.get_campaign(session=session, principal=principal, campaign_id=number)
    except NotFoundError:
        return _missing(request)
    records = service.records_of(principal, campaign)
    return render(
        request,
        "fivestep/campaign.html",
        campaign=campaign,
        records=records,
        steps=STEPS,
        complete=sum(r.state == "complete" for r in records),
    )


def _record_page(
    request: Request,
    session: Session,
    principal: Principal,
    record_id: int,
    *,
    error: str | None = None,
    failed: str | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    record = service.get_record(session=session, principal=principal, record_id=record_id)
    now = service.states(record)
    allowed = {s.step: workflow.allowed(now, s.step) for s in record.steps}
    return render(
        request,
        "fivestep/record.html",
        status_code=status_code,
        record=record,
        campaign=record.campaign,
        allowed=allowed,
        manager=service.may_manage(principal),
        categories=CATEGORIES,
        finding_rows=range(1, FINDING_ROWS + 1),
        error=error,
        failed=failed,
        done=done,
    )


@router.get("/fivestep/records/{record_id}")
def record_page(
    request: Request, session: SessionDep, principal: PageReaderDep, record_id: str, done: str = ""
) -> HTMLResponse:
    number = _number(record_id)
    if number is None:
        return _missing(request)
    try:
        return _record_page(request, session, principal, number, done=done[:20])
    except NotFoundError:
        return _missing(request)


def _findings(form: FormData) -> list[steps.FindingItem]:
    items = []
    for n in range(1, FINDING_ROWS + 1):
        text = str(form.get(f"f{n}.description") or "").strip()
        if not text:
            continue
        items.append(
            steps.FindingItem(
                category=str(form.get(f"f{n}.category") or "other"),
                description=text,
                violation=form.get(f"f{n}.violation") == "yes",
                severity=str(form.get(f"f{n}.severity") or "medium"),
            )
        )
    return items


async def _act(
    request: Request, session: Session, box: Container, principal: Principal, record_id: int,
    action: str, form: FormData,
) -> None:  # fmt: skip
    now = box.clock.now()
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    advisories = [a for a in text.get("advisories", "").splitlines() if a.strip()]
    note = text.get("note", "")
    if action == "self_screening":
        steps.complete_self_screening(
            session=session, principal=principal, record_id=record_id, now=now,
            advisories=advisories, note=note,
        )  # fmt: skip
    elif action == "monitoring_review":
        steps.complete_monitoring_review(
            session=session, principal=principal, record_id=record_id, now=now,
            advisories=advisories, note=note,
        )  # fmt: skip
    elif action == "third_party":
        upload = form.get("report")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError("report: choose the report's PDF")
        limits = MediaLimits.from_settings(box.settings)
        data = await upload.read(limits.max_document_bytes + 1)
        steps.submit_third_party(
            session=session, settings=box.settings, index=box.regions.get(session),
            principal=principal, record_id=record_id, now=now,
            report=steps.ThirdPartyReport(
                company=text.get("company", ""), accreditation_no=text.get("accreditation_no", ""),
                report_no=text.get("report_no", ""), filename=upload.filename, data=data,
                findings=tuple(_findings(form)),
            ),
        )  # fmt: skip
    elif action == "enforcement":
        inspection = _number(text.get("inspection_id", "").strip())
        steps.record_enforcement(
            session=session, principal=principal, index=box.regions.get(session),
            policy=load_policy(session=session, settings=box.settings), record_id=record_id,
            now=now, inspection_id=inspection, text=text.get("text", ""),
            findings=[] if inspection else _findings(form),
        )  # fmt: skip
    elif action == "follow_up":
        follow_up.complete_follow_up(
            session=session, principal=principal, record_id=record_id, now=now, note=note,
            sink=sink_for(box),
        )  # fmt: skip
    else:
        step, move = text.get("step", ""), text.get("move", "")
        if move not in ("skip", "reopen"):
            raise InputError("move: skip or reopen")
        service.move_step(
            session=session, principal=principal, record_id=record_id, step=step,
            action="skip" if move == "skip" else "reopen", reason=text.get("reason", ""), now=now,
        )  # fmt: skip


@router.post("/fivestep/records/{record_id}/{action}", response_model=None)
async def record_action(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    record_id: str,
    action: str,
) -> HTMLResponse | RedirectResponse:
    number = _number(record_id)
    if number is None or action not in (*ACTIONS, "move"):
        return _missing(request)
    async with request.form() as form:
        try:
            with session.begin_nested():
                await _act(request, session, box, principal, number, action, form)
        except NotFoundError:
            return _missing(request)
        except (PermissionDenied, ConflictError, InputError) as exc:
            status = 403 if isinstance(exc, PermissionDenied) else 409
            status = 422 if isinstance(exc, InputError) else status
            return _record_page(
                request, session, principal, number, error=str(exc), failed=action,
                status_code=status,
            )  # fmt: skip
    return RedirectResponse(f"/fivestep/records/{number}?done={action}", status_code=303)

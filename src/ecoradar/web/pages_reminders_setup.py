"""What officers define for service reminders: upcoming stricter standards per industry and
seasonal campaigns (``/reminders/setup``). Included before ``pages_reminders`` so the path is
not read as a reminder's number."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.reminders import setup
from ecoradar.web.deps import ContainerDep, SessionDep, page_roles
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)
OfficerDep = Annotated[Principal, Depends(page_roles("admin", "officer"))]


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{field}: not a date (YYYY-MM-DD)") from exc


def _page(
    request: Request, session: Session, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    standards, campaigns = setup.listing(session)
    return render(
        request,
        "reminders/setup.html",
        status_code=status_code,
        standards=standards,
        campaigns=campaigns,
        error=error,
        done=request.query_params.get("done", ""),
    )


@router.get("/reminders/setup")
def setup_page(request: Request, session: SessionDep, principal: OfficerDep) -> HTMLResponse:
    return _page(request, session)


@router.post("/reminders/setup/standards", response_model=None)
async def add_standard(
    request: Request, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> Response:
    async with request.form() as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        with session.begin_nested():
            setup.add_standard(
                session=session, industry=fields.get("industry", ""),
                standard=fields.get("standard", ""),
                effective=_day(fields.get("effective", ""), "effective"),
                changes=fields.get("changes", ""), changes_en=fields.get("changes_en", ""),
                now=box.clock.now(), actor=principal.actor, actor_user_id=principal.user_id,
            )  # fmt: skip
    except (InputError, NotFoundError) as exc:
        return _page(request, session, error=str(exc), status_code=422)
    return RedirectResponse("/reminders/setup?done=standard", status_code=303)


@router.post("/reminders/setup/campaigns", response_model=None)
async def add_campaign(
    request: Request, session: SessionDep, box: ContainerDep, principal: OfficerDep
) -> Response:
    async with request.form() as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        with session.begin_nested():
            setup.add_campaign(
                session=session, name=fields.get("name", ""),
                starts=_day(fields.get("starts", ""), "starts"),
                ends=_day(fields.get("ends", ""), "ends"), text=fields.get("text", ""),
                text_en=fields.get("text_en", ""),
                industries=fields.get("industries", "").replace("，", ",").split(","),
                region_codes=fields.get("regions", "").replace("，", ",").split(","),
                now=box.clock.now(), actor=principal.actor, actor_user_id=principal.user_id,
            )  # fmt: skip
    except (InputError, NotFoundError) as exc:
        return _page(request, session, error=str(exc), status_code=422)
    return RedirectResponse("/reminders/setup?done=campaign", status_code=303)

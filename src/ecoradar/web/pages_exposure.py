"""Big exposure pages. Anyone: ``/public/exposure`` (the published, unexpired entries, filtered
by area, category and year), one entry, and the Atom feed ``/public/exposure/feed.atom``.
Officers and administrators: ``/exposure`` (the entries of their scope), the proposal form of a
problem (``/exposure/propose/{problem}``, linked from the problem page) and an entry with its
review (approve, reject, withdraw).

Handlers stay thin: they call ``ecoradar.exposure``. A refused change renders the page again
with its message, nothing stored (one savepoint). An unknown public entry counts against the
tracking rate limit per address, as the green code's public page does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.clues import ratelimit
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import (
    ConflictError,
    EcoRadarError,
    InputError,
    NotFoundError,
    PermissionDenied,
)
from ecoradar.exposure import public, rules, service
from ecoradar.exposure.models import STATES
from ecoradar.exposure.settings import ExposureSettings
from ecoradar.exposure.views import SettingsDep
from ecoradar.problems.models import CATEGORIES
from ecoradar.problems.service import get_problem
from ecoradar.rewards.outcomes import effective_outcome
from ecoradar.web import public_deps
from ecoradar.web.deps import ContainerDep, PageStaffDep, SessionDep
from ecoradar.web.pages_greencode_public import base_url
from ecoradar.web.pages_inspections import missing_page, page_number, status_of
from ecoradar.web.templating import environment, render

router = APIRouter(include_in_schema=False)

Short = Annotated[str, Query(max_length=32)]
REFUSED = (InputError, ConflictError, PermissionDenied, NotFoundError)


def _ip(request: Request) -> str | None:
    return request.client.host[:64] if request.client else None


def _days(text: str) -> int | None:
    """The days a proposal asks for: None (the default) when empty, -1 (refused) when not a
    number."""
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 6 else -1


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) == 4 else None


# --- public -----------------------------------------------------------------------------------


@router.get("/public/exposure")
def public_list(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    region: Short = "",
    category: Short = "",
    year: Short = "",
    page: Short = "1",
) -> HTMLResponse:
    now = box.clock.now()
    filters = public.PublicFilter(
        region=region or None,
        category=category if category in CATEGORIES else None,
        year=_year(year),
    )
    result = public.public_page(
        session=session, now=now, filters=filters, page=page_number(page) or 1
    )
    regions, years = public.filter_choices(session=session, now=now)
    return render(
        request,
        "exposure/public_list.html",
        headers={"Cache-Control": "no-cache"},
        result=result,
        filters=filters,
        regions=regions,
        years=years,
        categories=CATEGORIES,
    )


@router.get("/public/exposure/feed.atom")
def public_feed(request: Request, session: SessionDep, box: ContainerDep) -> Response:
    now = box.clock.now()
    entries = public.public_feed(session=session, now=now)
    base = base_url(request, box).rstrip("/")
    locale = getattr(request.state, "locale", box.settings.default_locale)
    xml = (
        environment(locale)
        .get_template("exposure/feed.atom.xml")
        .render(
            entries=entries,
            base=base,
            china=CHINA_TZ,
            updated=max((e.updated_at for e in entries), default=now),
        )
    )
    return Response(
        xml,
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/public/exposure/{number}")
def public_entry(request: Request, box: ContainerDep, number: str) -> Response:
    _ip_address, client = public_deps.client_of(request)
    now = box.clock.now()
    found_number = page_number(number)
    try:
        with box.reading() as session:
            ratelimit.check_tracking(
                session=session,
                client=client,
                limit=box.settings.clue_tracking_rate_limit_per_hour,
                now=now,
            )
            entry = (
                public.public_entry(session=session, now=now, number=found_number)
                if found_number is not None
                else None
            )
    except RateLimited as exc:
        return render(
            request,
            "greencode/public_limited.html",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if entry is None:
        public_deps.count_refusal(box, client, now, ratelimit.TRACKING)
        return render(request, "exposure/public_404.html", status_code=404)
    return render(
        request, "exposure/public_entry.html", headers={"Cache-Control": "no-cache"}, entry=entry
    )


# --- the bureau -------------------------------------------------------------------------------


@router.get("/exposure")
def staff_list(
    request: Request, session: SessionDep, principal: PageStaffDep, state: Short = ""
) -> HTMLResponse:
    chosen = state if state in STATES else None
    entries = service.list_entries(session=session, principal=principal, state=chosen)
    return render(
        request,
        "exposure/list.html",
        entries=entries,
        state=chosen,
        states=STATES,
        officer=principal.has_role(*service.OFFICER_ROLES),
    )


def _proposal_page(
    request: Request,
    session: Session,
    principal: Principal,
    settings: ExposureSettings,
    problem_id: int,
    *,
    values: dict[str, str] | None = None,
    error: EcoRadarError | None = None,
) -> HTMLResponse:
    problem = get_problem(session=session, principal=principal, problem_id=problem_id)
    facts = service.facts_of(problem)
    return render(
        request,
        "exposure/propose.html",
        status_code=status_of(error) if error is not None else 200,
        problem=problem,
        refusal=rules.exposure_refusal(facts),
        rectification=rules.rectification(facts),
        outcome=effective_outcome(session=session, problem=problem),
        entries=service.entries_of_problem(session=session, problem_id=problem.id),
        settings=settings,
        values=values or {"expiry_days": str(settings.expiry_days)},
        error=error,
        error_code=getattr(error, "code", ""),
        text_max=rules.TEXT_MAX,
    )


@router.get("/exposure/propose/{problem_id}")
def proposal_form(
    request: Request,
    session: SessionDep,
    principal: PageStaffDep,
    settings: SettingsDep,
    problem_id: str,
) -> HTMLResponse:
    number = page_number(problem_id)
    if number is None:
        return missing_page(request)
    try:
        return _proposal_page(request, session, principal, settings, number)
    except NotFoundError:
        return missing_page(request)


@router.post("/exposure/propose/{problem_id}", response_model=None)
async def propose(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    settings: SettingsDep,
    problem_id: str,
) -> Response:
    number = page_number(problem_id)
    if number is None:
        return missing_page(request)
    async with request.form() as form:
        values = {k: str(form.get(k) or "").strip() for k in ("text", "expiry_days")}
    try:
        days = values["expiry_days"]
        with session.begin_nested():
            entry = service.propose(
                session=session,
                principal=principal,
                problem_id=number,
                text=values["text"],
                settings=settings,
                now=box.clock.now(),
                expiry_days=_days(days),
                ip=_ip(request),
            )
    except REFUSED as exc:
        try:
            return _proposal_page(
                request, session, principal, settings, number, values=values, error=exc
            )
        except NotFoundError:
            return missing_page(request)
    return RedirectResponse(f"/exposure/{entry.id}?done=proposed", status_code=303)


def _entry_page(
    request: Request,
    session: Session,
    principal: Principal,
    entry_id: int,
    *,
    done: str = "",
    error: EcoRadarError | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
) -> HTMLResponse:
    entry = service.get_entry(session=session, principal=principal, entry_id=entry_id)
    box = request.app.state.container
    now = box.clock.now()
    review = rules.Review(entry.four_eyes, entry.review_after, entry.proposed_by_user_id)
    preview = public.public_entry(session=session, now=now, number=entry.id)
    return render(
        request,
        "exposure/entry.html",
        status_code=status_of(error) if error is not None else 200,
        entry=entry,
        preview=preview,
        approval_refusal=rules.approval_refusal(review, principal.user_id, now),
        expired=entry.expires_at is not None and entry.expires_at <= now,
        done=done,
        error=error,
        error_code=getattr(error, "code", ""),
        values=values or {},
        failed=failed,
        china=CHINA_TZ,
    )


@router.get("/exposure/{entry_id}")
def entry_page(
    request: Request, session: SessionDep, principal: PageStaffDep, entry_id: str, done: Short = ""
) -> HTMLResponse:
    number = page_number(entry_id)
    if number is None:
        return missing_page(request)
    try:
        return _entry_page(request, session, principal, number, done=done)
    except NotFoundError:
        return missing_page(request)


@router.post("/exposure/{entry_id}/{action}", response_model=None)
async def entry_action(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageStaffDep,
    entry_id: str,
    action: str,
) -> Response:
    number = page_number(entry_id)
    if number is None or action not in ("approve", "reject", "withdraw"):
        return missing_page(request)
    async with request.form() as form:
        values = {"reason": str(form.get("reason") or "").strip()}
    common: dict[str, Any] = {
        "session": session,
        "principal": principal,
        "entry_id": number,
        "now": box.clock.now(),
        "ip": _ip(request),
    }
    try:
        with session.begin_nested():
            if action == "approve":
                service.approve(**common)
            elif action == "reject":
                service.reject(reason=values["reason"], **common)
            else:
                service.withdraw(reason=values["reason"], **common)
    except REFUSED as exc:
        if isinstance(exc, NotFoundError):
            return missing_page(request)
        return _entry_page(
            request, session, principal, number, error=exc, values=values, failed=action
        )
    done = {"approve": "published", "reject": "rejected", "withdraw": "withdrawn"}[action]
    return RedirectResponse(f"/exposure/{number}?done={done}", status_code=303)

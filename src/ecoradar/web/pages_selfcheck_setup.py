"""Setting up self-inspection in the web app (``/selfcheck/setup``), for administrators and
officers (within their region): an enterprise's control points (add, edit, retire, restore),
their schedules and QR codes, the checklists (new ones, new versions) and which one a point
uses. Handlers stay thin: ``ecoradar.selfcheck.setup`` checks every field by the file
import's rules and writes in a savepoint, so a refusal shows the form again, with each field's
reason, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import NotFoundError
from ecoradar.problems.models import CATEGORIES
from ecoradar.selfcheck import setup
from ecoradar.selfcheck import setup_checklists as checklists
from ecoradar.selfcheck.checklist_form import BLANK_ROWS, Row, rows_from_form, rows_of
from ecoradar.selfcheck.checks import ITEM_KINDS, MAX_ITEMS
from ecoradar.selfcheck.fields import FormRefused
from ecoradar.selfcheck.qr import point_url, qr_svg
from ecoradar.selfcheck.schedule import KINDS
from ecoradar.selfcheck.templates import current_version, items_of
from ecoradar.selfcheck.views import DefaultsStored
from ecoradar.web.deps import ContainerDep, SessionDep, page_roles
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)
ConfigDep = Annotated[Principal, Depends(page_roles(*setup.CONFIGURING_ROLES))]
Form = dict[str, str]
CODE = Annotated[str, Query(max_length=64)]


def _missing(request: Request) -> HTMLResponse:
    return render(request, "404.html", status_code=404, code=None)


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


async def _form(request: Request) -> tuple[Form, list[str], list[str]]:
    """Text fields, the names of ticked boxes, and the chosen points."""
    async with request.form() as form:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        ticked = [k for k, v in form.multi_items() if isinstance(v, str) and v == "on"]
        chosen = [v for v in form.getlist("point") if isinstance(v, str)]
    return values, ticked, chosen


def _common(**context: Any) -> dict[str, Any]:
    return {"kinds": KINDS, "categories": CATEGORIES, "item_kinds": ITEM_KINDS, **context}


@router.get("/selfcheck/setup")
def setup_home(
    request: Request, _ready: DefaultsStored, session: SessionDep, principal: ConfigDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:  # fmt: skip
    rows = setup.enterprises(session=session, principal=principal, search=q)
    return render(request, "selfcheck/setup.html", rows=rows, q=q, limit=setup.LIST_LIMIT)


def _enterprise_page(
    request: Request, session: Session, principal: Principal, code: str, *,
    form: Form | None = None, errors: dict[str, str] | None = None, which: str = "",
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    owner = setup.enterprise(session=session, principal=principal, code=code)
    return render(
        request, "selfcheck/setup_enterprise.html", status_code=status_code,
        **_common(enterprise=owner, points=setup.points_of(session=session, enterprise_id=owner.id),
                  types=setup.point_types(session=session), form=form or {},
                  errors=errors or {}, which=which,
                  done=request.query_params.get("done", "")),
    )  # fmt: skip


@router.get("/selfcheck/setup/enterprises/{code}")
def enterprise_page(
    request: Request, _ready: DefaultsStored, session: SessionDep, principal: ConfigDep, code: str
) -> HTMLResponse:
    try:
        return _enterprise_page(request, session, principal, code)
    except NotFoundError:
        return _missing(request)


@router.post("/selfcheck/setup/enterprises/{code}/points", response_model=None)
async def add_point(
    request: Request, session: SessionDep, box: ContainerDep, principal: ConfigDep, code: str
) -> Response:
    form, _, _ = await _form(request)
    try:
        with session.begin_nested():
            created = setup.create_point(
                session=session, by=principal, enterprise_code=code, form=form,
                now=box.clock.now(),
            )  # fmt: skip
        return RedirectResponse(f"/selfcheck/setup/points/{created.id}?done=created", 303)
    except NotFoundError:
        return _missing(request)
    except FormRefused as exc:
        return _enterprise_page(request, session, principal, code, form=form, errors=exc.errors,
                                which="add", status_code=422)  # fmt: skip


@router.post("/selfcheck/setup/enterprises/{code}/attach", response_model=None)
async def attach(
    request: Request, session: SessionDep, box: ContainerDep, principal: ConfigDep, code: str
) -> Response:
    form, _, chosen = await _form(request)
    ids = [n for n in (_number(c) for c in chosen) if n is not None]
    try:
        with session.begin_nested():
            setup.attach_checklist(
                session=session, by=principal, enterprise_code=code,
                type_code=form.get("type", ""), point_ids=ids, now=box.clock.now(),
            )  # fmt: skip
        return RedirectResponse(f"/selfcheck/setup/enterprises/{code}?done=attached", 303)
    except NotFoundError:
        return _missing(request)
    except FormRefused as exc:
        return _enterprise_page(request, session, principal, code, form=form, errors=exc.errors,
                                which="attach", status_code=422)  # fmt: skip


def _point_page(
    request: Request, session: Session, principal: Principal, point_id: int, *,
    form: Form | None = None, errors: dict[str, str] | None = None, which: str = "",
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    target = setup.point(session=session, principal=principal, point_id=point_id)
    return render(
        request, "selfcheck/setup_point.html", status_code=status_code,
        **_common(point=target, enterprise=target.enterprise,
                  types=setup.point_types(session=session), form=form or {},
                  errors=errors or {}, which=which, done=request.query_params.get("done", "")),
    )  # fmt: skip


@router.get("/selfcheck/setup/points/{point_id}")
def point_page(
    request: Request, session: SessionDep, principal: ConfigDep, point_id: str
) -> HTMLResponse:
    number = _number(point_id)
    try:
        if number is None:
            raise NotFoundError(point_id)
        return _point_page(request, session, principal, number)
    except NotFoundError:
        return _missing(request)


@router.post("/selfcheck/setup/points/{point_id}/{action}", response_model=None)
async def change_point(
    request: Request, session: SessionDep, box: ContainerDep, principal: ConfigDep,
    point_id: str, action: str,
) -> Response:  # fmt: skip
    """``edit`` (name, type, place), ``schedule``, ``retire`` or ``restore``."""
    number = _number(point_id)
    if number is None or action not in ("edit", "schedule", "retire", "restore"):
        return _missing(request)
    form, _, _ = await _form(request)
    now = box.clock.now()
    try:
        with session.begin_nested():
            if action == "edit":
                setup.update_point(session=session, by=principal, point_id=number, form=form,
                                   now=now)  # fmt: skip
            elif action == "schedule":
                setup.set_schedule(session=session, by=principal, point_id=number, form=form,
                                   now=now)  # fmt: skip
            else:
                setup.set_active(session=session, by=principal, point_id=number,
                                 active=action == "restore", now=now)  # fmt: skip
    except NotFoundError:
        return _missing(request)
    except FormRefused as exc:
        return _point_page(request, session, principal, number, form=form, errors=exc.errors,
                           which=action, status_code=422)  # fmt: skip
    return RedirectResponse(f"/selfcheck/setup/points/{number}?done={action}", 303)


@router.get("/selfcheck/setup/points/{point_id}/qr")
def point_qr(
    request: Request, session: SessionDep, box: ContainerDep, principal: ConfigDep, point_id: str
) -> HTMLResponse:
    """A printable page with the point's QR code (the SVG from the API for other uses)."""
    number = _number(point_id)
    try:
        if number is None:
            raise NotFoundError(point_id)
        target = setup.point(session=session, principal=principal, point_id=number)
    except NotFoundError:
        return _missing(request)
    url = point_url(box.settings.public_url or str(request.base_url), target.id)
    return render(
        request, "selfcheck/setup_qr.html", enterprise=target.enterprise, point=target,
        sheet=[(target, url, qr_svg(url, scale=8))],
    )  # fmt: skip


@router.get("/selfcheck/setup/checklists")
def checklists_page(
    request: Request, _ready: DefaultsStored, session: SessionDep, principal: ConfigDep
) -> HTMLResponse:
    types = setup.point_types(session=session)
    listed = [
        (t, current_version(session=session, point_type_id=t.id),
         checklists.may_edit_checklist(session=session, principal=principal, point_type=t))
        for t in types
    ]  # fmt: skip
    return render(request, "selfcheck/setup_checklists.html", listed=listed,
                  done=request.query_params.get("done", ""))  # fmt: skip


def _checklist_page(
    request: Request, *, point_type: Any, rows: list[Row], form: Form, editable: bool,
    version: Any = None, errors: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "selfcheck/setup_checklist.html", status_code=status_code,
        **_common(point_type=point_type, checklist_version=version, rows=rows, form=form,
                  editable=editable, errors=errors or {},
                  done=request.query_params.get("done", "")),
    )  # fmt: skip


def _posted_rows(form: Form, ticked: list[str]) -> list[Row]:
    count = _number(form.get("rows", "")) or 0
    return rows_from_form(form, ticked, min(count, MAX_ITEMS + BLANK_ROWS))


@router.get("/selfcheck/setup/checklists/new")
def new_checklist_page(request: Request, principal: ConfigDep) -> HTMLResponse:
    rows = rows_of([], blank=5)
    return _checklist_page(request, point_type=None, rows=rows, form={"category": "other"},
                           editable=True)  # fmt: skip


@router.post("/selfcheck/setup/checklists/new", response_model=None)
async def add_checklist(
    request: Request, session: SessionDep, box: ContainerDep, principal: ConfigDep
) -> Response:
    form, ticked, _ = await _form(request)
    rows = _posted_rows(form, ticked)
    try:
        with session.begin_nested():
            created = checklists.create_checklist(
                session=session, by=principal, form=form, rows=rows, now=box.clock.now()
            )
    except FormRefused as exc:
        return _checklist_page(request, point_type=None, rows=rows, form=form, editable=True,
                               errors=exc.errors, status_code=422)  # fmt: skip
    return RedirectResponse(f"/selfcheck/setup/checklists/{created.code}?done=created", 303)


@router.get("/selfcheck/setup/checklists/{code}")
def checklist_page(
    request: Request, _ready: DefaultsStored, session: SessionDep, principal: ConfigDep, code: str
) -> HTMLResponse:
    try:
        target = checklists.point_type(session=session, code=code)
    except NotFoundError:
        return _missing(request)
    version = current_version(session=session, point_type_id=target.id)
    editable = checklists.may_edit_checklist(
        session=session, principal=principal, point_type=target
    )
    return _checklist_page(
        request, point_type=target, version=version, editable=editable,
        rows=rows_of(items_of(version), blank=BLANK_ROWS if editable else 0),
        form={"name": version.template.name},
    )  # fmt: skip


@router.post("/selfcheck/setup/checklists/{code}", response_model=None)
async def edit_checklist(
    request: Request, session: SessionDep, box: ContainerDep, principal: ConfigDep, code: str
) -> Response:
    form, ticked, _ = await _form(request)
    rows = _posted_rows(form, ticked)
    try:
        target = checklists.point_type(session=session, code=code)
        with session.begin_nested():
            issued = checklists.edit_checklist(
                session=session, by=principal, type_code=code, form=form, rows=rows,
                now=box.clock.now(),
            )  # fmt: skip
    except NotFoundError:
        return _missing(request)
    except FormRefused as exc:
        version = current_version(session=session, point_type_id=target.id)
        return _checklist_page(request, point_type=target, version=version, rows=rows,
                               form=form, editable=True, errors=exc.errors,
                               status_code=422)  # fmt: skip
    done = "version" if issued.created else "unchanged"
    return RedirectResponse(f"/selfcheck/setup/checklists/{code}?done={done}", 303)

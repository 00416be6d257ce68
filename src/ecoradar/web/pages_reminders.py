"""Service reminder pages: the officers' list (drafts and issued) with review, edit and issue;
a reminder's page (the document as HTML, its PDF); the enterprise's reminders with
acknowledge and answer (a rectification note and evidence files); officers accept or return
each answer.

Handlers stay thin: they call ``ecoradar.reminders.service``. The forms post here
(``csrf_token``; the answer form is multipart) and redirect back to the reminder's page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from ecoradar.media import service as media
from ecoradar.media.inspect import MediaLimits
from ecoradar.reminders import render as rendering
from ecoradar.reminders import service
from ecoradar.reminders.config import config_for
from ecoradar.reminders.models import REMINDER_STATES
from ecoradar.reminders.notify import Notifier, from_config
from ecoradar.web.deps import ContainerDep, PageReaderDep, SessionDep
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

Number = Annotated[str, Query(max_length=32)]
MAX_FILES = 5


def _missing(request: Request) -> HTMLResponse:
    return render(request, "404.html", status_code=404, code=None)


def notifier_of(request: Request, box: Container) -> Notifier:
    """The app's notifier (a fake in tests: ``app.state.reminder_notifier``), else the
    configured adapters."""
    found: Notifier | None = getattr(request.app.state, "reminder_notifier", None)
    return found if found is not None else from_config(config_for(box.settings).notify)


@router.get("/reminders")
def list_page(
    request: Request,
    session: SessionDep,
    principal: PageReaderDep,
    state: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    chosen = state if state in REMINDER_STATES else ""
    if principal.role == "enterprise":
        chosen = "" if chosen == "draft" else chosen
    found = service.list_reminders(session=session, principal=principal, state=chosen or None)
    return render(
        request,
        "reminders/list.html",
        reminders=found,
        state=chosen,
        states=[s for s in REMINDER_STATES if principal.role != "enterprise" or s != "draft"],
        enterprise_view=principal.role == "enterprise",
        officer=principal.is_admin or principal.has_role("officer"),
    )


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    reminder = service.get(session=session, principal=principal, number=number)
    locale = getattr(request.state, "locale", "zh_CN")
    officer = principal.is_admin or principal.has_role("officer")
    own = principal.role == "enterprise" and principal.enterprise_id == reminder.enterprise_id
    return render(
        request,
        "reminders/detail.html",
        status_code=status_code,
        officer=officer,
        own=own,
        error=error,
        done=request.query_params.get("done", ""),
        **rendering.document_context(reminder, locale),
    )


@router.get("/reminders/{number}")
def detail_page(
    request: Request, session: SessionDep, principal: PageReaderDep, number: str
) -> HTMLResponse:
    try:
        return _page(request, session, principal, number[:32])
    except NotFoundError:
        return _missing(request)


@router.get("/reminders/{number}/pdf", response_model=None)
def pdf_download(
    request: Request,
    session: SessionDep,
    principal: PageReaderDep,
    number: str,
    lang: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    try:
        reminder = service.get(session=session, principal=principal, number=number[:32])
    except NotFoundError:
        return _missing(request)
    locale = lang if lang in ("zh_CN", "en") else getattr(request.state, "locale", "zh_CN")
    data = rendering.pdf(reminder, locale)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{reminder.number}.pdf"'},
    )


@router.get("/reminders/{number}/files/{media_id}", response_model=None)
def answer_file(
    request: Request,
    session: SessionDep,
    principal: PageReaderDep,
    box: ContainerDep,
    number: str,
    media_id: int,
) -> Response:
    """An evidence file of an answer in a reminder you may see."""
    try:
        reminder = service.get(session=session, principal=principal, number=number[:32])
    except NotFoundError:
        return _missing(request)
    if not any(media_id in (i.answer_media_ids or []) for i in reminder.issues):
        return _missing(request)
    found, path = media.open_media(session=session, home=box.settings.home, media_id=media_id)
    return media.file_response(found, path)


def _refused(
    request: Request, session: Session, principal: Principal, number: str, exc: Exception
) -> HTMLResponse:
    status = 403 if isinstance(exc, PermissionDenied) else 409
    status = 422 if isinstance(exc, InputError) else status
    return _page(request, session, principal, number, error=str(exc), status_code=status)


def _back(number: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/reminders/{number}?done={done}", status_code=303)


@router.post("/reminders/{number}/edit", response_model=None)
async def edit_post(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageReaderDep, number: str
) -> Response:
    async with request.form() as form:
        fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    edits = []
    for key, value in fields.items():
        if key.startswith("suggestion.") and key[11:].isdigit():
            issue_id = int(key[11:])
            edits.append(
                service.IssueEdit(
                    issue_id,
                    value,
                    fields.get(f"basis.{issue_id}", ""),
                    remove=fields.get(f"remove.{issue_id}") == "1",
                )
            )
    try:
        with session.begin_nested():
            service.edit_draft(
                session=session, principal=principal, number=number[:32],
                intro=fields.get("intro", ""), edits=edits, now=box.clock.now(),
            )  # fmt: skip
    except NotFoundError:
        return _missing(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        return _refused(request, session, principal, number, exc)
    return _back(number, "saved")


@router.post("/reminders/{number}/issue", response_model=None)
def issue_post(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageReaderDep, number: str
) -> Response:
    try:
        with session.begin_nested():
            service.issue(
                session=session, principal=principal, number=number[:32],
                config=config_for(box.settings), now=box.clock.now(),
                notifier=notifier_of(request, box),
            )  # fmt: skip
    except NotFoundError:
        return _missing(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        return _refused(request, session, principal, number, exc)
    return _back(number, "issued")


@router.post("/reminders/{number}/acknowledge", response_model=None)
def acknowledge_post(
    request: Request, session: SessionDep, box: ContainerDep, principal: PageReaderDep, number: str
) -> Response:
    try:
        with session.begin_nested():
            service.acknowledge(
                session=session, principal=principal, number=number[:32], now=box.clock.now()
            )
    except NotFoundError:
        return _missing(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        return _refused(request, session, principal, number, exc)
    return _back(number, "acknowledged")


@router.post("/reminders/{number}/issues/{issue_id}/answer", response_model=None)
async def answer_post(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    number: str,
    issue_id: int,
) -> Response:
    limits = MediaLimits.from_settings(box.settings)
    uploads: list[tuple[str, bytes]] = []
    async with request.form() as form:
        note = str(form.get("note") or "")
        for key, value in form.multi_items():
            if key == "files" and isinstance(value, UploadFile) and value.filename:
                data = await value.read(limits.max_image_bytes + 1)
                if data:
                    uploads.append((value.filename, data))
    try:
        with session.begin_nested():
            now = box.clock.now()
            if len(uploads) > MAX_FILES:
                raise InputError(f"files: at most {MAX_FILES}")
            service.get(session=session, principal=principal, number=number[:32])
            ids = [
                media.store_upload(
                    session=session, home=box.settings.home, data=data, filename=name,
                    now=now, uploaded_by=principal.actor, limits=limits,
                ).id
                for name, data in uploads
            ]  # fmt: skip
            service.answer(
                session=session, principal=principal, number=number[:32], issue_id=issue_id,
                note=note, media_ids=ids, now=now,
            )  # fmt: skip
    except NotFoundError:
        return _missing(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        return _refused(request, session, principal, number, exc)
    return _back(number, "answered")


@router.post("/reminders/{number}/issues/{issue_id}/decide", response_model=None)
async def decide_post(
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: PageReaderDep,
    number: str,
    issue_id: int,
) -> Response:
    async with request.form() as form:
        decision = str(form.get("decision") or "")
        note = str(form.get("note") or "")
    try:
        if decision not in ("accept", "return"):
            raise InputError("decision: accept or return")
        with session.begin_nested():
            service.decide(
                session=session, principal=principal, number=number[:32], issue_id=issue_id,
                accept=decision == "accept", note=note, now=box.clock.now(),
            )  # fmt: skip
    except NotFoundError:
        return _missing(request)
    except (PermissionDenied, ConflictError, InputError) as exc:
        return _refused(request, session, principal, number, exc)
    return _back(number, "accepted" if decision == "accept" else "returned")

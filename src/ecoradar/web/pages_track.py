"""The public's tracking pages: ``GET /track`` (a form for a code), ``GET /track/{code}``
(status in plain words, deadlines, the public timeline and notes with the bureau acting and
nobody named, public photos) and, after closure, the reporter's follow-up form posted to
``POST /track/{code}/feedback`` (``give_feedback``: a dispute reopens the problem).
``GET /track/{code}/photos/{id}`` serves the photos an officer made public.

Unknown codes answer a friendly 404 and count against the tracking rate limit per address, as
the API's do; past the limit every tracking page answers 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from ecoradar.bootstrap import Container
from ecoradar.clues import ratelimit
from ecoradar.clues.feedback import FeedbackIn, give_feedback
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.clues.service import clue_by_code
from ecoradar.clues.tracking import display_code, normalize_tracking_code
from ecoradar.core.errors import EcoRadarError, InputError, NotFoundError
from ecoradar.media import service as media
from ecoradar.web import public_deps as public
from ecoradar.web import public_forms as forms
from ecoradar.web.deps import ContainerDep
from ecoradar.web.problem_forms import iso_local
from ecoradar.web.public_deps import VisitorDep
from ecoradar.web.public_track import OFFICIAL_ACTIONS, public_photo, track_view
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

DONE = ("confirmed", "disputed", "rated")
"""What ``?done=`` may name: the answer the page thanks for."""
CodeText = Annotated[str, Path(max_length=100)]
Field = Annotated[str, Form(max_length=forms.TEXT_LIMIT)]


def _start_page(
    request: Request,
    *,
    code: str = "",
    error: forms.Refusal | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "public/track_start.html",
        status_code=error.status if error is not None else 200,
        headers=headers,
        code=code,
        error=error,
    )


def _missing(request: Request, code: str) -> Response:
    return render(request, "public/404.html", status_code=404, code=code[:40])


def _limited(request: Request, exc: RateLimited, code: str = "") -> Response:
    return _start_page(
        request,
        code=code,
        error=forms.refusal(exc),
        headers={"Retry-After": str(exc.retry_after)},
    )


@router.get("/track")
def track_start(
    request: Request,
    box: ContainerDep,
    principal: VisitorDep,
    code: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The form for a code; with ``?code=`` it goes to that code's page."""
    if code is None or not code.strip():
        return _start_page(request)
    normal = normalize_tracking_code(code)
    if normal is not None:
        return RedirectResponse(f"/track/{display_code(normal)}", status_code=303)
    _ip, client = public.client_of(request)
    now = box.clock.now()
    try:
        with box.reading() as session:
            ratelimit.check_tracking(
                session=session,
                client=client,
                limit=box.settings.clue_tracking_rate_limit_per_hour,
                now=now,
            )
    except RateLimited as exc:
        return _limited(request, exc, code)
    public.count_refusal(box, client, now, ratelimit.TRACKING)
    refused = forms.Refusal("not_a_code", 422, "code", code[:40])
    return _start_page(request, code=code, error=refused)


def _track_page(
    request: Request,
    box: Container,
    code: str,
    *,
    check_limit: bool = True,
    done: str = "",
    error: forms.Refusal | None = None,
    values: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    _ip, client = public.client_of(request)
    now = box.clock.now()
    settings = box.settings
    nonce = public.form_nonce(request)
    try:
        with box.reading() as session:
            if check_limit:
                ratelimit.check_tracking(
                    session=session,
                    client=client,
                    limit=settings.clue_tracking_rate_limit_per_hour,
                    now=now,
                )
            clue = clue_by_code(session=session, code=code)
            view = track_view(session=session, settings=settings, clue=clue, now=now)
            response = render(
                request,
                "public/track.html",
                status_code=error.status if error is not None else 200,
                headers={"Cache-Control": "no-store", **(headers or {})},
                view=view,
                clue=clue,
                done=done if done in DONE else "",
                error=error,
                values=values or {},
                form_token=forms.form_token(settings, nonce),
                official=OFFICIAL_ACTIONS,
                iso_local=iso_local,
            )
    except RateLimited as exc:
        return _limited(request, exc)
    except NotFoundError:
        public.count_refusal(box, client, now, ratelimit.TRACKING)
        return _missing(request, code)
    return public.with_nonce(response, box, nonce)


@router.get("/track/{code}")
def track_page(
    request: Request,
    box: ContainerDep,
    principal: VisitorDep,
    code: CodeText,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    return _track_page(request, box, code, done=done)


def _answer(feedback: str, text: str, satisfaction: str) -> FeedbackIn:
    """The follow-up form as ``give_feedback`` takes it (empty fields are no answer)."""
    if feedback not in ("", "confirmed", "disputed"):
        raise InputError("feedback: must be confirmed or disputed")
    if satisfaction not in ("", "1", "2", "3", "4", "5"):
        raise InputError("satisfaction: from 1 (very dissatisfied) to 5 (very satisfied)")
    return FeedbackIn(
        feedback="confirmed" if feedback == "confirmed" else "disputed" if feedback else None,
        text=text,
        satisfaction=int(satisfaction) if satisfaction else None,
    )


@router.post("/track/{code}/feedback")
def track_feedback(
    request: Request,
    box: ContainerDep,
    principal: VisitorDep,
    code: CodeText,
    form_token: Annotated[str, Form(max_length=forms.TOKEN_MAX)] = "",
    feedback: Field = "",
    text: Field = "",
    satisfaction: Field = "",
) -> Response:
    """The reporter's answer after closure: fixed or still not fixed (which reopens the
    problem), and how satisfied they are; back to the page with what was done."""
    values = {"feedback": feedback, "text": text, "satisfaction": satisfaction}
    if not public.form_accepted(request, box, form_token):
        return _track_page(request, box, code, error=forms.EXPIRED, values=values)
    ip, client = public.client_of(request)
    now = box.clock.now()
    settings = box.settings
    try:
        answer = _answer(feedback, text, satisfaction)
        with box.transaction() as session:
            ratelimit.check_tracking(
                session=session,
                client=client,
                limit=settings.clue_tracking_rate_limit_per_hour,
                now=now,
            )
            clue = clue_by_code(session=session, code=code)
            give_feedback(
                session=session, settings=settings, clue=clue, answer=answer, now=now, ip=ip[:64]
            )
            ratelimit.record(session=session, client=client, kind=ratelimit.TRACKING, now=now)
            shown = display_code(clue.tracking_code)
    except RateLimited as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        refused = forms.refusal(exc)
        return _track_page(
            request, box, code, check_limit=False, error=refused, values=values, headers=headers
        )
    except NotFoundError:
        public.count_refusal(box, client, now, ratelimit.TRACKING)
        return _missing(request, code)
    except EcoRadarError as exc:
        public.count_refusal(box, client, now, ratelimit.TRACKING)
        refused = forms.refusal(exc)
        return _track_page(request, box, code, check_limit=False, error=refused, values=values)
    done = answer.feedback or "rated"
    return RedirectResponse(f"/track/{shown}?done={done}#status", status_code=303)


@router.get("/track/{code}/photos/{media_id}")
def track_photo(
    request: Request,
    box: ContainerDep,
    code: CodeText,
    media_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    thumbnail: bool = False,
) -> Response:
    """A photo of the problem an officer made public (re-encoded, no EXIF)."""
    _ip, client = public.client_of(request)
    now = box.clock.now()
    unknown = False
    try:
        with box.reading() as session:
            ratelimit.check_tracking(
                session=session,
                client=client,
                limit=box.settings.clue_tracking_rate_limit_per_hour,
                now=now,
            )
            try:
                clue = clue_by_code(session=session, code=code)
            except NotFoundError:
                unknown = True
                raise
            found = public_photo(session, clue, media_id)
            stored, path = media.open_media(
                session=session, home=box.settings.home, media_id=found.id, thumbnail=thumbnail
            )
    except NotFoundError:
        if unknown:
            public.count_refusal(box, client, now, ratelimit.TRACKING)
        return Response(status_code=404)
    return media.file_response(stored, path)

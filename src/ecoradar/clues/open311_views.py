"""Open311 GeoReport v2 at ``/open311/v2/`` and Service Discovery at ``/open311/discovery``.

Every resource answers in the format its suffix names (``.json`` or ``.xml``), errors included:
a list of ``{code, description}`` with the HTTP status the specification gives (400, 403, 404;
429 with ``Retry-After`` for a client over its rate limit). Parameters are read as sent, so no
answer is ever FastAPI's own validation error. The GET resources need no key and publish only
what ``open311_service`` deems public; ``POST requests`` needs an API key
(``open311_submit``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from ecoradar.bootstrap import Container
from ecoradar.clues import open311, open311_xml, ratelimit
from ecoradar.clues import open311_params as params
from ecoradar.clues import open311_service as service
from ecoradar.clues import open311_submit as submit
from ecoradar.clues import open311_words as words
from ecoradar.clues.intake import Upload
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.core.errors import (
    AuthenticationRequired,
    EcoRadarError,
    NotFoundError,
    PermissionDenied,
)
from ecoradar.media import service as media
from ecoradar.web.deps import ContainerDep

router = APIRouter(prefix="/open311", tags=["open311"])

FORMATS = ("json", "xml")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_RESOURCE = re.compile(
    r"/open311/(?:discovery|v2/(?:services|services/[^/]+|requests|requests/[^/]+|tokens/[^/]+))"
    r"\.[^/]+"
)
Text = Annotated[str | None, "an optional parameter: empty is the same as absent"]


# --- answers --------------------------------------------------------------------------------


def render(fmt: str, root: str, body: Any, status: int = 200, **headers: str) -> Response:
    """``body`` as JSON or as XML under ``root``."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    else:
        content = open311_xml.render(root, body)
    return Response(
        content, status_code=status, media_type=open311.MEDIA_TYPES[fmt], headers=headers
    )


def error(fmt: str, problem: open311.Open311Error) -> Response:
    return render(
        fmt if fmt in FORMATS else "xml",
        "errors",
        open311.error_list(problem.errors),
        problem.status,
        **problem.headers,
    )


def answer(fmt: str, root: str, produce: Callable[[], Any]) -> Response:
    """Run ``produce`` and render what it returns; refusals become the error list."""
    try:
        if fmt not in FORMATS:
            raise open311.bad_request(f"format {fmt!r}: this endpoint speaks json and xml")
        return render(fmt, root, produce())
    except open311.Open311Error as problem:
        return error(fmt, problem)
    except NotFoundError as exc:
        return error(fmt, open311.not_found(str(exc)))
    except (AuthenticationRequired, PermissionDenied) as exc:
        return error(fmt, open311.Open311Error(403, str(exc)))
    except EcoRadarError as exc:
        return error(fmt, open311.bad_request(str(exc)))


def jurisdiction_id(box: Container) -> str:
    """This endpoint's one jurisdiction (``ECORADAR_OPEN311_JURISDICTION_ID`` when set)."""
    return box.settings.open311_jurisdiction_id or open311.DEFAULT_JURISDICTION


def check_jurisdiction(box: Container, given: str | None) -> None:
    value = params.optional(given)
    if value is not None and value != jurisdiction_id(box):
        raise open311.not_found(
            f"jurisdiction_id: {value!r} is not served here (this endpoint serves "
            f"{jurisdiction_id(box)!r}; the parameter may be left out)"
        )


def locale_of(request: Request) -> str:
    locale: str = getattr(request.state, "locale", "zh_CN")
    return locale


def context(request: Request, box: Container) -> service.Context:
    return service.Context(
        locale=locale_of(request),
        base_url=str(request.base_url).rstrip("/"),
        accept_within=box.settings.problem_accept_within,
        handle_within=box.settings.problem_handle_within,
    )


def listed(request: Request, name: str) -> str:
    """A list parameter, "comma delimited" or "declared multiple times" (or both)."""
    return ",".join(request.query_params.getlist(name))


# --- discovery and services -----------------------------------------------------------------


@router.get("/discovery.{fmt}", summary="Service Discovery (json or xml)")
def discovery(fmt: str, request: Request, box: ContainerDep) -> Response:
    """The endpoints of this provider: GeoReport v2 at ``/open311/v2``, JSON and XML."""
    locale = locale_of(request)
    return answer(
        fmt,
        "discovery",
        lambda: open311.discovery_dict(
            url=str(request.base_url).rstrip("/") + "/open311/v2",
            changeset=open311.CHANGESET,
            contact=words.contact(locale),
            key_service=words.key_service(locale),
            production=box.settings.environment == "production",
        ),
    )


@router.get("/v2/services.{fmt}", summary="GET Service List")
def list_services(
    fmt: str, request: Request, box: ContainerDep, jurisdiction_id: Text = None
) -> Response:
    """The services (problem categories) a request can be made for."""

    def produce() -> Any:
        check_jurisdiction(box, jurisdiction_id)
        return [open311.service_dict(s) for s in service.services(locale_of(request))]

    return answer(fmt, "services", produce)


@router.get("/v2/services/{service_code}.{fmt}", summary="GET Service Definition")
def service_definition(
    service_code: str, fmt: str, request: Request, box: ContainerDep, jurisdiction_id: Text = None
) -> Response:
    """The attributes of one service, with their datatypes and allowed values."""

    def produce() -> Any:
        check_jurisdiction(box, jurisdiction_id)
        found = service.catalog_service(service_code)
        return open311.definition_dict(service.to_service(found, locale_of(request)))

    return answer(fmt, "service_definition", produce)


# --- requests -------------------------------------------------------------------------------


async def posted(request: Request) -> submit.Posted:
    """The form of a ``POST requests`` (urlencoded or multipart; files read), then the query
    parameters, which some clients use for ``api_key``."""
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, Upload]] = []
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form()
        except HTTPException as exc:  # a broken multipart body
            return submit.Posted((), refused=str(exc.detail))
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files.append((key, Upload(value.filename or "", await value.read())))
                else:
                    fields.append((key, value))
        finally:
            await form.close()
    fields.extend(request.query_params.multi_items())
    return submit.Posted(tuple(fields), tuple(files))


@router.post(
    "/v2/requests.{fmt}",
    summary="POST Service Request",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "api_key",
                                "jurisdiction_id",
                                "service_code",
                                "lat",
                                "long",
                                "address_string",
                                "address_id",
                                "email",
                                "device_id",
                                "account_id",
                                "first_name",
                                "last_name",
                                "phone",
                                "description",
                                "media_url",
                            )
                        },
                        "additionalProperties": {"type": "string"},
                    }
                }
            }
        }
    },
)
def create_request(
    fmt: str,
    request: Request,
    box: ContainerDep,
    form: Annotated[submit.Posted, Depends(posted)],
) -> Response:
    """Create a service request (form-encoded; ``attribute[code]=value`` for the service
    definition's attributes). Needs ``api_key``. Answers the new ``service_request_id``."""

    def produce() -> Any:
        return submit.submit(
            box=box,
            posted=form,
            locale=locale_of(request),
            check_form=lambda: check_jurisdiction(box, form.get("jurisdiction_id")),
        )

    return answer(fmt, "service_requests", produce)


@router.get("/v2/requests.{fmt}", summary="GET Service Requests")
def list_requests(
    fmt: str,
    request: Request,
    box: ContainerDep,
    service_request_id: Text = None,
    service_code: Text = None,
    start_date: Text = None,
    end_date: Text = None,
    status: Text = None,
    extensions: Text = None,
    page: Text = None,
    page_size: Text = None,
    jurisdiction_id: Text = None,
) -> Response:
    """Requests, newest first: the last 90 days and at most 1,000 unless filtered otherwise
    (``service_request_id`` overrides every other filter). Paging extension: ``page``,
    ``page_size`` (at most 1,000)."""

    def produce() -> Any:
        check_jurisdiction(box, jurisdiction_id)
        with_extensions = params.parse_flag(extensions, "extensions")
        ids = params.parse_ids(listed(request, "service_request_id"))
        start_text, end_text = params.optional(start_date), params.optional(end_date)
        start = params.parse_w3(start_text, "start_date") if start_text else None
        end = params.parse_w3(end_text, "end_date") if end_text else None
        low, high = params.window(start, end, box.clock.now())
        selection = service.RequestQuery(
            ids=ids,
            codes=service.check_codes(params.comma_list(listed(request, "service_code"))),
            statuses=params.parse_statuses(listed(request, "status")),
            low=low,
            high=high,
            page=params.parse_positive(page, "page", 1, 1_000_000),
            page_size=params.parse_positive(
                page_size, "page_size", open311.MAX_REQUESTS, open311.MAX_REQUESTS
            ),
        )
        with box.reading() as session:
            found = service.find_requests(
                session=session,
                query=selection,
                context=context(request, box),
                extensions=with_extensions,
            )
        return [open311.request_dict(r, extensions=with_extensions) for r in found]

    return answer(fmt, "service_requests", produce)


@router.get("/v2/requests/{service_request_id}.{fmt}", summary="GET Service Request")
def get_request(
    service_request_id: str,
    fmt: str,
    request: Request,
    box: ContainerDep,
    extensions: Text = None,
    jurisdiction_id: Text = None,
) -> Response:
    """One request (a list of one, as the specification shapes it)."""

    def produce() -> Any:
        check_jurisdiction(box, jurisdiction_id)
        with_extensions = params.parse_flag(extensions, "extensions")
        ids = params.parse_ids(service_request_id)
        if len(ids) != 1:
            raise open311.bad_request("service_request_id: one id in the path")
        with box.reading() as session:
            found = service.get_request(
                session=session,
                request_id=ids[0],
                context=context(request, box),
                extensions=with_extensions,
            )
        return [open311.request_dict(found, extensions=with_extensions)]

    return answer(fmt, "service_requests", produce)


@router.get("/v2/tokens/{token}.{fmt}", summary="GET service_request_id from a token")
def from_token(
    token: str, fmt: str, request: Request, box: ContainerDep, jurisdiction_id: Text = None
) -> Response:
    """The service request behind a token. ``POST requests`` never hands out tokens (every
    service is ``realtime``); the tracking code a reporter got from the web form works as one.
    Unknown tokens count against the tracking codes' rate limit per address (429)."""
    client = f"ip:{request.client.host if request.client else 'unknown'}"

    def produce() -> Any:
        check_jurisdiction(box, jurisdiction_id)
        now = box.clock.now()
        try:
            with box.reading() as session:
                ratelimit.check_tracking(
                    session=session,
                    client=client,
                    limit=box.settings.clue_tracking_rate_limit_per_hour,
                    now=now,
                )
                found = service.request_of_token(session=session, token=token)
        except RateLimited as exc:
            raise open311.Open311Error(
                429, str(exc), headers={"Retry-After": str(exc.retry_after)}
            ) from exc
        except open311.Open311Error:
            with box.transaction() as session:
                ratelimit.record_refused(
                    session=session, client=client, kind=ratelimit.TRACKING, now=now
                )
            raise
        return [open311.token_dict(found, token)]

    return answer(fmt, "service_requests", produce)


@router.get(
    "/v2/requests/{service_request_id}/photos/{media_id}.jpg",
    summary="A public photo of a request (the photos extension)",
    response_class=FileResponse,
)
def photo(service_request_id: str, media_id: str, box: ContainerDep) -> Response:
    """A public image of the request's problem (re-encoded, no EXIF); the URLs are in
    ``media_url`` and ``extended_attributes.photos``."""
    try:
        if not (service_request_id.isdigit() and media_id.isdigit()):
            raise open311.not_found("no such photo")
        with box.reading() as session:
            found = service.public_photo(
                session=session,
                request_id=int(service_request_id[:12]),
                media_id=int(media_id[:12]),
            )
            stored, path = media.open_media(
                session=session, home=box.settings.home, media_id=found.id
            )
        return media.file_response(stored, path)
    except open311.Open311Error as problem:
        return error("xml", problem)
    except NotFoundError as exc:
        return error("xml", open311.not_found(str(exc)))


@router.api_route("/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
def elsewhere(rest: str, request: Request) -> Response:
    """Anything else under ``/open311/``: 405 for a resource asked with the wrong method, else
    404, in the format the path's suffix names (XML otherwise)."""
    fmt = "json" if rest.endswith(".json") else "xml"
    if _RESOURCE.fullmatch(request.url.path):
        allow = "GET, POST" if re.fullmatch(r"v2/requests\.[^/]+", rest) else "GET"
        problem = open311.Open311Error(
            405, f"{request.method} is not allowed here; use {allow}", headers={"Allow": allow}
        )
        return error(fmt, problem)
    return error(
        fmt,
        open311.not_found(
            f"/open311/{rest}: no such resource; see /open311/discovery.xml and "
            "/open311/v2/services.xml"
        ),
    )

"""The public's pages, no account needed: the report form (``/report``, mobile-first) here, and
the tracking pages (``ecoradar.web.pages_track``, included in this router).

- ``GET /report``: the form (category and its questions, description, photos, a map pin or the
  phone's position, time seen, anonymous or with a contact). ``POST /report`` (multipart) sends
  it through ``clues.intake.submit_counted`` as channel ``public``, rate-limited per address
  (``ip:<address>``); a logged-in member of the public reports with their account. A refusal
  re-renders the form with the reason and what was typed (not the files); success answers the
  receipt: the tracking code, the reward secret (shown this once) and whether the report joined
  a problem already known.
- ``GET /report/areas``: the outlines of the bureau's areas (city, counties, townships) for the
  form's map.

Every form carries the anonymous form token of ``ecoradar.web.public_forms`` (a signed
double-submit cookie); a logged-in visitor's also the session's CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select

from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import catalog
from ecoradar.clues.intake import ClueReceipt, submit_counted
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.clues.tracking import display_code
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.media.inspect import MediaLimits
from ecoradar.regions.models import Region
from ecoradar.web import pages_track
from ecoradar.web import public_deps as public
from ecoradar.web import public_forms as forms
from ecoradar.web.deps import ContainerDep, SessionDep
from ecoradar.web.public_deps import FormDep, VisitorDep
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(pages_track.router)

PUBLIC_ACTOR = "public:anonymous"
"""Who sends a report made without an account (as the public API names it)."""
OUTLINE_LEVELS = ("city", "county", "township")
"""The areas the form's map outlines (grids are too many and too small to help)."""


def map_bounds(box: Container) -> list[list[float]] | None:
    """South-west and north-east corners of the bureau's areas, for the map's first view."""
    with box.reading() as session:
        row = session.execute(
            select(
                func.min(Region.min_lat),
                func.min(Region.min_lon),
                func.max(Region.max_lat),
                func.max(Region.max_lon),
            ).where(Region.parent_id.is_(None))
        ).one()
    if any(v is None for v in row):
        return None
    return [[float(row[0]), float(row[1])], [float(row[2]), float(row[3])]]


def _report_page(
    request: Request,
    box: Container,
    principal: Principal | None,
    *,
    values: forms.ReportValues | None = None,
    error: forms.Refusal | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = box.settings
    now = box.clock.now().astimezone(CHINA_TZ)
    nonce = public.form_nonce(request)
    response = render(
        request,
        "public/report.html",
        status_code=error.status if error is not None else 200,
        headers=headers,
        services=catalog.SERVICES,
        values=values or forms.ReportValues(observed_at=now.strftime("%Y-%m-%dT%H:%M")),
        error=error,
        identity=forms.identity_of(principal),
        form_token=forms.form_token(settings, nonce),
        description_max=settings.clue_description_max_chars,
        max_photos=settings.clue_max_photos,
        max_photo_bytes=MediaLimits.from_settings(settings).max_image_bytes,
        image_types=forms.IMAGE_TYPES,
        limits={"string": catalog.STRING_MAX, "text": catalog.TEXT_MAX},
        tiles={"url": settings.tile_url or "", "attribution": settings.tile_attribution},
        bounds=map_bounds(box),
    )
    return public.with_nonce(response, box, nonce)


@router.get("/report")
def report_form(request: Request, box: ContainerDep, principal: VisitorDep) -> Response:
    return _report_page(request, box, principal)


@router.post("/report")
def send_report(
    request: Request, box: ContainerDep, principal: VisitorDep, form: FormDep
) -> Response:
    values = forms.read_report(form)
    token = form.get("form_token")
    if not public.form_accepted(request, box, token if isinstance(token, str) else None):
        return _report_page(request, box, principal, values=values, error=forms.EXPIRED)
    _ip, client = public.client_of(request)
    try:
        try:
            item = forms.clue_from_form(
                values,
                forms.sent_photos(form, box.settings),
                principal=principal,
                client=client,
            )
        except InputError:
            public.count_refusal(box, client, box.clock.now(), kind="public")
            raise
        actor = principal.actor if principal is not None else PUBLIC_ACTOR
        receipt = submit_counted(container=box, item=item, actor=actor)
    except RateLimited as exc:
        return _report_page(
            request,
            box,
            principal,
            values=values,
            error=forms.refusal(exc),
            headers={"Retry-After": str(exc.retry_after)},
        )
    except (InputError, NotFoundError) as exc:
        return _report_page(request, box, principal, values=values, error=forms.refusal(exc))
    return _receipt(request, receipt)


def _receipt(request: Request, receipt: ClueReceipt) -> Response:
    """The answer to a report: shown once (the secret is in it), never kept by a cache."""
    return render(
        request,
        "public/receipt.html",
        headers={"Cache-Control": "no-store"},
        code=display_code(receipt.tracking_code),
        secret=receipt.secret,
        duplicate=receipt.duplicate,
    )


@router.get("/report/areas")
def report_areas(session: SessionDep) -> JSONResponse:
    """The outlines of the bureau's areas (no grids), for the report form's map."""
    regions = session.scalars(
        select(Region).where(Region.level.in_(OUTLINE_LEVELS)).order_by(Region.code)
    )
    features = [
        {
            "type": "Feature",
            "geometry": region.geometry,
            "properties": {"name": region.name, "level": region.level, "code": region.code},
        }
        for region in regions
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features},
        headers={"Cache-Control": "public, max-age=600"},
    )

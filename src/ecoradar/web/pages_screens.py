"""The big screens' pages (issue 18 item 2): ``/screens/discovery``, ``/screens/monitoring``
and ``/screens/closure`` for a wall display (dark, full screen, no navigation; the figures
fetched from ``/screens/{screen}.json`` every few seconds and the charts and map updated in
place), and ``/screens`` where administrators and officers make and revoke display tokens.

A wall display opens a screen with ``?display=TOKEN`` (no login); an unknown or revoked token
gets a 403 page saying so. Logged-in staff open the screens without a token."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.detection.models import KINDS
from ecoradar.greencode.models import COLOURS
from ecoradar.hj212.codes import FACTORS
from ecoradar.problems.models import CATEGORIES, CHANNELS, SEVERITIES, STATES
from ecoradar.regions.models import Region
from ecoradar.screens import tokens
from ecoradar.screens.tokens import DisplayRefused
from ecoradar.screens.views import NO_STORE, DisplayParam, Screen, find_reach
from ecoradar.web.deps import (
    ContainerDep,
    OptionalPrincipal,
    SessionDep,
    page_roles,
)
from ecoradar.web.i18n import LOCALES
from ecoradar.web.templating import environment, render, tiles

router = APIRouter(include_in_schema=False)

MANAGERS = ("admin", "officer")
ManagerPage = Annotated[Principal, Depends(page_roles(*MANAGERS))]
REFRESH_SECONDS = 15
"""How often a screen fetches its figures."""
MAX_REGIONS = 400


@lru_cache(maxsize=len(LOCALES))
def labels(locale: str) -> dict[str, dict[str, str]]:
    """Every code a screen shows, named in ``locale`` by the templates' own macros."""
    env = environment(locale)
    problems: Any = env.get_template("problems/_macros.html").module
    alerts: Any = env.get_template("_alerts_macros.html").module
    codes: Any = env.get_template("greencode/_macros.html").module
    factor_name = env.globals["factor_name"]
    return {
        "channels": {c: str(problems.channel_label(c)).strip() for c in CHANNELS},
        "categories": {c: str(problems.category_label(c)).strip() for c in CATEGORIES},
        "states": {s: str(problems.state_label(s)).strip() for s in STATES},
        "severities": {s: str(problems.severity_label(s)).strip() for s in SEVERITIES},
        "kinds": {k: str(alerts.kind_label(k)).strip() for k in KINDS},
        "colours": {c: str(codes.colour_label(c)).strip() for c in COLOURS},
        "factors": {code: factor_name(code) or code for code in FACTORS},  # type: ignore[operator]
    }


def _refused(request: Request, exc: DisplayRefused) -> HTMLResponse:
    return render(
        request,
        "screens/refused.html",
        status_code=403,
        headers=NO_STORE,
        revoked=exc.revoked,
    )


@router.get("/screens/{screen}", response_model=None)
def screen_page(
    screen: Screen,
    request: Request,
    session: SessionDep,
    box: ContainerDep,
    principal: OptionalPrincipal,
    display: DisplayParam = "",
) -> Response:
    if not display and principal is None:
        return RedirectResponse(f"/login?next=/screens/{screen}", status_code=303)
    try:
        reach = find_reach(session, principal, display)
    except DisplayRefused as exc:
        return _refused(request, exc)
    return render(
        request,
        "screens/screen.html",
        headers=NO_STORE,
        screen=screen,
        region=reach.region,
        data_url=f"/screens/{screen}.json" + (f"?display={display}" if display else ""),
        refresh=REFRESH_SECONDS,
        labels=labels(request.state.locale),
        tiles=tiles(box.settings),
        display=display,
    )


def _regions(session: Session, principal: Principal) -> list[Region]:
    query = select(Region).where(Region.level != "grid").order_by(Region.code)
    if not principal.unrestricted:
        query = query.where(Region.id.in_(sorted(principal.region_ids) or [-1]))
    return list(session.scalars(query.limit(MAX_REGIONS)))


def _manage(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    issued: tokens.IssuedDisplayToken | None = None,
    error: Exception | None = None,
    status_code: int = 200,
    name: str = "",
) -> HTMLResponse:
    return render(
        request,
        "screens/tokens.html",
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
        rows=tokens.visible_tokens(session=session, by=principal),
        regions=_regions(session, principal),
        issued=issued,
        error=error,
        token_name=name,
        done=request.query_params.get("done", ""),
    )


@router.get("/screens")
def manage_page(request: Request, session: SessionDep, principal: ManagerPage) -> HTMLResponse:
    return _manage(request, session, principal)


@router.post("/screens/tokens", response_model=None)
async def create_token(
    request: Request, session: SessionDep, box: ContainerDep, principal: ManagerPage
) -> Response:
    async with request.form() as form:
        name = str(form.get("name") or "")[:200]
        region = str(form.get("region") or "")[:64]
    try:
        with session.begin_nested():
            issued = tokens.create(
                session=session, by=principal, name=name, region_code=region, now=box.clock.now()
            )
    except (InputError, PermissionDenied) as exc:
        return _manage(request, session, principal, error=exc, status_code=422, name=name)
    return _manage(request, session, principal, issued=issued)


@router.post("/screens/tokens/{token_id}/revoke", response_model=None)
def revoke_token(
    token_id: int, session: SessionDep, box: ContainerDep, principal: ManagerPage
) -> Response:
    try:
        tokens.revoke(session=session, by=principal, token_id=token_id, now=box.clock.now())
    except NotFoundError:
        return RedirectResponse("/screens?done=missing", status_code=303)
    return RedirectResponse("/screens?done=revoked", status_code=303)

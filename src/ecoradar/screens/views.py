"""The big screens' figures as JSON: ``GET /screens/{screen}.json`` (``discovery``,
``monitoring``, ``closure``), which the screen's page fetches every few seconds.

Who may ask: a wall display with its token (``?display=TOKEN``: that token's region only; 403
for an unknown or revoked token), or a logged-in member of staff (their region; an
administrator everything); anyone else 401 (anonymous) or 403. The token is read here and in
the screen pages only, so it opens nothing else."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from ecoradar.auth.models import STAFF_ROLES
from ecoradar.auth.scope import apply_scope
from ecoradar.core.errors import AuthenticationRequired, PermissionDenied
from ecoradar.screens import service, tokens
from ecoradar.screens.tokens import Reach
from ecoradar.web.deps import ContainerDep, OptionalPrincipal, SessionDep

router = APIRouter(tags=["screens"])

Screen = Literal["discovery", "monitoring", "closure"]
DisplayParam = Annotated[str, Query(max_length=100)]
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""A screen's answers are never cached, and its address (with the token) never sent on."""


def find_reach(session: Session, principal: Any, display: str) -> Reach:
    """What the asker may see on a screen: a display token's region, else a member of staff's
    reach. ``DisplayRefused`` (403) for a bad token, 401 anonymous, 403 for other users."""
    if display:
        return tokens.resolve(session=session, secret=display)
    if principal is None:
        raise AuthenticationRequired("authentication required: log in, or use a display token")
    if not principal.has_role(*STAFF_ROLES):
        raise PermissionDenied("permission denied: the screens are for staff")
    return tokens.reach_of(session=session, principal=principal)


def figures_of(session: Session, reach: Reach, screen: str, box: Any) -> dict[str, Any]:
    """The screen's figures, read in ``session`` scoped to the reach."""
    scoped = apply_scope(session, reach.principal)
    return service.FIGURES[screen](session=scoped, reach=reach, now=box.clock.now())


@router.get("/screens/{screen}.json")
def screen_figures(
    screen: Screen,
    response: Response,
    session: SessionDep,
    box: ContainerDep,
    principal: OptionalPrincipal,
    display: DisplayParam = "",
) -> dict[str, Any]:
    """The figures of one big screen (see the README's "Big screens")."""
    reach = find_reach(session, principal, display)
    response.headers.update(NO_STORE)
    return figures_of(session, reach, screen, box)

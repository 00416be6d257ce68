"""Display tokens: made, listed and revoked by an administrator or officer (each change in the
audit log), and resolved from a wall display's address into the region it may show.

A token shows the big screens of its region's subtree and nothing else: it is read only by
the screens' own routes (``screens.views``, ``web.pages_screens``), never by the API's
authentication, so it opens no other page and no other API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit import service as audit
from ecoradar.auth import credentials
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError, NotFoundError, PermissionDenied
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids
from ecoradar.screens.models import NAME_MAX, DisplayToken

ENTITY = "display_token"


class DisplayRefused(PermissionDenied):
    """A display token that opens nothing: unknown, or revoked (``revoked``). The screen
    answers 403 with a page saying which."""

    def __init__(self, message: str, *, revoked: bool) -> None:
        super().__init__(message)
        self.revoked = revoked


@dataclass(frozen=True)
class IssuedDisplayToken:
    """A new token and its secret: the only time the secret is seen."""

    token: DisplayToken
    secret: str


@dataclass(frozen=True)
class Reach:
    """What a screen shows: a region's subtree (``None``: every region, an administrator)."""

    region: Region | None
    region_ids: frozenset[int] | None
    principal: Principal
    """Whom the screen's reads are scoped to (``auth.scope``): the member of staff, or for a
    token a region-scoped stand-in without a user."""


def _state(token: DisplayToken) -> dict[str, object]:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "region_id": token.region_id,
        "revoked": token.revoked_at is not None,
    }


def _check_reach(principal: Principal, region: Region) -> None:
    if not principal.covers_region(region.id):
        raise PermissionDenied(f"region: {region.code} is outside your scope")


def create(
    *, session: Session, by: Principal, name: str, region_code: str, now: datetime
) -> IssuedDisplayToken:
    """A token named ``name`` for the region ``region_code`` (within ``by``'s reach)."""
    name = name.strip()
    if not name:
        raise InputError("name: give the display a name")
    if len(name) > NAME_MAX:
        raise InputError(f"name: at most {NAME_MAX} characters, got {len(name)}")
    region = session.scalar(select(Region).where(Region.code == region_code.strip()))
    if region is None:
        raise InputError(f"region: no region with code {region_code.strip()!r}")
    _check_reach(by, region)
    secret = credentials.new_secret()
    token = DisplayToken(
        name=name,
        digest=credentials.digest(secret),
        prefix=credentials.prefix_of(secret),
        region_id=region.id,
        created_at=now,
        created_by=by.actor,
    )
    session.add(token)
    session.flush()
    audit.record_by(
        by,
        session=session,
        at=now,
        action="display_token.create",
        entity_type=ENTITY,
        entity_id=token.id,
        after=_state(token),
    )
    return IssuedDisplayToken(token, secret)


def visible_tokens(*, session: Session, by: Principal) -> list[tuple[DisplayToken, Region]]:
    """The tokens of regions within ``by``'s reach, newest first."""
    query = (
        select(DisplayToken, Region)
        .join(Region, DisplayToken.region_id == Region.id)
        .order_by(DisplayToken.created_at.desc(), DisplayToken.id.desc())
    )
    if not by.unrestricted:
        query = query.where(DisplayToken.region_id.in_(sorted(by.region_ids) or [-1]))
    return [(token, region) for token, region in session.execute(query).all()]


def revoke(*, session: Session, by: Principal, token_id: int, now: datetime) -> DisplayToken:
    """Revoke the token (once; revoking it again changes nothing)."""
    token = session.get(DisplayToken, token_id)
    if token is None or not by.covers_region(token.region_id):
        raise NotFoundError(f"display token {token_id}: no such token")
    if token.revoked_at is not None:
        return token
    before = _state(token)
    token.revoked_at = now
    token.revoked_by = by.actor
    session.flush()
    audit.record_by(
        by,
        session=session,
        at=now,
        action="display_token.revoke",
        entity_type=ENTITY,
        entity_id=token.id,
        before=before,
        after=_state(token),
    )
    return token


def resolve(*, session: Session, secret: str) -> Reach:
    """The region a display token shows; ``DisplayRefused`` for an unknown or revoked one."""
    token = session.scalar(
        select(DisplayToken).where(DisplayToken.digest == credentials.digest(secret))
    )
    if token is None:
        raise DisplayRefused("display token: not a valid token", revoked=False)
    if token.revoked_at is not None:
        raise DisplayRefused("display token: this token was revoked", revoked=True)
    region = session.get(Region, token.region_id)
    ids = subtree_ids(session=session, region_id=token.region_id)
    stand_in = Principal(
        kind="token",
        user_id=None,
        username=f"display-{token.id}",
        role="officer",
        region_id=token.region_id,
        region_ids=ids,
        token_id=token.id,
    )
    return Reach(region, ids, stand_in)


def reach_of(*, session: Session, principal: Principal) -> Reach:
    """What a logged-in member of staff sees on the screens: their region's subtree, or
    everything for an administrator."""
    if principal.unrestricted:
        return Reach(None, None, principal)
    region = session.get(Region, principal.region_id) if principal.region_id else None
    return Reach(region, frozenset(principal.region_ids), principal)

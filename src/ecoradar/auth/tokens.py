"""API tokens: integration tokens with scopes (devices, drones, departments, Open311), and
personal tokens (scope ``api``) that act as their user. Only the sha256 of a secret is stored;
the secret is shown once, when the token is made."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit import service as audit
from ecoradar.auth import credentials, rules
from ecoradar.auth.models import ApiToken, User, token_scopes
from ecoradar.auth.principal import Principal
from ecoradar.auth.service import principal_of, user_by_username
from ecoradar.core.bookkeeping import Touches
from ecoradar.core.errors import AuthenticationRequired, ConflictError, InputError, NotFoundError
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids

TOUCH_EVERY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often."""
PERSONAL_DAYS = 90
"""How long a personal token from ``POST /api/auth/token`` lasts by default."""
MAX_DAYS = 3650
INVALID = "invalid, expired or revoked token"


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret: the only time the secret is seen."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    username: str | None
    region_code: str | None


def expiry(now: datetime, days: int | None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"expires_days: between 1 and {MAX_DAYS}, got {days}")
    return now + timedelta(days=days)


def create_token(
    *,
    session: Session,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    username: str | None = None,
    region: str | None = None,
    expires_days: int | None = None,
    actor: str = "cli:ecoradar",
) -> IssuedToken:
    """A token named ``name`` (unique) with ``scopes``; with ``username`` a personal token of
    that user, with ``region`` (a code) an integration token limited to that region."""
    checked_name = rules.check_token_name(name)
    checked = rules.check_scopes(scopes, has_user=bool(username), has_region=bool(region))
    expires_at = expiry(now, expires_days)
    user = None
    if username:
        try:
            user = user_by_username(session=session, username=username)
        except NotFoundError as exc:
            raise InputError(f"user {username!r}: no user with this username") from exc
        if not user.is_active:
            raise InputError(f"user {username!r}: this user is disabled")
    region_id = None
    if region:
        region_id = session.scalar(select(Region.id).where(Region.code == region.strip()))
        if region_id is None:
            raise InputError(f"region {region!r}: no region with this code")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == checked_name)) is not None:
        raise ConflictError(f"name {checked_name!r}: a token of this name exists")
    issued = _issue(session, checked_name, checked, now, user, region_id, expires_at)
    _audit(session, now, actor, "token.create", issued.token)
    return issued


def _audit(session: Session, now: datetime, actor: str, action: str, token: ApiToken) -> None:
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action=action,
        entity_type="token",
        entity_id=token.id,
        after={
            "name": token.name,
            "prefix": token.prefix,
            "scopes": list(token.scopes),
            "user_id": token.user_id,
            "region_id": token.region_id,
            "revoked": token.revoked_at is not None,
        },
    )


def issue_personal_token(
    *, session: Session, user: User, now: datetime, days: int = PERSONAL_DAYS
) -> IssuedToken:
    """A personal token (scope ``api``) for ``user``, who has just logged in."""
    secret = credentials.new_secret()
    name = f"{user.username[:48]}-{credentials.prefix_of(secret)}"
    return _issue(session, name, ["api"], now, user, None, expiry(now, days), secret)


def _issue(
    session: Session,
    name: str,
    scopes: list[str],
    now: datetime,
    user: User | None,
    region_id: int | None,
    expires_at: datetime | None,
    secret: str | None = None,
) -> IssuedToken:
    secret = secret or credentials.new_secret()
    token = ApiToken(
        name=name,
        prefix=credentials.prefix_of(secret),
        token_hash=credentials.digest(secret),
        scopes=scopes,
        user_id=user.id if user is not None else None,
        region_id=region_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def _rows(session: Session, tokens: list[ApiToken]) -> list[TokenRow]:
    users = {
        u.id: u.username
        for u in session.scalars(
            select(User).where(User.id.in_({t.user_id for t in tokens if t.user_id}))
        )
    }
    regions: dict[int, str] = dict(
        session.execute(
            select(Region.id, Region.code).where(
                Region.id.in_({t.region_id for t in tokens if t.region_id})
            )
        ).all()
    )
    return [
        TokenRow(
            t,
            users.get(t.user_id) if t.user_id else None,
            regions.get(t.region_id) if t.region_id else None,
        )
        for t in tokens
    ]


def list_tokens(*, session: Session, include_revoked: bool = True) -> list[TokenRow]:
    """Every token, newest first."""
    statement = select(ApiToken).order_by(ApiToken.id.desc())
    if not include_revoked:
        statement = statement.where(ApiToken.revoked_at.is_(None))
    return _rows(session, list(session.scalars(statement)))


def token_row(*, session: Session, token: ApiToken) -> TokenRow:
    return _rows(session, [token])[0]


def token_by_ref(*, session: Session, ref: str) -> ApiToken:
    """A token by id (all digits) or by name."""
    ref = ref.strip()
    if ref.isdigit():
        token = session.get(ApiToken, int(ref)) if len(ref) < 10 else None
    else:
        token = session.scalar(select(ApiToken).where(ApiToken.name == ref))
    if token is None:
        raise NotFoundError(f"no token with id or name {ref!r}")
    return token


def revoke_token(
    *, session: Session, token: ApiToken, now: datetime, actor: str = "cli:ecoradar"
) -> ApiToken:
    """The token stops working at once (revoking twice keeps the first time)."""
    if token.revoked_at is None:
        token.revoked_at = now
        _audit(session, now, actor, "token.revoke", token)
    session.flush()
    return token


def token_principal(
    *, session: Session, secret: str, now: datetime, touches: Touches | None = None
) -> Principal:
    """The principal of a bearer token; ``AuthenticationRequired`` for an unknown, revoked or
    expired token and for one whose user is disabled. Marks the token as used: in ``touches``,
    to be written apart from this unit of work (which may only read), else in the row."""
    token = None
    if secret and len(secret) <= 256:
        token = session.scalar(
            select(ApiToken).where(ApiToken.token_hash == credentials.digest(secret))
        )
    if token is None or not is_usable(token, now):
        raise AuthenticationRequired(INVALID)
    user = session.get(User, token.user_id) if token.user_id is not None else None
    if token.user_id is not None and (user is None or not user.is_active):
        raise AuthenticationRequired(INVALID)
    pending = touches.pending(ApiToken.last_used_at, token.id) if touches is not None else None
    known = [t for t in (pending, token.last_used_at) if t is not None]
    last = max(known) if known else None
    if last is None or now - last >= TOUCH_EVERY:
        if touches is not None:
            touches.touch(ApiToken.last_used_at, token.id, now)
        else:
            token.last_used_at = now
    return principal_of_token(session=session, token=token, user=user)


def is_usable(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or now < token.expires_at)


def principal_of_token(*, session: Session, token: ApiToken, user: User | None) -> Principal:
    """A personal token with ``api`` acts as its user. Any other token has no role, only its
    scopes; its region is the token's (integration) or its user's (personal)."""
    scopes = token_scopes(token)
    if user is not None and "api" in scopes:
        return principal_of(session=session, user=user, token=token)
    region_id = user.region_id if user is not None else token.region_id
    region_ids = (
        subtree_ids(session=session, region_id=region_id) if region_id is not None else frozenset()
    )
    return Principal(
        kind="token",
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else token.name,
        display_name=token.name,
        role=None,
        region_id=region_id,
        region_ids=region_ids,
        enterprise_id=user.enterprise_id if user is not None else None,
        scopes=frozenset(scopes),
        token_id=token.id,
    )


def token_is_live(*, session: Session, token_id: int, now: datetime) -> bool:
    """Whether the token still works (for long requests such as a stream)."""
    token = session.get(ApiToken, token_id)
    if token is None or not is_usable(token, now):
        return False
    if token.user_id is None:
        return True
    user = session.get(User, token.user_id)
    return user is not None and user.is_active

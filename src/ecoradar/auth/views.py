"""Accounts over HTTP: personal tokens for API clients, who am I, and the administrator's user
and token management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.auth import login, passwords, service, tokens
from ecoradar.auth.models import ApiToken, User
from ecoradar.auth.schemas import (
    Credentials,
    PersonalToken,
    PrincipalRead,
    Role,
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserPageRead,
    UserRead,
)
from ecoradar.core.errors import InputError, NotFoundError
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise
from ecoradar.web.deps import AdminDep, ContainerDep, LocaleDep, PrincipalDep, SessionDep
from ecoradar.web.i18n import translations

router = APIRouter(prefix="/api", tags=["auth"])

RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def client_ip(request: Request) -> str:
    """The address the request came from (uvicorn's ``--proxy-headers`` makes it the client's
    behind a trusted proxy)."""
    return request.client.host if request.client else "unknown"


@router.post("/auth/token", status_code=201)
def issue_token(request: Request, box: ContainerDep, body: Credentials) -> PersonalToken:
    """Log in with a username and password and get a personal token (scope ``api``: it acts
    as the user) for an API client such as a grid worker's phone. Rate-limited like the login
    page: too many failures answer 429 with Retry-After. Recorded in the audit log."""

    def issue(session: Session, user: User) -> PersonalToken:
        issued = tokens.issue_personal_token(session=session, user=user, now=box.clock.now())
        return PersonalToken(
            token=issued.secret,
            name=issued.token.name,
            scopes=list(issued.token.scopes),
            expires_at=issued.token.expires_at,
        )

    return login.log_in(
        box,
        username=body.username,
        password=body.password,
        ip=client_ip(request),
        via="token",
        then=issue,
    )


@router.delete("/auth/token", status_code=204)
def revoke_own_token(session: SessionDep, box: ContainerDep, principal: PrincipalDep) -> Response:
    """Revoke the bearer token this request was sent with (log out an API client)."""
    if principal.token_id is None:
        raise InputError("Authorization: this request was not sent with a bearer token")
    token = tokens.token_by_ref(session=session, ref=str(principal.token_id))
    tokens.revoke_token(session=session, token=token, now=box.clock.now(), actor=principal.actor)
    return Response(status_code=204)


@router.get("/auth/me")
def me(session: SessionDep, principal: PrincipalDep) -> PrincipalRead:
    """Who this request is authenticated as: role, scope and token scopes (no secrets)."""
    region_code = (
        session.scalar(select(Region.code).where(Region.id == principal.region_id))
        if principal.region_id is not None
        else None
    )
    enterprise_code = (
        session.scalar(select(Enterprise.code).where(Enterprise.id == principal.enterprise_id))
        if principal.enterprise_id is not None
        else None
    )
    return PrincipalRead.of(principal, region_code=region_code, enterprise_code=enterprise_code)


@router.get("/users")
def list_users(
    session: SessionDep,
    admin: AdminDep,
    q: Annotated[str, Query(max_length=100, description="Part of a username or name")] = "",
    role: Role | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> UserPageRead:
    """Every user (administrators only), by username, one page."""
    result = service.list_users(session=session, query=q, role=role, page=page, per_page=per_page)
    return UserPageRead(
        items=[UserRead.of(row) for row in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@router.post("/users", status_code=201)
def create_user(
    session: SessionDep, box: ContainerDep, admin: AdminDep, body: UserCreate, locale: LocaleDep
) -> UserRead:
    """Create a user (administrators only). ``region`` is a region code (officers and
    supervisors: any level; grid workers: a grid), ``enterprise`` an enterprise code
    (enterprise users); a supervisor needs ``supervisor_kind`` (and ``organisation``). A password
    that is short or easy to guess is refused (422) saying why, in the request's language."""
    try:
        user = service.create_user(
            session=session,
            username=body.username,
            role=body.role,
            password=body.password,
            now=box.clock.now(),
            display_name=body.display_name,
            region=body.region,
            enterprise=body.enterprise,
            email=body.email,
            phone=body.phone,
            actor=admin.actor,
            supervisor_kind=body.supervisor_kind,
            organisation=body.organisation,
        )
    except passwords.WeakPassword as exc:
        raise InputError(exc.message(translations(locale).gettext)) from None
    return UserRead.of(service.user_row(session=session, user=user))


@router.post("/users/{user_id}/disable")
def disable_user(
    session: SessionDep, box: ContainerDep, admin: AdminDep, user_id: RecordId
) -> UserRead:
    """Disable a user (administrators only): its sessions and tokens stop working at once."""
    user = service.get_user(session=session, user_id=user_id)
    service.disable_user(session=session, user=user, now=box.clock.now(), actor=admin.actor)
    return UserRead.of(service.user_row(session=session, user=user))


@router.post("/tokens", status_code=201)
def create_token(
    session: SessionDep, box: ContainerDep, admin: AdminDep, body: TokenCreate
) -> TokenIssued:
    """Create an API token (administrators only). The secret is in the answer, this once."""
    issued = tokens.create_token(
        session=session,
        name=body.name,
        scopes=body.scopes,
        now=box.clock.now(),
        username=body.user,
        region=body.region,
        expires_days=body.expires_days,
        actor=admin.actor,
    )
    row = tokens.token_row(session=session, token=issued.token)
    return TokenIssued(**TokenRead.of(row).model_dump(), token=issued.secret)


@router.get("/tokens")
def list_tokens(session: SessionDep, admin: AdminDep) -> list[TokenRead]:
    """Every token, newest first (administrators only); never a secret."""
    return [TokenRead.of(row) for row in tokens.list_tokens(session=session)]


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    session: SessionDep, box: ContainerDep, admin: AdminDep, token_id: RecordId
) -> TokenRead:
    """Revoke a token (administrators only): it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"no token with id {token_id}")
    tokens.revoke_token(session=session, token=token, now=box.clock.now(), actor=admin.actor)
    return TokenRead.of(tokens.token_row(session=session, token=token))

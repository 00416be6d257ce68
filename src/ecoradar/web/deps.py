"""Request dependencies: the container, a database session, the locale, and who is asking.

Who is asking: ``Authorization: Bearer <token>`` (an API token), else the ``ecoradar_session``
cookie (a browser session), else nobody. A change (POST, PUT, PATCH, DELETE) authenticated by
the cookie must carry the session's CSRF token as the ``csrf_token`` form field or the
``X-CSRF-Token`` header; one with a bearer token need not.

- ``OptionalPrincipal``: the principal or ``None``; ``PrincipalDep``: 401 when anonymous.
- ``require_roles(*roles)`` / ``require_scope(scope)``: dependencies that return the principal
  or raise ``PermissionDenied`` (403); ``StaffDep``, ``AdminDep`` are the usual ones.
- ``page_roles(*roles)``: the same for HTML pages, where an anonymous visitor is sent to
  ``/login?next=<path>`` (303) instead (``PageStaffDep``).
- ``scoped_session(dependency)``: the request's database session, limited to what the principal
  may see (``ecoradar.auth.scope``): ``StaffSession``, ``ReaderSession`` (staff or an enterprise
  user) and their page variants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ecoradar.auth import credentials, sessions, tokens
from ecoradar.auth.errors import CsrfRefused, LoginRequired
from ecoradar.auth.models import STAFF_ROLES
from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import apply_scope
from ecoradar.bootstrap import Container
from ecoradar.core.errors import AuthenticationRequired, EcoRadarError, PermissionDenied

READER_ROLES = (*STAFF_ROLES, "enterprise")
"""Who may read monitoring data: staff (within their region) and enterprise users (their own
enterprise)."""


def get_container(request: Request) -> Container:
    box: Container = request.app.state.container
    return box


ContainerDep = Annotated[Container, Depends(get_container)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests whose unit of work only reads (unless the route says otherwise: ``writes``)."""

F = TypeVar("F", bound=Callable[..., object])


def writes(endpoint: F) -> F:
    """Mark a GET route whose unit of work writes (say, the audit entry of reading a
    reporter's contact): its session is a write transaction."""
    endpoint.__ecoradar_writes__ = True  # type: ignore[attr-defined]
    return endpoint


def request_writes(request: Request) -> bool:
    """Whether the request's unit of work may write: changes, and GETs marked ``writes``."""
    if request.method not in READ_METHODS:
        return True
    return bool(getattr(request.scope.get("endpoint"), "__ecoradar_writes__", False))


def get_session(request: Request, box: ContainerDep) -> Iterator[Session]:
    """One unit of work per request, ended before the response is sent (so a 2xx means it is
    committed): a write transaction for a change (on SQLite it waits its turn to write first,
    ``Container.transaction``), a read-only one for a GET."""
    if request_writes(request):
        with box.transaction() as session:
            yield session
    else:
        with box.reading() as session:
            yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_locale(request: Request) -> str:
    locale: str = request.state.locale
    return locale


LocaleDep = Annotated[str, Depends(get_locale)]


# --- who is asking ---------------------------------------------------------------------------

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token: a personal one from `POST /api/auth/token`, or an integration "
    "token from `ecoradar tokens create`.",
)
cookie_scheme = APIKeyCookie(
    name=sessions.COOKIE,
    auto_error=False,
    description="The browser session set by the login page. Changes also need the session's "
    "CSRF token (`X-CSRF-Token` header or `csrf_token` form field).",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
CookieDep = Annotated[str | None, Depends(cookie_scheme)]


async def sent_csrf_token(request: Request) -> str | None:
    """The CSRF token a change carries: the header, else the form field (the form is parsed
    once; the handler gets the same parsed form)."""
    if request.method not in credentials.UNSAFE_METHODS:
        return None
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def _resolve(
    request: Request,
    session: Session,
    box: Container,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
    csrf_token: str | None,
) -> Principal | None:
    now = box.clock.now()
    principal: Principal | None = None
    if bearer is not None:
        principal = tokens.token_principal(
            session=session, secret=bearer.credentials, now=now, touches=box.touches
        )
    elif cookie:
        live = sessions.session_principal(
            session=session, secret=cookie, now=box.session_now(), touches=box.touches
        )
        if live is not None:
            if request.method in credentials.UNSAFE_METHODS and not credentials.csrf_matches(
                live.csrf_token, csrf_token
            ):
                raise CsrfRefused()
            principal = live.principal
            request.state.csrf_token = live.csrf_token
    request.state.principal = principal
    return principal


def get_optional_principal(
    request: Request,
    box: ContainerDep,
    bearer: BearerDep,
    cookie: CookieDep,
    csrf_token: Annotated[str | None, Depends(sent_csrf_token)],
) -> Principal | None:
    """The principal of a bearer token (401 when the token is not valid) or of a live session
    (a dead session is anonymous), else ``None``. Pages find it, and the session's CSRF token,
    in ``request.state``. Found in a short read-only unit of work of its own, so a change's
    unit of work (and on SQLite its turn to write) begins only when its handler needs it."""
    with box.reading() as session:
        return _resolve(request, session, box, bearer, cookie, csrf_token)


def get_principal_briefly(
    request: Request, box: ContainerDep, bearer: BearerDep, cookie: CookieDep
) -> Principal | None:
    """``get_optional_principal`` in a transaction of its own, for a response that lasts
    (a stream), which must not hold the request's transaction open. For GET requests."""
    with box.reading() as session:
        return _resolve(request, session, box, bearer, cookie, None)


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


def principal_for_page(request: Request) -> Principal | None:
    """Who is logged in, for a page rendered outside any route (the not-found page)."""
    cookie = request.cookies.get(sessions.COOKIE)
    if not cookie:
        return None
    box = get_container(request)
    try:
        with box.reading() as session:
            return _resolve(request, session, box, None, cookie, None)
    except EcoRadarError:
        return None


def get_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise AuthenticationRequired(
            "authentication required: log in, or send Authorization: Bearer <token>"
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]

PrincipalCheck = Callable[..., Principal]


def _refuse_unless(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if not principal.has_role(*roles):
        raise PermissionDenied(
            f"permission denied: this needs the role {' or '.join(roles)}"
            + (f", not {principal.role}" if principal.role else "")
        )
    return principal


def require_roles(*roles: str) -> PrincipalCheck:
    """A dependency: the principal when its role is one of ``roles``, else 403 (401 when
    anonymous). A token acts with a role only through the ``api`` scope."""

    def dependency(principal: PrincipalDep) -> Principal:
        return _refuse_unless(principal, roles)

    return dependency


def _briefly_with_roles(*roles: str) -> PrincipalCheck:
    def dependency(
        principal: Annotated[Principal | None, Depends(get_principal_briefly)],
    ) -> Principal:
        return _refuse_unless(get_principal(principal), roles)

    return dependency


def require_scope(scope: str) -> PrincipalCheck:
    """A dependency for integration endpoints: a token granted ``scope``, else 403 (401 when
    anonymous)."""

    def dependency(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope):
            raise PermissionDenied(f"permission denied: this needs a token with the scope {scope}")
        return principal

    return dependency


def page_roles(*roles: str) -> PrincipalCheck:
    """``require_roles`` for HTML pages: an anonymous visitor is sent to the login page, which
    brings them back here afterwards."""

    def dependency(request: Request, principal: OptionalPrincipal) -> Principal:
        if principal is None:
            query = request.url.query
            raise LoginRequired(request.url.path + ("?" + query if query else ""))
        return _refuse_unless(principal, roles)

    return dependency


def scoped_session(check: PrincipalCheck) -> Callable[..., Session]:
    """A dependency: the request's session limited to what the principal ``check`` lets in
    may see."""

    # ``check`` is a local name: FastAPI cannot resolve it in a string annotation, hence the
    # default-value form.
    def dependency(session: SessionDep, principal: Principal = Depends(check)) -> Session:  # noqa: B008
        return apply_scope(session, principal)

    return dependency


_admin = require_roles("admin")
_staff = require_roles(*STAFF_ROLES)
_reader = require_roles(*READER_ROLES)
_page_staff = page_roles(*STAFF_ROLES)
_page_reader = page_roles(*READER_ROLES)

AdminDep = Annotated[Principal, Depends(_admin)]
StaffDep = Annotated[Principal, Depends(_staff)]
ReaderDep = Annotated[Principal, Depends(_reader)]
PageStaffDep = Annotated[Principal, Depends(_page_staff)]
PageReaderDep = Annotated[Principal, Depends(_page_reader)]
PageUserDep = Annotated[Principal, Depends(page_roles(*READER_ROLES, "public", "supervisor"))]
StreamReaderDep = Annotated[Principal, Depends(_briefly_with_roles(*READER_ROLES))]
"""``ReaderDep`` resolved in a short transaction of its own, for streams."""

StaffSession = Annotated[Session, Depends(scoped_session(_staff))]
ReaderSession = Annotated[Session, Depends(scoped_session(_reader))]
PageStaffSession = Annotated[Session, Depends(scoped_session(_page_staff))]
PageReaderSession = Annotated[Session, Depends(scoped_session(_page_reader))]

"""What the public pages share: who is visiting (if anyone), the parsed form, the visitor's
rate-limit key, the form nonce cookie and its check, and counting a refusal.

The form token itself (a signed double-submit cookie) is explained in
``ecoradar.web.public_forms``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from ecoradar.auth.pages import same_origin, secure_cookies
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import ratelimit
from ecoradar.web import public_forms as forms
from ecoradar.web.deps import (
    BearerDep,
    ContainerDep,
    CookieDep,
    get_optional_principal,
    sent_csrf_token,
)


def visitor(
    request: Request,
    box: ContainerDep,
    bearer: BearerDep,
    cookie: CookieDep,
    csrf_token: Annotated[str | None, Depends(sent_csrf_token)],
) -> Principal | None:
    """Who is logged in, if anyone (a change by a session also needs its CSRF token), found in
    a short transaction of its own: the handlers write in theirs."""
    return get_optional_principal(request, box, bearer, cookie, csrf_token)


async def sent_form(request: Request) -> AsyncIterator[FormData]:
    """The request's form, parsed once (the CSRF dependency reads the same); its files are
    closed after the response."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


def client_of(request: Request) -> tuple[str, str]:
    """The visitor's address and rate-limit key (``ip:<address>``), as the public API uses."""
    ip = request.client.host if request.client else "unknown"
    return ip, f"ip:{ip}"


def form_nonce(request: Request) -> str:
    """The browser's form nonce, or a new one."""
    current = request.cookies.get(forms.FORM_COOKIE)
    return current if current is not None and forms.valid_nonce(current) else forms.new_nonce()


def with_nonce(response: Response, box: Container, nonce: str) -> Response:
    """``response`` setting (or refreshing) the form nonce cookie."""
    response.set_cookie(
        forms.FORM_COOKIE,
        nonce,
        max_age=forms.FORM_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(box),
    )
    return response


def form_accepted(request: Request, box: Container, token: str | None) -> bool:
    """Whether a public form's POST carries this browser's fresh token and, when a browser
    names its origin, comes from this site."""
    nonce = request.cookies.get(forms.FORM_COOKIE)
    return same_origin(request) and forms.token_matches(box.settings, nonce, token)


def count_refusal(box: Container, client: str, now: datetime, kind: str) -> None:
    """Count a refused use against ``client`` (in a transaction of its own)."""
    with box.transaction() as session:
        ratelimit.record_refused(session=session, client=client, kind=kind, now=now)


VisitorDep = Annotated[Principal | None, Depends(visitor)]
FormDep = Annotated[FormData, Depends(sent_form)]

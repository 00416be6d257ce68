"""The login and logout pages.

``GET /login`` shows the form, ``POST /login`` checks it (rate-limited; 401 with the form again
on failure, 429 with Retry-After when limited) and sets the session cookie, then goes to
``next`` (a local path only). ``POST /logout`` (CSRF-checked) ends the session at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from ecoradar.auth import sessions
from ecoradar.auth.errors import LoginFailed, TooManyAttempts
from ecoradar.auth.login import log_in
from ecoradar.auth.models import User
from ecoradar.auth.views import client_ip
from ecoradar.bootstrap import Container
from ecoradar.core.clock import CHINA_TZ
from ecoradar.web.deps import ContainerDep, CookieDep, OptionalPrincipal, SessionDep
from ecoradar.web.pages import local_path
from ecoradar.web.templating import render

router = APIRouter(include_in_schema=False)

NextText = Annotated[str, Query(alias="next", max_length=2000)]


def secure_cookies(box: Container) -> bool:
    """Cookies only over HTTPS where the site is served that way (staging, production)."""
    return box.settings.environment in ("staging", "production")


def retry_time(now: datetime, seconds: int) -> str:
    """When a refused login may be tried again: China time, to the next whole minute."""
    at = (now + timedelta(seconds=seconds + 59)).astimezone(CHINA_TZ)
    return at.strftime("%H:%M")


def same_origin(request: Request) -> bool:
    """A browser's login POST names its origin; one from another site is refused (so nobody
    can log a visitor into an account of theirs). No Origin header: not a browser form."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.get("/login", response_model=None)
def login_form(
    request: Request, principal: OptionalPrincipal, next_path: NextText = "/"
) -> HTMLResponse | RedirectResponse:
    target = local_path(next_path)
    if principal is not None and principal.kind == "user":
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", next_path=target, username="", error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    box: ContainerDep,
    cookie: CookieDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> HTMLResponse | RedirectResponse:
    target = local_path(next_path)
    if not same_origin(request):
        return render(
            request, "login.html", status_code=403, next_path=target, username="", error="origin"
        )
    now = box.clock.now()

    def start(session: Session, user: User) -> sessions.NewSession:
        at = box.session_now()
        if cookie:
            sessions.end_session(session=session, secret=cookie, now=at)
        return sessions.start_session(session=session, user=user, now=at)

    try:
        started = log_in(
            box, username=username, password=password, ip=client_ip(request), via="page", then=start
        )
    except TooManyAttempts as exc:
        return render(
            request,
            "login.html",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
            next_path=target,
            username=username,
            error="limited",
            retry_at=retry_time(now, exc.retry_after),
        )
    except LoginFailed:
        return render(
            request, "login.html", status_code=401, next_path=target, username=username,
            error="failed",
        )  # fmt: skip
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        started.secret,
        max_age=int(sessions.ABSOLUTE.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(box),
    )
    return response


@router.post("/logout")
def logout(
    session: SessionDep, box: ContainerDep, cookie: CookieDep, principal: OptionalPrincipal
) -> RedirectResponse:
    """End the session (the CSRF token was checked in resolving ``principal``)."""
    if cookie and principal is not None:
        sessions.end_session(session=session, secret=cookie, now=box.session_now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(box)
    )
    return response

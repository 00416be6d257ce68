"""``create_app``: the FastAPI application for one container."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import ecoradar
from ecoradar.audit import views as audit_views
from ecoradar.auth import pages as auth_pages
from ecoradar.auth import views as auth_views
from ecoradar.auth.errors import CsrfRefused, LoginRequired, TooManyAttempts
from ecoradar.bootstrap import Container
from ecoradar.clues import dedupe_text, open311_views
from ecoradar.clues import views as clue_views
from ecoradar.core.bookkeeping import FLUSH_EVERY
from ecoradar.core.errors import (
    AuthenticationRequired,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
)
from ecoradar.core.writes import WriteBusy
from ecoradar.detection import views as alert_views
from ecoradar.exposure import views as exposure_views
from ecoradar.fivestep import views as fivestep_views
from ecoradar.greencode import views as greencode_views
from ecoradar.inspections import views as inspection_views
from ecoradar.linkage import views as linkage_views
from ecoradar.monitoring import views as monitoring_views
from ecoradar.patrols import views as patrol_views
from ecoradar.power import views as power_views
from ecoradar.praise import views as praise_views
from ecoradar.problems import views as problem_views
from ecoradar.problems import violations as problem_violations
from ecoradar.regions import views as region_views
from ecoradar.registry import views as registry_views
from ecoradar.reminders import views as reminder_views
from ecoradar.rewards import views as reward_views
from ecoradar.screens import views as screen_views
from ecoradar.selfcheck import views as selfcheck_views
from ecoradar.stations import views as station_views
from ecoradar.stats import views as stats_views
from ecoradar.supervision import views as supervision_views
from ecoradar.web import (
    api_docs,
    json_policy,
    pages,
    pages_alerts,
    pages_brief,
    pages_clues,
    pages_enterprise,
    pages_exposure,
    pages_fivestep,
    pages_greencode,
    pages_grid,
    pages_inspection_conflicts,
    pages_inspections,
    pages_linkage,
    pages_monitoring,
    pages_power,
    pages_praise,
    pages_problems,
    pages_public,
    pages_reminders,
    pages_reminders_setup,
    pages_screens,
    pages_selfcheck,
    pages_selfcheck_setup,
    pages_stations,
    pages_stats,
    pages_supervision,
    security_headers,
)
from ecoradar.web.busy import RetryBusy
from ecoradar.web.deps import ContainerDep, principal_for_page, require_roles
from ecoradar.web.i18n import LOCALE_COOKIE, negotiate
from ecoradar.web.templating import query_string, render

STATIC_DIR = Path(__file__).resolve().parent / "static"
__all__ = ["LOCALE_COOKIE", "STATIC_DIR", "create_app"]


def wants_page(request: Request) -> bool:
    """A person's browser (asking for HTML, not under ``/api/``) rather than an API client."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        "/api/"
    )


def _nul_place(request: Request) -> str | None:
    """Where the path or the query holds a NUL character (PostgreSQL can neither store nor
    compare it): ``path`` or the parameter's name; ``None`` when nowhere."""
    if "\x00" in request.url.path:
        return "path"
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    return None


log = logging.getLogger(__name__)


async def flush_touches_every(box: Container, seconds: float) -> None:
    """Write the last-use times that reads left behind (``core.bookkeeping``), every
    ``seconds``; a failed write is logged and its times kept for the next."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(box.flush_touches)
        except Exception:
            log.exception("writing last-use times failed; trying again")


def create_app(container: Container) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(flush_touches_every(container, FLUSH_EVERY))
        dedupe_text.warm_up_in_background()  # jieba's dictionary, ~1 s, before the first clue
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await run_in_threadpool(container.flush_touches)

    app = FastAPI(
        lifespan=lifespan,
        title="EcoRadar",
        version=ecoradar.__version__,
        summary="Find environmental pollution problems early and see each through to closure.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.container = container
    json_policy.install(app)  # inside the middleware below: its 422 answers get the headers too

    @app.middleware("http")
    async def locale_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.locale = negotiate(
            request.headers.get("accept-language"),
            request.cookies.get(LOCALE_COOKIE),
            container.settings.default_locale,
        )
        request.state.principal = None  # set by the auth dependencies, read by the pages
        request.state.csrf_token = None
        place = _nul_place(request)
        if place is not None:
            response: Response = JSONResponse(
                {"detail": f"{place}: contains a NUL character"}, status_code=422
            )
        else:
            response = await call_next(request)
        security_headers.apply(response.headers, container.settings)
        return response

    app.add_middleware(
        RetryBusy,
        wait=container.settings.write_wait,
        default_locale=container.settings.default_locale,
        headers=security_headers.security_headers(container.settings),
    )

    @app.exception_handler(WriteBusy)
    async def busy(request: Request, exc: WriteBusy) -> Response:
        """Other writes held the database for longer than the bounded wait: nothing changed."""
        headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
        if wants_page(request):
            return render(request, "503.html", status_code=503, headers=headers)
        return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> JSONResponse:
        """A value the database refuses (a NUL character, a number out of range): bad input,
        not a server fault; the transaction was rolled back."""
        return JSONResponse(
            {"detail": "a value cannot be stored (a NUL character or a number out of range)"},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A person who mistyped an address gets a page; API clients get JSON."""
        if exc.status_code == 404 and wants_page(request):
            await run_in_threadpool(principal_for_page, request)  # the header shows who it is
            return render(request, "404.html", status_code=404, code=None)
        return await http_exception_handler(request, exc)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(AuthenticationRequired)
    async def unauthenticated(request: Request, exc: AuthenticationRequired) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc) or "authentication required"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        """A page asked for by someone not logged in: to the login page and back. htmx gets
        HX-Redirect (it would otherwise swap the login page into a table)."""
        target = "/login" + query_string(next=exc.next_path if exc.next_path != "/" else None)
        if request.headers.get("hx-request") == "true":
            current = request.headers.get("hx-current-url", "")
            path = current.split("//", 1)[-1].partition("/")[2] if current else ""
            target = "/login" + query_string(next="/" + path if path else None)
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> Response:
        if wants_page(request):
            return render(request, "403.html", status_code=403, csrf=isinstance(exc, CsrfRefused))
        return JSONResponse({"detail": str(exc) or "permission denied"}, status_code=403)

    @app.exception_handler(TooManyAttempts)
    async def too_many(request: Request, exc: TooManyAttempts) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.get("/health", tags=["system"])
    def health(box: ContainerDep) -> dict[str, str]:
        """Liveness and database reachability."""
        with box.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "database": box.engine.dialect.name,
            "version": ecoradar.__version__,
        }

    app.include_router(api_docs.router)
    app.include_router(auth_views.router)
    app.include_router(auth_pages.router)
    app.include_router(region_views.router)
    app.include_router(registry_views.router)
    app.include_router(monitoring_views.router)
    app.include_router(alert_views.router)
    app.include_router(problem_views.router)
    app.include_router(selfcheck_views.router)
    app.include_router(reminder_views.router)
    app.include_router(clue_views.router)
    app.include_router(open311_views.router)
    app.include_router(reward_views.router)
    app.include_router(stats_views.router)
    app.include_router(stats_views.attention_router)
    app.include_router(greencode_views.router)
    app.include_router(problem_violations.router)
    app.include_router(inspection_views.router)
    app.include_router(inspection_views.public_router)
    app.include_router(fivestep_views.router)
    app.include_router(exposure_views.router)
    app.include_router(exposure_views.public_router)
    app.include_router(patrol_views.router)
    app.include_router(power_views.router)
    app.include_router(station_views.router)
    app.include_router(linkage_views.router)
    app.include_router(supervision_views.router)
    app.include_router(praise_views.router)
    app.include_router(praise_views.stats_router)
    app.include_router(screen_views.router)  # before pages_screens: /screens/{screen}.json
    app.include_router(audit_views.router, dependencies=[Depends(require_roles("admin"))])
    app.include_router(pages.router)
    app.include_router(pages_enterprise.router)  # after /registry/rows
    app.include_router(pages_monitoring.router)
    app.include_router(pages_power.router)
    app.include_router(pages_alerts.router)
    app.include_router(pages_problems.router)
    app.include_router(pages_brief.router)
    app.include_router(pages_linkage.router)
    app.include_router(pages_clues.router)
    app.include_router(pages_selfcheck.router)
    app.include_router(pages_selfcheck_setup.router)
    app.include_router(pages_reminders_setup.router)  # before /reminders/{number}
    app.include_router(pages_reminders.router)
    app.include_router(pages_stats.router)
    app.include_router(pages_supervision.router)
    app.include_router(pages_greencode.router)
    app.include_router(pages_inspections.router)
    app.include_router(pages_inspection_conflicts.router)
    app.include_router(pages_fivestep.router)
    app.include_router(pages_exposure.router)
    app.include_router(pages_grid.router)
    app.include_router(pages_stations.router)
    app.include_router(pages_praise.router)
    app.include_router(pages_screens.router)
    app.include_router(pages_public.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

"""``create_app``: the FastAPI application for one container."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

import ecoradar
from ecoradar.bootstrap import Container
from ecoradar.core.errors import (
    AuthenticationRequired,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
)
from ecoradar.detection import views as alert_views
from ecoradar.monitoring import views as monitoring_views
from ecoradar.regions import views as region_views
from ecoradar.registry import views as registry_views
from ecoradar.web import pages, pages_alerts, pages_monitoring
from ecoradar.web.deps import ContainerDep
from ecoradar.web.i18n import LOCALE_COOKIE, negotiate
from ecoradar.web.templating import render

STATIC_DIR = Path(__file__).resolve().parent / "static"
__all__ = ["LOCALE_COOKIE", "STATIC_DIR", "create_app"]


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="EcoRadar",
        version=ecoradar.__version__,
        summary="Find environmental pollution problems early and see each through to closure.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.container = container

    @app.middleware("http")
    async def locale_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.locale = negotiate(
            request.headers.get("accept-language"),
            request.cookies.get(LOCALE_COOKIE),
            container.settings.default_locale,
        )
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """A person who mistyped an address gets a page; API clients get JSON."""
        wants_page = "text/html" in request.headers.get("accept", "")
        if exc.status_code == 404 and wants_page and not request.url.path.startswith("/api/"):
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

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> JSONResponse:
        return JSONResponse({"detail": str(exc) or "permission denied"}, status_code=403)

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

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI served from our own static files: no CDN on a closed network."""
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="EcoRadar API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )

    app.include_router(region_views.router)
    app.include_router(registry_views.router)
    app.include_router(monitoring_views.router)
    app.include_router(alert_views.router)
    app.include_router(pages.router)
    app.include_router(pages_monitoring.router)
    app.include_router(pages_alerts.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

"""``GET /api/docs``: Swagger UI served from our own static files (no CDN on a closed network),
started by a script file rather than FastAPI's inline one, so the Content-Security-Policy
(``security_headers``) needs no exception for it."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

import ecoradar

router = APIRouter(include_in_schema=False)

SWAGGER = "/static/vendor/swagger-ui"
OPENAPI_URL = "/api/openapi.json"


@router.get("/api/docs")
def api_docs() -> HTMLResponse:
    """The API documentation page."""
    version = escape(ecoradar.__version__)
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EcoRadar API</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">
<link rel="icon" href="{SWAGGER}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js?v={version}"></script>
</body>
</html>
"""
    )

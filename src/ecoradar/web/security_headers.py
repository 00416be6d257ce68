"""The security headers every answer carries (set by the middleware in ``app.py``).

* ``Content-Security-Policy``: scripts, style sheets, fonts and API calls from this site only;
  no inline script or style, no ``eval``, no plugins, no framing, forms post only here. Images
  may also be ``data:``/``blob:`` URLs (Leaflet, ECharts, Swagger UI make them) and come from
  the map tile server of ``ECORADAR_TILE_URL``. The pages keep to this: every script and style
  is a file under ``/static``, and a template's data reaches its script in ``data-*``
  attributes.
* ``Strict-Transport-Security`` when ``ECORADAR_ENVIRONMENT=production`` (served over HTTPS
  only there): browsers then refuse plain HTTP to this host for a year.
* ``X-Content-Type-Options``, ``Referrer-Policy``, ``X-Frame-Options`` (for older browsers).

A route that sets one of these headers itself keeps its own.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders

from ecoradar.config import Settings

HSTS = "max-age=31536000; includeSubDomains"
"""One year, this host and the hosts under it."""


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source of a Leaflet tile address (``https://{s}.tile.example.org/{z}/{x}/{y}``
    -> ``https://*.tile.example.org``); ``None`` for none or one on this site."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    labels = host.split(".")
    if "{" in labels[0] and not any("{" in label for label in labels[1:]):
        labels[0] = "*"
    elif any("{" in label or "}" in label for label in labels):
        return f"{parts.scheme}:"  # no CSP source names this host: the scheme, then
    return f"{parts.scheme}://{'.'.join(labels)}"


@lru_cache(maxsize=8)
def content_security_policy(tile_url: str | None = None) -> str:
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(tile_url)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers for a deployment with ``settings``."""
    headers = {
        "Content-Security-Policy": content_security_policy(settings.tile_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if settings.environment == "production":
        headers["Strict-Transport-Security"] = HSTS
    return headers


def apply(headers: MutableHeaders, settings: Settings) -> None:
    """Add the security headers to an answer's ``headers`` (those it has already stay)."""
    for name, value in security_headers(settings).items():
        headers.setdefault(name, value)

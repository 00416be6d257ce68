"""Jinja2 for the pages: one environment per locale, autoescaped, gettext from the catalogs.

``render(request, name, **context)`` picks the environment by ``request.state.locale`` (set by
the middleware in ``app.py``), so a template only ever calls ``_()`` and never thinks about which
language it is in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import ecoradar
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ
from ecoradar.hj212.codes import factor
from ecoradar.web.i18n import DEFAULT_LOCALE, LOCALES, translations

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
"""BCP 47 tag for ``<html lang>`` per catalog locale."""


def query_string(**params: object) -> str:
    """``?a=1&b=2`` from the non-empty parameters ("" when there are none)."""
    pairs = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(pairs) if pairs else ""


def page_window(page: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers to offer around ``page``: first, last and ``width`` either side; ``None``
    stands for a gap (an ellipsis)."""
    shown = {1, pages, *range(page - width, page + width + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= pages)
    window: list[int | None] = []
    for n in numbers:
        previous = window[-1] if window else None
        if previous is not None and n - previous > 1:
            window.append(None)
        window.append(n)
    return window


def tiles(settings: Settings) -> dict[str, str]:
    """The base map's tiles for a page's maps (no URL: the map shows its layers on a plain
    background, as on a closed network)."""
    return {"url": settings.tile_url or "", "attribution": settings.tile_attribution}


def local_time(value: datetime | None) -> str:
    """An aware datetime as China Standard Time, to the minute."""
    if value is None:
        return ""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def number(value: float | int | None) -> str:
    """A limit or count without a trailing ``.0``; thousands grouped; never an exponent (a
    code to most readers): 0.00003 mg/m3 of mercury is shown as such."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    shown = f"{value:,.10g}"
    if "e" in shown:  # below 0.0001 or from 10 digits on: every digit the value has
        shown = format(Decimal(repr(float(value))), ",f")
    return shown


def _factor_namer(locale: str) -> Any:
    def factor_name(code: str) -> str:
        known = factor(code)
        if known is None:
            return ""
        return known.name_zh if locale == "zh_CN" else known.name_en

    return factor_name


@lru_cache(maxsize=len(LOCALES))
def environment(locale: str) -> Environment:
    """The environment for ``locale`` (built once; an unknown locale gets the default)."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(locale), newstyle=True
    )
    env.globals.update(
        locale=locale,
        html_lang=HTML_LANG[locale],
        version=ecoradar.__version__,
        query_string=query_string,
        page_window=page_window,
        factor_name=_factor_namer(locale),
    )
    env.filters["local_time"] = local_time
    env.filters["number"] = number
    return env


def render(
    request: Request,
    name: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render template ``name`` in the request's language."""
    locale = getattr(request.state, "locale", DEFAULT_LOCALE)
    template = environment(locale).get_template(name)
    html = template.render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))

"""UI text through gettext catalogs (zh_CN default, en), compiled from the ``.po`` files at
start-up so there is no build step and never a stale ``.mo``."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "ecoradar_locale"
"""The cookie that holds a person's explicit language choice (set by ``GET /lang/{locale}``)."""


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The catalog for ``locale`` (an unknown locale gets the default one)."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def negotiate(accept_language: str | None, cookie: str | None, default: str) -> str:
    """The locale to use: an explicit cookie, else the browser's first supported language."""
    if cookie in LOCALES:
        return cookie
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().lower()
            if tag.startswith("zh"):
                return "zh_CN"
            if tag.startswith("en"):
                return "en"
    return default if default in LOCALES else DEFAULT_LOCALE

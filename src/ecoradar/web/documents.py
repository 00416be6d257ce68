"""Printable documents (a service reminder, a praise certificate): HTML rendered with the pages'
own templates in the reader's language, and a PDF made from it by WeasyPrint.

The fonts are Noto CJK (Debian ``fonts-noto-cjk``), so Chinese renders and stays text in the
PDF; every document's stylesheet includes ``documents/_fonts.css``. The CSS is kept out of the
HTML (the pages' security policy forbids style elements in templates) and passed beside it.
"""

from __future__ import annotations

from typing import Any

from ecoradar.web.i18n import DEFAULT_LOCALE, LOCALES
from ecoradar.web.templating import environment


def rendered(template: str, locale: str = DEFAULT_LOCALE, **context: Any) -> str:
    """``template`` rendered in ``locale`` (the default language for an unknown one)."""
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    return environment(locale).get_template(template).render(**context)


def pdf(html: str, css: str) -> bytes:
    """The PDF of a standalone HTML document and its stylesheet."""
    from PIL import ImageFile
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]  # on use: it loads pango

    # Importing WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process; the
    # documents hold no images, and uploads must stay refused when truncated (media.inspect).
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    data: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])
    return data

"""The daily brief as a document: HTML with the page's own body and a PDF (WeasyPrint, through
``ecoradar.web.documents``, shared with the reminders and the praise certificates)."""

from __future__ import annotations

from datetime import datetime

from ecoradar.linkage.brief import Brief
from ecoradar.web import documents


def html(brief: Brief, made_at: datetime, locale: str) -> str:
    return documents.rendered("linkage/brief_document.html", locale, brief=brief, made_at=made_at)


def pdf(brief: Brief, made_at: datetime, locale: str) -> bytes:
    css = documents.rendered("linkage/brief_document.css", locale, brief=brief)
    return documents.pdf(html(brief, made_at, locale), css)


def filename(brief: Brief) -> str:
    return f"brief-{brief.region.code}-{brief.day.isoformat()}.pdf"

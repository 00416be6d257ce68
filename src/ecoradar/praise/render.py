"""A praise notice as a certificate (荣誉证书 for a grid worker, 表扬信 for a reporter): HTML with
the pages' templates and a PDF through ``ecoradar.web.documents`` (the same path as the service
reminders'), in Chinese by default or English."""

from __future__ import annotations

from typing import Any

from ecoradar.praise.models import PraiseNotice
from ecoradar.web import documents
from ecoradar.web.i18n import DEFAULT_LOCALE


def context(notice: PraiseNotice, region_name: str, locale: str) -> dict[str, Any]:
    return {
        "notice": notice,
        "region_name": region_name,
        "bureau": notice.bureau_name
        if locale == "zh_CN"
        else (notice.bureau_name_en or notice.bureau_name),
    }


def pdf(notice: PraiseNotice, region_name: str, locale: str = DEFAULT_LOCALE) -> bytes:
    values = context(notice, region_name, locale)
    return documents.pdf(
        documents.rendered("praise/certificate.html", locale, **values),
        documents.rendered("praise/certificate.css", locale, **values),
    )


def filename(notice: PraiseNotice) -> str:
    return f"{notice.number}.pdf"

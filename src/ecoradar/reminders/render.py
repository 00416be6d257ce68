"""A reminder as a document: HTML (Jinja2, the page's own templates) and PDF (WeasyPrint, through
``ecoradar.web.documents``, shared with the praise certificate).

Chinese by default, English on request. Every page carries the bureau's name and the
reminder's number in its margin boxes (CSS ``@page``)."""

from __future__ import annotations

from typing import Any

from ecoradar.reminders import wording
from ecoradar.reminders.models import Reminder, ReminderIssue
from ecoradar.web import documents
from ecoradar.web.i18n import DEFAULT_LOCALE, LOCALES


def issue_text(issue: ReminderIssue, locale: str) -> dict[str, str]:
    """The suggestion and basis in ``locale`` (English where the officer left them as made)."""
    if locale == "zh_CN":
        return {"suggestion": issue.suggestion, "basis": issue.basis}
    return {
        "suggestion": wording.in_english(
            issue.trigger, issue.evidence, issue.suggestion, "suggestion"
        ),
        "basis": wording.in_english(issue.trigger, issue.evidence, issue.basis, "basis"),
    }


def document_context(reminder: Reminder, locale: str) -> dict[str, Any]:
    return {
        "reminder": reminder,
        "enterprise": reminder.enterprise,
        "texts": {i.id: issue_text(i, locale) for i in reminder.issues},
        "bureau": reminder.bureau_name
        if locale == "zh_CN"
        else (reminder.bureau_name_en or reminder.bureau_name),
    }


def html(reminder: Reminder, locale: str = DEFAULT_LOCALE) -> str:
    """The standalone document (what the PDF is made from)."""
    return documents.rendered(
        "reminders/document.html", locale, **document_context(reminder, _known(locale))
    )


def stylesheet(reminder: Reminder, locale: str = DEFAULT_LOCALE) -> str:
    """The PDF's CSS (margin boxes with the bureau and the number, the shared fonts)."""
    return documents.rendered(
        "reminders/document.css", locale, **document_context(reminder, _known(locale))
    )


def pdf(reminder: Reminder, locale: str = DEFAULT_LOCALE) -> bytes:
    return documents.pdf(html(reminder, locale), stylesheet(reminder, locale))


def _known(locale: str) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE

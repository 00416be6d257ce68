"""A reminder as a document: HTML (Jinja2, the page's own templates) and PDF (WeasyPrint).

Chinese by default, English on request; the fonts are Noto CJK (Debian ``fonts-noto-cjk``), so
Chinese renders and stays text in the PDF. Every page carries the bureau's name and the
reminder's number in its margin boxes (CSS ``@page``)."""

from __future__ import annotations

from typing import Any

from ecoradar.reminders import wording
from ecoradar.reminders.models import Reminder, ReminderIssue
from ecoradar.web.i18n import DEFAULT_LOCALE, LOCALES
from ecoradar.web.templating import environment


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
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    template = environment(locale).get_template("reminders/document.html")
    return template.render(**document_context(reminder, locale))


def stylesheet(reminder: Reminder, locale: str = DEFAULT_LOCALE) -> str:
    """The PDF's CSS (kept out of the HTML: the pages' security policy forbids style
    elements in templates)."""
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    template = environment(locale).get_template("reminders/document.css")
    return template.render(**document_context(reminder, locale))


def pdf(reminder: Reminder, locale: str = DEFAULT_LOCALE) -> bytes:
    from PIL import ImageFile
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]  # on use: it loads pango

    # Importing WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process; the
    # documents hold no images, and uploads must stay refused when truncated (media.inspect).
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    data: bytes = HTML(string=html(reminder, locale)).write_pdf(
        stylesheets=[CSS(string=stylesheet(reminder, locale))]
    )
    return data

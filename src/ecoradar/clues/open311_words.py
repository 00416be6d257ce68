"""Open311 GeoReport v2: the words of the answers in the request's language (``zh_CN`` by
default, ``en`` when the client's ``Accept-Language`` asks for it).

State, event, channel and transfer names come from the gettext catalogs the web pages use. The
few sentences the catalogs do not have yet carry their Chinese here (``_ZH``) until they do.
"""

from __future__ import annotations

from ecoradar.web.i18n import translations

_ZH = {
    "The bureau decides within {accept} whether to accept a report, and handles an accepted "
    "report within {handle}.": "生态环境部门在{accept}内决定是否受理，受理后{handle}内办理完毕。",
    "This problem had already been reported and is being handled: your report was added to it, "
    "and you follow its progress.": "此问题已有人反映并正在办理，您的报告已并入该问题，"
    "可随之了解办理进展。",
    "{days} days": "{days}日",
    "{days} working days": "{days}个工作日",
    "Ecology and environment bureau of {region}": "{region}生态环境部门",
    "The ecology and environment bureau that runs this EcoRadar.": "运行本平台的生态环境部门。",
    "API keys are issued by the administrator of this EcoRadar "
    "(ecoradar open311 keys create --name NAME).": "API 密钥由本平台管理员签发"
    "（ecoradar open311 keys create --name 名称）。",
}
"""The Chinese of the few sentences the catalogs do not have yet (used until they do)."""


def text(locale: str, message: str, **values: object) -> str:
    """``message`` in ``locale``: the catalog's translation, else the built-in Chinese."""
    translated = str(translations(locale).gettext(message))
    if translated == message and locale != "en":
        translated = _ZH.get(message, message)
    return translated.format(**values)


def _label(locale: str, context: str, message: str) -> str:
    return str(translations(locale).pgettext(context, message))


STATE_LABELS = {
    "reported": "Reported",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "assigned": "Assigned",
    "verifying": "Verifying",
    "confirmed": "Confirmed",
    "unfounded": "Unfounded",
    "rectifying": "Rectifying",
    "rectified": "Rectified",
    "closed": "Closed",
    "reopened": "Reopened",
    "transferred": "Transferred",
}
EVENT_LABELS = {
    "opened": "Opened",
    "finding_attached": "New finding attached",
    "accept": "Accepted",
    "reject": "Rejected",
    "assign": "Assigned",
    "reassign": "Reassigned",
    "start_verification": "Verification started",
    "confirm": "Confirmed on site",
    "mark_unfounded": "Found unfounded on site",
    "order_rectification": "Rectification ordered",
    "report_rectified": "Rectification reported",
    "close": "Closed",
    "reopen": "Reopened",
    "transfer": "Transferred",
    "extend_deadline": "Deadline extended",
}
TRANSFER_LABELS = {"department": "Another department", "public_security": "Public security"}


def span_text(locale: str, span: str) -> str:
    """``15d`` -> 15日 / 15 days; ``2wd`` -> 2个工作日 / 2 working days."""
    value = span.strip().lower()
    if value.endswith("wd"):
        return text(locale, "{days} working days", days=value[:-2].strip())
    return text(locale, "{days} days", days=value.rstrip("d").strip())


def service_notice(locale: str, *, accept_within: str, handle_within: str) -> str:
    return text(
        locale,
        "The bureau decides within {accept} whether to accept a report, and handles an "
        "accepted report within {handle}.",
        accept=span_text(locale, accept_within),
        handle=span_text(locale, handle_within),
    )


def duplicate_notice(locale: str) -> str:
    return text(
        locale,
        "This problem had already been reported and is being handled: your report was added "
        "to it, and you follow its progress.",
    )


def state_name(locale: str, state: str) -> str:
    """A problem state's name (the web pages' ``problem state`` catalog entries)."""
    return _label(locale, "problem state", STATE_LABELS.get(state, state))


def event_name(locale: str, action: str) -> str:
    """A timeline entry's name (the web pages' ``problem event`` catalog entries)."""
    return _label(locale, "problem event", EVENT_LABELS.get(action, action))


def transfer_name(locale: str, kind: str) -> str:
    return str(translations(locale).gettext(TRANSFER_LABELS.get(kind, kind)))


def agency(locale: str, region: str) -> str:
    """``agency_responsible``: the bureau of the problem's responsible office."""
    return text(locale, "Ecology and environment bureau of {region}", region=region)


def contact(locale: str) -> str:
    """Service Discovery's ``contact``."""
    return text(locale, "The ecology and environment bureau that runs this EcoRadar.")


def key_service(locale: str) -> str:
    """Service Discovery's ``key_service``."""
    return text(
        locale,
        "API keys are issued by the administrator of this EcoRadar "
        "(ecoradar open311 keys create --name NAME).",
    )

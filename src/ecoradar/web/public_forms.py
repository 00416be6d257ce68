"""The public pages' forms: the anonymous form token, the report form turned into a ``ClueIn``,
and a refusal turned into something a member of the public can act on.

**Form token (CSRF without a session).** A visitor of ``/report`` or of a tracking page has no
session, so there is no session token to put in the form. Instead the page sets a random nonce
in the ``ecoradar_form`` cookie (HttpOnly, SameSite=Lax) and puts the nonce, signed with
``settings.secret_key`` by itsdangerous (salted, timestamped), in the form's ``form_token``
field: a *signed double-submit cookie*. A POST is accepted when the signature is good, younger
than ``FORM_TOKEN_MAX_AGE`` and names the nonce of the cookie the browser sent. Another site
can make a browser send the cookie, but cannot read it nor the page's token, and cannot forge a
token for it without the secret key. A browser's ``Origin`` header naming another host is
refused as well. A logged-in visitor's forms also carry the session's ``csrf_token``, which the
usual dependency checks.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.datastructures import FormData, UploadFile

from ecoradar.auth.principal import Principal
from ecoradar.clues import catalog
from ecoradar.clues.catalog import AttributeRefused
from ecoradar.clues.intake import ClueIn, OutsideJurisdiction, Upload
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.config import Settings
from ecoradar.core.clock import CHINA_TZ
from ecoradar.core.errors import ConflictError, EcoRadarError, InputError, NotFoundError
from ecoradar.media.inspect import MediaLimits, MediaRefused

FORM_COOKIE = "ecoradar_form"
FORM_TOKEN_MAX_AGE = 24 * 3600
"""A form may stay open this long (seconds) before it must be loaded again."""
FORM_COOKIE_MAX_AGE = 7 * 24 * 3600
_SALT = "ecoradar.public-form"
_NONCE = re.compile(r"[A-Za-z0-9_-]{20,64}")
TOKEN_MAX = 200
TEXT_LIMIT = 20_000
"""A bound on any text field before the real checks (which name the limit)."""
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,24}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
"""What the photo input's script lets through (the server sniffs the bytes anyway)."""
Identity = Literal["account"]
SERVICES = {s.code: s for s in catalog.SERVICES}


# --- the form token ---------------------------------------------------------------------------


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def valid_nonce(value: str | None) -> bool:
    return value is not None and _NONCE.fullmatch(value) is not None


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def form_token(settings: Settings, nonce: str) -> str:
    """The token a form carries for the cookie ``nonce``."""
    return str(_serializer(settings).dumps(nonce))


def token_matches(settings: Settings, nonce: str | None, token: str | None) -> bool:
    """Whether ``token`` is a fresh signature of the cookie's ``nonce``."""
    if not valid_nonce(nonce) or not token or len(token) > TOKEN_MAX:
        return False
    try:
        signed = _serializer(settings).loads(token, max_age=FORM_TOKEN_MAX_AGE)
    except BadData:
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, str(nonce))


# --- the report form --------------------------------------------------------------------------


@dataclass
class ReportValues:
    """The report form as sent (text only: files are never sent back to the browser)."""

    category: str = ""
    description: str = ""
    lat: str = ""
    lon: str = ""
    address: str = ""
    observed_at: str = ""
    identity: str = "anonymous"
    reporter_name: str = ""
    reporter_contact: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    """The chosen category's answers, each as the list of values sent."""


def attribute_field(category: str, code: str) -> str:
    """The form field of an attribute: one set of fields per category, so only the chosen
    category's answers are read."""
    return f"attribute[{category}][{code}]"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:TEXT_LIMIT] if isinstance(value, str) else ""


def read_report(form: FormData) -> ReportValues:
    """The text fields of the report form (unknown fields are ignored)."""
    category = _text(form, "category").strip()
    attributes: dict[str, list[str]] = {}
    service = SERVICES.get(category)
    for attribute in service.attributes if service is not None else ():
        sent = [
            v[:TEXT_LIMIT]
            for v in form.getlist(attribute_field(category, attribute.code))
            if isinstance(v, str)
        ]
        if sent:
            attributes[attribute.code] = sent
    identity = _text(form, "identity")
    return ReportValues(
        category=category,
        description=_text(form, "description"),
        lat=_text(form, "lat").strip(),
        lon=_text(form, "long").strip(),
        address=_text(form, "address_string"),
        observed_at=_text(form, "observed_at").strip(),
        identity=identity if identity in ("anonymous", "named") else "anonymous",
        reporter_name=_text(form, "reporter_name"),
        reporter_contact=_text(form, "reporter_contact"),
        attributes=attributes,
    )


def sent_photos(form: FormData, settings: Settings) -> tuple[Upload, ...]:
    """The chosen photos, each read up to one byte over the image limit (which the intake then
    refuses as too large). An empty file input sends one nameless, empty part: skipped."""
    limit = MediaLimits.from_settings(settings).max_image_bytes + 1
    uploads: list[Upload] = []
    for part in form.getlist("photos"):
        if not isinstance(part, UploadFile):
            continue
        data = part.file.read(limit)
        if not part.filename and not data:
            continue
        uploads.append(Upload(part.filename or f"photo-{len(uploads) + 1}.jpg", data))
        if len(uploads) > settings.clue_max_photos:
            raise InputError(f"photos: at most {settings.clue_max_photos} per clue")
    return tuple(uploads)


def _coordinate(name: str, text: str, bound: float) -> float:
    try:
        value = float(text) if len(text) <= 40 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        what = "latitude" if name == "lat" else "longitude"
        raise InputError(f"{name}: {text[:40]!r} is not a WGS84 {what}")
    return value


def _observed_at(text: str) -> datetime | None:
    """A ``datetime-local`` value, China time ("" means now)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        value = None
    if value is None:
        raise InputError(f"observed_at: {text[:40]!r} is not a date and time")
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


def check_contact(text: str) -> str:
    """A phone number or an e-mail address, as typed (stripped)."""
    contact = text.strip()
    if not contact:
        raise InputError("reporter_contact: give a phone number or an e-mail address")
    if not (PHONE.fullmatch(contact) or EMAIL.fullmatch(contact)):
        raise InputError(f"reporter_contact: {contact[:40]!r} is no phone number or e-mail")
    return contact


def identity_of(principal: Principal | None) -> Identity | None:
    """``account`` for a logged-in member of the public (the report carries the account);
    None: the visitor chooses between anonymous and named."""
    if principal is not None and principal.kind == "user" and principal.role == "public":
        return "account"
    return None


def clue_from_form(
    values: ReportValues,
    photos: Sequence[Upload],
    *,
    principal: Principal | None,
    client: str,
) -> ClueIn:
    """The clue the form describes; ``InputError`` (naming the field) for what the intake's own
    checks cannot see: the place and time as typed, and the contact chosen but not given."""
    if not values.category:
        raise InputError("category: choose what kind of pollution it is")
    if not values.lat and not values.lon:
        raise InputError("location: choose the place on the map, or use your location")
    lat = _coordinate("lat", values.lat, 90)
    lon = _coordinate("long", values.lon, 180)
    account = identity_of(principal) == "account"
    named = not account and values.identity == "named"
    contact = check_contact(values.reporter_contact) if named else None
    name = (values.reporter_name.strip() or None) if named else None
    attributes: dict[str, str | list[str]] = {}
    service = SERVICES.get(values.category)
    for code, sent in values.attributes.items():
        attribute = service.attribute(code) if service is not None else None
        multiple = attribute is not None and attribute.datatype == "multivaluelist"
        # one value where one is asked; several are passed on for the catalogue to refuse
        attributes[code] = sent if multiple or len(sent) > 1 else sent[0]
    return ClueIn(
        channel="public",
        category=values.category,
        lat=lat,
        lon=lon,
        description=values.description,
        observed_at=_observed_at(values.observed_at),
        attributes=attributes,
        photos=tuple(photos),
        anonymous=not (account or named),
        reporter_name=name,
        reporter_contact=contact,
        reporter_user_id=principal.user_id if account and principal is not None else None,
        address_string=values.address.strip() or None,
        client=client,
    )


# --- refusals -----------------------------------------------------------------------------------

FIELD_IDS = {
    "category": "category-choice",
    "description": "report-description",
    "photos": "report-photos",
    "location": "report-map",
    "lat": "report-lat",
    "long": "report-lon",
    "observed_at": "report-observed",
    "address_string": "report-address",
    "reporter_contact": "report-contact",
    "reporter_name": "report-name",
    "anonymous": "identity-choice",
    "feedback": "feedback-choice",
    "text": "feedback-text",
    "satisfaction": "satisfaction-choice",
}
"""The element a refusal of each field points at (``attribute[code]``: the attribute's)."""


@dataclass(frozen=True)
class Refusal:
    """Why a public form was refused: ``kind`` picks the sentence the page shows (translated),
    ``field`` the form field it is about, ``detail`` the technical message."""

    kind: str
    status: int
    field: str | None = None
    detail: str = ""
    retry_after: int = 0
    name: str = ""
    """The file or attribute the sentence names."""

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def field_id(self, category: str = "") -> str | None:
        if self.field is None:
            return None
        if self.field.startswith("attribute[") and category:
            return f"attr-{category}-{self.field[10:-1]}"
        return FIELD_IDS.get(self.field)


EXPIRED = Refusal("expired", 403)
"""The form token is missing, stale or not this browser's: load the form again."""

_MEDIA_KINDS = {
    "unsupported_type": "photo_type",
    "too_large": "photo_size",
    "too_many_pixels": "photo_pixels",
    "corrupt": "photo_corrupt",
    "empty": "photo_empty",
}


def refusal(exc: EcoRadarError) -> Refusal:
    """The refusal of ``exc`` as the public pages show it."""
    detail = str(exc)
    name = detail.partition(":")[0]
    if isinstance(exc, RateLimited):
        return Refusal("rate_limited", 429, None, detail, retry_after=exc.retry_after)
    if isinstance(exc, OutsideJurisdiction):
        return Refusal("outside", 422, "location", detail)
    if isinstance(exc, MediaRefused):
        kind = _MEDIA_KINDS.get(exc.reason, "photo")
        return Refusal(kind, 422, "photos", detail, name=exc.filename)
    if isinstance(exc, AttributeRefused):
        kind = "attribute_required" if "required for the service" in detail else "attribute"
        where = f"attribute[{exc.code}]" if exc.code else None
        return Refusal(kind, 422, where, detail, name=exc.code or "")
    if isinstance(exc, NotFoundError):
        return Refusal("not_found", 404, None, detail)
    if isinstance(exc, ConflictError):
        return Refusal("conflict", 409, None, detail)
    if not isinstance(exc, InputError):
        return Refusal("input", 422, None, detail)
    return _input_refusal(name, detail)


def _input_refusal(name: str, detail: str) -> Refusal:
    text = detail.partition(":")[2]
    if name.startswith("photos"):
        if "PDF" in text:
            return Refusal("photo_type", 422, "photos", detail, name=_file_name(name))
        return Refusal("photo_count", 422, "photos", detail)
    kinds = {
        "category": "category",
        "location": "location",
        "lat": "location",
        "long": "location",
        "reporter_name": "name",
        "anonymous": "input",
        "address_string": "address",
        "feedback": "feedback",
        "satisfaction": "satisfaction",
    }
    if name == "description":
        kind = "description_required" if "required" in text else "description_long"
    elif name == "observed_at":
        kind = (
            "observed_future"
            if "future" in text
            else "observed_old"
            if "days ago" in text
            else "observed_invalid"
        )
    elif name == "reporter_contact":
        kind = "contact_missing" if "give" in text else "contact_invalid"
    elif name == "text":
        kind = "dispute_text" if "dispute" in text else "text_long"
    else:
        kind = kinds.get(name, "input")
    known = name in FIELD_IDS
    return Refusal(kind, 422, name if known else None, detail)


def _file_name(field_name: str) -> str:
    """``photos[0] (name.pdf)`` -> ``name.pdf``."""
    found = re.search(r"\((.*)\)", field_name)
    return found.group(1) if found else ""

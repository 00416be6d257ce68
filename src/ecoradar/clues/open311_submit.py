"""``POST requests``: an Open311 client's form, checked as the specification words it, becomes a
clue through ``submit_clue`` (channel ``open311``, rate-limited per API key as ``token:<id>``,
with the key's own limit when it has one, and per relayed reporter within the key:
``open311_keys``).

- ``api_key`` (form field, or query parameter) is an integration token with the scope
  ``open311`` (``ecoradar open311 keys create``); missing, unknown, revoked or of another scope:
  403, as the specification wants for "missing or invalid API key". A key limited to a region
  may report only inside it.
- ``service_code`` missing: 400; unknown: 404. ``attribute[code]`` is checked against the
  catalogue by ``submit_clue`` (a missing required attribute, a value not in the list: 400).
- ``lat``/``long`` are required: there is no geocoder (``open311_params.parse_location``).
- ``description`` is optional in Open311 but a clue needs one: an empty description becomes the
  service's name and the attribute answers.
- ``email``, ``phone``, ``first_name``, ``last_name``, ``account_id``, ``device_id`` are the
  reporter's identity: they go to the finding's protected reporter fields only (without them
  the report is anonymous). ``media_url`` is kept in the finding's data, never fetched.
- Photos: a ``multipart/form-data`` POST may carry image files in ``media`` fields (the "media
  handling" extension); they are re-encoded and attached as non-public evidence.

The key's rate limit is checked right after the key, before anything else of the form: a
client over it gets 429 however wrong its form; then the limit of the relayed reporter, known by
any of ``email``, ``device_id`` and ``account_id`` the client sends (429 too: "too many clues of
this reporter"). A refused report is counted against the limits (the key's and the reporter's)
in a transaction of its own (the refused work itself is rolled back by ``submit_clue``'s
savepoint and this transaction), so a flood of invalid reports reaches the limit too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ecoradar.auth import tokens
from ecoradar.auth.principal import Principal
from ecoradar.bootstrap import Container
from ecoradar.clues import catalog, open311, open311_keys, ratelimit
from ecoradar.clues import open311_params as params
from ecoradar.clues import open311_words as words
from ecoradar.clues.intake import ClueIn, Upload, submit_clue
from ecoradar.clues.open311_service import catalog_service
from ecoradar.clues.ratelimit import RateLimited
from ecoradar.core.errors import AuthenticationRequired, ConflictError, InputError, NotFoundError
from ecoradar.regions.service import smallest_region

SCOPE = "open311"
CHANNEL = "open311"
MEDIA_FIELDS = ("media", "media[]")
"""Multipart file fields that carry photos."""
NAME_MAX, CONTACT_MAX, EMAIL_MAX, PHONE_MAX, ID_MAX, URL_MAX = 100, 200, 254, 40, 100, 2000
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


@dataclass(frozen=True)
class Posted:
    """A ``POST requests`` as it came: the fields (query parameters after the body's) and the
    uploaded files (field name and ``Upload``)."""

    fields: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, Upload], ...] = ()
    refused: str | None = None
    """Why the body could not be read (a broken multipart body), if it could not."""

    def get(self, name: str) -> str | None:
        """The first non-empty value of ``name`` (empty counts as absent)."""
        for key, value in self.fields:
            if key == name and value.strip():
                return value.strip()
        return None


def authenticate(*, session: Session, api_key: str | None, now: datetime) -> Principal:
    """The Open311 client of ``api_key``; 403 (with the reason) otherwise."""
    if api_key is None:
        raise open311.Open311Error(
            403, "api_key: missing; an API key is needed to create a service request"
        )
    try:
        principal = tokens.token_principal(session=session, secret=api_key, now=now)
    except AuthenticationRequired:
        raise open311.Open311Error(
            403, "api_key: invalid, expired or revoked; can't create the service request"
        ) from None
    if not principal.has_scope(SCOPE):
        raise open311.Open311Error(403, "api_key: this key is not an Open311 API key")
    return principal


def reporter(posted: Posted) -> tuple[str | None, str | None]:
    """The reporter's name and contact (protected), from the Open311 identity fields."""
    for name, limit in (
        ("first_name", NAME_MAX),
        ("last_name", NAME_MAX),
        ("email", EMAIL_MAX),
        ("phone", PHONE_MAX),
        ("account_id", ID_MAX),
        ("device_id", ID_MAX),
    ):
        value = posted.get(name)
        if value is not None and len(value) > limit:
            raise open311.bad_request(f"{name}: longer than {limit} characters")
    name = " ".join(p for p in (posted.get("first_name"), posted.get("last_name")) if p)
    if len(name) > NAME_MAX:
        raise open311.bad_request(
            f"first_name, last_name: longer than {NAME_MAX} characters together"
        )
    parts = [
        f"{field}: {value}"
        for field in ("email", "phone", "account_id", "device_id")
        if (value := posted.get(field)) is not None
    ]
    while len("; ".join(parts)) > CONTACT_MAX and len(parts) > 2:
        parts.pop()  # the device, then the account, give way to the e-mail and the phone
    contact = "; ".join(parts)
    if len(contact) > CONTACT_MAX:
        raise open311.bad_request(f"email, phone: longer than {CONTACT_MAX} characters together")
    return name or None, contact or None


def media_url(posted: Posted) -> str | None:
    value = posted.get("media_url")
    if value is None:
        return None
    if len(value) > URL_MAX or not _URL.fullmatch(value):
        raise open311.bad_request(f"media_url: not an http(s) URL of at most {URL_MAX} characters")
    return value


def photos(posted: Posted) -> tuple[Upload, ...]:
    for name, _ in posted.files:
        if name not in MEDIA_FIELDS:
            raise open311.bad_request(f"{name}: a file field; photos are sent as media")
    return tuple(upload for _, upload in posted.files)


def fallback_description(service: catalog.Service, attributes: Mapping[str, Any]) -> str:
    """A description for a report sent without one: the service and the answers given."""
    answers = []
    for attribute in service.attributes:
        value = attributes.get(attribute.code)
        if value is None:
            continue
        given = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        names = {v.key: v.name_zh for v in attribute.values}
        answers.append(f"{attribute.description_zh} {'、'.join(names.get(v, v) for v in given)}")
    return service.name_zh + ("：" + "；".join(answers) if answers else "")


def clue_of(posted: Posted, principal: Principal, service: catalog.Service) -> ClueIn:
    """The clue a checked form stands for."""
    lat, lon = params.parse_location(
        posted.get("lat"),
        posted.get("long"),
        address_string=posted.get("address_string"),
        address_id=posted.get("address_id"),
    )
    attributes = params.parse_attributes(posted.fields)
    description = params.check_description(posted.get("description")) or fallback_description(
        service, attributes
    )
    name, contact = reporter(posted)
    url = media_url(posted)
    return ClueIn(
        channel=CHANNEL,
        category=service.code,
        lat=lat,
        lon=lon,
        description=description,
        attributes=attributes,
        photos=photos(posted),
        anonymous=not (name or contact),
        reporter_name=name,
        reporter_contact=contact,
        address_string=posted.get("address_string"),
        client=f"token:{principal.token_id}",
        token_id=principal.token_id,
        data={"media_url": url} if url else {},
    )


def relayed_reporter(posted: Posted, token_id: int) -> list[str]:
    """The rate-limit clients of the reporter the client relays (none: an anonymous report).
    An identity too long to be kept is not counted: the request is refused for it anyway."""
    longest = {"email": EMAIL_MAX, "device_id": ID_MAX, "account_id": ID_MAX}
    identities = {
        field: value
        for field, _ in open311_keys.IDENTITY_FIELDS
        if (value := posted.get(field)) is not None and len(value) <= longest[field]
    }
    return open311_keys.reporter_clients(token_id, identities)


def _check_key_region(session: Session, box: Container, principal: Principal, item: ClueIn) -> None:
    """A key limited to a region reports inside it (outside every region: ``submit_clue``
    refuses the place itself)."""
    if principal.region_id is None:
        return
    try:
        region = smallest_region(
            session=session, index=box.regions.get(session), lon=item.lon, lat=item.lat
        )
    except NotFoundError:
        return
    if not principal.covers_region(region.id):
        raise open311.bad_request("lat, long: outside the region this API key may report in")


def submit(
    *,
    box: Container,
    posted: Posted,
    locale: str,
    check_form: Callable[[], None] = lambda: None,
) -> list[dict[str, Any]]:
    """Create the service request; the answer's one entry (``open311.created_dict``).
    ``check_form`` checks what the endpoint itself knows (the jurisdiction), after the rate
    limit like every other check of the form."""
    if posted.refused is not None and posted.get("api_key") is None:  # no key to count it on
        raise open311.bad_request(f"the request body could not be read: {posted.refused}")
    now = box.clock.now()
    client: str | None = None
    reporters: list[str] = []
    try:
        with box.transaction() as session:
            principal = authenticate(session=session, api_key=posted.get("api_key"), now=now)
            assert principal.token_id is not None  # an API key's principal
            client = f"token:{principal.token_id}"
            # before the form is looked at: a flood is refused cheaply
            limits = open311_keys.limits_of(
                session=session,
                token_id=principal.token_id,
                anonymous_limit=box.settings.clue_rate_limit_per_hour,
            )
            ratelimit.check_clue(
                session=session, client=client, limit=limits.clues_per_hour, now=now
            )
            reporters = relayed_reporter(posted, principal.token_id)
            for counted in reporters:
                ratelimit.check_reporter(
                    session=session, client=counted, limit=limits.per_reporter_per_hour, now=now
                )
            if posted.refused is not None:
                raise open311.bad_request(f"the request body could not be read: {posted.refused}")
            check_form()
            extensions = params.parse_flag(posted.get("extensions"), "extensions")
            code = posted.get("service_code")
            if code is None:
                raise open311.bad_request("service_code: required (GET services lists them)")
            service = catalog_service(code)
            item = clue_of(posted, principal, service)
            _check_key_region(session, box, principal, item)
            receipt = submit_clue(
                session=session,
                settings=box.settings,
                index=box.regions.get(session),
                item=item,
                now=now,
                actor=principal.actor,
            )
            for counted in reporters:  # the key's own use is counted by submit_clue
                ratelimit.record(session=session, client=counted, kind=CHANNEL, now=now)
    except RateLimited as exc:
        raise open311.Open311Error(
            429, str(exc), headers={"Retry-After": str(exc.retry_after)}
        ) from exc
    except (open311.Open311Error, InputError, ConflictError) as exc:
        if client is not None and not (isinstance(exc, open311.Open311Error) and exc.status == 403):
            with box.transaction() as session:
                for counted in (client, *reporters):
                    ratelimit.record_refused(session=session, client=counted, kind=CHANNEL, now=now)
        if isinstance(exc, open311.Open311Error):
            raise
        raise open311.bad_request(str(exc)) from exc
    settings = box.settings
    notice = (
        words.duplicate_notice(locale)
        if receipt.duplicate
        else words.service_notice(
            locale,
            accept_within=settings.problem_accept_within,
            handle_within=settings.problem_handle_within,
        )
    )
    extended = None
    if extensions:
        extended = {
            "channel": CHANNEL,
            "tracking_code": receipt.tracking_code,
            "secret": receipt.secret,
            "duplicate": receipt.duplicate,
        }
    return [
        open311.created_dict(
            receipt.clue_id,
            service_notice=notice,
            account_id=posted.get("account_id"),
            extended=extended,
        )
    ]

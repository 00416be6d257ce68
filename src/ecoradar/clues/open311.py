"""Open311 GeoReport v2 (pure): what the answers hold, without I/O.

What the specification (wiki.open311.org/GeoReport_v2, with Service Discovery and the
"Extensions" page) fixes, and this module keeps to:

- Formats ``json`` and ``xml`` (``open311_xml``: the JSON is the "Spark convention" mapping of the
  XML); every date and time in the W3C profile of ISO 8601 with an offset
  (``2026-11-02T08:30:00+08:00``; China time here).
- Errors are a list of ``{code, description}`` with the HTTP status: 404 for what does not exist
  (a service code, a request, a token, a jurisdiction), 403 for a missing or wrong ``api_key``,
  400 for anything else the request got wrong (and 429 when a client sends too much).
- The fields of services, service definitions and requests, in the specification's order;
  every service is ``realtime`` (``POST requests`` answers a ``service_request_id``, never a
  token).

How our clues map onto requests: a request is a clue of a public channel; its status is
``open`` until its problem reaches a final state (rejected, unfounded, closed, transferred),
then ``closed``; text a reporter wrote is published with contact details hidden
(``public_text``). Reading what clients send is ``open311_params``; the queries are
``open311_service``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ecoradar.core.clock import CHINA_TZ
from ecoradar.privacy.mask import PLACEHOLDER, mask
from ecoradar.problems.workflow import FINAL_STATES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
"""The specification token of Service Discovery (also the XML namespace, were one needed)."""
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
"""Content types per format, as the specification's "Format Support" writes them."""
MAX_DESCRIPTION = 4000
"""A description is "free form text limited to 4,000 characters"."""
WINDOW = timedelta(days=90)
"""The default window of ``GET requests``, and the widest ``start_date``..``end_date``."""
MAX_REQUESTS = 1000
"""At most this many requests in one answer (and per page of the paging extension)."""
MAX_IDS = 1000
CLOSED_STATES = frozenset(state.value for state in FINAL_STATES)
"""Problem states reported as ``closed``: rejected, unfounded, closed, transferred."""
DEFAULT_JURISDICTION = "ecoradar"
"""The ``jurisdiction_id`` of this endpoint unless ``ECORADAR_OPEN311_JURISDICTION_ID`` says
otherwise. An empty or absent ``jurisdiction_id`` is accepted (one jurisdiction per endpoint);
another one is 404, as the specification says."""
CHANGESET = "2026-11-29 00:00"
"""Service Discovery's ``changeset``: when the endpoint or the catalogue last changed (raise it
with either, so clients refresh what they cached)."""
PUBLIC_CHANNELS = ("public", "open311")
"""The clues published as service requests: reports by the public (the web form and Open311
clients). Clues from officers, departments, grid workers and drones are internal leads; a
public list of them could warn an enterprise before anyone has verified the lead."""


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorItem:
    code: int
    description: str


class Open311Error(Exception):
    """A refusal as the specification shapes it: an HTTP status and a list of errors (here one
    each, whose ``code`` is the HTTP status)."""

    def __init__(
        self, status: int, *descriptions: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.errors = tuple(ErrorItem(status, d) for d in descriptions or ("error",))
        self.headers = dict(headers or {})
        super().__init__("; ".join(e.description for e in self.errors))


def error_list(errors: Iterable[ErrorItem]) -> list[dict[str, Any]]:
    """``[{"code": 400, "description": "..."}]``: the body of an error answer."""
    return [{"code": e.code, "description": e.description} for e in errors]


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


# --- dates ----------------------------------------------------------------------------------


def w3(moment: datetime | None) -> str | None:
    """``moment`` in the W3C profile of ISO 8601, China time, to the second:
    ``2026-11-02T09:00:00+08:00``."""
    if moment is None:
        return None
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


# --- what of a report may be public ----------------------------------------------------------

HIDDEN = PLACEHOLDER


def public_text(text: str) -> str:
    """``text`` with what would identify or reach its writer hidden (``privacy.mask``): phone
    numbers, e-mail addresses, identity card numbers, WeChat and QQ ids, names given as such."""
    return mask(text)


def status_of(state: str) -> str:
    """A problem state as an Open311 status: ``closed`` once the problem is final."""
    return "closed" if state in CLOSED_STATES else "open"


# --- what the answers hold ------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition."""

    code: str
    datatype: str
    required: bool
    description: str
    order: int
    values: tuple[tuple[str, str], ...] = ()
    """(key, name) of each choice of a list datatype."""
    datatype_description: str | None = None
    variable: bool = True


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str | None = None
    keywords: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class Note:
    """One entry of a request's public timeline (the "notes" extension)."""

    at: datetime
    type: str
    description: str


@dataclass(frozen=True)
class Photo:
    """A public image of the request's problem, at a URL anyone may open."""

    url: str
    at: datetime
    width: int | None = None
    height: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class Request:
    """A service request as published: every field public-safe already."""

    id: int
    state: str
    service_code: str
    service_name: str
    description: str
    requested_at: datetime
    updated_at: datetime
    lat: float
    lon: float
    channel: str
    status_notes: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    expected_at: datetime | None = None
    address: str | None = None
    address_id: str | None = None
    photos: tuple[Photo, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def status(self) -> str:
        return status_of(self.state)


def service_dict(service: Service) -> dict[str, Any]:
    """One entry of ``GET services``."""
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": "realtime",
        "keywords": ", ".join(service.keywords) or None,
        "group": service.group,
    }


def definition_dict(service: Service) -> dict[str, Any]:
    """``GET services/{code}``: the service definition, attributes in their order."""
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": key, "name": name} for key, name in a.values],
            }
            for a in sorted(service.attributes, key=lambda a: (a.order, a.code))
        ],
    }


def request_dict(request: Request, *, extensions: bool = False) -> dict[str, Any]:
    """One request of ``GET requests`` / ``GET requests/{id}``, fields in the specification's
    order. With ``extensions``: ``extended_attributes`` (channel, photos, notes) and, as the
    implementations listed on the Extensions page do it, ``notes`` beside it as well."""
    body: dict[str, Any] = {
        "service_request_id": str(request.id),
        "status": request.status,
        "status_notes": request.status_notes,
        "service_name": request.service_name,
        "service_code": request.service_code,
        "description": request.description or None,
        "agency_responsible": request.agency_responsible,
        "service_notice": request.service_notice,
        "requested_datetime": w3(request.requested_at),
        "updated_datetime": w3(request.updated_at),
        "expected_datetime": w3(request.expected_at),
        "address": request.address,
        "address_id": request.address_id,
        "zipcode": None,
        "lat": request.lat,
        "long": request.lon,
        "media_url": request.photos[0].url if request.photos else None,
    }
    if extensions:
        notes = [
            {"datetime": w3(n.at), "description": n.description, "type": n.type}
            for n in request.notes
        ]
        body["extended_attributes"] = {
            "channel": request.channel,
            "photos": [
                {
                    "media_url": p.url,
                    "title": p.title,
                    "width": p.width,
                    "height": p.height,
                    "created_at": w3(p.at),
                }
                for p in request.photos
            ],
            "notes": notes,
        }
        body["notes"] = notes
    return body


def created_dict(
    service_request_id: int,
    *,
    service_notice: str | None,
    account_id: str | None,
    extended: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The one entry of a ``POST requests`` answer (a service request id, never a token: every
    service is ``realtime``)."""
    body: dict[str, Any] = {
        "service_request_id": str(service_request_id),
        "service_notice": service_notice,
        "account_id": account_id,
    }
    if extended is not None:
        body["extended_attributes"] = dict(extended)
    return body


def token_dict(service_request_id: int, token: str) -> dict[str, Any]:
    """``GET tokens/{token}``."""
    return {"service_request_id": str(service_request_id), "token": token}


def discovery_dict(
    *, url: str, changeset: str, contact: str, key_service: str, production: bool
) -> dict[str, Any]:
    """Service Discovery: one GeoReport v2 endpoint, both formats."""
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "production" if production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }

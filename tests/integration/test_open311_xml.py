"""Open311 GeoReport v2 in XML, the specification's required format: the root elements, the
declaration and content type, errors, every answer being the same as its JSON twin (the
"Spark convention"), and a client that speaks only XML, as FixMyStreet's does."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import httpx

from ecoradar.clues.open311_xml import ITEM_NAMES
from tests.integration.open311_support import IN_G1, ODOUR, W3, City, city, make_staff
from tests.integration.problem_support import Driver, jpeg

__all__ = ["city"]  # the fixture

REQUEST_ELEMENTS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def document(response: httpx.Response, status: int = 200) -> ET.Element:
    """The parsed XML answer (checking status, content type and declaration)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def spark(element: ET.Element) -> Any:
    """The JSON the Spark convention makes of an element: a container of one repeated child
    (or an empty known container) is a list, other elements with children are objects, leaves
    are their text."""
    children = list(element)
    if element.tag in ITEM_NAMES and all(c.tag == ITEM_NAMES[element.tag] for c in children):
        return [spark(c) for c in children]
    if children:
        return {c.tag: spark(c) for c in children}
    return element.text or ""


def as_text(value: Any) -> Any:
    """A JSON answer with every leaf written as XML writes it."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def errors(response: httpx.Response, status: int) -> list[str]:
    root = document(response, status)
    assert root.tag == "errors"
    found = root.findall("error")
    assert found and len(found) == len(root)
    for error in found:
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(status)
    return [error.findtext("description") or "" for error in found]


def test_every_resource_has_the_root_element_of_the_specification(city: City) -> None:
    request_id = city.create()
    get = city.client.get
    assert document(get("/open311/discovery.xml")).tag == "discovery"
    services = document(get("/open311/v2/services.xml"))
    assert services.tag == "services" and {c.tag for c in services} == {"service"}
    definition = document(get("/open311/v2/services/odour.xml"))
    assert definition.tag == "service_definition"
    assert [c.tag for c in definition] == ["service_code", "attributes"]
    attribute = definition.find("attributes/attribute")
    assert attribute is not None
    assert [c.tag for c in attribute] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    value = attribute.find("values/value")
    assert value is not None and [c.tag for c in value] == ["key", "name"]
    for url in (
        "/open311/v2/requests.xml",
        f"/open311/v2/requests/{request_id}.xml",
    ):
        root = document(get(url))
        assert root.tag == "service_requests"
        (request,) = root.findall("request")
        assert [c.tag for c in request] == REQUEST_ELEMENTS
        for name in ("requested_datetime", "updated_datetime"):
            assert W3.fullmatch(request.findtext(name) or ""), name
        assert request.findtext("status") == "open"


def test_every_xml_answer_is_its_json_answer_as_the_spark_convention_maps_it(
    city: City,
) -> None:
    staff = make_staff(city.box)
    request_id = city.create(description="<b>异味</b> & 烟")
    drive = Driver(city.client, city.box, staff.officer.headers)
    problem = city.problem_of(request_id)
    drive.act(problem, "accept", note="已受理")
    drive.upload(problem, jpeg(8), public=True)
    for path in (
        "/open311/discovery",
        "/open311/v2/services",
        "/open311/v2/services/water",
        "/open311/v2/services/other",
        "/open311/v2/requests",
        f"/open311/v2/requests/{request_id}",
        "/open311/v2/requests/999",
        "/open311/v2/services/nope",
    ):
        for query in ("", "?extensions=true"):
            as_json = city.client.get(f"{path}.json{query}")
            as_xml = city.client.get(f"{path}.xml{query}")
            assert as_json.status_code == as_xml.status_code, path
            assert spark(ET.fromstring(as_xml.content)) == as_text(as_json.json()), path


def test_a_created_request_answers_in_xml(city: City) -> None:
    root = document(city.post("xml", **ODOUR, account_id="u-1"))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    assert (request.findtext("service_request_id") or "").isdigit()
    assert request.findtext("account_id") == "u-1"
    assert request.find("token") is None


def test_errors_are_written_in_xml_with_their_http_status(city: City) -> None:
    assert "api_key" in errors(city.post("xml", key="", **ODOUR), 403)[0]
    assert "api_key" in errors(city.post("xml", key="wrong", **ODOUR), 403)[0]
    assert "lat" in errors(city.post("xml", **{**ODOUR, "lat": ""}), 400)[0]
    assert "service_code" in errors(city.post("xml", **{**ODOUR, "service_code": "x"}), 404)[0]
    assert (
        "jurisdiction_id"
        in errors(city.client.get("/open311/v2/services.xml?jurisdiction_id=other.gov"), 404)[0]
    )
    assert errors(city.client.get("/open311/v2/requests/42.xml"), 404)
    assert errors(city.client.get("/open311/v2/requests.xml?status=done"), 400)
    assert errors(city.client.get("/open311/v2/services.csv"), 400)
    assert errors(city.client.get("/open311/v2/nowhere"), 404)


def test_an_absent_value_is_an_empty_element(city: City) -> None:
    root = document(city.client.get("/open311/v2/services/solid_waste.xml"))
    described = {
        a.findtext("code"): a.findtext("datatype_description")
        for a in root.iterfind("attributes/attribute")
    }
    assert described == {"amount": "", "area_m2": "平方米，数字"}
    area = root.find("attributes/attribute[code='area_m2']")
    assert area is not None
    values = area.find("values")
    assert values is not None and len(values) == 0


class XmlClient:
    """A client that speaks XML only, the way FixMyStreet's Open311 module does: it sends
    ``jurisdiction_id`` and ``api_key`` with every POST, reads
    ``service_requests/request/service_request_id``, and asks for requests by id."""

    def __init__(self, http: httpx.Client, endpoint: str, jurisdiction: str, api_key: str) -> None:
        self.http, self.endpoint = http, endpoint
        self.jurisdiction, self.api_key = jurisdiction, api_key

    def get(self, path: str, **query: str) -> ET.Element:
        response = self.http.get(
            self.endpoint + path, params={"jurisdiction_id": self.jurisdiction, **query}
        )
        return document(response)

    def send(self, service_code: str, **fields: str) -> str:
        response = self.http.post(
            self.endpoint + "requests.xml",
            data={
                "jurisdiction_id": self.jurisdiction,
                "api_key": self.api_key,
                "service_code": service_code,
                **fields,
            },
        )
        found = document(response).findtext("request/service_request_id")
        assert found, response.text
        return found


def test_an_xml_only_client_sends_and_follows_its_requests(city: City) -> None:
    client = XmlClient(city.client, "http://testserver/open311/v2/", "ecoradar", city.key)
    codes = [s.findtext("service_code") for s in client.get("services.xml")]
    assert "odour" in codes
    definition = client.get("services/odour.xml")
    required = [
        a.findtext("code")
        for a in definition.iterfind("attributes/attribute")
        if a.findtext("required") == "true"
    ]
    assert required == ["intensity"]
    sent = [
        client.send(
            "odour",
            description="title: 刺鼻气味\n\ndetail: 每晚十点后\n\nSubmitted via FixMyStreet",
            email="someone@example.org",
            first_name="Jane",
            last_name="",
            **{"attribute[intensity]": "3"},
            **IN_G1,
        )
        for _ in range(2)
    ]
    listed = client.get("requests.xml", service_request_id=",".join(sent))
    assert sorted(r.findtext("service_request_id") or "" for r in listed) == sorted(sent)
    for request in listed:
        assert request.findtext("status") == "open"
        assert "someone@example.org" not in ET.tostring(request, encoding="unicode")
        assert "Submitted via FixMyStreet" in (request.findtext("description") or "")

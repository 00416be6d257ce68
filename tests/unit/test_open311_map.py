"""Open311 GeoReport v2, the pure parts: dates, parameters, the POST fields, what is public, the
shapes of the answers and their XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from ecoradar.clues import open311, open311_xml
from ecoradar.clues import open311_params as params
from ecoradar.clues.open311 import Open311Error

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def refused(call: object, *args: object, **kwargs: object) -> Open311Error:
    with pytest.raises(Open311Error) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# --- dates ------------------------------------------------------------------------------------


def test_times_are_written_in_china_time_with_their_offset_to_the_second() -> None:
    assert open311.w3(datetime(2026, 11, 2, 0, 30, 15, 999, tzinfo=UTC)) == (
        "2026-11-02T08:30:15+08:00"
    )
    assert open311.w3(None) is None


SECOND, MINUTE, DAY = timedelta(seconds=1), timedelta(minutes=1), timedelta(days=1)
HALF_PAST = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "length"),
    [
        ("2026-11-02T08:30:00+08:00", HALF_PAST, SECOND),
        ("2026-11-02T00:30:00Z", HALF_PAST, SECOND),
        ("2026-11-02T00:30:00z", HALF_PAST, SECOND),
        ("2026-11-01T19:30:00-05:00", HALF_PAST, SECOND),
        ("2026-11-02T08:30+08:00", HALF_PAST, MINUTE),
        ("2026-11-02T08:30:00.5+0800", HALF_PAST.replace(microsecond=500000), timedelta(0, 0, 1)),
        ("2026-11-02T08:30:00 08:00", HALF_PAST, SECOND),
        ("2026-11-02T08:30:00", HALF_PAST, SECOND),
        ("2026-11-02", datetime(2026, 11, 1, 16, 0, tzinfo=UTC), DAY),
        ("2026-11", datetime(2026, 10, 31, 16, 0, tzinfo=UTC), 30 * DAY),
        ("2026-12", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), 31 * DAY),
        ("2026", datetime(2025, 12, 31, 16, 0, tzinfo=UTC), 365 * DAY),
    ],
)
def test_a_w3c_date_covers_the_period_it_names(
    text: str, start: datetime, length: timedelta
) -> None:
    parsed = params.parse_w3(text, "start_date")
    assert parsed.start == start
    assert parsed.until - parsed.start == length
    assert parsed.start.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-11-02T25:00:00Z",
        "2026-11-02T08:00:00+25:00",
        "02/11/2026",
        "",
        "1899-12-31",
        "3000",
        "9999-12",
    ],
)
def test_a_date_that_is_not_w3c_is_refused_naming_the_parameter(text: str) -> None:
    error = refused(params.parse_w3, text, "end_date")
    assert error.status == 400
    assert error.errors[0].code == 400
    assert error.errors[0].description.startswith("end_date: ")


def test_the_default_window_is_the_last_ninety_days_up_to_now() -> None:
    assert params.window(None, None, NOW) == (NOW - timedelta(days=90), None)


def test_one_date_opens_a_window_of_ninety_days_from_or_up_to_it() -> None:
    start = params.parse_w3("2026-01-01", "start_date")
    end = params.parse_w3("2026-06-30", "end_date")
    assert params.window(start, None, NOW) == (start.start, start.start + timedelta(days=90))
    assert params.window(None, end, NOW) == (end.start - timedelta(days=90), end.until)


def test_both_dates_may_span_at_most_ninety_days_and_must_be_in_order() -> None:
    start = params.parse_w3("2026-01-01T00:00:00+08:00", "start_date")
    ok = params.parse_w3("2026-04-01T00:00:00+08:00", "end_date")
    assert params.window(start, ok, NOW) == (start.start, ok.until)
    too_far = params.parse_w3("2026-04-01T00:00:01+08:00", "end_date")
    assert "90 days" in refused(params.window, start, too_far, NOW).errors[0].description
    before = params.parse_w3("2025-12-31", "end_date")
    assert "before start_date" in refused(params.window, start, before, NOW).errors[0].description


# --- query parameters -------------------------------------------------------------------------


def test_an_empty_parameter_counts_as_absent() -> None:
    assert params.optional("") is None
    assert params.optional("   ") is None
    assert params.optional(None) is None
    assert params.optional(" x ") == "x"
    assert params.parse_flag("", "extensions") is False
    assert params.parse_positive("", "page", 1, 10) == 1


def test_service_request_ids_are_a_comma_list_of_positive_numbers() -> None:
    assert params.parse_ids("3, 1,3,,2") == (3, 1, 2)
    assert params.parse_ids("") == ()
    for bad in ("a", "0", "-1", "1.5", "9999999999999"):
        assert (
            refused(params.parse_ids, f"1,{bad}")
            .errors[0]
            .description.startswith("service_request_id: ")
        )
    too_many = ",".join(str(i) for i in range(1, open311.MAX_IDS + 2))
    assert refused(params.parse_ids, too_many).status == 400


def test_status_is_open_or_closed_in_either_case() -> None:
    assert params.parse_statuses("open") == {"open"}
    assert params.parse_statuses("OPEN,closed") == {"open", "closed"}
    assert params.parse_statuses("") == frozenset()
    assert (
        "status: 'pending'" in refused(params.parse_statuses, "open,pending").errors[0].description
    )


def test_flags_and_page_numbers_are_checked() -> None:
    assert params.parse_flag("true", "extensions") is True
    assert params.parse_flag("TRUE", "extensions") is True
    assert params.parse_flag("1", "extensions") is True
    assert params.parse_flag("false", "extensions") is False
    assert (
        refused(params.parse_flag, "maybe", "extensions")
        .errors[0]
        .description.startswith("extensions: ")
    )
    assert params.parse_positive("20", "page_size", 1000, 1000) == 20
    for bad in ("0", "1001", "x", "-3"):
        assert refused(params.parse_positive, bad, "page_size", 1000, 1000).status == 400


# --- POST fields ------------------------------------------------------------------------------


def test_attributes_are_read_from_their_bracketed_field_names() -> None:
    pairs = [
        ("api_key", "k"),
        ("attribute[intensity]", "4"),
        ("attribute[floating_matter][]", "oil"),
        ("attribute[floating_matter][]", "foam"),
        ("attribute[colour]", "black"),
        ("attribute[colour]", "yellow"),
        ("attribute[note]", "  "),
        ("attribute[one][]", "only"),
    ]
    assert params.parse_attributes(pairs) == {
        "intensity": "4",
        "floating_matter": ["oil", "foam"],
        "colour": ["black", "yellow"],
        "one": ["only"],
    }


@pytest.mark.parametrize("key", ["attribute", "attribute[]", "attribute[a][b]", "attributes[a]"])
def test_a_malformed_attribute_field_is_refused(key: str) -> None:
    error = refused(params.parse_attributes, [(key, "x")])
    assert error.status == 400
    assert key in error.errors[0].description


def test_a_location_is_lat_and_long_in_wgs84_degrees() -> None:
    place = params.parse_location(" 30.5 ", "120.25", address_string=None, address_id=None)
    assert place == (30.5, 120.25)


@pytest.mark.parametrize(
    ("lat", "lon", "address", "needle"),
    [
        (None, None, None, "a location is required"),
        ("", "", None, "a location is required"),
        (None, None, "嘉兴市南湖区某路1号", "no geocoder"),
        ("30.5", None, None, "long: "),
        (None, "120", None, "lat: "),
        ("north", "120", None, "lat: 'north'"),
        ("91", "120", None, "lat: '91'"),
        ("30", "-180.5", None, "long: '-180.5'"),
        ("nan", "120", None, "lat: 'nan'"),
        ("30", "inf", None, "long: 'inf'"),
    ],
)
def test_a_missing_or_bad_location_is_refused_saying_what_is_needed(
    lat: str | None, lon: str | None, address: str | None, needle: str
) -> None:
    error = refused(params.parse_location, lat, lon, address_string=address, address_id=None)
    assert error.status == 400
    assert needle in error.errors[0].description


def test_a_description_may_have_four_thousand_characters_and_no_more() -> None:
    assert params.check_description("水" * 4000) == "水" * 4000
    assert params.check_description(None) == ""
    error = refused(params.check_description, "水" * 4001)
    assert error.errors[0].description.startswith("description: 4,001 characters")


# --- what is public ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        "0573-82345678",
        "(0573)82345678",
        "someone@example.com",
        "33040219800101123X",
        "330402198001011234",
    ],
)
def test_contact_details_are_hidden_in_published_text(secret: str) -> None:
    published = open311.public_text(f"河边排污，联系我{secret}谢谢")
    assert secret not in published
    assert open311.HIDDEN in published
    assert published.startswith("河边排污")


def test_ordinary_numbers_stay_in_published_text() -> None:
    text = "排污口在3号桥下，约200米，12369热线，2026年11月2日"
    assert open311.public_text(text) == text


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("reported", "open"),
        ("accepted", "open"),
        ("rectifying", "open"),
        ("reopened", "open"),
        ("closed", "closed"),
        ("rejected", "closed"),
        ("unfounded", "closed"),
        ("transferred", "closed"),
    ],
)
def test_a_request_is_open_until_its_problem_is_final(state: str, status: str) -> None:
    assert open311.status_of(state) == status


# --- answers ----------------------------------------------------------------------------------

ODOUR = open311.Service(
    code="odour",
    name="异味",
    description="刺鼻气味",
    group="大气",
    keywords=("恶臭", "smell"),
    attributes=(
        open311.Attribute("kind", "string", False, "像什么气味", order=2),
        open311.Attribute(
            "intensity",
            "singlevaluelist",
            True,
            "有多强",
            order=1,
            values=(("1", "弱"), ("5", "强")),
        ),
    ),
)


def test_a_service_says_whether_it_has_a_definition_and_is_realtime() -> None:
    assert open311.service_dict(ODOUR) == {
        "service_code": "odour",
        "service_name": "异味",
        "description": "刺鼻气味",
        "metadata": True,
        "type": "realtime",
        "keywords": "恶臭, smell",
        "group": "大气",
    }
    bare = open311.Service("other", "其他", "其他问题")
    assert open311.service_dict(bare)["metadata"] is False
    assert open311.service_dict(bare)["keywords"] is None


def test_a_definition_lists_its_attributes_in_order_with_their_values() -> None:
    definition = open311.definition_dict(ODOUR)
    assert definition["service_code"] == "odour"
    first, second = definition["attributes"]
    assert first == {
        "variable": True,
        "code": "intensity",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "有多强",
        "values": [{"key": "1", "name": "弱"}, {"key": "5", "name": "强"}],
    }
    assert second["code"] == "kind" and second["values"] == []


REQUEST = open311.Request(
    id=7,
    state="rejected",
    service_code="odour",
    service_name="异味",
    description="刺鼻",
    requested_at=NOW,
    updated_at=NOW + timedelta(hours=2),
    lat=30.5,
    lon=120.25,
    channel="open311",
    status_notes="不予受理: 不属于本局职责",
    photos=(open311.Photo("http://x/p/1.jpg", NOW, 640, 480),),
    notes=(open311.Note(NOW, "opened", "立案"),),
)


def test_a_request_has_every_field_of_the_specification_in_its_order() -> None:
    body = open311.request_dict(REQUEST)
    assert list(body) == [
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
    assert body["service_request_id"] == "7"
    assert body["status"] == "closed"
    assert body["requested_datetime"] == "2026-11-02T09:00:00+08:00"
    assert body["updated_datetime"] == "2026-11-02T11:00:00+08:00"
    assert body["media_url"] == "http://x/p/1.jpg"
    assert body["lat"] == 30.5 and body["long"] == 120.25


def test_extensions_add_the_channel_photos_and_the_notes_timeline() -> None:
    body = open311.request_dict(REQUEST, extensions=True)
    extended = body["extended_attributes"]
    assert extended["channel"] == "open311"
    assert extended["photos"] == [
        {
            "media_url": "http://x/p/1.jpg",
            "title": None,
            "width": 640,
            "height": 480,
            "created_at": "2026-11-02T09:00:00+08:00",
        }
    ]
    note = {"datetime": "2026-11-02T09:00:00+08:00", "description": "立案", "type": "opened"}
    assert extended["notes"] == [note]
    assert body["notes"] == [note]


def test_a_created_request_answers_its_id_and_never_a_token() -> None:
    body = open311.created_dict(12, service_notice="15日内受理", account_id=None)
    assert body == {"service_request_id": "12", "service_notice": "15日内受理", "account_id": None}
    assert "token" not in body


def test_errors_are_a_list_of_codes_and_descriptions() -> None:
    error = Open311Error(403, "api_key: missing")
    assert open311.error_list(error.errors) == [{"code": 403, "description": "api_key: missing"}]


# --- XML --------------------------------------------------------------------------------------


def test_xml_names_list_items_by_their_container_and_writes_nulls_as_empty_elements() -> None:
    document = open311_xml.render(
        "service_requests", [open311.request_dict(REQUEST, extensions=True)]
    )
    assert document.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<service_requests>')
    root = ET.fromstring(document)
    (request,) = root.findall("request")
    assert request.findtext("service_request_id") == "7"
    assert request.findtext("lat") == "30.5"
    assert request.find("zipcode") is not None and request.findtext("zipcode") == ""
    assert [p.findtext("width") for p in request.iterfind("extended_attributes/photos/photo")] == [
        "640"
    ]
    assert [n.findtext("type") for n in request.iterfind("notes/note")] == ["opened"]


def test_xml_writes_booleans_in_lower_case_and_drops_characters_xml_cannot_carry() -> None:
    root = ET.fromstring(
        open311_xml.render("service_definition", {"a": True, "b": False, "c": "x\x00y\x1bz\ufffe"})
    )
    assert [root.findtext(k) for k in "abc"] == ["true", "false", "xyz"]


def test_xml_escapes_markup_in_text() -> None:
    document = open311_xml.render("errors", [{"code": 400, "description": "<b>&\"'"}])
    assert b"<b>" not in document
    assert ET.fromstring(document).findtext("error/description") == "<b>&\"'"

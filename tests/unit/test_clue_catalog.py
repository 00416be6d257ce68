"""The service catalogue (pure): one service per problem category, Open311 datatypes, and the
attribute validation every channel shares; tracking codes."""

from __future__ import annotations

import pytest

from ecoradar.clues import catalog, tracking
from ecoradar.clues.catalog import DATATYPES, SERVICES, AttributeRefused, validate_attributes
from ecoradar.core.errors import InputError
from ecoradar.problems.models import CATEGORIES


def test_there_is_one_service_per_problem_category_in_the_same_order() -> None:
    assert catalog.service_codes() == CATEGORIES


def test_every_service_is_described_in_both_languages_with_keywords_and_a_group() -> None:
    for service in SERVICES:
        assert service.name("zh_CN") and service.name("en") and service.name_zh != service.name_en
        assert service.description("zh_CN") and service.description("en")
        assert service.group("zh_CN") and service.group("en") and service.keywords
        assert service.metadata is bool(service.attributes)


def test_every_attribute_is_well_formed_for_open311() -> None:
    for service in SERVICES:
        codes = [a.code for a in service.attributes]
        assert len(codes) == len(set(codes)), service.code
        for attribute in service.attributes:
            assert attribute.datatype in DATATYPES
            assert attribute.description("zh_CN") and attribute.description("en")
            listed = attribute.datatype in ("singlevaluelist", "multivaluelist")
            assert bool(attribute.values) is listed, attribute.code
            assert len(set(attribute.keys)) == len(attribute.keys)
            assert all(v.name("zh_CN") and v.name("en") for v in attribute.values)


def test_the_issues_examples_are_there() -> None:
    odour = catalog.get_service("odour")
    intensity = odour.attribute("intensity")
    assert intensity is not None and intensity.required
    assert intensity.keys == ("1", "2", "3", "4", "5")
    assert catalog.get_service("water").attribute("colour") is not None
    assert catalog.get_service("other").attributes == ()
    assert {d for s in SERVICES for a in s.attributes for d in [a.datatype]} == set(DATATYPES)


def test_valid_attributes_are_normalised() -> None:
    assert validate_attributes("odour", {"intensity": " 3 ", "happening_now": ""}) == {
        "intensity": "3"
    }
    assert validate_attributes(
        "water", {"floating_matter": ["foam", "oil", "foam"], "colour": ["black"]}
    ) == {"colour": "black", "floating_matter": ["oil", "foam"]}
    assert validate_attributes("solid_waste", {"area_m2": "12.50"}) == {"area_m2": "12.5"}
    assert validate_attributes("solid_waste", {"area_m2": "1e3"}) == {"area_m2": "1000"}
    assert validate_attributes("noise", {"started_at": "2026-11-01 22:30"}) == {
        "started_at": "2026-11-01T22:30:00+08:00"
    }
    assert validate_attributes("air", {"source_description": "  工地 "}) == {
        "source_description": "工地"
    }


@pytest.mark.parametrize(
    ("category", "attributes", "message"),
    [
        ("odour", {}, "attribute[intensity]: required for the service odour"),
        ("odour", {"intensity": "  "}, "attribute[intensity]: required"),
        ("odour", {"intensity": "6"}, "attribute[intensity]: '6' is not one of 1, 2, 3, 4, 5"),
        ("odour", {"intensity": ["3", "4"]}, "attribute[intensity]: takes one value"),
        ("odour", {"intensity": 4}, "attribute[intensity]: must be text"),
        ("other", {"x": "1"}, "attribute[x]: not an attribute of the service other"),
        ("water", {"floating_matter": ["oil", "tyres"]}, "'tyres' is not one of"),
        ("solid_waste", {"area_m2": "nan"}, "attribute[area_m2]: 'nan' is not a number"),
        ("solid_waste", {"area_m2": "-5"}, "attribute[area_m2]: -5 is below the minimum 0"),
        ("solid_waste", {"area_m2": "1e400"}, "is not a number"),
        ("noise", {"started_at": "last night"}, "is not an ISO 8601 date and time"),
        ("air", {"source_description": "烟" * 201}, "longer than 200 characters"),
        ("air", {str(n): "x" for n in range(51)}, "attributes: more than 50 attributes"),
    ],
)
def test_bad_attributes_are_refused_naming_the_attribute(
    category: str, attributes: dict[str, object], message: str
) -> None:
    with pytest.raises(AttributeRefused) as refused:
        validate_attributes(category, attributes)
    assert message in str(refused.value)


def test_an_unknown_category_is_refused_and_labels_are_read_in_either_language() -> None:
    with pytest.raises(InputError, match="category: 'traffic' is not one of air"):
        validate_attributes("traffic", {})
    assert catalog.category_for("异味") == "odour"
    assert catalog.category_for(" Solid waste ") == "solid_waste"
    assert catalog.category_for("hazardous_waste") == "hazardous_waste"
    assert catalog.category_for("交通") is None


def test_tracking_codes_are_read_back_forgivingly() -> None:
    code = tracking.new_tracking_code()
    assert len(code) == 10 and set(code) <= set(tracking.ALPHABET)
    assert tracking.normalize_tracking_code(tracking.display_code(code).lower()) == code
    assert tracking.normalize_tracking_code("abcde-fghio") == "ABCDEFGH10"
    assert tracking.normalize_tracking_code("ABCDEFGHJU") is None  # U is not in the alphabet
    assert tracking.normalize_tracking_code("ABC") is None
    assert len({tracking.new_tracking_code() for _ in range(1000)}) == 1000


def test_a_secret_matches_only_itself() -> None:
    secret = tracking.new_secret()
    stored = tracking.hash_secret(secret)
    assert tracking.secret_matches(stored, secret)
    assert not tracking.secret_matches(stored, secret + "x")
    assert not tracking.secret_matches(None, secret)
    assert not tracking.secret_matches(stored, "")

"""Judging a task's answers against its checklist."""

from __future__ import annotations

import pytest

from ecoradar.core.errors import InputError
from ecoradar.core.geo import haversine_m as distance_m
from ecoradar.selfcheck.checks import PhotoFact, judge, parse_items
from ecoradar.selfcheck.defaults import BUILTIN_TYPES, DEFAULT_ITEMS

ITEMS = parse_items(
    [
        {"code": "running", "kind": "yes_no", "label": "设备正常运行", "must_be_yes": True},
        {"code": "log", "kind": "yes_no", "label": "台账", "required": False},
        {"code": "ph", "kind": "number", "label": "pH", "min": 6, "max": 9, "unit": ""},
        {"code": "photo", "kind": "photo", "label": "照片"},
        {"code": "note", "kind": "text", "label": "说明", "required": False},
    ]
)
POINT = (30.5, 120.25)
GOOD = {"running": "yes", "ph": "7.2"}
HERE = [PhotoFact("photo", 30.5003, 120.2502)]


def test_complete_answers_within_range_pass() -> None:
    verdict = judge(ITEMS, GOOD, photos=HERE, point=POINT, position=POINT)
    assert verdict.acceptable and verdict.failed == [] and verdict.warnings == []
    assert verdict.values == {"running": True, "ph": 7.2, "photo": 1}


def test_a_reading_outside_the_range_fails_its_item() -> None:
    verdict = judge(ITEMS, {**GOOD, "ph": 9.5}, photos=HERE, point=POINT)
    assert [(f.code, f.reason, f.value) for f in verdict.failed] == [("ph", "above_range", 9.5)]
    low = judge(ITEMS, {**GOOD, "ph": "5"}, photos=HERE, point=POINT)
    assert [f.reason for f in low.failed] == ["below_range"]


def test_the_range_bounds_themselves_pass() -> None:
    for value in (6, 9):
        assert judge(ITEMS, {**GOOD, "ph": value}, photos=HERE).failed == []


def test_no_on_a_must_be_yes_item_fails_but_no_on_another_does_not() -> None:
    verdict = judge(ITEMS, {**GOOD, "running": "no", "log": "no"}, photos=HERE)
    assert [f.code for f in verdict.failed] == ["running"]


def test_required_items_left_blank_and_missing_photos_are_listed() -> None:
    verdict = judge(ITEMS, {"running": "", "note": "ok"})
    assert verdict.missing == ["running", "ph", "photo"]
    assert not verdict.acceptable


def test_answers_of_the_wrong_kind_and_unknown_items_are_invalid() -> None:
    verdict = judge(ITEMS, {"running": "maybe", "ph": "seven", "colour": "red"}, photos=HERE)
    assert len(verdict.invalid) == 3
    assert any("colour" in message for message in verdict.invalid)


def test_a_photo_or_a_submission_far_from_the_point_is_a_warning_not_a_refusal() -> None:
    far_photo = [PhotoFact("photo", 30.51, 120.25)]  # about 1.1 km north
    verdict = judge(ITEMS, GOOD, photos=far_photo, point=POINT, position=(30.5, 120.26))
    assert verdict.acceptable
    kinds = {w["kind"]: w for w in verdict.warnings}
    assert kinds["photo_far"]["distance_m"] == pytest.approx(1112, abs=5)
    assert kinds["position_far"]["distance_m"] == pytest.approx(958, abs=5)


def test_a_photo_without_position_is_flagged() -> None:
    verdict = judge(ITEMS, GOOD, photos=[PhotoFact("photo")], point=POINT)
    assert verdict.warnings == [{"kind": "photo_without_position", "item": "photo"}]


def test_distance_is_in_metres() -> None:
    assert distance_m(30.0, 120.0, 30.0, 120.0) == 0
    assert distance_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "non-empty"),
        ([{"code": "A", "kind": "yes_no", "label": "x"}], "code"),
        ([{"code": "a", "kind": "colour", "label": "x"}], "kind"),
        ([{"code": "a", "kind": "yes_no", "label": ""}], "label"),
        ([{"code": "a", "kind": "text", "label": "x", "must_be_yes": True}], "must_be_yes"),
        ([{"code": "a", "kind": "number", "label": "x", "min": 9, "max": 6}], "above max"),
        ([{"code": "a", "kind": "text", "label": "x", "min": 1}], "only for number"),
        ([{"code": "a", "kind": "text", "label": "x"}] * 2, "twice"),
    ],
)
def test_bad_items_are_refused_naming_the_entry(items: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_items(items)


def test_every_builtin_type_has_a_valid_default_checklist() -> None:
    for code, *_ in BUILTIN_TYPES:
        items = parse_items(DEFAULT_ITEMS[code])
        assert any(i.kind == "photo" for i in items)
        assert [i.as_json() for i in parse_items([i.as_json() for i in items])] == [
            i.as_json() for i in items
        ]
    ph = {i.code: i for i in parse_items(DEFAULT_ITEMS["wastewater_treatment"])}["ph"]
    assert (ph.min, ph.max) == (6, 9)

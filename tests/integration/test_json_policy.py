"""One policy for JSON request bodies: ``NaN``, ``Infinity``, ``1e400``, a lone surrogate, a NUL
character, a number of 400 digits or a body nested too deep is refused with 422 naming the
place, on every route that takes JSON (found by walking the app's routes, so a route added
later is covered too), never a server error, and nothing is changed."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.core.db import Base
from ecoradar.web import json_policy
from tests.conftest import MakeUser
from tests.factories import load_small_registry

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from ecoradar.web.app import create_app

HOSTILE = {
    "NaN": ("NaN", "NaN is not a number JSON allows"),
    "Infinity": ("Infinity", "Infinity is not a number JSON allows"),
    "-Infinity": ("-Infinity", "-Infinity is not a number JSON allows"),
    "1e400": ("1e400", "1e400 is beyond the range of a number"),
    "400 digits": ("1" * 400, "is beyond the range of a number"),
    "lone surrogate": ('"\\ud800"', "half a surrogate pair"),
    "NUL": ('"a\\u0000b"', "NUL character"),
}
CALLED_FIRST = ("/api/auth/token", "/api/rewards/claim", "/api/clues/track/{code}/feedback")
"""The routes the security review crashed with these values."""


def json_routes(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, path, body field names) of every route of ``app`` that reads a JSON body."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        if isinstance(route.body_field.field_info, params.Form):  # forms and files
            continue
        model = route.dependant.body_params[0].field_info.annotation
        fields = list(getattr(model, "model_fields", {})) or ["value"]
        found.extend((method, context.path, fields) for method in sorted(context.methods or ()))
    return found


def url_of(path: str) -> str:
    return (
        path.replace("{code}", "ABCD2345")
        .replace("{action}", "accept")
        .replace("{type_code}", "boiler")
        .replace("{", "")
        .replace("}", "")
        .replace("problem_id", "1")
        .replace("task_id", "1")
        .replace("reward_id", "1")
    )


def bodies(fields: list[str], literal: str) -> dict[str, tuple[str, str]]:
    """The hostile ``literal`` as a top-level field, inside a list, as a key's value deeper
    down, and as the whole body: the text to send and the place the answer must name."""
    first = fields[0]
    return {
        "field": (f'{{"{first}": {literal}}}', f"body.{first}:"),
        "in a list": (f'{{"{first}": ["ok", {literal}]}}', f"body.{first}[1]:"),
        "deeper": (f'{{"{first}": {{"a b": {{"c": {literal}}}}}}}', f'body.{first}["a b"].c:'),
        "whole body": (literal, "body:"),
    }


def row_counts(box: Container) -> dict[str, int]:
    with box.reading() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
        }


@pytest.fixture
def client(container: Container, tmp_path: Path) -> Iterator[TestClient]:
    load_small_registry(container, tmp_path)
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_routes_the_review_crashed_are_among_those_checked(client: TestClient) -> None:
    paths = {path for _, path, _ in json_routes(client.app)}
    assert set(CALLED_FIRST) <= paths
    assert len(paths) >= 15
    assert "/login" not in paths, "a form is not JSON"


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_every_json_route_refuses_a_hostile_value_naming_its_place_and_changes_nothing(
    container: Container, client: TestClient, make_user: MakeUser, hostile: str
) -> None:
    headers = {**make_user("admin").headers, "Content-Type": "application/json"}
    before = row_counts(container)
    literal, words = HOSTILE[hostile]
    for method, path, fields in json_routes(client.app):
        for shape, (text, place) in bodies(fields, literal).items():
            response = client.request(method, url_of(path), content=text, headers=headers)
            what = f"{method} {path} ({shape}): {response.status_code} {response.text[:200]}"
            assert response.status_code == 422, what
            detail = response.json()["detail"]
            assert detail.startswith(place) and words in detail, what
            assert response.headers["x-content-type-options"] == "nosniff", what
    assert row_counts(container) == before


def test_a_body_nested_too_deep_or_not_json_is_refused_naming_where(client: TestClient) -> None:
    deep = '{"username": ' + "[" * 100 + "]" * 100 + ', "password": "x"}'
    very_deep = "[" * 100_000 + "]" * 100_000
    cases = {
        deep: "nested more than 64 levels deep",
        very_deep: "body: nested more than 64 levels deep",
        '{"username": "a",\n "password": }': "body: not JSON at line 2, column 14: Expecting value",
        b'{"username": "\xff"}': "body: not UTF-8 text (byte 15)",
    }
    for body, words in cases.items():
        response = client.post(
            "/api/auth/token", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422 and words in response.json()["detail"], body[:40]


def test_a_json_body_by_another_name_is_checked_and_a_fine_one_passes_unchanged(
    client: TestClient, make_user: MakeUser
) -> None:
    login = make_user("officer", region="A", username="alice")
    for kind in ("application/json; charset=utf-8", "application/merge-patch+json"):
        refused = client.post(
            "/api/auth/token", content='{"username": NaN}', headers={"Content-Type": kind}
        )
        assert refused.status_code == 422, kind
    fine = client.post(
        "/api/auth/token",
        json={"username": "alice", "password": login.password, "note": "数据 ✓"},
    )
    assert fine.status_code == 201


def test_json_inside_a_form_field_follows_the_same_rules(client: TestClient) -> None:
    response = client.post(
        "/api/clues/public",
        data={
            "category": "water",
            "lat": "30.5",
            "long": "120.25",
            "description": "河水发黑",
            "attributes": '{"colour": NaN}',
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("attributes.colour: NaN")


def test_a_validation_error_echoing_any_input_can_always_be_answered() -> None:
    error = RequestValidationError(
        [
            {"type": "x", "loc": ("query", "lat"), "msg": "bad", "input": float("nan")},
            {"type": "x", "loc": ("body", "\ud800"), "msg": "bad", "input": "a\ud800b"},
            {"type": "x", "loc": ("body", "n"), "msg": "bad", "input": [float("-inf"), {1: 2}]},
        ]
    )
    response = asyncio.run(json_policy.validation_error(None, error))  # type: ignore[arg-type]
    assert response.status_code == 422
    text = response.body.decode("utf-8")
    assert "nan" in text and "\\\\ud800" in text and "-inf" in text

"""The authorization matrix of the problem register: every route under /api/problems,
/api/findings and /api/audit, by every kind of principal, inside and outside its scope.

The world (``problem_support.build_world``): problems P and Q in grid G1 (county A, city C)
about enterprise 1, reported by a member of the public, assigned to a grid worker of G2 (while
they were in G2). P has been ordered to rectify; Q is confirmed (its enterprise does not see it
yet). Every principal acts on P except ``ent_pre``, the same enterprise user acting on Q.

Each cell is its own test. A problem one may not see is 404, never 403 (no existence leak).
``LISTED``/``HIDDEN``: the list answers 200 with or without the principal's problem. A test
that expects a change to succeed runs on a private copy of the world; the others share one.
A route of the register without a row here fails ``test_every_register_route_has_a_row``.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from ecoradar.bootstrap import Container, bootstrap
from ecoradar.config import Settings
from ecoradar.core.clock import FakeClock
from tests.conftest import BACKENDS, START, TEST_SECRET
from tests.factories import uscc
from tests.integration.problem_support import (
    IN_G1,
    People,
    World,
    build_world,
    create_app_for,
    fast_hashing,
    jpeg,
)

PREFIXES = ("/api/problems", "/api/findings", "/api/audit")
LISTED, HIDDEN = "listed", "hidden"


@dataclass(frozen=True)
class Who:
    login: Callable[[People], dict[str, str] | None]
    target: str = "p"


WHO: dict[str, Who] = {
    "anon": Who(lambda p: None),
    "admin": Who(lambda p: p.admin.headers),
    "off_A": Who(lambda p: p.officer_a.headers),
    "off_B": Who(lambda p: p.officer_b.headers),
    "off_C": Who(lambda p: p.officer_c.headers),
    "gw_G1": Who(lambda p: p.worker_g1.headers),
    "gw_G2a": Who(lambda p: p.worker_g2_assigned.headers),
    "gw_G2": Who(lambda p: p.worker_g2.headers),
    "ent_pre": Who(lambda p: p.enterprise.headers, target="q"),
    "ent": Who(lambda p: p.enterprise.headers),
    "ent_X": Who(lambda p: p.other_enterprise.headers),
    "rep": Who(lambda p: p.reporter.headers),
    "pub": Who(lambda p: p.other_public.headers),
    "t_dept": Who(lambda p: p.departments),
    "t_drone": Who(lambda p: p.drones),
}
"""anon: nobody; off_X: officer of area X (C is the city above A and B); gw_G1: grid worker of
G1; gw_G2a: the assignee (grid worker of G2); gw_G2: another grid worker of G2; ent_pre / ent:
the problem's enterprise before / after it is ordered to rectify; ent_X: another enterprise;
rep: the member of the public who reported it; pub: another one; t_dept / t_drone: integration
tokens with the scope departments / drones."""

L, H = LISTED, HIDDEN
# fmt: off
MATRIX: dict[str, tuple[int | str, ...]] = {
    #                   anon admin offA offB offC gwG1 gwG2a gwG2 entPre ent entX  rep  pub  dept drone  # noqa: E501
    "list":            (401, L,   L,   H,   L,   L,   L,   H,   H,   L,   H,   L,   H,   H,   H),
    "detail":          (401, 200, 200, 404, 200, 200, 200, 404, 404, 200, 404, 200, 404, 404, 404),
    "accept":          (401, 409, 409, 404, 409, 403, 403, 404, 404, 403, 404, 403, 404, 404, 404),
    "report_rectified": (401, 200, 200, 404, 200, 403, 200, 404, 404, 200, 404, 403, 404, 404, 404),
    "extend_deadline": (401, 200, 200, 404, 200, 403, 403, 404, 404, 403, 404, 403, 404, 404, 404),
    "reopen":          (401, 409, 409, 404, 409, 403, 403, 404, 404, 403, 404, 409, 404, 404, 404),
    "note_public":     (401, 201, 201, 404, 201, 201, 201, 404, 404, 201, 404, 201, 404, 404, 404),
    "note_internal":   (401, 201, 201, 404, 201, 201, 201, 404, 404, 403, 404, 403, 404, 404, 404),
    "reporters":       (401, 200, 200, 404, 200, 200, 200, 404, 404, 403, 404, 403, 404, 404, 404),
    "upload_rectification": (401, 201, 201, 404, 201, 201, 201, 404, 404, 201, 404, 403, 404, 404, 404),  # noqa: E501
    "upload_evidence": (401, 201, 201, 404, 201, 201, 201, 404, 404, 403, 404, 403, 404, 404, 404),
    "file_public":     (401, 200, 200, 404, 200, 200, 200, 404, 404, 200, 404, 200, 404, 404, 404),
    "file_internal":   (401, 200, 200, 404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 404),
    "link":            (401, 201, 201, 404, 201, 201, 201, 404, 404, 404, 404, 403, 404, 404, 404),
    "move_to_G2":      (401, 200, 200, 404, 200, 403, 403, 404, 404, 403, 404, 403, 404, 404, 404),
    "move_to_B":       (401, 200, 403, 404, 200, 403, 403, 404, 404, 403, 404, 403, 404, 404, 404),
    "finding_department": (401, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403),  # noqa: E501
    "finding_hotline": (401, 201, 201, 403, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "audit":           (401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "audit_entity":    (401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "outcome":         (401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "eligibility":     (401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "violation":       (401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "questions":       (401, 200, 200, 404, 200, 200, 200, 404, 404, 200, 404, 200, 404, 404, 404),
    "ask":             (401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "suspects":        (401, 200, 200, 404, 200, 200, 200, 404, 403, 403, 403, 403, 403, 403, 403),
    "attach_suspect":  (401, 200, 200, 404, 200, 403, 403, 404, 403, 403, 403, 403, 403, 403, 403),
}
# fmt: on


@dataclass(frozen=True)
class Target:
    pid: int
    other: int
    world: World


Send = Callable[[TestClient, Target, dict[str, str]], httpx.Response]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    send: Send


def _post(path: str, body: dict[str, Any] | Callable[[Target], dict[str, Any]]) -> Send:
    def send(client: TestClient, t: Target, headers: dict[str, str]) -> httpx.Response:
        json = body(t) if callable(body) else body
        return client.post(path.format(pid=t.pid), json=json, headers=headers)

    return send


def _get(path: str) -> Send:
    def send(client: TestClient, t: Target, headers: dict[str, str]) -> httpx.Response:
        photos = t.world.photos[t.pid]
        url = path.format(pid=t.pid, public=photos["public"], internal=photos["internal"])
        return client.get(url, headers=headers)

    return send


def _upload(purpose: str) -> Send:
    def send(client: TestClient, t: Target, headers: dict[str, str]) -> httpx.Response:
        return client.post(
            f"/api/problems/{t.pid}/attachments",
            files={"file": ("rectified.jpg", jpeg(50), "image/jpeg")},
            data={"purpose": purpose},
            headers=headers,
        )

    return send


ACTION = "/api/problems/{problem_id}/actions/{action}"
FINDING = {
    "category": "water",
    "observed_at": "2026-11-02T08:00:00+08:00",
    "description": "下游水体发黑",
    **IN_G1,
}
ROWS: dict[str, Row] = {
    "list": Row("GET", "/api/problems", _get("/api/problems?per_page=200")),
    "detail": Row("GET", "/api/problems/{problem_id}", _get("/api/problems/{pid}")),
    "accept": Row("POST", ACTION, _post("/api/problems/{pid}/actions/accept", {})),
    "report_rectified": Row(
        "POST",
        ACTION,
        _post(
            "/api/problems/{pid}/actions/report_rectified",
            {"evidence": {"text": "已停产整改", "document": "整改报告 2026-17号"}},
        ),
    ),
    "extend_deadline": Row(
        "POST",
        ACTION,
        _post("/api/problems/{pid}/actions/extend_deadline", {"reason": "需第三方检测"}),
    ),
    "reopen": Row("POST", ACTION, _post("/api/problems/{pid}/actions/reopen", {"reason": "仍有"})),
    "note_public": Row(
        "POST",
        "/api/problems/{problem_id}/notes",
        _post("/api/problems/{pid}/notes", {"text": "补充情况", "visibility": "public"}),
    ),
    "note_internal": Row(
        "POST",
        "/api/problems/{problem_id}/notes",
        _post("/api/problems/{pid}/notes", {"text": "内部意见", "visibility": "internal"}),
    ),
    "reporters": Row(
        "GET", "/api/problems/{problem_id}/reporters", _get("/api/problems/{pid}/reporters")
    ),
    "upload_rectification": Row(
        "POST", "/api/problems/{problem_id}/attachments", _upload("rectification")
    ),
    "upload_evidence": Row("POST", "/api/problems/{problem_id}/attachments", _upload("evidence")),
    "file_public": Row(
        "GET",
        "/api/problems/{problem_id}/attachments/{media_id}",
        _get("/api/problems/{pid}/attachments/{public}"),
    ),
    "file_internal": Row(
        "GET",
        "/api/problems/{problem_id}/attachments/{media_id}",
        _get("/api/problems/{pid}/attachments/{internal}"),
    ),
    "link": Row(
        "POST",
        "/api/problems/{problem_id}/links",
        _post("/api/problems/{pid}/links", lambda t: {"other_id": t.other, "kind": "related_to"}),
    ),
    "move_to_G2": Row(
        "POST",
        "/api/problems/{problem_id}/region",
        _post("/api/problems/{pid}/region", {"region_code": "G2", "reason": "位置更正"}),
    ),
    "move_to_B": Row(
        "POST",
        "/api/problems/{problem_id}/region",
        _post("/api/problems/{pid}/region", {"region_code": "B", "reason": "跨区移交"}),
    ),
    "finding_department": Row(
        "POST", "/api/findings", _post("/api/findings", {"channel": "department", **FINDING})
    ),
    "finding_hotline": Row(
        "POST", "/api/findings", _post("/api/findings", {"channel": "hotline", **FINDING})
    ),
    "audit": Row("GET", "/api/audit", _get("/api/audit")),
    "audit_entity": Row(
        "GET", "/api/audit/{entity_type}/{entity_id}", _get("/api/audit/problem/{pid}")
    ),
    "outcome": Row(
        "POST",
        "/api/problems/{problem_id}/outcome",
        _post("/api/problems/{pid}/outcome", {"kind": "warning"}),
    ),
    "eligibility": Row(
        "GET",
        "/api/problems/{problem_id}/reward-eligibility",
        _get("/api/problems/{pid}/reward-eligibility"),
    ),
    "violation": Row(
        "POST",
        "/api/problems/{problem_id}/violation",
        _post("/api/problems/{pid}/violation", {"violation": "bypass"}),
    ),
    "questions": Row(
        "GET", "/api/problems/{problem_id}/questions", _get("/api/problems/{pid}/questions")
    ),
    "ask": Row(
        "POST",
        "/api/problems/{problem_id}/questions",
        _post("/api/problems/{pid}/questions", {"question": "何时办结？"}),
    ),
    "suspects": Row(
        "GET", "/api/problems/{problem_id}/suspects", _get("/api/problems/{pid}/suspects")
    ),
    "attach_suspect": Row(
        "POST",
        "/api/problems/{problem_id}/suspects/attach",
        _post("/api/problems/{pid}/suspects/attach", {"enterprise_code": uscc(1)}),
    ),
}


@dataclass
class Stage:
    """The world built once per backend: ``reader`` serves the tests that change nothing,
    ``copy`` gives a test that changes something a private copy (database and media files)."""

    backend: str
    url: str
    """The world's database; nothing stays connected to it (PostgreSQL copies it by template)."""
    home: Path
    world: World
    server: Any = None
    """The conftest ``postgres`` server on PostgreSQL."""
    reader: TestClient | None = None
    _open: list[tuple[Container, str | None]] = field(default_factory=list)

    def copy(self, directory: Path) -> TestClient:
        directory.mkdir(parents=True, exist_ok=True)
        database: str | None = None
        if self.backend == "sqlite":
            shutil.copyfile(self.url.removeprefix("sqlite:///"), directory / "copy.db")
            url = f"sqlite:///{directory / 'copy.db'}"
        else:
            database = f"ecoradar_w_{uuid.uuid4().hex[:12]}"
            with self.server.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{database}" TEMPLATE "{_name(self.url)}"'))
            url = self.url.rsplit("/", 1)[0] + "/" + database
        shutil.copytree(self.home, directory / "home")
        settings = Settings(
            environment="test", secret_key=TEST_SECRET, home=directory / "home", database_url=url
        )
        box = bootstrap(settings, clock=FakeClock(START))
        self._open.append((box, database))
        return TestClient(create_app_for(box))

    def release(self, keep: int = 1) -> None:
        """Close and drop every copy but the first ``keep`` (the reader's)."""
        for box, database in self._open[keep:]:
            box.close()
            if database is not None:
                self.server.drop(database)
        del self._open[keep:]


def _name(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="module", params=BACKENDS)
def stage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stage]:
    directory = tmp_path_factory.mktemp("world")
    server = None
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), directory / "world.db")
        url = f"sqlite:///{directory / 'world.db'}"
    else:
        server = request.getfixturevalue("postgres")
        url = server.fresh()
    settings = Settings(
        environment="test", secret_key=TEST_SECRET, home=directory / "home", database_url=url
    )
    box = bootstrap(settings, clock=FakeClock(START))
    try:
        with fast_hashing():
            world = build_world(box, directory)
    finally:
        box.close()
    built = Stage(request.param, url, settings.home, world, server)
    built.reader = built.copy(directory / "reader")
    yield built
    built.release(keep=0)


def register_routes() -> set[tuple[str, str]]:
    from ecoradar.bootstrap import bootstrap
    from ecoradar.config import Settings
    from ecoradar.web.app import create_app

    settings = Settings(environment="test", secret_key="x" * 40, database_url="sqlite://")
    app = create_app(bootstrap(settings))
    found = set()
    for route in iter_route_contexts(app.routes):
        if route.path and route.path.startswith(PREFIXES):
            for method in route.methods or ():
                found.add((method, route.path))
    return found


def test_every_register_route_has_a_row_in_the_matrix_and_every_row_a_route() -> None:
    routes = register_routes()
    rows = {(row.method, row.path) for row in ROWS.values()}
    assert routes - rows == set(), "routes without a row in the authorization matrix"
    assert rows - routes == set(), "rows naming no route"
    assert len(routes) >= 12


def test_the_matrix_has_a_cell_for_every_row_and_principal() -> None:
    assert set(MATRIX) == set(ROWS)
    assert all(len(cells) == len(WHO) for cells in MATRIX.values())


def _outcome(name: str, response: httpx.Response, pid: int) -> int | str:
    if name == "list" and response.status_code == 200:
        ids = {item["id"] for item in response.json()["items"]}
        return LISTED if pid in ids else HIDDEN
    return response.status_code


CELLS = [pytest.param(row, who, id=f"{row}-{who}") for row in MATRIX for who in WHO]


@pytest.mark.parametrize(("row", "who"), CELLS)
def test_cell(stage: Stage, row: str, who: str, tmp_path: Path) -> None:
    expected = MATRIX[row][list(WHO).index(who)]
    world = stage.world
    principal = WHO[who]
    target = Target(
        pid=world.p if principal.target == "p" else world.q,
        other=world.q if principal.target == "p" else world.p,
        world=world,
    )
    changes = ROWS[row].method != "GET" and expected in (200, 201)
    try:
        client = stage.copy(tmp_path) if changes else stage.reader
        assert client is not None
        response = ROWS[row].send(client, target, principal.login(world.people) or {})
        assert _outcome(row, response, target.pid) == expected, response.text[:300]
    finally:
        stage.release()

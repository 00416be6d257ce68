"""schemathesis against the app's OpenAPI schema: no operation answers with a server error, as
an administrator (who reaches every operation), for generated data that fits the schema and
data that does not, on ids that exist and ids that do not, plus schemathesis' boundary
("coverage") cases for the problem register's own operations. SQLite only: the point is the
handlers, and the run takes a couple of minutes. (PostgreSQL-only failures such as NUL
characters and 64-bit ids have their own tests on both backends.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override

from ecoradar.bootstrap import Container
from tests.conftest import Login, create_login
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, uscc
from tests.integration.problem_support import World, add_alert, build_world, create_app_for

EXAMPLES = 8
"""Generated cases per operation and mode (half of them on real ids where the path has some)."""
NEVER_ENDS = {"GET /api/alerts/stream"}
"""The server-sent event stream answers for as long as the client listens."""
LOGS_OUT = {"DELETE /api/auth/token", "POST /api/users/{user_id}/disable"}
"""Operations that may end the administrator's token: a new administrator takes over."""
BOUNDARIES = ("/api/problems", "/api/findings")
"""Where the boundary cases run too: the problem register's operations."""


@dataclass
class Run:
    box: Container
    login: Login
    renewed: int = 0
    requests: int = 0
    failures: dict[str, str] = field(default_factory=dict)

    def send(self, case: Case, label: str, *, renew: bool) -> None:
        """Send one case and keep the first server error of each operation and mode (with the
        request that caused it) instead of stopping: one run reports every failing
        operation."""
        self.requests += 1
        try:
            response = case.call(headers=self.login.headers)
        except Exception as exc:  # the app raised: what the client would see as a 500
            self.failures.setdefault(label, f"{case.as_curl_command()}\n{exc!r}")
            return
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except AssertionError as exc:
            self.failures.setdefault(label, f"{case.as_curl_command()}\n{exc}")
        if renew and response.status_code < 400:
            self.renewed += 1
            self.login = create_login(self.box, "admin", username=f"fuzz-admin-{self.renewed}")


def real_ids(world: World) -> dict[str, list[Any]]:
    return {
        "problem_id": [world.p, world.q],
        "media_id": [world.internal_photo, world.public_photo],
        "mn": [GAS_MN, WATER_MN, OPEN_MN],
        "code": [uscc(1), uscc(3)],
        "entity_type": ["problem"],
        "entity_id": [str(world.p)],
    }


def _fuzz(run: Run, operation: Any, mode: GenerationMode, known: dict[str, list[Any]]) -> None:
    label = f"{mode} {operation.label}"
    names = [p.name for p in operation.path_parameters]
    strategies = [operation.as_strategy(mode)]
    if names and all(n in known for n in names):
        fixed = st.fixed_dictionaries({n: st.sampled_from(known[n]) for n in names})
        strategies.append(
            fixed.flatmap(lambda values: operation.as_strategy(mode, path_parameters=values))
        )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def test(case: Case) -> None:
        run.send(case, label, renew=operation.label in LOGS_OUT)

    try:
        test()
    except Unsatisfiable:
        pass  # no negative data for an operation without parameters


def _boundaries(schema: Any, operation: Any) -> Iterable[Case]:
    """schemathesis' coverage-phase cases for ``operation`` (both modes)."""
    return CoverageGenerator(
        operation=operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(),
        feedback=FeedbackSources(),
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_operation_answers_with_a_server_error(container: Container, tmp_path: Path) -> None:
    world = build_world(container, tmp_path)
    for mn in (GAS_MN, WATER_MN, OPEN_MN):
        add_alert(container, mn)
    run = Run(container, create_login(container, "admin", username="fuzz-admin"))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app_for(container))
    operations = [result.ok() for result in schema.get_all_operations()]
    known = real_ids(world)
    fuzzed = set()
    for operation in operations:
        if operation.label in NEVER_ENDS:
            continue
        if operation.path.startswith(BOUNDARIES):
            for case in _boundaries(schema, operation):
                run.send(case, f"coverage {operation.label}", renew=False)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(run, operation, mode, known)
        fuzzed.add(operation.label)
    assert {op.label for op in operations} - fuzzed == NEVER_ENDS
    assert run.requests > 10 * len(fuzzed)
    assert run.failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in run.failures.items())

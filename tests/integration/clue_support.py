"""Shared setup for the clue tests: the small city, clues ready to send, and row counts that
show a refusal left nothing behind."""

from __future__ import annotations

import base64
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ecoradar.bootstrap import Container
from ecoradar.clues.intake import ClueIn, ClueReceipt, Upload, submit_clue
from ecoradar.clues.models import Clue, IntakeAttempt
from ecoradar.media.models import MediaFile
from ecoradar.problems.models import Finding, Problem, ProblemAttachment
from tests.factories import CITY_ORIGIN, load_small_registry
from tests.integration.problem_support import jpeg

X0, Y0 = CITY_ORIGIN
IN_G1 = {"lat": Y0 + 0.5, "lon": X0 + 0.25}
"""Grid G1 (township A1, county A, city C)."""
IN_G2 = {"lat": Y0 + 0.5, "lon": X0 + 0.75}
"""Grid G2 (township A1, county A)."""
IN_B = {"lat": Y0 + 1.0, "lon": X0 + 3.0}
"""County B (no grid)."""
OUTSIDE = {"lat": Y0 + 5.0, "lon": X0 + 5.0}
"""Outside every area of the city."""
PUBLIC_ACTOR = "public:anonymous"
_places = itertools.count(1)


def load_city(box: Container, tmp_path: Path) -> None:
    """The small city (regions and registry) of the problem tests."""
    load_small_registry(box, tmp_path)


def spot(base: dict[str, float] | None = None) -> dict[str, float]:
    """A place in G1 (or near ``base``) about 2 km from every other ``spot``: clues at
    different spots are never taken for duplicates."""
    where = base or IN_G1
    n = next(_places)
    return {
        "lat": where["lat"] + (n % 17 - 8) * 0.02,
        "lon": where["lon"] + ((n // 17) % 12 - 6) * 0.02,
    }


def clue(**over: Any) -> ClueIn:
    """An anonymous public report of a smell (intensity 4) somewhere of its own in G1."""
    where = spot()
    fields: dict[str, Any] = {
        "channel": "public",
        "category": "odour",
        "lat": where["lat"],
        "lon": where["lon"],
        "description": f"化工厂附近刺鼻气味 {next(_places)}",
        "attributes": {"intensity": "4"},
        "client": "ip:192.0.2.1",
    }
    fields.update(over)
    return ClueIn(**fields)


def photo(seed: int = 1, name: str = "photo.jpg") -> Upload:
    return Upload(name, jpeg(seed))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def submit(box: Container, item: ClueIn, actor: str = PUBLIC_ACTOR) -> ClueReceipt:
    """Send one clue through ``submit_clue`` and commit."""
    with box.transaction() as session:
        return submit_clue(
            session=session,
            settings=box.settings,
            index=box.regions.get(session),
            item=item,
            now=box.clock.now(),
            actor=actor,
        )


def with_settings(box: Container, **changes: Any) -> Container:
    """The same database and clock under changed settings."""
    return replace(box, settings=box.settings.model_copy(update=changes))


COUNTED = {
    "clues": Clue.id,
    "findings": Finding.id,
    "problems": Problem.id,
    "media": MediaFile.id,
    "attachments": ProblemAttachment.id,
    "attempts": IntakeAttempt.id,
}


def counts(box: Container) -> dict[str, int]:
    """How many rows each table of the intake holds."""
    with box.transaction() as session:
        return {
            name: session.scalar(select(func.count(column))) or 0
            for name, column in COUNTED.items()
        }


def stored_clue(box: Container, clue_id: int) -> Clue:
    with box.transaction() as session:
        found = session.get(Clue, clue_id)
        assert found is not None
        session.expunge(found)
        return found

"""Self-inspection control points for sample enterprises: 2-3 per enterprise (an outfall, the
treatment facility its emissions need, sometimes a hazardous waste store), a few tens of metres
from the enterprise, as rows of the ``ecoradar selfcheck import-points`` format. The output
depends only on the enterprises given and ``seed``.

``bulk_points`` writes points straight into the table (for the benchmark's 10,000 x 5).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ecoradar.bootstrap import Container
from ecoradar.registry.models import Enterprise
from ecoradar.selfcheck.importer import COLUMNS, import_points
from ecoradar.selfcheck.models import ControlPoint, PointType
from ecoradar.selfcheck.templates import ensure_defaults

TREATMENT = ("wastewater_treatment", "fluegas_treatment", "voc_treatment")
EXTRA = ("hazardous_waste_store", "solid_waste_yard", "tank_area", "rainwater_outlet")
NAMES = {
    "outfall": "总排口",
    "wastewater_treatment": "污水处理站",
    "fluegas_treatment": "锅炉废气处理设施",
    "voc_treatment": "喷涂废气处理设施",
    "monitoring_room": "在线监测站房",
    "hazardous_waste_store": "危废仓库",
    "solid_waste_yard": "一般固废堆场",
    "tank_area": "原料储罐区",
    "rainwater_outlet": "雨水排口",
}
ALL_TYPES = tuple(NAMES)


def sample_point_rows(
    enterprises: Sequence[tuple[str, float, float]], *, seed: int = 7
) -> list[dict[str, str]]:
    """Import rows for ``(code, longitude, latitude)`` enterprises: 2 or 3 points each."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for code, lon, lat in enterprises:
        kinds = ["outfall", rng.choice(TREATMENT)]
        if rng.random() < 0.5:
            kinds.append(rng.choice(EXTRA))
        for number, kind in enumerate(kinds, start=1):
            schedule = "daily" if kind in ("outfall", *TREATMENT) else "weekly"
            rows.append(
                {
                    "enterprise_code": code,
                    "point_code": f"CP{number:02d}",
                    "type": kind,
                    "name": NAMES[kind],
                    "longitude": f"{lon + rng.uniform(-3e-4, 3e-4):.6f}",
                    "latitude": f"{lat + rng.uniform(-3e-4, 3e-4):.6f}",
                    "schedule": schedule,
                }
            )
    return rows


def write_points_file(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def load_sample_points(box: Container, directory: Path, *, seed: int = 7) -> int:
    """Give every stored enterprise its sample points through the real importer; returns the
    number of points."""
    with box.transaction() as session:
        found = session.execute(
            select(Enterprise.code, Enterprise.longitude, Enterprise.latitude).order_by(
                Enterprise.code
            )
        ).all()
    rows = sample_point_rows([(c, lon, lat) for c, lon, lat in found], seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    path = write_points_file(directory / "selfcheck_points.csv", rows)
    with box.transaction() as session:
        import_points(session=session, path=path, now=box.clock.now(), actor="cli:ecoradar")
    return len(rows)


def bulk_points(
    *,
    session: Session,
    enterprises: Sequence[tuple[int, float, float]],
    per_enterprise: int,
    now: datetime,
    schedule: str = "daily",
) -> int:
    """``per_enterprise`` points for each ``(id, longitude, latitude)``, inserted in bulk."""
    ensure_defaults(session=session, now=now)
    types = dict(session.execute(select(PointType.code, PointType.id)).tuples().all())
    rows: list[dict[str, Any]] = []
    made = 0
    for enterprise_id, lon, lat in enterprises:
        for number in range(per_enterprise):
            kind = ALL_TYPES[number % len(ALL_TYPES)]
            rows.append(
                {
                    "enterprise_id": enterprise_id,
                    "code": f"CP{number + 1:02d}",
                    "type_id": types[kind],
                    "name": NAMES[kind],
                    "longitude": lon,
                    "latitude": lat,
                    "source_crs": "wgs84",
                    "schedule_kind": schedule,
                    "schedule_expression": "",
                    "working_days_only": False,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if len(rows) >= 5000:
            session.execute(insert(ControlPoint), rows)
            made += len(rows)
            rows = []
    if rows:
        session.execute(insert(ControlPoint), rows)
        made += len(rows)
    return made

"""Find the open problems a new clue may be about, and decide (``clues.dedupe`` scores).

``find_duplicates`` is what ``submit_clue`` calls before recording the finding. Candidates are
open problems (``problems.workflow.OPEN_STATES``) of the clue's category whose place lies
within the category's radius and whose activity — from the report to the last update —
comes within the window of the clue's time. The radius is first a bounding box in SQL on
``problems.lat``/``lon``, then the exact great-circle distance in Python. A candidate's text is
its title and description and each of its findings' descriptions, compared one by one; its
photos are the perceptual hashes of the images attached to it (``problem_attachments`` ->
``media_files.phash``); its meaning is ``dedupe_text.best_meaning`` over the same pieces (jieba
and the lexicon); its nearest report is the closest of its findings' times (observed or
received) and its own report time. Nothing is written.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from ecoradar.clues import dedupe_text
from ecoradar.clues.dedupe import (
    DedupeDecision,
    Evidence,
    Suggestion,
    activity_gap,
    best_text_similarity,
    bounding_box,
    decide,
    haversine_m,
    photo_bits,
    radius_for,
)
from ecoradar.config import Settings
from ecoradar.core.errors import InputError
from ecoradar.media.models import MediaFile
from ecoradar.problems.models import Finding, Problem, ProblemAttachment
from ecoradar.problems.workflow import FINAL_STATES

__all__ = ["DedupeDecision", "Suggestion", "find_duplicates", "radius_of", "window_of"]

MAX_CANDIDATES: Final = 200
"""The nearest this many problems in the bounding box are scored (a guard against a crowd)."""

_FINAL: Final = sorted(state.value for state in FINAL_STATES)
"""``OPEN_STATES`` is every state but these."""


def radius_of(category: str, settings: Settings) -> float:
    """The search radius of ``category`` in metres under ``settings``."""
    return radius_for(
        category, settings.clue_dedupe_radius_m, settings.clue_dedupe_radius_overrides
    )


def window_of(settings: Settings) -> timedelta:
    return timedelta(days=settings.clue_dedupe_window_days)


def find_duplicates(
    *,
    session: Session,
    category: str,
    lat: float,
    lon: float,
    at: datetime,
    text: str,
    phashes: tuple[str, ...],
    settings: Settings,
) -> DedupeDecision:
    """Attach, suggest or new for a clue of ``category`` at (``lat``, ``lon``) and time ``at``
    (aware), with its description ``text`` and the dHashes of its photos."""
    if at.tzinfo is None:
        raise InputError("at: needs a time zone")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InputError(f"lat/lon: ({lat}, {lon}) is not a WGS84 position")
    radius = radius_of(category, settings)
    window = window_of(settings)
    rows = _nearby(session, category, lat, lon, at, radius, window)
    placed = [(row, haversine_m(lat, lon, row.lat, row.lon)) for row in rows]
    placed = [(row, distance) for row, distance in placed if distance <= radius]
    if not placed:
        return decide(())
    ids = [row.id for row, _ in placed]
    texts, times = _findings(session, ids)
    hashes = tuple(h.lower() for h in phashes if h)
    photos = _photos(session, ids) if hashes else {}
    at_seconds = at.timestamp()
    evidence = []
    for row, distance in placed:
        gap = activity_gap(at_seconds, row.reported_at.timestamp(), row.updated_at.timestamp())
        pieces = [_own_text(row.title, row.description), *texts.get(row.id, ())]
        meaning = dedupe_text.best_meaning(text, pieces)
        nearest = min(
            (abs(at_seconds - t) for t in (row.reported_at.timestamp(), *times.get(row.id, ()))),
        )
        evidence.append(
            Evidence(
                problem_id=row.id,
                distance_m=distance,
                radius_m=radius,
                gap=timedelta(seconds=gap),
                window=window,
                text=best_text_similarity(text, pieces),
                photo_bits=photo_bits(hashes, photos.get(row.id, ())),
                meaning=meaning.score,
                shared=meaning.shared,
                conflict=meaning.conflict,
                report_gap=timedelta(seconds=nearest),
            )
        )
    return decide(evidence)


def _nearby(
    session: Session,
    category: str,
    lat: float,
    lon: float,
    at: datetime,
    radius: float,
    window: timedelta,
) -> Sequence[Row[int, str, str, float, float, datetime, datetime]]:
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
    return session.execute(
        _nearby_query(),
        {
            "category": category,
            "min_lat": min_lat,
            "max_lat": max_lat,
            "min_lon": min_lon,
            "max_lon": max_lon,
            "latest": at + window,
            "earliest": at - window,
            "lat": lat,
            "lon": lon,
            "squash": math.cos(math.radians(lat)),
        },
    ).all()


@functools.cache
def _nearby_query() -> Select[int, str, str, float, float, datetime, datetime]:
    """Open problems of a category in a box, active within the window, nearest first; built
    once (SQLAlchemy then caches its compiled form)."""
    return (
        select(
            Problem.id,
            Problem.title,
            Problem.description,
            Problem.lat,
            Problem.lon,
            Problem.reported_at,
            Problem.updated_at,
        )
        .where(
            Problem.category == bindparam("category"),
            # "not final" is "open"; NOT IN keeps SQLite from walking the state index, which
            # is slower than scanning the table when most problems are open
            Problem.state.not_in(_FINAL),
            Problem.lat.between(bindparam("min_lat"), bindparam("max_lat")),
            Problem.lon.between(bindparam("min_lon"), bindparam("max_lon")),
            Problem.reported_at <= bindparam("latest"),
            Problem.updated_at >= bindparam("earliest"),
        )
        .order_by(
            func.abs(Problem.lat - bindparam("lat"))
            + func.abs(Problem.lon - bindparam("lon")) * bindparam("squash"),
            Problem.id,
        )
        .limit(MAX_CANDIDATES)
    )


def _own_text(title: str, description: str) -> str:
    """The problem's title and description as one piece (the title alone when it merely
    repeats the description's beginning)."""
    if not description or description.startswith(title):
        return description or title
    return f"{title}。{description}"


def _findings(
    session: Session, ids: list[int]
) -> tuple[dict[int, list[str]], dict[int, list[float]]]:
    """The findings' descriptions of each problem, and their times (observed and received, as
    POSIX seconds)."""
    found: dict[int, set[str]] = defaultdict(set)
    times: dict[int, list[float]] = defaultdict(list)
    rows = session.execute(
        select(
            Finding.problem_id, Finding.description, Finding.observed_at, Finding.received_at
        ).where(Finding.problem_id.in_(bindparam("ids", expanding=True))),
        {"ids": ids},
    )
    for problem_id, description, observed_at, received_at in rows:
        if description:
            found[problem_id].add(description)
        times[problem_id] += [observed_at.timestamp(), received_at.timestamp()]
    return {key: sorted(values) for key, values in found.items()}, dict(times)


def _photos(session: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(ProblemAttachment.problem_id, MediaFile.phash)
        .join(MediaFile, MediaFile.id == ProblemAttachment.media_id)
        .where(
            ProblemAttachment.problem_id.in_(bindparam("ids", expanding=True)),
            MediaFile.phash.is_not(None),
        ),
        {"ids": ids},
    )
    for problem_id, phash in rows:
        if phash:
            found[problem_id].add(phash)
    return {key: sorted(values) for key, values in found.items()}

"""Storing computed codes: the code in force, a history row on every change of colour and on
the first computation of each China day, and an audit entry on every change of colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.core.db import UTCDateTime
from ecoradar.greencode.models import GreenCode, GreenCodeHistory
from ecoradar.greencode.scoring import CodeResult, china_date


@dataclass(frozen=True)
class Saved:
    enterprise_id: int
    colour: str
    previous: str | None
    score: float

    @property
    def changed(self) -> bool:
        return self.colour != self.previous


def indicators_json(result: CodeResult) -> dict[str, Any]:
    return {
        name: {
            "score": i.score,
            "weight": i.weight,
            "has_data": i.has_data,
            "detail": i.detail,
            "events": [e.as_dict() for e in i.events],
        }
        for name, i in result.indicators.items()
    }


def vetoes_json(result: CodeResult) -> list[dict[str, Any]]:
    return [
        {"key": v.key, "rule": v.rule, "problem_id": v.problem_id, "event": v.event.as_dict()}
        for v in result.vetoes
    ]


def reasons_json(result: CodeResult) -> list[dict[str, Any]]:
    return [
        {
            "indicator": r.indicator,
            "text": r.text,
            "public_text": r.public_text,
            "events": [list(e) for e in r.events],
            "what": r.what,
            "params": r.params,
        }
        for r in result.reasons
    ]


def last_history(session: Session, enterprise_ids: list[int]) -> dict[int, datetime]:
    """The time of each enterprise's newest history row."""
    newest = type_coerce(func.max(GreenCodeHistory.at), UTCDateTime())
    rows = session.execute(
        select(GreenCodeHistory.enterprise_id, newest)
        .where(GreenCodeHistory.enterprise_id.in_(enterprise_ids))
        .group_by(GreenCodeHistory.enterprise_id)
    )
    return {enterprise_id: at for enterprise_id, at in rows if at is not None}


def save(
    *,
    session: Session,
    enterprise_id: int,
    result: CodeResult,
    now: datetime,
    data_as_of: datetime | None,
    actor: str,
    last: datetime | None,
    code: GreenCode | None,
) -> Saved:
    """Store ``result`` as the enterprise's code. ``code``: the stored one (None: first);
    ``last``: the time of its newest history row."""
    indicators = indicators_json(result)
    vetoes = vetoes_json(result)
    reasons = reasons_json(result)
    previous = code.colour if code is not None else None
    if code is None:
        code = GreenCode(enterprise_id=enterprise_id, colour_since=now)
        session.add(code)
    elif previous != result.colour:
        code.colour_since = now
    code.colour = result.colour
    code.score = result.score
    code.vetoed = bool(result.vetoes)
    code.indicators = indicators
    code.vetoes = vetoes
    code.reasons = reasons
    code.model_version = result.model_version
    code.scheme = result.scheme
    code.computed_at = now
    code.data_as_of = data_as_of
    kind = None
    if previous is None:
        kind = "first"
    elif previous != result.colour:
        kind = "colour"
    elif last is None or china_date(last) != china_date(now):
        kind = "daily"
    if kind is not None:
        session.add(
            GreenCodeHistory(
                enterprise_id=enterprise_id,
                at=now,
                kind=kind,
                colour=result.colour,
                previous_colour=previous,
                score=result.score,
                vetoed=bool(result.vetoes),
                indicators=indicators,
                vetoes=vetoes,
                reasons=reasons,
                model_version=result.model_version,
                data_as_of=data_as_of,
            )
        )
    if previous != result.colour:
        audit(
            session=session,
            at=now,
            actor=actor,
            action="greencode.colour",
            entity_type="greencode",
            entity_id=enterprise_id,
            before=None if previous is None else {"colour": previous},
            after={
                "colour": result.colour,
                "score": result.score,
                "model_version": result.model_version,
                "vetoes": [v.key for v in result.vetoes],
                "reasons": [r.text for r in result.reasons],
            },
        )
    return Saved(enterprise_id, result.colour, previous, result.score)

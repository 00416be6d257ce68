"""The green code's scoring (pure: facts in, code out; no I/O).

Each indicator scores 0-100 (higher is better) from ``EnterpriseFacts`` and names the events
that cost it points. The total is the weighted mean over the indicators **with data**: an
indicator without data (no monitoring points, no tasks due, no permit recorded, no reminders)
leaves the total and the weights are renormalised over the others, so missing data is neither
a penalty nor a bonus. ``problems`` and ``enforcement`` always have data: the register covers
every enterprise, and nothing against it scores 100.

Monitoring compliance takes the **worst factor** by default (``aggregate = "worst"``): an
enterprise compliant on five factors and failing on the sixth is non-compliant on that one; the
``hours`` aggregate pools all factors' hours instead.

A veto in force makes the colour the scheme's veto colour at once and caps the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecoradar.greencode.events import (
    HOUR,
    Event,
    IndicatorScore,
    alert_event,
    band_score,
    china_date,
    day_text,
    factor_label,
    problem_event,
)
from ecoradar.greencode.facts import EnterpriseFacts
from ecoradar.greencode.indicators import (
    SCORERS,
    data_quality,
    enforcement,
    fine_penalty,
    monitoring_compliance,
    permit,
    problems,
    reminders,
    self_inspection,
)
from ecoradar.greencode.model import INDICATORS, Model

__all__ = [
    "HOUR",
    "SCORERS",
    "CodeResult",
    "Event",
    "IndicatorScore",
    "Reason",
    "Veto",
    "alert_event",
    "band_score",
    "china_date",
    "colour_of",
    "data_quality",
    "enforcement",
    "factor_label",
    "fine_penalty",
    "monitoring_compliance",
    "permit",
    "problem_event",
    "problems",
    "reasons_of",
    "reminders",
    "score",
    "self_inspection",
    "total_of",
    "utc_now_hour",
    "vetoes",
]


@dataclass(frozen=True)
class Veto:
    key: str
    """``problem:<id>:<rule>``: what a repair application covers."""
    rule: str
    problem_id: int
    event: Event


@dataclass(frozen=True)
class Reason:
    indicator: str
    """An indicator's name, or ``veto``."""
    text: str
    public_text: str
    events: tuple[tuple[str, int | None], ...]
    what: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeResult:
    score: float
    colour: str
    indicators: dict[str, IndicatorScore]
    vetoes: tuple[Veto, ...]
    reasons: tuple[Reason, ...]
    model_version: str
    scheme: str


# --- vetoes, total, colour -------------------------------------------------------------------


def vetoes(facts: EnterpriseFacts, model: Model) -> tuple[Veto, ...]:
    """The vetoes in force: a violation an officer named on a confirmed problem, or a transfer
    to public security; until an approved repair lifts it."""
    found = []
    for p in facts.problems:
        rules = []
        if p.violation is not None:
            rules.append(p.violation)
        if p.public_security:
            rules.append("public_security")
        for rule in rules:
            key = f"problem:{p.id}:{rule}"
            if rule not in model.veto_rules or key in facts.lifted:
                continue
            what = rule.replace("_", " ")
            day = day_text(p.confirmed_at)
            event = Event(
                "problem",
                p.id,
                f"veto: {what}, problem #{p.id} confirmed {day}",
                f"veto: {what}, confirmed {day}",
                p.confirmed_at,
                100.0,
                "veto",
                {"rule": rule, "day": day},
            )
            found.append(Veto(key, rule, p.id, event))
    return tuple(found)


def colour_of(total: float, model: Model) -> str:
    for colour, lowest in model.scheme.cutoffs:
        if total >= lowest:
            return colour
    return model.scheme.cutoffs[-1][0]


def total_of(indicators: dict[str, IndicatorScore]) -> float:
    """The weighted mean over indicators with data (weights renormalised); 100 when none."""
    weighted = [(i.weight, i.score) for i in indicators.values() if i.score is not None]
    weights = sum(w for w, _ in weighted)
    if weights <= 0:
        return 100.0
    return round(sum(w * s for w, s in weighted) / weights, 2)


def reasons_of(
    colour: str, indicators: dict[str, IndicatorScore], found: tuple[Veto, ...], model: Model
) -> tuple[Reason, ...]:
    """Empty for green; else the vetoes, then the events that cost the most points of the
    total (an event's cost times its indicator's weight)."""
    if colour == "green" and not found:
        return ()
    out = [
        Reason(
            "veto",
            v.event.text,
            v.event.public_text,
            ((v.event.type, v.event.id),),
            v.event.what,
            v.event.params,
        )
        for v in found
    ]
    ranked = sorted(
        (
            (e.cost * i.weight, i.name, e)
            for i in indicators.values()
            if i.score is not None
            for e in i.events
        ),
        key=lambda item: (-item[0], INDICATORS.index(item[1])),
    )
    out += [
        Reason(name, e.text, e.public_text, ((e.type, e.id),), e.what, e.params)
        for _, name, e in ranked
    ]
    return tuple(out[: model.max_reasons])


def score(facts: EnterpriseFacts, model: Model) -> CodeResult:
    """The code of one enterprise."""
    indicators = {name: SCORERS[name](facts, model) for name in INDICATORS}
    total = total_of(indicators)
    found = vetoes(facts, model)
    if found:
        colour = model.scheme.veto_colour
        total = min(total, model.veto_score_cap)
    else:
        colour = colour_of(total, model)
    reasons = reasons_of(colour, indicators, found, model)
    return CodeResult(total, colour, indicators, found, reasons, model.version, model.scheme.name)


def utc_now_hour(now: datetime) -> datetime:
    """``now`` floored to the hour (UTC)."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

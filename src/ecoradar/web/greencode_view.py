"""What the green-code pages show, in parts a template words (pure, no I/O).

The scorer gives every event behind a score a ``what`` (what happened: ``alert``, ``problem``,
``overdue``, ``outcome``, ``task_late``, ``task_missed``, ``task_failed``, ``online``,
``permit_expired``, ``permit_expiring``, ``reminder``, ``veto``) and ``params`` (its facts: days,
outlet, factor, severity, ...; no ids, no personal data), beside English sentences kept for the
export. The templates (``greencode/_macros.html``) word each ``what`` from its params in the
page's language; this module gathers the events of a stored code and adds what a sentence needs
that is not a param: the factor's code (for its translated name), the online rate as a whole
percent, the link the reader may open, whether an alert or a problem is still open.

An event without a known ``what`` or missing a param its sentence needs (a code stored before
the scorer gave them) is shown as its text as it is (``what == "text"``) until it is recomputed.

Two things still come as English sentences only, and are read back here by narrow patterns:
the public page's reasons (``greencode.service.public_view`` gives the public texts alone;
``public_facts`` takes the reasons' mappings with ``what``/``params`` as soon as it passes them)
and why a repair application may not be filed (``greencode.repair.eligibility``'s ``why``).

The "what to do" list of an enterprise's portal is built from the same facts: one piece of
advice per event that cost points, grouped by indicator, for indicators below full marks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from ecoradar.greencode.model import INDICATORS
from ecoradar.greencode.scoring import factor_label
from ecoradar.hj212.codes import FACTORS

NEEDS: dict[str, tuple[str, ...]] = {
    "alert": ("kind", "outlet", "day"),
    "problem": ("severity", "category", "day"),
    "overdue": ("since",),
    "outcome": ("kind", "day"),
    "task_late": ("point", "due"),
    "task_missed": ("point", "due"),
    "task_failed": ("point", "due", "failed"),
    "online": ("outlet", "rate", "days"),
    "permit_expired": ("until",),
    "permit_expiring": ("until",),
    "reminder": (),
    "veto": ("rule",),
}
"""Every ``what`` the scorer writes and the params its sentence on a page needs."""

_FACTOR_CODES: dict[str, str] = {}
for _code in sorted(FACTORS):
    _FACTOR_CODES.setdefault(factor_label(_code), _code)


def factor_code(label: str) -> str | None:
    """The factor code of the scorer's short name (``SO2`` -> ``a21026``), or of a code."""
    if label in FACTORS:
        return label
    return _FACTOR_CODES.get(label)


@dataclass(frozen=True)
class Fact:
    """One event behind a score: ``what`` (a key of ``NEEDS``, or ``text`` when the page can
    only show ``text`` as it is) and ``params`` (the scorer's, plus ``factor_code`` for an
    alert and ``percent`` for an online rate)."""

    what: str
    params: dict[str, Any]
    text: str
    id: int | None = None
    type: str = ""
    cost: float = 0.0
    link: str | None = None
    open: bool | None = None
    """For an alert or a problem: whether it is still open (None: not known)."""
    counts_until: date | None = None
    """For a closed alert or problem: the last day it costs points."""


def fact_of(
    what: Any, params: Any, text: Any, number: Any = None, kind: Any = "", cost: Any = 0.0
) -> Fact:
    """A fact from the scorer's fields as stored (anything may be missing or odd)."""
    ident = number if isinstance(number, int) and not isinstance(number, bool) else None
    fact = Fact("text", {}, str(text or ""), ident, str(kind or ""), float(cost or 0.0))
    found = dict(params) if isinstance(params, Mapping) else {}
    what = str(what or "")
    if what not in NEEDS or any(found.get(k) in (None, "") for k in NEEDS[what]):
        return fact
    if what == "alert":
        found["factor"] = str(found.get("factor") or "")
        found["factor_code"] = factor_code(found["factor"]) or ""
    elif what == "online":
        found["percent"] = f"{float(found['rate']) * 100:.0f}"
    return replace(fact, what=what, params=found)


def read_event(event: Mapping[str, Any]) -> Fact:
    """An event of a stored code (for staff: its id, type and cost with it)."""
    return fact_of(
        event.get("what"),
        event.get("params"),
        event.get("text"),
        event.get("id"),
        event.get("type"),
        event.get("cost"),
    )


def link_of(fact: Fact, visible_problems: set[int]) -> str | None:
    """Where the event's record is, when the reader may open it."""
    if fact.id is None:
        return None
    if fact.type == "alert":
        return f"/alerts/{fact.id}"
    if fact.type in ("problem", "outcome") and fact.id in visible_problems:
        return f"/problems/{fact.id}"
    if fact.type == "task":
        return f"/selfcheck/tasks/{fact.id}"
    return None


def ids_of(events: Iterable[Mapping[str, Any]], *types: str) -> set[int]:
    return {e["id"] for e in events if e.get("type") in types and isinstance(e.get("id"), int)}


def all_events(code: Any) -> list[dict[str, Any]]:
    """Every event of a code: its indicators' and its vetoes'."""
    events: list[dict[str, Any]] = []
    for item in (code.indicators or {}).values():
        events.extend(item.get("events") or [])
    events.extend(v["event"] for v in code.vetoes or [] if v.get("event"))
    return events


FINAL_STATES = ("closed", "transferred")


@dataclass(frozen=True)
class Alerts:
    """What the pages know of the records behind a code: each alert's end (None: open), each
    problem's state, and the windows they count in (days, by indicator)."""

    ends: Mapping[int, datetime | None] = field(default_factory=dict)
    window_days: Mapping[str, int] = field(default_factory=dict)
    problem_states: Mapping[int, str] = field(default_factory=dict)


def enrich(fact: Fact, indicator: str, visible_problems: set[int], alerts: Alerts) -> Fact:
    """``fact`` with its link and, for an alert or a problem, whether it is still open and
    until when it counts once it is not."""
    link = link_of(fact, visible_problems)
    is_open: bool | None = None
    until: date | None = None
    days = alerts.window_days.get(indicator)
    if fact.type == "alert" and fact.id is not None and fact.id in alerts.ends:
        end = alerts.ends[fact.id]
        is_open = end is None
        if end is not None and days:
            until = (end + timedelta(days=days)).date()
    elif fact.what == "problem" and fact.id is not None and fact.id in alerts.problem_states:
        is_open = alerts.problem_states[fact.id] not in FINAL_STATES
        if not is_open and days:
            until = date.fromisoformat(str(fact.params["day"])) + timedelta(days=days)
    return Fact(
        fact.what, fact.params, fact.text, fact.id, fact.type, fact.cost, link, is_open, until
    )


@dataclass(frozen=True)
class IndicatorView:
    name: str
    score: float | None
    weight: float
    share: float | None
    """The weight's share of the total (among the indicators with data), 0-1."""
    detail: dict[str, Any]
    facts: list[Fact]


def indicator_views(code: Any, visible_problems: set[int], alerts: Alerts) -> list[IndicatorView]:
    """The code's indicators in the contract's order, each with its events, heaviest first."""
    indicators = code.indicators or {}
    weights = sum(
        float(i.get("weight") or 0) for i in indicators.values() if i.get("score") is not None
    )
    views = []
    for name in INDICATORS:
        item = indicators.get(name) or {}
        weight = float(item.get("weight") or 0)
        score = item.get("score")
        facts = [
            enrich(read_event(e), name, visible_problems, alerts) for e in item.get("events") or []
        ]
        facts.sort(key=lambda f: -f.cost)
        share = weight / weights if score is not None and weights > 0 else None
        views.append(IndicatorView(name, score, weight, share, item.get("detail") or {}, facts))
    return views


def veto_facts(code: Any, visible_problems: set[int]) -> list[Fact]:
    """The vetoes in force (``what == "veto"``, the rule the veto's own), linked to their
    problem when the reader may open it."""
    facts = []
    for veto in code.vetoes or []:
        event = veto.get("event") or {}
        params = {**(event.get("params") or {}), "rule": veto.get("rule")}
        fact = fact_of("veto", params, event.get("text"), veto.get("problem_id"), "problem")
        facts.append(enrich(fact, "", visible_problems, Alerts()))
    return facts


def reason_facts(code: Any, visible_problems: set[int]) -> list[tuple[str, Fact]]:
    """The code's reasons (indicator, fact), heaviest first, for staff."""
    out = []
    for reason in code.reasons or []:
        events = reason.get("events") or []
        kind, number = events[0] if events and len(events[0]) == 2 else ("", None)
        fact = fact_of(reason.get("what"), reason.get("params"), reason.get("text"), number, kind)
        out.append((str(reason.get("indicator", "")), enrich(fact, "", visible_problems, Alerts())))
    return out


# --- the public page's reasons -----------------------------------------------------------------

DAY = r"\d{4}-\d{2}-\d{2}"
_PUBLIC = [
    ("problem", rf"problem (?P<severity>[a-z]+) (?P<category>[a-z_]+) confirmed (?P<day>{DAY})"),
    ("overdue", rf"problem rectification overdue since (?P<since>{DAY})"),
    ("veto", rf"veto: (?P<rule>[a-z ]+), confirmed (?P<day>{DAY})"),
    ("outcome", r"(?P<kind>warning|order to correct|transferred to public security|fine)"
     rf"(?: ¥(?P<amount>[0-9.]+))? (?P<day>{DAY})"),
    ("task_late", rf"self-inspection at (?P<point>.+) due (?P<due>{DAY}) submitted late"),
    ("task_missed", rf"self-inspection at (?P<point>.+) due (?P<due>{DAY}) not done"),
    ("task_failed", rf"self-inspection at (?P<point>.+) due (?P<due>{DAY}):"
     r" (?P<failed>\d+) item\(s\) failed"),
    ("online", r"online rate (?P<rate>\d+) % at (?P<outlet>.+) over (?P<days>\d+) days"),
    ("reminder", r"a service reminder not answered in time"),
    ("permit_expired", rf"discharge permit (?P<permit_no>.+) expired (?P<until>{DAY})"),
    ("permit_expiring", rf"discharge permit (?P<permit_no>.+) expires (?P<until>{DAY})"),
    ("alert", rf"(?P<kind>[a-z0-9_]+)(?: (?P<factor>.+?))? at (?P<outlet>.+) (?P<day>{DAY})"),
]  # fmt: skip
PUBLIC_PATTERNS = [(what, re.compile(f"^{pattern}$")) for what, pattern in _PUBLIC]
"""The scorer's public sentences (``public_text``), for reasons that come without params; the
alert's, the loosest, last."""
_OUTCOME_KINDS = {
    "order to correct": "order_to_correct",
    "transferred to public security": "public_security",
}


def read_public_text(text: str) -> Fact:
    """The what and params of one of the scorer's public sentences (``text`` when unknown)."""
    for what, pattern in PUBLIC_PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        params: dict[str, Any] = {k: v for k, v in found.groupdict().items() if v is not None}
        if what == "veto":
            params["rule"] = params["rule"].replace(" ", "_")
        elif what == "outcome":
            params["kind"] = _OUTCOME_KINDS.get(params["kind"], params["kind"])
        elif what == "online":
            params["rate"] = int(params["rate"]) / 100
        elif what == "task_failed":
            params["failed"] = int(params["failed"])
        elif what.startswith("permit") and params["permit_no"] == "(no number)":
            params["permit_no"] = None
        return fact_of(what, params, text)
    return Fact("text", {}, text)


def public_facts(reasons: Sequence[str | Mapping[str, Any]]) -> list[Fact]:
    """The public view's reasons: a reason's ``what``/``params`` when it has them (no ids
    either way), else its public sentence read back."""
    out = []
    for reason in reasons:
        if isinstance(reason, Mapping):
            text = reason.get("public_text", "")
            out.append(fact_of(reason.get("what"), reason.get("params"), text))
        else:
            out.append(read_public_text(reason))
    return out


# --- what to do to improve -----------------------------------------------------------------


@dataclass(frozen=True)
class Advice:
    """An indicator below full marks and what to do about it: ``facts`` (the events that cost
    points, the heaviest first; tasks not done first of their indicator), ``overdue_tasks``
    (how many self-inspection tasks are not done)."""

    indicator: str
    score: float
    facts: list[Fact]
    overdue_tasks: int = 0


def advice(views: Sequence[IndicatorView]) -> list[Advice]:
    """One entry per indicator with data below 100, the lowest score first."""
    out = []
    for view in views:
        if view.score is None or view.score >= 100:
            continue
        facts = list(view.facts)
        if view.name == "self_inspection":
            facts.sort(key=lambda f: (f.what != "task_missed", -f.cost))
        missed = sum(1 for f in facts if f.what == "task_missed")
        out.append(Advice(view.name, float(view.score), facts, missed))
    out.sort(key=lambda a: a.score)
    return out


# --- the repair application's refusals ------------------------------------------------------

_WHY = [
    ("no_code", re.compile(r"^the enterprise has no green code yet$")),
    ("no_veto", re.compile(r"^no veto is in force")),
    ("not_closed", re.compile(r"^problem #(?P<id>\d+) is not closed yet \((?P<state>[a-z_]+)\)$")),
    ("waiting", re.compile(r"^the waiting period ends (?P<until>\S+)$")),
    ("pending", re.compile(r"^application #(?P<id>\d+) is pending$")),
]
"""``greencode.repair.eligibility`` says why only in English sentences, read back here."""


@dataclass(frozen=True)
class Why:
    """Why a repair application may not be filed: ``key`` (``no_code``, ``no_veto``,
    ``not_closed``, ``waiting``, ``pending``, ``text``) and its parts."""

    key: str
    parts: dict[str, Any]
    text: str


def read_why(texts: Iterable[str]) -> list[Why]:
    return [_why(text) for text in texts]


def _why(text: str) -> Why:
    for key, pattern in _WHY:
        found = pattern.match(text)
        if found is None:
            continue
        parts: dict[str, Any] = dict(found.groupdict())
        if "until" in parts:
            try:
                parts["until"] = datetime.fromisoformat(parts["until"])
            except ValueError:
                break
        return Why(key, parts, text)
    return Why("text", {}, text)


# --- the history chart -------------------------------------------------------------------------


def chart_series(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """The history as the chart's points: time (ISO with offset), score, colour, and whether
    the colour changed there."""
    return [
        {
            "t": r.at.isoformat(),
            "score": round(float(r.score), 2),
            "colour": r.colour,
            "change": r.kind in ("colour", "first"),
            "previous": r.previous_colour,
        }
        for r in rows
    ]


def chart_bands(cutoffs: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    """The score ranges of the colours, best first: ``[{colour, low, high}]``."""
    bands = []
    top = 100.0
    for colour, lowest in cutoffs:
        bands.append({"colour": colour, "low": float(lowest), "high": top})
        top = float(lowest)
    return bands

"""Storing what re-judging decided (``revise.Change``), in the caller's unit of work: a new
episode and its finding; a stored one grown, or revised (shortened, moved, split: its finding
follows, the change on the problem's timeline and in the audit log); or withdrawn — never
deleted: the episode keeps its row with the time and reason, its finding is marked withdrawn
with the reason (``data["withdrawn"]``, the description), on the timeline and audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.power.evidence import ACTOR, Context, description, evidence, finding_in
from ecoradar.power.models import PowerEpisode
from ecoradar.power.revise import Change
from ecoradar.power.rules import Found
from ecoradar.problems import timeline
from ecoradar.problems.intake import record_finding
from ecoradar.problems.models import Finding
from ecoradar.problems.policy import Policy
from ecoradar.regions.index import RegionIndex

ORDER = {"withdrawn": 0, "revised": 1, "grown": 2, "new": 3}
WITHDRAWN_MARK = "【已撤回】"
"""Leads a withdrawn finding's description (stored text, as written)."""


def apply(
    session: Session,
    index: RegionIndex,
    policy: Policy,
    ctx: Context,
    change: Change,
    now: datetime,
) -> int:
    """Store ``change``; the number of findings newly recorded (0 or 1)."""
    if change.kind == "withdrawn":
        assert change.episode is not None
        _withdraw(session, ctx, _episode(session, change.episode), change, now)
        return 0
    assert change.found is not None
    if change.episode is None:
        return _new(session, index, policy, ctx, change, now)
    episode = _episode(session, change.episode)
    before = _span(episode)
    _set(session, ctx, episode, change.found, now)
    if change.kind == "revised":
        _note(episode, now, change.reason, before)
    finding = _update_finding(session, ctx, episode)
    if change.kind == "revised" and finding is not None:
        _log(session, finding, now, "finding_revised", change.reason, before, _span(episode))
    return 0


def _episode(session: Session, episode_id: int) -> PowerEpisode:
    found = session.get(PowerEpisode, episode_id)
    assert found is not None
    return found


def _span(episode: PowerEpisode) -> dict[str, Any]:
    return {
        "episode_id": episode.id,
        "start": episode.start.isoformat(),
        "end": episode.end.isoformat(),
        "minutes": episode.minutes,
        "state": episode.state,
    }


def _set(
    session: Session, ctx: Context, episode: PowerEpisode, found: Found, now: datetime
) -> None:
    revisions = list(episode.facts.get("revisions", [])) if episode.facts else []
    episode.start, episode.end, episode.state = found.start, found.end, found.state
    episode.minutes = round(found.minutes, 1)
    episode.updated_at = now
    facts = evidence(session, ctx, found)
    if revisions:
        facts["revisions"] = revisions
    if episode.split_from is not None:
        facts["split_from"] = episode.split_from
    episode.facts = facts
    session.flush()
    episode.facts = {**episode.facts, "episode_id": episode.id}


def _note(episode: PowerEpisode, now: datetime, reason: str, before: dict[str, Any]) -> None:
    entry = {"at": now.isoformat(), "reason": reason, "before": before}
    episode.facts = {
        **episode.facts,
        "revisions": [*episode.facts.get("revisions", []), entry],
    }


def _update_finding(session: Session, ctx: Context, episode: PowerEpisode) -> Finding | None:
    finding = session.get(Finding, episode.finding_id) if episode.finding_id else None
    if finding is not None:
        finding.data = dict(episode.facts)
        finding.description = description(ctx, episode)
    session.flush()
    return finding


def _new(
    session: Session,
    index: RegionIndex,
    policy: Policy,
    ctx: Context,
    change: Change,
    now: datetime,
) -> int:
    found = change.found
    assert found is not None
    episode = session.scalar(  # withdrawn once, it holds again: the same row comes back
        select(PowerEpisode).where(
            PowerEpisode.enterprise_id == ctx.enterprise.id,
            PowerEpisode.rule == found.rule,
            PowerEpisode.subject == found.subject,
            PowerEpisode.start == found.start,
        )
    )
    if episode is not None:
        before = {**_span(episode), "withdrawn_reason": episode.withdrawn_reason}
        episode.withdrawn_at, episode.withdrawn_reason = None, None
        _set(session, ctx, episode, found, now)
        _note(episode, now, "迟到的读数重新判定：规则再次成立，恢复", before)
        finding = _update_finding(session, ctx, episode)
        if finding is not None:
            _log(session, finding, now, "finding_revised", "reinstated", before, _span(episode))
        return 0
    episode = PowerEpisode(
        enterprise_id=ctx.enterprise.id,
        rule=found.rule,
        subject=found.subject,
        detected_at=now,
        split_from=change.split_from,
    )
    session.add(episode)
    _set(session, ctx, episode, found, now)
    if change.split_from is not None:
        _note(episode, now, change.reason, {"episode_id": change.split_from})
    recorded = record_finding(
        session=session,
        index=index,
        item=finding_in(ctx, episode, now),
        now=now,
        actor=ACTOR,
        policy=policy,
    )
    episode.finding_id = recorded.finding.id
    session.flush()
    return 0 if recorded.already_known else 1


def _withdraw(
    session: Session, ctx: Context, episode: PowerEpisode, change: Change, now: datetime
) -> None:
    mark = {"at": now.isoformat(), "code": change.code, "reason": change.reason}
    episode.withdrawn_at, episode.withdrawn_reason = now, change.reason
    episode.updated_at = now
    episode.facts = {**episode.facts, "withdrawn": mark}
    finding = session.get(Finding, episode.finding_id) if episode.finding_id else None
    if finding is not None:
        finding.data = {**finding.data, "withdrawn": mark}
        finding.description = f"{WITHDRAWN_MARK}{change.reason}。原：{description(ctx, episode)}"
        _log(session, finding, now, "finding_withdrawn", change.reason, _span(episode), None)
    session.flush()


def _log(
    session: Session,
    finding: Finding,
    now: datetime,
    action: str,
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any] | None,
) -> None:
    """The change on the problem's timeline (for its officers) and in the audit log."""
    problem = finding.problem
    detail = {"finding_id": finding.id, "reason": reason, "before": before, "after": after}
    timeline.event(
        session=session, problem=problem, at=now, actor=ACTOR, action=action, public=False,
        detail=detail,
    )  # fmt: skip
    audit(
        session=session,
        at=now,
        actor=ACTOR,
        action=f"problem.{'withdraw' if action == 'finding_withdrawn' else 'revise'}_finding",
        entity_type="problem",
        entity_id=problem.id,
        before=before,
        after={"finding_id": finding.id, **(after or {"withdrawn": True})},
        reason=reason,
    )
    problem.updated_at = now

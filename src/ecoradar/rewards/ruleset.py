"""Stored reward rules: every import is a new version; the newest is in force, and without any
the built-in defaults (``rules.DEFAULT_RULES``, version 0) are."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.core.errors import InputError
from ecoradar.rewards.models import RewardRuleSet, RewardTier
from ecoradar.rewards.rules import DEFAULT_RULES, RuleSet, Tier, parse_rules, rules_document

MAX_FILE_BYTES = 1_000_000


def read_rules_file(path: Path) -> RuleSet:
    """The rule set in a JSON file; ``InputError`` names the file and the bad field."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not UTF-8 JSON ({exc})") from None
    try:
        return parse_rules(document)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def _rule_set(row: RewardRuleSet) -> RuleSet:
    tiers = tuple(
        Tier(
            code=t.code,
            outcome=t.outcome,
            fixed=t.fixed_amount,
            percent=t.percent,
            fine_from=t.fine_from,
            fine_below=t.fine_below,
        )
        for t in row.tiers
    )
    return RuleSet(tiers, row.max_amount, row.min_description_chars, row.version)


def current_rules(*, session: Session) -> RuleSet:
    """The rules in force: the newest imported version, else the built-in defaults."""
    row = session.scalar(select(RewardRuleSet).order_by(RewardRuleSet.version.desc()).limit(1))
    return DEFAULT_RULES if row is None else _rule_set(row)


def import_rules(
    *, session: Session, rules: RuleSet, now: datetime, actor: str, source: str = ""
) -> RuleSet:
    """Store ``rules`` as the next version (in force from now on; rewards proposed earlier keep
    their amounts) and write an audit entry (``reward_rules.import``)."""
    newest = session.scalar(select(func.max(RewardRuleSet.version))) or 0
    row = RewardRuleSet(
        version=newest + 1,
        max_amount=rules.max_amount,
        min_description_chars=rules.min_description_chars,
        created_at=now,
        created_by=actor,
        source=source[:200],
    )
    session.add(row)
    session.flush()
    for position, tier in enumerate(rules.tiers):
        session.add(
            RewardTier(
                rule_set_id=row.id,
                position=position,
                code=tier.code,
                outcome=tier.outcome,
                fine_from=tier.fine_from,
                fine_below=tier.fine_below,
                fixed_amount=tier.fixed,
                percent=tier.percent,
            )
        )
    session.flush()
    stored = RuleSet(rules.tiers, rules.max_amount, rules.min_description_chars, row.version)
    audit(
        session=session,
        at=now,
        actor=actor,
        action="reward_rules.import",
        entity_type="reward_rules",
        entity_id=row.version,
        after=rules_document(stored),
        reason=source[:200] or None,
    )
    return stored

"""Control point types and their versioned checklists.

A type has one checklist template; the template's content lives in numbered versions that are
never changed once stored. Issuing items that differ from the current version stores the next
version; tasks already issued keep the version they were issued with. The built-in types and
their version 1 are stored on first use (``ensure_defaults``).

``templates import FILE`` reads JSON: a list (or ``{"templates": [...]}``) of
``{"point_type": CODE, "name": ..., "items": [...]}``; a type that does not exist yet is added
when the entry also gives ``type_name`` (and optionally ``type_name_en``, ``category``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoradar.audit.service import record as audit
from ecoradar.core.errors import ConflictError, InputError, NotFoundError
from ecoradar.problems.models import CATEGORIES
from ecoradar.selfcheck.checks import Item, parse_items
from ecoradar.selfcheck.defaults import BUILTIN_TYPES, DEFAULT_ITEMS, DEFAULT_ITEMS_OTHER
from ecoradar.selfcheck.models import ChecklistTemplate, PointType, TemplateVersion

TYPE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def missing_defaults(session: Session) -> list[tuple[str, str, str, str]]:
    """The built-in types not stored yet."""
    known = set(session.scalars(select(PointType.code)))
    return [t for t in BUILTIN_TYPES if t[0] not in known]


def ensure_defaults(*, session: Session, now: datetime) -> None:
    """Store the built-in types and their first checklist version when missing."""
    missing = missing_defaults(session)
    for code, name, name_en, category in missing:
        point_type = PointType(
            code=code, name=name, name_en=name_en, category=category, builtin=True, created_at=now
        )
        session.add(point_type)
        session.flush()
        _new_template(session, point_type, name, DEFAULT_ITEMS[code], now, "system:selfcheck")
    if missing:
        session.flush()


def _new_template(
    session: Session,
    point_type: PointType,
    name: str,
    items: list[dict[str, Any]],
    now: datetime,
    actor: str,
) -> TemplateVersion:
    template = ChecklistTemplate(point_type_id=point_type.id, name=name, created_at=now)
    session.add(template)
    session.flush()
    version = TemplateVersion(
        template_id=template.id, version=1, items=items, created_at=now, created_by=actor
    )
    session.add(version)
    session.flush()
    return version


def point_type_by_code(*, session: Session, code: str) -> PointType:
    found = session.scalar(select(PointType).where(PointType.code == code))
    if found is None:
        raise NotFoundError(f"point type {code!r} does not exist")
    return found


def add_point_type(
    *,
    session: Session,
    code: str,
    name: str,
    category: str,
    now: datetime,
    actor: str,
    name_en: str = "",
    items: object = None,
    actor_user_id: int | None = None,
) -> PointType:
    """A new control point type (administrators) with its checklist's version 1."""
    ensure_defaults(session=session, now=now)
    if not TYPE_CODE.match(code):
        raise InputError(f"code: {code!r} is not a type code (a-z, 0-9, _; 2-32)")
    if not name.strip() or len(name) > 100 or len(name_en) > 100:
        raise InputError("name: required, at most 100 characters")
    if category not in CATEGORIES:
        raise InputError(f"category: {category!r} is not one of {', '.join(CATEGORIES)}")
    if session.scalar(select(PointType.id).where(PointType.code == code)) is not None:
        raise ConflictError(f"point type {code!r} exists already")
    parsed = parse_items(items) if items is not None else parse_items(DEFAULT_ITEMS_OTHER)
    point_type = PointType(
        code=code, name=name.strip(), name_en=name_en.strip(), category=category,
        builtin=False, created_at=now,
    )  # fmt: skip
    session.add(point_type)
    session.flush()
    _new_template(session, point_type, point_type.name, [i.as_json() for i in parsed], now, actor)
    audit(
        session=session,
        at=now,
        actor=actor,
        action="selfcheck_point_type.create",
        entity_type="selfcheck_point_type",
        entity_id=point_type.id,
        after={"code": code, "name": point_type.name, "category": category},
        actor_user_id=actor_user_id,
    )
    return point_type


@dataclass(frozen=True)
class Issued:
    version: TemplateVersion
    created: bool


def current_version(*, session: Session, point_type_id: int) -> TemplateVersion:
    found = session.scalar(
        select(TemplateVersion)
        .join(ChecklistTemplate, TemplateVersion.template_id == ChecklistTemplate.id)
        .where(ChecklistTemplate.point_type_id == point_type_id)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    )
    if found is None:
        raise NotFoundError(f"point type {point_type_id} has no checklist")
    return found


def current_version_ids(*, session: Session) -> dict[int, int]:
    """Point type id -> id of its checklist's newest version."""
    newest = (
        select(TemplateVersion.template_id, func.max(TemplateVersion.version).label("v"))
        .group_by(TemplateVersion.template_id)
        .subquery()
    )
    rows = session.execute(
        select(ChecklistTemplate.point_type_id, TemplateVersion.id)
        .join(TemplateVersion, TemplateVersion.template_id == ChecklistTemplate.id)
        .join(
            newest,
            (newest.c.template_id == TemplateVersion.template_id)
            & (newest.c.v == TemplateVersion.version),
        )
    )
    return {type_id: version_id for type_id, version_id in rows}  # noqa: C416


def issue_version(
    *,
    session: Session,
    point_type_code: str,
    items: object,
    now: datetime,
    actor: str,
    name: str | None = None,
    actor_user_id: int | None = None,
) -> Issued:
    """Store ``items`` as the next version of the type's checklist, unless they equal the
    current version (then nothing changes)."""
    ensure_defaults(session=session, now=now)
    point_type = point_type_by_code(session=session, code=point_type_code)
    parsed = parse_items(items)
    current = current_version(session=session, point_type_id=point_type.id)
    template = current.template
    if name is not None and name.strip() and name.strip() != template.name:
        template.name = name.strip()[:200]
    wanted = [i.as_json() for i in parsed]
    if [i.as_json() for i in parse_items(current.items)] == wanted:
        return Issued(current, created=False)
    version = TemplateVersion(
        template_id=template.id,
        version=current.version + 1,
        items=wanted,
        created_at=now,
        created_by=actor,
    )
    session.add(version)
    session.flush()
    audit(
        session=session,
        at=now,
        actor=actor,
        action="selfcheck_template.version",
        entity_type="selfcheck_template",
        entity_id=template.id,
        before={"version": current.version},
        after={"version": version.version, "items": [i.code for i in parsed]},
        actor_user_id=actor_user_id,
    )
    return Issued(version, created=True)


def items_of(version: TemplateVersion) -> list[Item]:
    return parse_items(version.items, where=f"template version {version.id}")


def read_templates_file(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("templates")
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise InputError(f'{path}: a list of templates, or {{"templates": [...]}}')
    return data


def import_templates(
    *, session: Session, entries: Sequence[dict[str, Any]], now: datetime, actor: str
) -> list[Issued]:
    """Issue every entry (all or nothing: the caller's transaction); ``InputError`` names the
    entry."""
    ensure_defaults(session=session, now=now)
    issued: list[Issued] = []
    for number, entry in enumerate(entries):
        code = entry.get("point_type")
        try:
            if not isinstance(code, str):
                raise InputError("point_type: required")
            exists = session.scalar(select(PointType.id).where(PointType.code == code))
            if exists is None and entry.get("type_name"):
                add_point_type(
                    session=session,
                    code=code,
                    name=str(entry["type_name"]),
                    name_en=str(entry.get("type_name_en", "")),
                    category=str(entry.get("category", "other")),
                    now=now,
                    actor=actor,
                    items=entry.get("items"),
                )
                point_type = point_type_by_code(session=session, code=code)
                version = current_version(session=session, point_type_id=point_type.id)
                issued.append(Issued(version, created=True))
                continue
            name = entry.get("name")
            issued.append(
                issue_version(
                    session=session,
                    point_type_code=code,
                    items=entry.get("items"),
                    now=now,
                    actor=actor,
                    name=name if isinstance(name, str) else None,
                )
            )
        except (InputError, NotFoundError, ConflictError) as exc:
            raise InputError(f"templates[{number}]: {exc}") from exc
    return issued

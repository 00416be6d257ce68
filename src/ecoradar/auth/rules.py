"""Account rules (pure): usernames, token names and scopes, what each role needs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ecoradar.auth.models import REGION_ROLES, ROLES, SCOPES
from ecoradar.core.errors import InputError

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")
TOKEN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def normal_username(text: str) -> str:
    """``text`` lower-cased and checked: 3-64 characters, letters, digits and ``. _ @ -``,
    starting with a letter or digit."""
    name = text.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InputError(
            f"username {text!r}: 3-64 characters, letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role {role!r}: one of {', '.join(ROLES)}")
    return role


def check_scope_fields(role: str, *, region: str | None, enterprise: str | None) -> None:
    """Officers, grid workers and supervisors need a region, enterprise users an enterprise;
    nobody else may have either."""
    if role in REGION_ROLES and not region:
        raise InputError(f"region: required for the role {role}")
    if role not in REGION_ROLES and region:
        raise InputError(
            f"region: only officers, grid workers and supervisors have one, not the role {role}"
        )
    if role == "enterprise" and not enterprise:
        raise InputError("enterprise: required for the role enterprise")
    if role != "enterprise" and enterprise:
        raise InputError(f"enterprise: only enterprise users have one, not the role {role}")


def check_token_name(name: str) -> str:
    name = name.strip()
    if not TOKEN_NAME.fullmatch(name) or name.isdigit():
        raise InputError(
            f"name {name!r}: 1-64 characters, letters, digits and . _ @ -, not only digits"
        )
    return name


def check_scopes(scopes: Iterable[str], *, has_user: bool, has_region: bool) -> list[str]:
    """The scopes in ``SCOPES`` order, refused when unknown, empty, or inconsistent: ``api``
    needs a user (it acts as that user); a personal token takes its user's region scope."""
    given = [s.strip().lower() for s in scopes]
    unknown = sorted({s for s in given if s not in SCOPES})
    if unknown:
        raise InputError(f"scope {', '.join(unknown)}: unknown; one of {', '.join(SCOPES)}")
    if not given:
        raise InputError(f"scope: give at least one of {', '.join(SCOPES)}")
    if "api" in given and not has_user:
        raise InputError("scope api: acts as a user, so the token needs a user")
    if has_user and has_region:
        raise InputError(
            "region: a personal token acts within its user's scope; "
            "a region is for integration tokens (no user)"
        )
    return [s for s in SCOPES if s in given]

"""Accounts: users, API tokens, server-side browser sessions, login attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, JSONType, UTCDateTime

ROLES = ("admin", "officer", "grid_worker", "enterprise", "public", "supervisor")
"""Administrator; bureau officer (a region of any level); grid worker (a grid); enterprise user
(one enterprise); registered member of the public; supervisor (a people's deputy, CPPCC member,
the media or a discipline body, of a region: ``ecoradar.supervision``)."""
STAFF_ROLES = ("admin", "officer", "grid_worker")
REGION_ROLES = ("officer", "grid_worker", "supervisor")
"""Roles that are scoped to a region (and must have one)."""
SCOPES = ("devices", "drones", "departments", "open311", "api", "power")
"""What an API token may do; ``api`` means "acts as its user"; ``power``: send power meter
readings (``ecoradar.power``)."""


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {_sql_list(ROLES)}", name="role"),
        CheckConstraint(
            f"(role IN {_sql_list(REGION_ROLES)}) = (region_id IS NOT NULL)", name="region_scope"
        ),
        CheckConstraint("(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    """3-64 characters, lower case."""
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    """argon2id, in the PHC string format."""
    role: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"User({self.id}, {self.username!r}, {self.role})"


class ApiToken(Base):
    """A bearer token. Only the sha256 of its secret is stored; ``prefix`` tells tokens apart
    in lists. A personal token (``user_id`` set, scope ``api``) acts as its user; an integration
    token has no user and only its scopes, optionally limited to a region."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"ApiToken({self.id}, {self.name!r}, {self.prefix}…)"


class AuthSession(Base):
    """A browser session, kept on the server so logout, disabling a user and a password change
    end it at once. ``id`` is the sha256 of the cookie's secret (never the secret itself)."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    """The absolute end; the idle timeout is counted from ``last_seen_at``."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """One login (page or token endpoint): the rate limit counts failures across processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)


def token_scopes(token: ApiToken) -> tuple[str, ...]:
    """The token's scopes as stored (a JSON list), known ones only, in ``SCOPES`` order."""
    stored: Any = token.scopes or []
    return tuple(s for s in SCOPES if s in stored)

"""Who is asking, and what they may see: the ``Principal`` of a request (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ecoradar.auth.models import STAFF_ROLES

PrincipalKind = Literal["user", "token"]


@dataclass(frozen=True)
class Principal:
    """A logged-in user (browser session) or a bearer token.

    A personal token with the ``api`` scope acts as its user: it carries the user's role and
    scope. An integration token has no user and no role, only its scopes (and perhaps a region).

    ``region_ids`` is the scope region and every region below it. Empty means "everything" for
    an administrator, and for a token without a role or region; for anyone else it means
    "nothing" (see ``covers_region``).
    """

    kind: PrincipalKind
    user_id: int | None
    username: str
    role: str | None
    region_id: int | None = None
    region_ids: frozenset[int] = field(default_factory=frozenset)
    enterprise_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: int | None = None
    display_name: str = ""
    session_id: str | None = None
    """The server-side session's id (the sha256 of the cookie), for re-checking long streams."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """Administrator, bureau officer or grid worker."""
        return self.role in STAFF_ROLES

    @property
    def is_integration(self) -> bool:
        """A token that belongs to no user (a department, a drone fleet, an Open311 client)."""
        return self.kind == "token" and self.user_id is None

    @property
    def unrestricted(self) -> bool:
        """Reaches every region: an administrator, or a token without a role (it acts only
        through its scopes) that is limited neither to a region nor to an enterprise."""
        if self.is_admin:
            return True
        return (
            self.kind == "token"
            and self.role is None
            and self.region_id is None
            and self.enterprise_id is None
        )

    def covers_region(self, region_id: int | None) -> bool:
        """Whether something in ``region_id`` is within this principal's reach."""
        if self.unrestricted:
            return True
        return region_id is not None and region_id in self.region_ids

    def has_scope(self, scope: str) -> bool:
        """Whether this is a token granted ``scope``."""
        return self.kind == "token" and scope in self.scopes

    def has_role(self, *roles: str) -> bool:
        return self.role is not None and self.role in roles

    @property
    def actor(self) -> str:
        """Who did it, for the audit log: ``user:7:alice`` (also for alice's personal token)
        or ``token:3:drone-east`` (an integration token)."""
        if self.user_id is not None:
            return f"user:{self.user_id}:{self.username}"
        return f"token:{self.token_id}:{self.username}"

"""Account shapes for the API. Password hashes and token hashes never leave the server; a
token's secret is shown once, in ``TokenIssued``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ecoradar.auth.principal import Principal
from ecoradar.auth.service import UserRow
from ecoradar.auth.tokens import TokenRow

Role = Literal["admin", "officer", "grid_worker", "enterprise", "public", "supervisor"]
SupervisorKind = Literal["deputy", "cppcc", "media", "discipline"]
Scope = Literal["devices", "drones", "departments", "open311", "api", "power"]


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=64)
    role: Role
    password: str = Field(min_length=1, max_length=1024)
    display_name: str = Field(default="", max_length=200)
    region: str | None = Field(default=None, max_length=32, description="Region code")
    enterprise: str | None = Field(default=None, max_length=18, description="Enterprise code")
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    supervisor_kind: SupervisorKind | None = Field(
        default=None, description="A supervisor's kind: deputy, cppcc, media or discipline"
    )
    organisation: str = Field(default="", max_length=200, description="A supervisor's body")


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    region_code: str | None
    region_name: str | None
    enterprise_code: str | None
    enterprise_name: str | None
    email: str | None
    phone: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, row: UserRow) -> UserRead:
        user = row.user
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            region_code=row.region_code,
            region_name=row.region_name,
            enterprise_code=row.enterprise_code,
            enterprise_name=row.enterprise_name,
            email=user.email,
            phone=user.phone,
            is_active=user.is_active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class UserPageRead(BaseModel):
    items: list[UserRead]
    total: int
    page: int
    per_page: int
    pages: int


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    scopes: list[Scope] = Field(min_length=1, max_length=6)
    region: str | None = Field(default=None, max_length=32, description="Region code")
    user: str | None = Field(default=None, max_length=64, description="Username")
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    user: str | None
    region_code: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: TokenRow) -> TokenRead:
        token = row.token
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            scopes=list(token.scopes),
            user=row.username,
            region_code=row.region_code,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class TokenIssued(TokenRead):
    token: str = Field(description="The secret: shown this once, send it as a bearer token")


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PersonalToken(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown this once")
    token_type: Literal["bearer"] = "bearer"
    name: str
    scopes: list[str]
    expires_at: datetime | None


class PrincipalRead(BaseModel):
    kind: Literal["user", "token"]
    actor: str
    user_id: int | None
    username: str
    display_name: str
    role: str | None
    region_id: int | None
    region_code: str | None
    enterprise_id: int | None
    enterprise_code: str | None
    scopes: list[str]
    token_id: int | None

    @classmethod
    def of(
        cls, principal: Principal, *, region_code: str | None, enterprise_code: str | None
    ) -> PrincipalRead:
        return cls(
            kind=principal.kind,
            actor=principal.actor,
            user_id=principal.user_id,
            username=principal.username,
            display_name=principal.display_name,
            role=principal.role,
            region_id=principal.region_id,
            region_code=region_code,
            enterprise_id=principal.enterprise_id,
            enterprise_code=enterprise_code,
            scopes=sorted(principal.scopes),
            token_id=principal.token_id,
        )

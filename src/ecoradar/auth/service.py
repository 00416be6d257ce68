"""Accounts: create, list, disable, change passwords, log in (with the rate limit), and the
principal of a user. Browser sessions are in ``sessions``, API tokens in ``tokens``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ecoradar.audit import service as audit
from ecoradar.auth import login, passwords, rules
from ecoradar.auth.login import Via
from ecoradar.auth.models import ApiToken, AuthSession, User
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import ConflictError, InputError, NotFoundError
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids
from ecoradar.registry.models import Enterprise
from ecoradar.supervision.models import ORGANISATION_MAX, SUPERVISOR_KINDS, Supervisor


@dataclass(frozen=True)
class UserRow:
    """A user with the codes and names of its scope, for lists."""

    user: User
    region_code: str | None = None
    region_name: str | None = None
    region_level: str | None = None
    enterprise_code: str | None = None
    enterprise_name: str | None = None


@dataclass(frozen=True)
class UserPage:
    items: list[UserRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class NewUserScope:
    """A new user's checked username and scope, before a password is asked for."""

    username: str
    region_id: int | None
    enterprise_id: int | None


CLI_ACTOR = "cli:ecoradar"
"""Who acts when a command-line call changes an account."""


def check_new_user(
    *,
    session: Session,
    username: str,
    role: str,
    region: str | None = None,
    enterprise: str | None = None,
    supervisor_kind: str | None = None,
    organisation: str = "",
) -> NewUserScope:
    """Check everything about a new user but the password: the username (and that it is
    free), the role, the region or enterprise its role needs (codes), and a supervisor's kind
    and organisation. The message of a refusal names the field."""
    name = rules.normal_username(username)
    rules.check_role(role)
    rules.check_scope_fields(role, region=region, enterprise=enterprise)
    check_supervisor_fields(role, kind=supervisor_kind, organisation=organisation)
    region_id = enterprise_id = None
    if region:
        found = session.scalar(select(Region).where(Region.code == region.strip()))
        if found is None:
            raise InputError(f"region {region!r}: no region with this code")
        if role == "grid_worker" and found.level != "grid":
            raise InputError(
                f"region {region!r}: a grid worker needs a region of level grid, "
                f"this one is a {found.level}"
            )
        region_id = found.id
    if enterprise:
        enterprise_id = session.scalar(
            select(Enterprise.id).where(Enterprise.code == enterprise.strip().upper())
        )
        if enterprise_id is None:
            raise InputError(f"enterprise {enterprise!r}: no enterprise with this code")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(f"username {name!r}: already taken")
    return NewUserScope(name, region_id, enterprise_id)


def check_supervisor_fields(role: str, *, kind: str | None, organisation: str) -> None:
    """A supervisor needs its kind (``SUPERVISOR_KINDS``); nobody else has a kind or an
    organisation."""
    if role == "supervisor":
        if kind not in SUPERVISOR_KINDS:
            raise InputError(
                f"supervisor_kind: {kind!r} is not one of {', '.join(SUPERVISOR_KINDS)}"
            )
        if len(organisation.strip()) > ORGANISATION_MAX:
            raise InputError(f"organisation: longer than {ORGANISATION_MAX} characters")
    elif kind or organisation.strip():
        raise InputError(f"supervisor_kind: only supervisors have one, not the role {role}")


def create_user(
    *,
    session: Session,
    username: str,
    role: str,
    password: str | passwords.NewPassword,
    now: datetime,
    display_name: str = "",
    region: str | None = None,
    enterprise: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    actor: str = CLI_ACTOR,
    supervisor_kind: str | None = None,
    organisation: str = "",
) -> User:
    """Create an active user. ``region`` and ``enterprise`` are codes: a region of any level
    for an officer or a supervisor, a grid for a grid worker, an enterprise for an enterprise
    user; a supervisor also has its kind and organisation. Refused, with nothing written, when
    a field is wrong (the message names it) or the username is taken."""
    checked = check_new_user(
        session=session,
        username=username,
        role=role,
        region=region,
        enterprise=enterprise,
        supervisor_kind=supervisor_kind,
        organisation=organisation,
    )
    if not isinstance(password, passwords.NewPassword):
        password = passwords.prepare(
            password, username=checked.username, details=(display_name, email)
        )
    user = User(
        username=checked.username,
        display_name=display_name.strip() or checked.username,
        password_hash=password.password_hash,
        role=role,
        region_id=checked.region_id,
        enterprise_id=checked.enterprise_id,
        email=(email or "").strip() or None,
        phone=(phone or "").strip() or None,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    after = _public_fields(user)
    if role == "supervisor":
        assert supervisor_kind is not None
        session.add(
            Supervisor(user_id=user.id, kind=supervisor_kind, organisation=organisation.strip())
        )
        after["supervisor_kind"] = supervisor_kind
    _audit(session, now, actor, "user.create", user, after=after)
    return user


def _public_fields(user: User) -> dict[str, object]:
    """What the audit log keeps of an account (never the password hash or contact details)."""
    return {
        "username": user.username,
        "role": user.role,
        "region_id": user.region_id,
        "enterprise_id": user.enterprise_id,
        "is_active": user.is_active,
    }


def _audit(
    session: Session,
    now: datetime,
    actor: str,
    action: str,
    user: User,
    *,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> None:
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action=action,
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=after,
    )


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def user_by_username(*, session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def _rows() -> tuple[object, ...]:
    return (
        User,
        Region.code,
        Region.name,
        Region.level,
        Enterprise.code,
        Enterprise.name,
    )


def user_row(*, session: Session, user: User) -> UserRow:
    """``user`` with the codes and names of its region or enterprise."""
    row = session.execute(
        select(*_rows())  # type: ignore[call-overload]
        .outerjoin(Region, User.region_id == Region.id)
        .outerjoin(Enterprise, User.enterprise_id == Enterprise.id)
        .where(User.id == user.id)
    ).one()
    return UserRow(*row)


def list_users(
    *,
    session: Session,
    query: str = "",
    role: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> UserPage:
    """Users whose username or display name contains ``query``, of ``role``, by username."""
    page = max(1, page)
    per_page = min(max(1, per_page), 500)
    statement = (
        select(*_rows())  # type: ignore[call-overload]
        .outerjoin(Region, User.region_id == Region.id)
        .outerjoin(Enterprise, User.enterprise_id == Enterprise.id)
    )
    if query.strip():
        text = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{text}%"
        statement = statement.where(
            or_(
                User.username.like(pattern.lower(), escape="\\"),
                User.display_name.like(pattern, escape="\\"),
            )
        )
    if role:
        statement = statement.where(User.role == rules.check_role(role))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.execute(
        statement.order_by(User.username).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return UserPage([UserRow(*row) for row in rows], total, page, per_page)


def disable_user(*, session: Session, user: User, now: datetime, actor: str = CLI_ACTOR) -> User:
    """Disable ``user``: its sessions and tokens stop working at once."""
    was = user.is_active
    user.is_active = False
    revoke_credentials(session=session, user_id=user.id, now=now, tokens=True)
    session.flush()
    _audit(
        session,
        now,
        actor,
        "user.disable",
        user,
        before={"is_active": was},
        after={"is_active": False},
    )
    return user


def enable_user(*, session: Session, user: User, now: datetime, actor: str = CLI_ACTOR) -> User:
    """Let a disabled user log in again (its old sessions and tokens stay revoked)."""
    was = user.is_active
    user.is_active = True
    session.flush()
    _audit(
        session,
        now,
        actor,
        "user.enable",
        user,
        before={"is_active": was},
        after={"is_active": True},
    )
    return user


def set_password(
    *,
    session: Session,
    user: User,
    password: str | passwords.NewPassword,
    now: datetime,
    actor: str = CLI_ACTOR,
) -> User:
    """Change ``user``'s password; every session of the user ends at once. A ``NewPassword``
    was checked and hashed before the transaction (``passwords.prepare``)."""
    if not isinstance(password, passwords.NewPassword):
        password = passwords.prepare(password, username=user.username, details=details_of(user))
    user.password_hash = password.password_hash
    revoke_credentials(session=session, user_id=user.id, now=now, tokens=False)
    session.flush()
    _audit(session, now, actor, "user.password", user)
    return user


def details_of(user: User) -> tuple[str | None, ...]:
    """What a user's new password must not be made of, besides the username."""
    return (user.display_name, user.email)


def revoke_credentials(*, session: Session, user_id: int, now: datetime, tokens: bool) -> None:
    """End every open session of the user (and with ``tokens``, revoke its tokens)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if tokens:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def authenticate(
    *, session: Session, username: str, password: str, ip: str, now: datetime, via: Via = "cli"
) -> User:
    """The active user with this username and password, checked and recorded in ``session``
    (``login.log_in`` does the same without holding a write lock while it hashes).

    Raises ``TooManyAttempts`` (before looking at the password) when the rate limit refuses,
    and ``LoginFailed`` - one message - for an unknown username, a wrong password or a
    disabled account; every verdict but the rate limit's is recorded, a success in the audit
    log too. A hash made with older argon2 parameters is replaced by a fresh one.
    """
    candidate = login.look_up(session=session, username=username, ip=ip, now=now)
    checked = login.check(candidate, password)
    return login.record(session=session, candidate=candidate, checked=checked, now=now, via=via)


def principal_of(
    *,
    session: Session,
    user: User,
    token: ApiToken | None = None,
    session_id: str | None = None,
) -> Principal:
    """The principal of ``user`` (logged in, or through its personal ``token``)."""
    region_ids = (
        subtree_ids(session=session, region_id=user.region_id)
        if user.region_id is not None
        else frozenset()
    )
    return Principal(
        kind="token" if token is not None else "user",
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        region_id=user.region_id,
        region_ids=region_ids,
        enterprise_id=user.enterprise_id,
        scopes=frozenset(token.scopes) if token is not None else frozenset(),
        token_id=token.id if token is not None else None,
        session_id=session_id,
    )

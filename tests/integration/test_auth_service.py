"""Accounts on both databases: users, login and its rate limit, sessions, tokens, scopes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoradar.auth import passwords, ratelimit, sessions, tokens
from ecoradar.auth import service as accounts
from ecoradar.auth.errors import LOGIN_FAILED, LoginFailed, TooManyAttempts
from ecoradar.auth.models import LoginAttempt, User
from ecoradar.auth.principal import Principal
from ecoradar.auth.scope import apply_scope
from ecoradar.bootstrap import Container
from ecoradar.core.clock import FakeClock
from ecoradar.core.errors import AuthenticationRequired, ConflictError, InputError, NotFoundError
from ecoradar.detection import service as alerts
from ecoradar.detection.service import AlertFilter
from ecoradar.monitoring import service as monitoring
from ecoradar.regions.models import Region
from ecoradar.regions.service import subtree_ids
from ecoradar.registry import service as registry
from ecoradar.registry.models import Enterprise
from tests.conftest import USER_PASSWORD
from tests.factories import GAS_MN, OPEN_MN, WATER_MN, load_small_registry, uscc
from tests.integration.auth_support import add_alerts

IP = "10.0.0.1"


@pytest.fixture
def city(container: Container, tmp_path: Path) -> Container:
    """The small city: enterprise 1 in grid G1, 2 in grid G2 (both in county A), 3 in county B."""
    load_small_registry(container, tmp_path)
    return container


def make(
    session: Session, clock: FakeClock, username: str = "alice", role: str = "admin", **kw: str
) -> User:
    return accounts.create_user(
        session=session,
        username=username,
        role=role,
        password=kw.pop("password", USER_PASSWORD),
        now=clock.now(),
        **kw,
    )


def log_in(session: Session, clock: FakeClock, username: str, password: str, ip: str = IP) -> User:
    return accounts.authenticate(
        session=session, username=username, password=password, ip=ip, now=clock.now()
    )


# --- users --------------------------------------------------------------------------------


def test_a_user_is_created_with_a_lower_case_name_and_a_hashed_password(
    city: Container, session: Session, clock: FakeClock
) -> None:
    user = make(session, clock, "Alice", "officer", region="A", display_name="王丽")
    assert user.username == "alice" and user.is_active and user.display_name == "王丽"
    assert user.password_hash.startswith("$argon2id$") and USER_PASSWORD not in user.password_hash
    row = accounts.user_row(session=session, user=user)
    assert (row.region_code, row.region_level) == ("A", "county")


@pytest.mark.parametrize(
    ("role", "fields", "message"),
    [
        ("officer", {}, "region: required"),
        ("officer", {"region": "Z9"}, "region 'Z9': no region"),
        ("grid_worker", {"region": "A1"}, "level grid, this one is a township"),
        ("enterprise", {"enterprise": "91330502MA0000000X"}, "enterprise '91330502MA0000000X'"),
        ("enterprise", {}, "enterprise: required"),
        ("public", {"region": "A"}, "region: only"),
        ("chief", {}, "role 'chief'"),
        ("admin", {"password": "short"}, "password: at least 10"),
        ("admin", {"password": "alice-smith"}, "password: must not be the username"),
    ],
)
def test_a_user_with_a_wrong_field_is_refused_naming_it_and_nothing_is_written(
    city: Container,
    session: Session,
    clock: FakeClock,
    role: str,
    fields: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(InputError, match=message):
        make(session, clock, "alice-smith", role, **fields)
    assert session.scalar(select(func.count(User.id))) == 0


def test_a_username_is_taken_once(city: Container, session: Session, clock: FakeClock) -> None:
    make(session, clock, "alice")
    with pytest.raises(ConflictError, match="already taken"):
        make(session, clock, "ALICE")


def test_the_database_refuses_a_role_without_its_scope(
    city: Container, session: Session, clock: FakeClock
) -> None:
    user = make(session, clock, "alice", "admin")
    user.role = "officer"  # an officer without a region
    with pytest.raises(IntegrityError):
        session.flush()


def test_users_are_listed_by_username_with_their_scope_and_can_be_filtered(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "zed", "grid_worker", region="G1")
    make(session, clock, "amy", "enterprise", enterprise=uscc(1))
    make(session, clock, "bob", "admin", display_name="Bob 王")
    page = accounts.list_users(session=session)
    assert [r.user.username for r in page.items] == ["amy", "bob", "zed"]
    assert page.items[0].enterprise_code == uscc(1) and page.items[2].region_code == "G1"
    assert [r.user.username for r in accounts.list_users(session=session, query="王").items] == [
        "bob"
    ]
    only = accounts.list_users(session=session, role="grid_worker")
    assert only.total == 1 and only.items[0].user.username == "zed"


# --- logging in ---------------------------------------------------------------------------


def test_the_right_password_logs_in_and_records_the_time(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    clock.advance(timedelta(hours=1))
    user = log_in(session, clock, " Alice ", USER_PASSWORD)
    assert user.username == "alice" and user.last_login_at == clock.now()
    attempt = session.scalar(select(LoginAttempt))
    assert attempt is not None and attempt.succeeded and attempt.ip == IP


def test_wrong_password_unknown_user_and_disabled_user_get_one_and_the_same_error(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    disabled = make(session, clock, "bob")
    accounts.disable_user(session=session, user=disabled, now=clock.now())
    messages = set()
    for username, password in (
        ("alice", "wrong-password-1"),
        ("nobody", USER_PASSWORD),
        ("bob", USER_PASSWORD),
    ):
        with pytest.raises(LoginFailed) as caught:
            log_in(session, clock, username, password)
        messages.add(str(caught.value))
    assert messages == {LOGIN_FAILED}
    assert session.scalar(select(func.count()).where(LoginAttempt.succeeded.is_(False))) == 3


def test_an_unknown_user_costs_a_password_verification_too(
    city: Container, session: Session, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    monkeypatch.setattr(passwords, "dummy_verify", lambda password: checked.append(password))
    with pytest.raises(LoginFailed):
        log_in(session, clock, "nobody", "some-password")
    assert checked == ["some-password"]


def test_a_hash_made_with_older_parameters_is_replaced_at_login(
    city: Container, session: Session, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make(session, clock, "alice")
    old = user.password_hash
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=2, memory_cost=256))
    log_in(session, clock, "alice", USER_PASSWORD)
    assert user.password_hash != old and "m=256,t=2" in user.password_hash
    assert passwords.verify_password(user.password_hash, USER_PASSWORD)
    again = user.password_hash
    log_in(session, clock, "alice", USER_PASSWORD)
    assert user.password_hash == again, "no rehash when the parameters are current"


def fail(
    session: Session, clock: FakeClock, times: int, username: str = "alice", ip: str = IP
) -> None:
    """``times`` wrong passwords for ``username`` from ``ip``, each as soon as the rate limit
    lets it through (the clock moves on by the wait it asks for)."""
    for _ in range(times):
        try:
            log_in(session, clock, username, "wrong-password", ip=ip)
        except TooManyAttempts as refused:
            clock.advance(timedelta(seconds=refused.retry_after))
            with pytest.raises(LoginFailed):
                log_in(session, clock, username, "wrong-password", ip=ip)
        except LoginFailed:
            pass


def test_failures_at_one_account_from_one_address_make_it_wait_longer_each_time(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    fail(session, clock, ratelimit.PAIR_FREE)
    waits = []
    for _ in range(4):
        with pytest.raises(TooManyAttempts) as caught:
            log_in(session, clock, "alice", USER_PASSWORD)  # even the right password waits
        waits.append(caught.value.retry_after)
        clock.advance(timedelta(seconds=caught.value.retry_after))
        with pytest.raises(LoginFailed):
            log_in(session, clock, "alice", "wrong-password")
    assert waits == [1, 2, 4, 8]
    clock.advance(timedelta(seconds=16))
    assert log_in(session, clock, "alice", USER_PASSWORD).username == "alice"


def test_an_attackers_failures_from_one_address_never_stop_the_owner_at_another(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    fail(session, clock, 40, ip="203.0.113.9")
    with pytest.raises(TooManyAttempts) as caught:
        log_in(session, clock, "alice", USER_PASSWORD, ip="203.0.113.9")
    assert caught.value.retry_after == ratelimit.LONGEST_DELAY.total_seconds()
    assert log_in(session, clock, "alice", USER_PASSWORD, ip="10.0.0.2").username == "alice"


def test_an_account_attacked_from_many_addresses_slows_each_of_them_but_not_a_clean_one(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    for i in range(ratelimit.ACCOUNT_FREE + 2):
        fail(session, clock, 1, ip=f"198.51.100.{i}")
    with pytest.raises(TooManyAttempts) as caught:  # one failure from here, yet it must wait
        log_in(session, clock, "alice", "wrong-password", ip="198.51.100.0")
    assert caught.value.retry_after == ratelimit.account_delay(ratelimit.ACCOUNT_FREE + 2).seconds
    with pytest.raises(LoginFailed):  # an address that has not failed yet is not held back
        log_in(session, clock, "alice", "wrong-password", ip="198.51.100.200")
    assert log_in(session, clock, "alice", USER_PASSWORD, ip="10.0.0.2").username == "alice"


def test_a_success_clears_the_failures_of_its_address(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    fail(session, clock, ratelimit.PAIR_FREE + 2)
    clock.advance(ratelimit.LONGEST_DELAY)
    log_in(session, clock, "alice", USER_PASSWORD)
    fail(session, clock, ratelimit.PAIR_FREE)
    with pytest.raises(TooManyAttempts) as caught:
        log_in(session, clock, "alice", USER_PASSWORD)
    assert caught.value.retry_after == 1, "counted afresh since the success"


def test_twenty_failures_from_one_address_refuse_every_username_from_it(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice")
    for i in range(ratelimit.ADDRESS_LIMIT):
        with pytest.raises(LoginFailed):
            log_in(session, clock, f"guess{i}", "wrong-password")
    with pytest.raises(TooManyAttempts) as caught:
        log_in(session, clock, "alice", USER_PASSWORD)
    assert caught.value.retry_after == 15 * 60
    assert log_in(session, clock, "alice", USER_PASSWORD, ip="10.0.0.2").username == "alice"
    clock.advance(ratelimit.ADDRESS_WINDOW)
    assert log_in(session, clock, "alice", USER_PASSWORD).username == "alice"


# --- browser sessions ---------------------------------------------------------------------


def test_a_session_ends_after_eight_idle_hours(
    city: Container, session: Session, clock: FakeClock
) -> None:
    user = make(session, clock, "alice", "officer", region="A")
    started = sessions.start_session(session=session, user=user, now=clock.now())
    clock.advance(timedelta(hours=7, minutes=59))
    live = sessions.session_principal(session=session, secret=started.secret, now=clock.now())
    assert live is not None and live.csrf_token == started.csrf_token
    assert live.principal.username == "alice" and live.principal.role == "officer"
    clock.advance(timedelta(hours=7, minutes=59))  # used a minute short of 8 h ago: still live
    assert sessions.session_principal(session=session, secret=started.secret, now=clock.now())
    clock.advance(sessions.IDLE)
    assert (
        sessions.session_principal(session=session, secret=started.secret, now=clock.now()) is None
    )


def test_a_session_ends_after_seven_days_however_busy(
    city: Container, session: Session, clock: FakeClock
) -> None:
    user = make(session, clock, "alice")
    started = sessions.start_session(session=session, user=user, now=clock.now())
    for _ in range(7 * 24 - 1):
        clock.advance(timedelta(hours=1))
        assert sessions.session_principal(session=session, secret=started.secret, now=clock.now())
    clock.advance(timedelta(hours=1))
    assert (
        sessions.session_principal(session=session, secret=started.secret, now=clock.now()) is None
    )


def test_logout_disabling_and_a_new_password_end_sessions_at_once(
    city: Container, session: Session, clock: FakeClock
) -> None:
    alice = make(session, clock, "alice")
    first = sessions.start_session(session=session, user=alice, now=clock.now())
    second = sessions.start_session(session=session, user=alice, now=clock.now())
    assert sessions.end_session(session=session, secret=first.secret, now=clock.now())
    assert sessions.session_principal(session=session, secret=first.secret, now=clock.now()) is None
    assert sessions.session_principal(session=session, secret=second.secret, now=clock.now())

    accounts.set_password(session=session, user=alice, password="a-new-password", now=clock.now())
    assert (
        sessions.session_principal(session=session, secret=second.secret, now=clock.now()) is None
    )

    bob = make(session, clock, "bob")
    third = sessions.start_session(session=session, user=bob, now=clock.now())
    issued = tokens.issue_personal_token(session=session, user=bob, now=clock.now())
    accounts.disable_user(session=session, user=bob, now=clock.now())
    assert sessions.session_principal(session=session, secret=third.secret, now=clock.now()) is None
    with pytest.raises(AuthenticationRequired):
        tokens.token_principal(session=session, secret=issued.secret, now=clock.now())


def test_a_session_is_stored_by_the_hash_of_its_secret(
    city: Container, session: Session, clock: FakeClock
) -> None:
    user = make(session, clock, "alice")
    started = sessions.start_session(session=session, user=user, now=clock.now())
    row = session.get(sessions.AuthSession, started.secret)
    assert row is None, "the secret itself is never a key"
    assert sessions.session_principal(session=session, secret="forged", now=clock.now()) is None


# --- tokens -------------------------------------------------------------------------------


def test_a_personal_token_acts_as_its_user_within_its_scope(
    city: Container, session: Session, clock: FakeClock
) -> None:
    make(session, clock, "alice", "officer", region="A")
    issued = tokens.create_token(
        session=session, name="phone", scopes=["api"], username="alice", now=clock.now()
    )
    assert issued.token.token_hash != issued.secret and issued.token.prefix == issued.secret[:8]
    principal = tokens.token_principal(session=session, secret=issued.secret, now=clock.now())
    assert (principal.kind, principal.role, principal.username) == ("token", "officer", "alice")
    region_ids = subtree_ids(session=session, region_id=principal.region_id or 0)
    assert principal.region_ids == region_ids and len(region_ids) == 5  # A, A1, A2, G1, G2
    assert principal.actor.startswith("user:")


def test_an_integration_token_has_its_scopes_and_region_but_no_role(
    city: Container, session: Session, clock: FakeClock
) -> None:
    issued = tokens.create_token(
        session=session, name="drone-east", scopes=["drones"], region="B", now=clock.now()
    )
    principal = tokens.token_principal(session=session, secret=issued.secret, now=clock.now())
    assert principal.role is None and principal.has_scope("drones")
    assert principal.actor == f"token:{issued.token.id}:drone-east"
    ids = dict(session.execute(select(Region.code, Region.id)).all())
    assert principal.region_ids == {ids["B"]} and principal.covers_region(ids["B"])
    assert not principal.covers_region(ids["A"]) and not principal.covers_region(ids["G1"])


@pytest.mark.parametrize("case", ["revoked", "expired", "wrong", "disabled user"])
def test_a_revoked_expired_wrong_or_orphaned_token_is_refused(
    city: Container, session: Session, clock: FakeClock, case: str
) -> None:
    user = make(session, clock, "alice")
    issued = tokens.create_token(
        session=session,
        name="phone",
        scopes=["api"],
        username="alice",
        now=clock.now(),
        expires_days=1,
    )
    secret = issued.secret
    if case == "revoked":
        tokens.revoke_token(session=session, token=issued.token, now=clock.now())
    elif case == "expired":
        clock.advance(timedelta(days=1))
    elif case == "wrong":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    else:
        accounts.disable_user(session=session, user=user, now=clock.now())
    with pytest.raises(AuthenticationRequired, match="invalid, expired or revoked"):
        tokens.token_principal(session=session, secret=secret, now=clock.now())


def test_token_mistakes_are_refused_naming_the_field(
    city: Container, session: Session, clock: FakeClock
) -> None:
    now = clock.now()
    tokens.create_token(session=session, name="taken", scopes=["devices"], now=now)
    for kwargs, message in (
        ({"name": "taken", "scopes": ["devices"]}, "name 'taken': a token of this name exists"),
        ({"name": "t1", "scopes": ["devices"], "region": "Z"}, "region 'Z'"),
        ({"name": "t2", "scopes": ["api"], "username": "ghost"}, "user 'ghost'"),
        ({"name": "t3", "scopes": ["devices"], "expires_days": 0}, "expires_days"),
        ({"name": "t4", "scopes": ["nukes"]}, "scope nukes"),
    ):
        with pytest.raises((InputError, ConflictError), match=message):
            tokens.create_token(session=session, now=now, **kwargs)  # type: ignore[arg-type]
    assert [row.token.name for row in tokens.list_tokens(session=session)] == ["taken"]
    with pytest.raises(NotFoundError):
        tokens.token_by_ref(session=session, ref="nothing")


# --- what a principal sees ----------------------------------------------------------------


def principal_of(session: Session, clock: FakeClock, role: str, **kw: str) -> Principal:
    user = make(session, clock, f"u-{role}-{len(kw)}", role, **kw)
    return accounts.principal_of(session=session, user=user)


def codes(session: Session) -> list[str]:
    return [e.code for e in registry.search_enterprises(session=session).items]


def test_a_scoped_session_lists_and_finds_only_what_the_principal_may_see(
    city: Container, clock: FakeClock
) -> None:
    alert_ids = add_alerts(city)
    with city.transaction() as setup:
        county_a = principal_of(setup, clock, "officer", region="A")
        grid_g2 = principal_of(setup, clock, "grid_worker", region="G2")
        company = principal_of(setup, clock, "enterprise", enterprise=uscc(3))
        admin = principal_of(setup, clock, "admin")
    expected = {
        "admin": (admin, [uscc(1), uscc(2), uscc(3)]),
        "county A": (county_a, [uscc(1), uscc(2)]),
        "grid G2": (grid_g2, [uscc(2)]),
        "enterprise 3": (company, [uscc(3)]),
    }
    mn_of = {uscc(1): GAS_MN, uscc(2): WATER_MN, uscc(3): OPEN_MN}
    for name, (principal, visible) in expected.items():
        with city.transaction() as session:
            apply_scope(session, principal)
            assert sorted(codes(session)) == visible, name
            assert session.scalar(select(func.count(Enterprise.id))) == len(visible), name
            devices = monitoring.device_activity(session=session, now=clock.now())
            assert sorted(d.enterprise_code for d in devices.items) == visible, name
            assert devices.total == len(visible)
            found = alerts.search_alerts(session=session, filters=AlertFilter())
            assert sorted(row.enterprise_code for row in found.items) == visible, name
            assert found.total == len(visible)
            counts = alerts.count_alerts(session=session, filters=AlertFilter())
            assert counts.overall.open == len(visible), name
            for code, mn in mn_of.items():
                if code in visible:
                    assert monitoring.point_by_mn(session=session, mn=mn).mn == mn
                    assert registry.enterprise_by_code(session=session, code=code).code == code
                    assert alerts.alert_by_id(session=session, alert_id=alert_ids[mn]).mn == mn
                else:
                    with pytest.raises(NotFoundError):
                        monitoring.point_by_mn(session=session, mn=mn)
                    with pytest.raises(NotFoundError):
                        registry.enterprise_by_code(session=session, code=code)
                    with pytest.raises(NotFoundError):
                        alerts.alert_by_id(session=session, alert_id=alert_ids[mn])

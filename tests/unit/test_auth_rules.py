"""The pure parts of accounts: the principal, the rate limit, secrets and CSRF, the account rules,
password hashing and where a login may send the browser back to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from ecoradar.auth import credentials, passwords, ratelimit, rules
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.web.pages import local_path

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def officer(*region_ids: int) -> Principal:
    return Principal(
        kind="user",
        user_id=7,
        username="alice",
        role="officer",
        region_id=region_ids[0],
        region_ids=frozenset(region_ids),
    )


# --- the principal ------------------------------------------------------------------------


def test_an_administrator_covers_every_region_even_with_no_region_ids() -> None:
    admin = Principal(kind="user", user_id=1, username="root", role="admin")
    assert admin.covers_region(5) and admin.covers_region(None)
    assert admin.is_staff and admin.is_admin


def test_an_officer_covers_only_the_regions_of_their_subtree() -> None:
    alice = officer(3, 4, 9)
    assert alice.covers_region(3) and alice.covers_region(9)
    assert not alice.covers_region(5)
    assert not alice.covers_region(None), "something outside every region is outside the scope"
    assert alice.is_staff and not alice.is_admin


@pytest.mark.parametrize(
    ("role", "staff"),
    [("admin", True), ("officer", True), ("grid_worker", True), ("enterprise", False),
     ("public", False), (None, False)],
)  # fmt: skip
def test_staff_are_administrators_officers_and_grid_workers(role: str | None, staff: bool) -> None:
    assert Principal(kind="user", user_id=1, username="u", role=role).is_staff is staff


def test_an_enterprise_user_or_a_member_of_the_public_covers_no_region() -> None:
    company = Principal(kind="user", user_id=2, username="c", role="enterprise", enterprise_id=4)
    public = Principal(kind="user", user_id=3, username="p", role="public")
    assert not company.covers_region(1) and not public.covers_region(1)


def test_a_token_has_its_scopes_and_a_logged_in_user_none() -> None:
    drone = Principal(
        kind="token", user_id=None, username="drone-east", role=None,
        scopes=frozenset({"drones"}), token_id=3,
    )  # fmt: skip
    assert drone.has_scope("drones") and not drone.has_scope("devices")
    assert not officer(1).has_scope("drones") and not officer(1).has_scope("api")


def test_an_integration_token_without_a_region_reaches_everywhere_and_with_one_only_there() -> None:
    anywhere = Principal(kind="token", user_id=None, username="dept", role=None, token_id=1)
    there = Principal(
        kind="token", user_id=None, username="drone", role=None, token_id=2,
        region_id=4, region_ids=frozenset({4, 8}),
    )  # fmt: skip
    assert anywhere.covers_region(99) and anywhere.is_integration
    assert there.covers_region(8) and not there.covers_region(99)


def test_the_actor_names_the_user_or_the_integration_token() -> None:
    assert officer(1).actor == "user:7:alice"
    personal = Principal(kind="token", user_id=7, username="alice", role="officer", token_id=9)
    assert personal.actor == "user:7:alice", "a personal token acts as its user"
    drone = Principal(kind="token", user_id=None, username="drone-east", role=None, token_id=3)
    assert drone.actor == "token:3:drone-east"


# --- the rate limit -----------------------------------------------------------------------


def test_five_failures_for_a_username_refuse_the_next_attempt_until_the_first_leaves_the_window(
) -> None:  # fmt: skip
    failures = [NOW - timedelta(minutes=m) for m in (14, 10, 6, 3, 1)]
    verdict = ratelimit.judge(by_username=failures, by_ip=failures, now=NOW)
    assert not verdict.allowed and verdict.reason == "username"
    assert verdict.retry_after == 60, "the oldest failure leaves the window in a minute"
    assert ratelimit.judge(by_username=failures[1:], by_ip=failures, now=NOW).allowed


def test_twenty_failures_from_one_address_refuse_the_next_attempt() -> None:
    failures = [NOW - timedelta(seconds=30 * i) for i in range(20)]
    verdict = ratelimit.judge(by_username=[], by_ip=failures, now=NOW)
    assert not verdict.allowed and verdict.reason == "ip"
    assert verdict.retry_after == (ratelimit.WINDOW - timedelta(seconds=30 * 19)).seconds
    assert ratelimit.judge(by_username=[], by_ip=failures[:19], now=NOW).allowed


def test_the_wait_is_at_least_a_second() -> None:
    failures = [NOW - ratelimit.WINDOW + timedelta(milliseconds=1)] * 5
    assert ratelimit.retry_after(failures, 5, NOW) == 1


# --- secrets and CSRF ---------------------------------------------------------------------


def test_secrets_are_random_and_stored_as_their_sha256() -> None:
    one, two = credentials.new_secret(), credentials.new_secret()
    assert one != two and len(one) >= 43
    assert credentials.digest(one) == credentials.digest(one) != credentials.digest(two)
    assert len(credentials.digest(one)) == 64 and one not in credentials.digest(one)
    assert credentials.prefix_of(one) == one[:8]


@pytest.mark.parametrize(("given", "ok"), [("tok-A", True), ("tok-B", False), ("", False),
                                           (None, False), ("tok-A ", False)])  # fmt: skip
def test_the_csrf_token_must_be_exactly_the_sessions(given: str | None, ok: bool) -> None:
    assert credentials.csrf_matches("tok-A", given) is ok


def test_only_changes_need_the_csrf_token() -> None:
    assert credentials.UNSAFE_METHODS == {"POST", "PUT", "PATCH", "DELETE"}


# --- account rules ------------------------------------------------------------------------


def test_a_username_is_lower_cased_and_checked() -> None:
    assert rules.normal_username("  Alice.Wang ") == "alice.wang"
    for bad in ("ab", "x" * 65, "-alice", "ali ce", "王伟"):
        with pytest.raises(InputError, match="username"):
            rules.normal_username(bad)


def test_each_role_needs_its_scope_and_nothing_else() -> None:
    rules.check_scope_fields("officer", region="A", enterprise=None)
    rules.check_scope_fields("enterprise", region=None, enterprise="X")
    rules.check_scope_fields("admin", region=None, enterprise=None)
    with pytest.raises(InputError, match="region: required"):
        rules.check_scope_fields("grid_worker", region=None, enterprise=None)
    with pytest.raises(InputError, match="enterprise: required"):
        rules.check_scope_fields("enterprise", region=None, enterprise=None)
    with pytest.raises(InputError, match="region: only"):
        rules.check_scope_fields("public", region="A", enterprise=None)
    with pytest.raises(InputError, match="enterprise: only"):
        rules.check_scope_fields("officer", region="A", enterprise="X")
    with pytest.raises(InputError, match="role 'boss'"):
        rules.check_role("boss")


def test_token_scopes_are_known_ordered_and_api_needs_a_user() -> None:
    assert rules.check_scopes(["drones", "Devices"], has_user=False, has_region=True) == [
        "devices",
        "drones",
    ]
    with pytest.raises(InputError, match="scope rockets: unknown"):
        rules.check_scopes(["rockets"], has_user=False, has_region=False)
    with pytest.raises(InputError, match="at least one"):
        rules.check_scopes([], has_user=False, has_region=False)
    with pytest.raises(InputError, match="scope api"):
        rules.check_scopes(["api"], has_user=False, has_region=False)
    with pytest.raises(InputError, match="region"):
        rules.check_scopes(["api"], has_user=True, has_region=True)


def test_a_token_name_is_not_only_digits() -> None:
    assert rules.check_token_name(" drone-east ") == "drone-east"
    for bad in ("42", "", "a b", "x" * 65):
        with pytest.raises(InputError, match="name"):
            rules.check_token_name(bad)


# --- passwords ----------------------------------------------------------------------------


def test_a_password_is_stored_as_argon2id_and_verified() -> None:
    stored = passwords.hash_password("correct-horse-battery")
    assert stored.startswith("$argon2id$") and "correct-horse" not in stored
    assert passwords.verify_password(stored, "correct-horse-battery")
    assert not passwords.verify_password(stored, "correct-horse-batterY")
    assert not passwords.verify_password("not a hash", "correct-horse-battery")
    assert not passwords.verify_password(stored, "x" * 2000), "huge input is refused unhashed"


def test_a_hash_made_with_other_parameters_needs_rehashing(monkeypatch: pytest.MonkeyPatch) -> None:
    old = passwords.hash_password("correct-horse-battery")
    assert not passwords.needs_rehash(old)
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=2, memory_cost=128))
    assert passwords.needs_rehash(old)
    assert passwords.verify_password(old, "correct-horse-battery"), "old hashes still verify"
    assert not passwords.needs_rehash(passwords.hash_password("correct-horse-battery"))


def test_a_new_password_has_ten_characters_and_is_not_the_username() -> None:
    passwords.check_new_password("ten-chars!", username="alice")
    with pytest.raises(InputError, match="at least 10"):
        passwords.check_new_password("short", username="alice")
    with pytest.raises(InputError, match="username"):
        passwords.check_new_password("AliceWang99", username="alicewang99")


# --- where a login may send the browser back to -------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "http:/evil.example", "evil.example",
     "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "", "javascript:alert(1)"],
)  # fmt: skip
def test_next_never_leaves_the_site(target: str) -> None:
    assert local_path(target) == "/"


def test_next_keeps_a_local_path_with_its_query() -> None:
    assert local_path("/alerts?kind=offline&page=2") == "/alerts?kind=offline&page=2"

"""The pure parts of accounts: the principal, the rate limit, secrets and CSRF, the account rules,
password hashing and where a login may send the browser back to."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from ecoradar.auth import credentials, passwords, ratelimit, rules
from ecoradar.auth.principal import Principal
from ecoradar.core.errors import InputError
from ecoradar.web.i18n import translations
from ecoradar.web.pages import local_path

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


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


def pair(failures: int, last: timedelta, account: int | None = None) -> ratelimit.Failures:
    """``failures`` at this username from this address, the newest ``last`` ago."""
    return ratelimit.Failures(
        pair=failures, pair_last=NOW - last, account=failures if account is None else account
    )


def test_the_first_failures_at_an_account_from_an_address_cost_nothing() -> None:
    assert ratelimit.judge(ratelimit.Failures(), NOW).allowed
    assert ratelimit.judge(pair(ratelimit.PAIR_FREE - 1, timedelta(0)), NOW).allowed


def test_each_further_failure_from_the_address_doubles_the_wait_up_to_fifteen_minutes() -> None:
    waits = [
        ratelimit.judge(pair(n, timedelta(0)), NOW).retry_after
        for n in range(ratelimit.PAIR_FREE, ratelimit.PAIR_FREE + 12)
    ]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    verdict = ratelimit.judge(pair(ratelimit.PAIR_FREE + 3, timedelta(seconds=5)), NOW)
    assert (verdict.allowed, verdict.retry_after, verdict.reason) == (False, 3, "pair")
    assert ratelimit.judge(pair(ratelimit.PAIR_FREE + 3, timedelta(seconds=8)), NOW).allowed
    assert ratelimit.pair_delay(10**9) == ratelimit.LONGEST_DELAY, "no huge numbers"


def test_an_account_failing_from_many_addresses_slows_each_address_that_failed_for_it() -> None:
    attacked = ratelimit.ACCOUNT_FREE + 1
    verdict = ratelimit.judge(pair(1, timedelta(seconds=10), account=attacked), NOW)
    assert (verdict.allowed, verdict.reason) == (False, "account")
    assert verdict.retry_after == 60 - 10, "30 s doubled once, counted from its own failure"
    assert ratelimit.judge(pair(1, timedelta(minutes=1), account=attacked), NOW).allowed
    assert ratelimit.judge(pair(1, timedelta(0), account=ratelimit.ACCOUNT_FREE - 1), NOW).allowed


def test_an_address_that_never_failed_for_the_account_is_never_held_back_by_it() -> None:
    under_attack = ratelimit.Failures(pair=0, pair_last=None, account=10**6)
    assert ratelimit.judge(under_attack, NOW).allowed


def test_twenty_failures_from_one_address_refuse_its_next_attempt_whatever_the_username() -> None:
    times = [NOW - timedelta(seconds=30 * i) for i in range(ratelimit.ADDRESS_LIMIT)]
    verdict = ratelimit.judge(ratelimit.Failures(address=times), NOW)
    assert (verdict.allowed, verdict.reason) == (False, "address")
    assert verdict.retry_after == (ratelimit.ADDRESS_WINDOW - timedelta(seconds=30 * 19)).seconds
    assert ratelimit.judge(ratelimit.Failures(address=times[:19]), NOW).allowed
    old = [NOW - ratelimit.ADDRESS_WINDOW] * ratelimit.ADDRESS_LIMIT
    assert ratelimit.judge(ratelimit.Failures(address=old), NOW).allowed, "out of the window"


def test_the_wait_is_at_least_a_second_and_the_longest_limit_answers() -> None:
    times = [NOW - ratelimit.ADDRESS_WINDOW + timedelta(milliseconds=1)] * 20
    assert ratelimit.address_wait(times, NOW) == 1
    both = ratelimit.Failures(
        pair=ratelimit.PAIR_FREE, pair_last=NOW, account=3, address=[NOW] * 20
    )
    verdict = ratelimit.judge(both, NOW)
    assert (verdict.retry_after, verdict.reason) == (15 * 60, "address")


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


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "repeats characters"),
        ("abcabcabcabc", "repeats characters"),
        ("password123", "most common passwords"),
        ("qwertyuiop", "most common passwords"),
        ("zxcvbnm,./", "row or pattern of keys"),
        ("abcdefghijkl", "sequence such as abc"),
        ("1234567890", "most common passwords"),
        ("19871010", "at least 10"),
        ("alicewang1987", "username or the name"),
        ("Wang-Alice-99", "username or the name"),
    ],
)
def test_a_common_or_trivial_password_is_refused_saying_why(password: str, why: str) -> None:
    with pytest.raises(passwords.WeakPassword, match=why):
        passwords.check_new_password(
            password, username="alice", details=("Alice Wang", "alice.wang@example.cn")
        )


def test_the_test_password_and_passphrases_are_accepted() -> None:
    for password in ("correct-horse-battery", "ten-chars!", "river lantern oxide"):
        passwords.check_new_password(password, username="alice", details=("王丽", None))


def test_the_random_passwords_of_the_demo_accounts_are_accepted() -> None:
    for _ in range(300):
        secret = secrets.token_urlsafe(12)  # as ``simulate.load.ensure_demo_accounts`` makes them
        passwords.check_new_password(secret, username="admin", details=("admin", None))


def test_a_very_long_password_is_judged_quickly_by_its_beginning() -> None:
    passwords.check_new_password("river lantern oxide " * 50, username="alice")
    with pytest.raises(passwords.WeakPassword, match="repeats"):
        passwords.check_new_password("a" * 1000, username="alice")


def test_the_refusal_reads_in_each_language() -> None:
    refusal = passwords.WeakPassword("guessable", why="repeat")
    assert refusal.message(translations("en").gettext) == str(refusal)
    assert refusal.message(translations("zh_CN").gettext) == (
        "密码：太容易被猜中（其中重复了字符或词语）；请改用由几个不常见的词组成的较长口令"
    )
    for kind, values in (("short", {"minimum": 10, "length": 3}), ("long", {"maximum": 9})):
        chinese = passwords.WeakPassword(kind, **values).message(translations("zh_CN").gettext)
        assert chinese.startswith("密码：")
    for why in passwords.WHY:
        chinese = passwords.WeakPassword("guessable", why=why).message(
            translations("zh_CN").gettext
        )
        assert not re.search(r"[a-z]{4,}", chinese.replace("abc", "")), chinese


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

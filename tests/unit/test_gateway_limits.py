"""The gateway's limit rules as pure code: token buckets, the archive budget, address keys."""

from __future__ import annotations

from collections import Counter

import pytest

from ecoradar.hj212.gateway_limits import (
    AddressPolicy,
    ArchiveLimiter,
    Buckets,
    GatewayLimits,
    PeerGuard,
    Rate,
    rarely,
)


def test_a_bucket_gives_its_burst_then_refills_at_its_rate() -> None:
    buckets = Buckets(Rate(burst=2, per_second=0.5))
    granted = []
    for _ in range(3):
        ok = buckets.has("a", 100.0)
        if ok:
            buckets.take("a")
        granted.append(ok)
    assert granted == [True, True, False]
    assert not buckets.has("a", 101.0)  # half a token
    assert buckets.has("a", 102.0)  # one token after two seconds
    assert buckets.has("b", 100.0)  # another key has its own burst


def test_a_clock_set_back_refills_nothing() -> None:
    buckets = Buckets(Rate(burst=1, per_second=1))
    assert buckets.has("a", 100.0)
    buckets.take("a")
    assert not buckets.has("a", 50.0)
    assert not buckets.has("a", 50.5)  # measured from the time it was last seen


def test_buckets_keep_at_most_max_keys_forgetting_the_least_recently_seen() -> None:
    buckets = Buckets(Rate(burst=1, per_second=0), max_keys=2)
    for key in ("a", "b"):
        buckets.has(key, 0.0)
        buckets.take(key)
    buckets.has("a", 0.0)  # "a" seen again: "b" is now the oldest
    buckets.has("c", 0.0)
    assert len(buckets) == 2
    assert not buckets.has("a", 0.0)  # kept, still empty
    assert buckets.has("b", 0.0)  # forgotten, so full again


def test_a_rate_needs_a_burst_of_one_or_more() -> None:
    with pytest.raises(ValueError):
        Rate(burst=0, per_second=1)


def test_the_archive_budget_spends_tokens_only_when_every_bucket_has_one() -> None:
    limiter = ArchiveLimiter(
        GatewayLimits(
            archive_per_address=Rate(burst=3, per_second=0),
            archive_per_mn=Rate(burst=1, per_second=0),
            archive_total=Rate(burst=100, per_second=0),
        )
    )
    assert limiter.allow("10.0.0.1", "MN1", 0.0)
    assert not limiter.allow("10.0.0.1", "MN1", 0.0)  # MN1 spent; the address keeps 2
    assert limiter.allow("10.0.0.1", "MN2", 0.0)
    assert limiter.allow("10.0.0.1", None, 0.0)  # garbage: no MN
    assert not limiter.allow("10.0.0.1", "MN3", 0.0)  # the address spent
    assert limiter.allow(None, "MN3", 0.0)  # an exempt address: MN and total only


def test_the_total_archive_budget_holds_across_addresses_and_mns() -> None:
    limiter = ArchiveLimiter(GatewayLimits(archive_total=Rate(burst=5, per_second=0)))
    allowed = [limiter.allow(f"10.0.0.{n}", f"MN{n}", 0.0) for n in range(10)]
    assert allowed == [True] * 5 + [False] * 5


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ff", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("127.0.0.1", None),
        ("127.8.9.10", None),
        ("::1", None),
        ("::ffff:127.0.0.1", None),
    ],
)
def test_peers_are_grouped_by_address_and_ipv6_by_64_with_this_host_exempt(
    host: str, key: str | None
) -> None:
    assert AddressPolicy().key(host) == key


def test_a_configured_proxy_address_is_exempt_too() -> None:
    policy = AddressPolicy(exempt=("10.1.0.0/16",))
    assert policy.key("10.1.2.3") is None
    assert policy.key("127.0.0.1") == "127.0.0.1"


def test_a_guard_counts_connections_per_address_and_frees_a_place_on_release() -> None:
    totals: Counter[str] = Counter()
    guard = PeerGuard(GatewayLimits(max_per_address=1, max_connections=10), totals)
    assert guard.admit("10.0.0.1:1", "10.0.0.1", connected=0)
    assert not guard.admit("10.0.0.1:2", "10.0.0.1", connected=1)
    assert guard.admit("10.0.0.2:1", "10.0.0.2", connected=1)
    assert guard.admit("127.0.0.1:1", None, connected=2)  # exempt
    guard.release("10.0.0.1")
    assert guard.admit("10.0.0.1:3", "10.0.0.1", connected=2)
    assert not guard.admit("10.0.0.3:1", "10.0.0.3", connected=10)
    assert totals == Counter({"connections_refused_per_address": 1, "connections_refused": 1})


def test_floods_are_logged_at_powers_of_two_only() -> None:
    assert [n for n in range(1, 100) if rarely(n)] == [1, 2, 4, 8, 16, 32, 64]

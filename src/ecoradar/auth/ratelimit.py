"""The login rate limit (pure): whether a login may be tried now, given the failures recorded.

Three limits, each counting failed logins only. None of them can keep an account's owner out
from an address that has not failed for the account, whatever an attacker does elsewhere:

* **Per username and address** (one guesser at one account): the first ``PAIR_FREE`` failures
  cost nothing; after ``n`` failures each further attempt waits ``PAIR_FIRST_DELAY`` doubled
  for every failure over ``PAIR_FREE`` (``1 s, 2 s, 4 s, ...``), at most ``LONGEST_DELAY``,
  after the pair's last failure. Counted since the pair's last success, within ``PAIR_WINDOW``.
* **Per address** (one guesser trying many usernames): ``ADDRESS_LIMIT`` failures within
  ``ADDRESS_WINDOW`` refuse every further attempt from the address until the oldest of them
  leaves the window.
* **Per account, from every address** (guessers spread over many addresses): once the account
  has ``ACCOUNT_FREE`` failures since its last success within ``ACCOUNT_WINDOW``, an address
  that has itself failed for the account waits ``ACCOUNT_FIRST_DELAY`` doubled for every
  further failure of the account, at most ``LONGEST_DELAY``, after its own last failure for it.
  An address with no failure for the account is never held back by this limit, so the owner
  logging in from their own office gets in while the account is under attack from elsewhere.

A refused attempt is not counted (nothing is recorded), and the password is not looked at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

PAIR_FREE = 3
PAIR_FIRST_DELAY = timedelta(seconds=1)
PAIR_WINDOW = timedelta(days=1)
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = timedelta(minutes=15)
ACCOUNT_FREE = 10
ACCOUNT_FIRST_DELAY = timedelta(seconds=30)
ACCOUNT_WINDOW = timedelta(days=1)
LONGEST_DELAY = timedelta(minutes=15)

Reason = Literal["pair", "address", "account"]


@dataclass(frozen=True)
class Failures:
    """What the limits need to know about one attempt's username and address.

    ``pair``: failures of this username from this address since the pair's last success
    (within ``PAIR_WINDOW``), and ``pair_last`` the newest of them. ``account``: failures of
    the username from any address since its last success (within ``ACCOUNT_WINDOW``).
    ``address``: the times of the newest failures from the address for any username (within
    ``ADDRESS_WINDOW``; the newest ``ADDRESS_LIMIT`` are enough)."""

    pair: int = 0
    pair_last: datetime | None = None
    account: int = 0
    address: Sequence[datetime] = ()


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    """Seconds until an attempt would be allowed again (when refused)."""
    reason: Reason | None = None
    """Which limit refused it."""


def doubling(first: timedelta, steps: int) -> timedelta:
    """``first`` doubled ``steps`` times, at most ``LONGEST_DELAY``."""
    if steps >= 32:  # 2**32 seconds is past any cap: no need to build the number
        return LONGEST_DELAY
    return min(LONGEST_DELAY, first * int(2**steps))


def pair_delay(failures: int) -> timedelta:
    """The wait after the pair's last failure, once it has ``failures``."""
    if failures < PAIR_FREE:
        return timedelta(0)
    return doubling(PAIR_FIRST_DELAY, failures - PAIR_FREE)


def account_delay(failures: int) -> timedelta:
    """The wait an address that failed for the account keeps after its own last failure, once
    the account has ``failures`` from all addresses."""
    if failures < ACCOUNT_FREE:
        return timedelta(0)
    return doubling(ACCOUNT_FIRST_DELAY, failures - ACCOUNT_FREE)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


def address_wait(times: Sequence[datetime], now: datetime) -> int:
    """Seconds until fewer than ``ADDRESS_LIMIT`` of ``times`` are within the window; 0 when
    there already are fewer."""
    recent = sorted(t for t in times if t > now - ADDRESS_WINDOW)
    if len(recent) < ADDRESS_LIMIT:
        return 0
    frees = recent[len(recent) - ADDRESS_LIMIT] + ADDRESS_WINDOW
    return max(1, _seconds_until(frees, now))


def judge(failures: Failures, now: datetime) -> Verdict:
    """Whether a login may be tried now; when not, for how long and which limit refuses."""
    waits: dict[Reason, int] = {"address": address_wait(failures.address, now)}
    if failures.pair and failures.pair_last is not None:
        after_pair = failures.pair_last + pair_delay(failures.pair)
        after_account = failures.pair_last + account_delay(failures.account)
        waits["pair"] = _seconds_until(after_pair, now)
        waits["account"] = _seconds_until(after_account, now)
    reason, wait = max(waits.items(), key=lambda item: item[1])
    if wait <= 0:
        return Verdict(True)
    return Verdict(False, max(1, wait), reason)

"""The login rate limit (pure): how many failures are tolerated, and for how long a refusal
lasts.

More than ``PER_USERNAME`` failed logins for one username, or more than ``PER_IP`` from one
address, within ``WINDOW`` is not possible: once that many are recorded, further attempts are
refused without checking the password (even the right one) until the oldest of them leaves the
window. A successful login clears the username's count, not the address's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
PER_USERNAME = 5
PER_IP = 20


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    """Seconds until an attempt would be allowed again (when refused)."""
    reason: str = ""
    """``username`` or ``ip``: which limit refused it."""


def retry_after(failures: Sequence[datetime], limit: int, now: datetime) -> int:
    """Seconds until fewer than ``limit`` of ``failures`` (times within the window) remain in
    the window; 0 when there already are fewer."""
    if len(failures) < limit:
        return 0
    ordered = sorted(failures)
    frees = ordered[len(ordered) - limit] + WINDOW
    return max(1, math.ceil((frees - now).total_seconds()))


def judge(*, by_username: Sequence[datetime], by_ip: Sequence[datetime], now: datetime) -> Verdict:
    """Whether a login may be tried now, given the failure times within the window for the
    username (since its last success) and for the address."""
    wait_user = retry_after(by_username, PER_USERNAME, now)
    wait_ip = retry_after(by_ip, PER_IP, now)
    if wait_user or wait_ip:
        reason = "username" if wait_user >= wait_ip else "ip"
        return Verdict(False, max(wait_user, wait_ip), reason)
    return Verdict(True)

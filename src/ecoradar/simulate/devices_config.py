"""Settings, fault kinds and counters of the simulated devices (:mod:`.devices`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import timedelta
from enum import Enum

ANSWER_TIMEOUT = 10.0
"""Seconds to wait for an answer: HJ 212-2017 §6.2, table 1 (10 s over GPRS, CDMA, LTE...)."""
RETRIES = 3
"""Re-sends after a timeout before the link counts as unusable (§6.2.1, table 1)."""
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
"""Reconnection backoff in real seconds: 0.5, 1, 2, ... up to 30, with jitter."""
REFUSALS_BEFORE_GIVING_UP = 3
"""Consecutive refused uploads (9011 with QnRtn 3 password or 4 MN wrong, ...) before a device
stops: nothing changes until someone fixes the registry or the device."""
MAX_RECOVERY_PACKETS = 5000
"""Most uploads served for one history request (three and a half days of minute data)."""
HISTORY_RETENTION = timedelta(days=30)
"""How far back a device's stored history reaches by default."""


class Fault(Enum):
    """What a fault script does with one transmission."""

    SEND = "send"
    LOSE = "lose"
    """Do not write it, as if the network lost it: the device times out and re-sends."""
    DROP = "drop"
    """Drop the connection instead of writing it."""


@dataclass(frozen=True)
class DeviceOptions:
    """How simulated devices behave. Network times are real seconds, intervals simulated."""

    host: str = "127.0.0.1"
    port: int = 9212
    rtd_seconds: float = 30.0
    """Real-time data interval (RtdInterval, CN 1062); 0 sends none."""
    minute_seconds: float = 60.0
    """Minute data interval (MinInterval, CN 1064); 0 sends none (history is still served)."""
    needs_answer: bool = True
    """Flag A on uploads: wait for a 9014 answer, re-send after ``answer_timeout``."""
    answer_timeout: float = ANSWER_TIMEOUT
    retries: int = RETRIES
    connect_timeout: float = 10.0
    backoff_base: float = BACKOFF_BASE
    backoff_cap: float = BACKOFF_CAP
    drop_every: int | None = None
    """Drop the connection after this many uploads on it (fault injection)."""
    seed: int = 1
    """Same seed, same values: history is regenerated from it."""
    retention: timedelta = HISTORY_RETENTION
    """How far back the stored history reaches (also before the simulation start: the logger
    was recording before the simulator connected it)."""
    spread_seconds: float = 10.0
    """Each device sends up to this many simulated seconds after an interval (a fixed lag per
    device), so that a fleet does not send all at once."""
    refusals_before_giving_up: int = REFUSALS_BEFORE_GIVING_UP
    max_recovery: int = MAX_RECOVERY_PACKETS

    def __post_init__(self) -> None:
        if self.rtd_seconds < 0 or self.minute_seconds < 0:
            raise ValueError("rtd_seconds and minute_seconds must be 0 (off) or positive")
        if self.answer_timeout <= 0 or self.retries < 0:
            raise ValueError("answer_timeout must be positive and retries not negative")
        if self.drop_every is not None and self.drop_every < 1:
            raise ValueError(f"drop_every {self.drop_every} is not a positive number of uploads")


@dataclass
class DeviceStats:
    """What one device (or, summed, a fleet) did."""

    sent: int = 0
    """Uploads sent, each counted once however often it was re-sent (history included)."""
    sent_by_cn: Counter[str] = field(default_factory=Counter)
    answered: int = 0
    """Uploads the platform answered (9014)."""
    retries: int = 0
    """Re-sends of an upload after an answer timeout."""
    unanswered: int = 0
    """Uploads still unanswered after every retry (the connection is then dropped)."""
    refused: int = 0
    """Uploads the platform refused (9011 with QnRtn other than 1)."""
    connections: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    drops: int = 0
    """Connections lost or dropped (by the platform, the network or fault injection)."""
    recovery_requests: int = 0
    """History requests (2051/2061/2031 with BeginTime/EndTime) served."""
    recovered: int = 0
    """Uploads sent for history requests."""
    time_sets: int = 0
    """Set-time requests (1012) obeyed."""
    requests: int = 0
    """Requests of the platform answered, all kinds."""

    def count_upload(self, cn: str) -> None:
        self.sent += 1
        self.sent_by_cn[cn] += 1

    def add(self, other: DeviceStats) -> None:
        """Add ``other``'s counters to these."""
        for f in fields(self):
            if f.name == "sent_by_cn":
                self.sent_by_cn.update(other.sent_by_cn)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

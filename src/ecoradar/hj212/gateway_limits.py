"""Limits of the HJ 212 gateway, as named constants with their reasons, the rules that apply
them to peers (connections in all and per address, how many refused frames are archived), and
the counters of what they turned away.

No sockets, and the time is passed in (the gateway passes its clock's, so a test can hold it
still). HJ 212-2017 sets none of these; each default says what it is sized for.

Refused frames (an unknown MN, a wrong password, a frame the codec refuses, garbage) are not
accepted packets: they are answered as the standard says and counted, and archived in
``raw_packets`` for diagnosis within :class:`ArchiveLimiter`'s limits, so a flood of them cannot
fill the database. Beyond the limits the archive copy is dropped and counted in the gateway's
``refused_not_archived`` total; an accepted packet is always archived and stored.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ecoradar.hj212.packet import LENIENT_MAX_LENGTH
from ecoradar.monitoring.batcher import DEFAULT_MAX_DELAY, DEFAULT_MAX_ITEMS

log = logging.getLogger("ecoradar.hj212.gateway")

DEFAULT_IDLE_TIMEOUT = 900.0
"""Seconds without an accepted packet after which a connection is closed. HJ 212-2017 defines no
keep-alive; 1.5 times the 10-minute minute-data interval of table C.7, so a device sending minute
data keeps its connection and a dead GPRS link is let go. Bytes that do not make an accepted
packet (a trickle, garbage, refused frames) do not count: they cannot hold a connection open."""
DEFAULT_FRAME_DEADLINE = 60.0
"""Seconds in which a frame, once its first bytes arrived, must be complete; else the connection
is closed (and the cut frame archived). The largest frame (9,999 + 12 bytes) takes under 10 s at
9.6 kbit/s, the slowest serial-to-GPRS link in use; the rest is for TCP retransmissions."""
DEFAULT_MAX_CONNECTIONS = 10_000
"""Connections served at once; more are closed at once (each costs a descriptor and ~10 kB)."""
DEFAULT_MAX_PER_ADDRESS = 100
"""Connections from one address (an IPv6 /64) at once, so one host cannot take every slot of
:data:`DEFAULT_MAX_CONNECTIONS`. Devices behind one carrier NAT share an address; a data
acquisition unit needs one connection, a DTU a few, and a bureau's devices behind one NAT
address are rarely near a hundred. Raise it for larger fleets behind one address."""
DEFAULT_EXEMPT = ("127.0.0.0/8", "::1/128")
"""Addresses the per-address limits do not apply to: this host (the simulator, a local TCP
proxy). Add a proxy's address here when devices connect through it."""
DEFAULT_MAX_FRAME = LENIENT_MAX_LENGTH
"""Largest data segment accepted, bytes: HJ 212-2017 §6.3.1 table 2 says 1024, real devices
send 1025 and 1623 (see ``data/hj212/rx_*.log``); the 4-digit length field allows 9999."""
DIRECTORY_REFRESH = 300.0
"""Seconds between reloads of the registry, so newly registered devices are let in (the reload
also rebuilds the intake's detection state, which warms up again from the store)."""
MAX_COUNTED_DEVICES = 100_000
"""MNs with counters of their own; beyond that (a scan of random MNs) they share one."""
MAX_TRACKED_KEYS = 10_000
"""Addresses or MNs with an archive budget of their own; the least recently seen is forgotten
first (forgetting gives a key its full burst again; the total budget still holds)."""


@dataclass(frozen=True)
class Rate:
    """A token bucket: up to ``burst`` at once, refilled at ``per_second``."""

    burst: float
    per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_second < 0:
            raise ValueError(f"a rate needs a burst >= 1 and a refill >= 0, not {self}")


ARCHIVE_PER_ADDRESS = Rate(burst=60, per_second=0.5)
"""Refused frames archived per address: a burst of 60, then 30 a minute (a misconfigured
installation shows what it sends; a scanner does not fill the archive)."""
ARCHIVE_PER_MN = Rate(burst=20, per_second=1 / 30)
"""Refused frames archived per claimed MN: a burst of 20, then 2 a minute - enough to list an
unregistered device under "unknown devices" and see its packets (real-time data every 30 s)."""
ARCHIVE_TOTAL = Rate(burst=1000, per_second=50)
"""Refused frames archived by the whole gateway: at most ~4.3 million rows a day, whatever the
number of addresses and MNs a flood uses."""


@dataclass(frozen=True)
class GatewayLimits:
    """Limits and timings of a gateway; the defaults are the named constants above."""

    max_frame: int = DEFAULT_MAX_FRAME
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    frame_deadline: float = DEFAULT_FRAME_DEADLINE
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_per_address: int = DEFAULT_MAX_PER_ADDRESS
    exempt: tuple[str, ...] = DEFAULT_EXEMPT
    archive_per_address: Rate = ARCHIVE_PER_ADDRESS
    archive_per_mn: Rate = ARCHIVE_PER_MN
    archive_total: Rate = ARCHIVE_TOTAL
    batch_items: int = DEFAULT_MAX_ITEMS
    batch_delay: float = DEFAULT_MAX_DELAY
    directory_refresh: float | None = DIRECTORY_REFRESH
    writers: int = 1
    """Writer processes, each storing and judging the devices whose MN falls to it. On
    PostgreSQL more commit side by side, but on this project's two cores shared with the load
    generator two writers moved p99 at 5,000 packets/s only from 99 to 85 ms and p50 from 13.8
    to 17.6 ms (README, issue 13): worth it only with cores to spare."""
    inbox: bool = False
    """Each writer process makes batches durable in an inbox file of its own and stores them in
    slices a second later (``ecoradar.monitoring.inbox``): on SQLite the answers no longer wait
    for writes that touch every device's pages, nor for the checkpoints that copy them back.
    Stored values show up to a second later."""


class Buckets:
    """A token bucket per key, at most ``max_keys`` of them (least recently used forgotten)."""

    def __init__(self, rate: Rate, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()  # key: [tokens, time]

    def __len__(self) -> int:
        return len(self._buckets)

    def has(self, key: str, now: float) -> bool:
        """Whether ``key`` has a token at ``now`` (refilled first; a new key has a full burst)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = [self.rate.burst, now]
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket[1])  # a clock set back refills nothing
            bucket[0] = min(self.rate.burst, bucket[0] + elapsed * self.rate.per_second)
            bucket[1] = now
        return bucket[0] >= 1

    def take(self, key: str) -> None:
        """Spend a token of ``key`` (after :meth:`has` said there is one)."""
        self._buckets[key][0] -= 1


class ArchiveLimiter:
    """Whether a refused frame is archived: its address (unless exempt), its claimed MN and the
    gateway as a whole must each have a token; only then are the tokens spent."""

    TOTAL = ""

    def __init__(self, limits: GatewayLimits) -> None:
        self.addresses = Buckets(limits.archive_per_address)
        self.mns = Buckets(limits.archive_per_mn)
        self.total = Buckets(limits.archive_total, max_keys=1)

    def allow(self, address: str | None, mn: str | None, now: float) -> bool:
        checks = [(self.total, self.TOTAL)]
        if address is not None:
            checks.append((self.addresses, address))
        if mn is not None:
            checks.append((self.mns, mn))
        available = [buckets.has(key, now) for buckets, key in checks]  # each one refilled
        if not all(available):
            return False
        for buckets, key in checks:
            buckets.take(key)
        return True


@dataclass
class AddressPolicy:
    """Which per-address bucket a peer falls in: its IPv4 address, or its IPv6 /64 (a host
    usually has a whole /64); ``None`` for exempt addresses."""

    exempt: tuple[str, ...] = DEFAULT_EXEMPT
    _networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(init=False)

    def __post_init__(self) -> None:
        self._networks = [ipaddress.ip_network(n, strict=False) for n in self.exempt]

    def key(self, host: str) -> str | None:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host  # not an IP address (a UNIX socket in a test): itself
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self._networks):
            return None
        if isinstance(address, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network((address, 64), strict=False))
        return str(address)


def rarely(count: int) -> bool:
    """Whether the ``count``-th occurrence of something is worth a log line (1, 2, 4, 8, ...),
    so a flood is logged a few dozen times, not once per packet."""
    return count > 0 and count & (count - 1) == 0


class PeerGuard:
    """The per-peer limits of a running gateway: connections in all and per address (see
    :class:`AddressPolicy`), and the archive budget of refused frames (:class:`ArchiveLimiter`).
    What it turns away is counted in ``totals`` (``connections_refused``,
    ``connections_refused_per_address``, ``refused_not_archived``) and logged rarely."""

    def __init__(self, limits: GatewayLimits, totals: Counter[str]) -> None:
        self.limits = limits
        self.totals = totals
        self.addresses = AddressPolicy(limits.exempt)
        self.archive_limiter = ArchiveLimiter(limits)
        self.per_address: Counter[str] = Counter()

    def address(self, host: str) -> str | None:
        """The per-address key of a peer's host (``None``: exempt)."""
        return self.addresses.key(host)

    def admit(self, peer: str, address: str | None, connected: int) -> bool:
        """Whether a new connection from ``peer`` may stay, ``connected`` being served."""
        if connected >= self.limits.max_connections:
            self._refused("connections_refused", peer, f"{connected} connections already")
            return False
        if address is not None and self.per_address[address] >= self.limits.max_per_address:
            held = self.per_address[address]
            self._refused("connections_refused_per_address", peer, f"{held} from {address}")
            return False
        if address is not None:
            self.per_address[address] += 1
        return True

    def release(self, address: str | None) -> None:
        """An admitted connection from ``address`` ended."""
        if address is None:
            return
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]

    def archive(self, peer: str, address: str | None, mn: str | None, now: float) -> bool:
        """Whether a refused frame from ``peer`` claiming ``mn`` is archived at ``now``."""
        if self.archive_limiter.allow(address, mn, now):
            return True
        self.totals["refused_not_archived"] += 1
        if rarely(self.totals["refused_not_archived"]):
            log.warning(
                "archive limit: a refused frame from %s MN=%s is counted, not archived (%d so far)",
                peer,
                mn,
                self.totals["refused_not_archived"],
            )
        return False

    def _refused(self, counter: str, peer: str, why: str) -> None:
        self.totals[counter] += 1
        if rarely(self.totals[counter]):
            log.warning(
                "connection from %s refused: %s (%s: %d)", peer, why, counter, self.totals[counter]
            )


class GatewayCounters:
    """In-memory counters: totals, refusals by reason, and per device (MN) by outcome."""

    def __init__(self) -> None:
        self.totals: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.devices: dict[str, Counter[str]] = {}

    def device(self, mn: str | None) -> Counter[str]:
        key = mn or "(no MN)"
        counter = self.devices.get(key)
        if counter is None:
            if len(self.devices) >= MAX_COUNTED_DEVICES:
                key = "(other)"
            counter = self.devices.setdefault(key, Counter())
        return counter

    def snapshot(self) -> dict[str, Any]:
        """Plain dicts for the web app: ``totals``, ``by_reason``, ``per_device``."""
        return {
            "totals": dict(self.totals),
            "by_reason": dict(self.reasons),
            "per_device": {mn: dict(c) for mn, c in self.devices.items()},
        }

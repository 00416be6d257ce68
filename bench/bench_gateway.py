"""HJ 212 gateway throughput and answer latency with thousands of concurrent devices.

The gateway runs in this process on a fresh database (SQLite under a temporary directory, or a
throwaway PostgreSQL database dropped afterwards) holding a sample city with at least as many
monitoring points as devices. A load generator in ANOTHER process (multiprocessing) opens one
TCP connection per device on 127.0.0.1 and sends uploads (Flag A, from
``simulate/traffic.py``) on a fixed schedule, open loop: a packet is sent at its time whether or
not earlier ones were answered. Latency is from the write of a packet to the arrival of its 9014
(matched by QN; answers come in order per connection). The run stops by itself.
``--mix realistic`` (the default) sends what a device sends: real-time data every 30 s, minute
data every minute and hourly data every hour of data time, compressed to the offered rate, so
hourly uploads are detected on; ``--mix minute`` sends minute data only (as before).

Besides latency it reports where the time went: CPU of the gateway process and of the load
generator, the batches written and how busy the writer thread was, the event loop's lag and the
garbage collector's pauses. Diagnostics: ``--dry-write`` (judge and answer, store nothing: the
gateway's own cost), ``--normal-sync`` (SQLite ``synchronous=NORMAL``), ``--writer-thread`` (the
write in a thread of the gateway's process instead of its child process), ``--profile FILE``.

Goal on the 2-core machine: p99 answer latency < 50 ms at 5,000 packets/s from 2,000 devices.
Figures: README.

Run: ``.venv/bin/python bench/bench_gateway.py [--devices 2000] [--rate 5000] [--seconds 20]
[--backend sqlite|postgresql] [--batch-items 500] [--batch-delay-ms 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import logging
import math
import multiprocessing
import os
import random
import resource
import statistics
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench_ingest import database, load_city
from sqlalchemy import text

from ecoradar.bootstrap import Container
from ecoradar.cli.gateway import raise_open_file_limit
from ecoradar.hj212.gateway import Gateway, GatewayLimits, prepare_process
from ecoradar.monitoring.batcher import DEFAULT_MAX_DELAY, DEFAULT_MAX_ITEMS
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.traffic import PointProfile, data_packet

POINTS_PER_ENTERPRISE = 0.8  # the sample city has ~0.89 points per enterprise
DRAIN_SECONDS = 15.0


# -- the load generator (its own process) ---------------------------------------------------


class _Client(asyncio.Protocol):
    def __init__(
        self, sink: list[float], sent_at: list[float], expected: deque[tuple[bytes, float]]
    ) -> None:
        self.sink = sink
        self.sent_at = sent_at
        self.expected = expected
        self.buffer = b""
        self.mismatched = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        *frames, self.buffer = self.buffer.split(b"\r\n")
        for frame in frames:
            at = frame.find(b"QN=")
            qn = frame[at + 3 : at + 20]
            if not self.expected:
                self.mismatched += 1
                continue
            wanted, sent = self.expected.popleft()
            if qn != wanted:
                self.mismatched += 1
            self.sink.append(now - sent)
            self.sent_at.append(sent)


MIX = (
    ("2011", timedelta(seconds=30)),
    ("2051", timedelta(minutes=1)),
    ("2061", timedelta(hours=1)),
)
"""The realistic mix: real-time data every 30 s, minute data every minute, hourly data every
hour (so detection runs), in the order a device sends them."""


def _packets(profile: PointProfile, count: int, seed: int, mix: str) -> list[tuple[bytes, bytes]]:
    """``count`` uploads of one device: minute data only (``mix="minute"``), or the realistic
    mix in data time starting a random while before a recent hour (so hourly data, which is
    judged by detection, comes within the run and never from the future)."""
    rng = random.Random(seed)
    out = []
    if mix == "minute":
        start = datetime(2026, 1, 1, tzinfo=UTC)
        whens = [("2051", start + timedelta(minutes=i)) for i in range(count)]
    else:
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
        start = hour - timedelta(seconds=30 * rng.randrange(1, 120))
        whens = []
        step = 0
        while len(whens) < count:
            when = start + timedelta(seconds=30 * step)
            whens.extend((cn, when) for cn, every in MIX if (when - hour) % every == timedelta(0))
            step += 1
        whens = whens[:count]
    for i, (cn, when) in enumerate(whens):
        frame = data_packet(
            profile, cn, when, rng, needs_answer=True, sent_at=when + timedelta(milliseconds=i)
        )
        at = frame.find(b"QN=")
        out.append((frame, frame[at + 3 : at + 20]))
    return out


async def _generate(
    port: int,
    profiles: list[PointProfile],
    rate: float,
    seconds: float,
    ready: Connection,
    mix: str,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    per_device = math.ceil(rate * seconds / len(profiles))
    packets = [_packets(p, per_device, i, mix) for i, p in enumerate(profiles)]
    hourly = sum(frame.count(b"CN=2061") for device in packets for frame, _ in device)
    latencies: list[float] = []
    sent_at: list[float] = []
    expected = [deque[tuple[bytes, float]]() for _ in profiles]
    clients: list[_Client] = []
    for start in range(0, len(profiles), 200):  # connect in waves, as devices come back
        made = await asyncio.gather(
            *(
                loop.create_connection(
                    lambda i=i: _Client(latencies, sent_at, expected[i]), "127.0.0.1", port
                )
                for i in range(start, min(start + 200, len(profiles)))
            )
        )
        clients.extend(protocol for _, protocol in made)
    interval = len(profiles) / rate
    rng = random.Random(1)
    schedule = sorted(
        (phase + k * interval, i)
        for i in range(len(profiles))
        for phase in (rng.uniform(0, interval),)
        for k in range(per_device)
    )
    gc.collect()
    gc.freeze()  # the pre-built packets are never garbage: keep them out of every collection
    ready.send("connected")
    cpu = time.process_time()
    lags: list[float] = []
    counts = [0] * len(profiles)
    begin = time.perf_counter()
    index = 0
    while index < len(schedule):
        now = time.perf_counter() - begin
        while index < len(schedule) and schedule[index][0] <= now:
            due, device = schedule[index]
            frame, qn = packets[device][counts[device]]
            counts[device] += 1
            sent = time.perf_counter()
            expected[device].append((qn, sent))
            transport = clients[device].transport
            assert transport is not None
            transport.write(frame)
            lags.append(sent - begin - due)
            index += 1
        if index < len(schedule):
            await asyncio.sleep(max(0.0, schedule[index][0] - (time.perf_counter() - begin)))
    sent_all = time.perf_counter()
    deadline = sent_all + DRAIN_SECONDS
    while len(latencies) < len(schedule) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    end = time.perf_counter()
    cpu = time.process_time() - cpu
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    await asyncio.sleep(0.1)
    return {
        "sent": len(schedule),
        "answered": len(latencies),
        "mismatched": sum(c.mismatched for c in clients),
        "send_seconds": sent_all - begin,
        "seconds": end - begin,
        "latencies": latencies,
        "per_second_p99": _per_second_p99(latencies, [t - begin for t in sent_at]),
        "lag_p99": _quantile(lags, 0.99),
        "generator_cpu": cpu,
        "hourly_sent": hourly,
    }


def _generator(
    port: int,
    profiles: list[PointProfile],
    rate: float,
    seconds: float,
    pipe: Connection,
    mix: str,
) -> None:
    raise_open_file_limit()
    result = asyncio.run(_generate(port, profiles, rate, seconds, pipe, mix))
    pipe.send(result)


# -- the gateway (this process) -------------------------------------------------------------


def _per_second_p99(latencies: list[float], sent: list[float]) -> list[float]:
    seconds: dict[int, list[float]] = {}
    for latency, when in zip(latencies, sent, strict=True):
        seconds.setdefault(int(when), []).append(latency)
    return [_quantile(seconds[s], 0.99) for s in sorted(seconds)]


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _prepare(url: str, directory: Path, devices: int) -> Container:
    return load_city(url, directory, enterprises=math.ceil(devices / POINTS_PER_ENTERPRISE))


class _GcPauses:
    """Garbage collector pauses of this process (they stop the event loop)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


async def _watch_loop(lags: list[float]) -> None:
    """How late the gateway's event loop wakes up for a 5 ms timer (its responsiveness)."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - before - 0.005)


async def _serve(box: Container, args: argparse.Namespace) -> dict[str, Any]:
    with box.transaction() as session:
        profiles = load_profiles(session, limit=args.devices)
    if len(profiles) < args.devices:
        raise SystemExit(f"only {len(profiles)} monitoring points for {args.devices} devices")
    gateway = Gateway(
        box,
        GatewayLimits(
            directory_refresh=None,
            batch_items=args.batch_items,
            batch_delay=args.batch_delay_ms / 1000,
            writers=args.writers,
            inbox=args.inbox,
        ),
        full_sync=not args.normal_sync,
        write=(lambda batch: None) if args.dry_write else None,
        writer_process=not args.writer_thread,
    )
    await gateway.start("127.0.0.1", 0)
    prepare_process()
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_generator,
        args=(gateway.port, profiles, args.rate, args.seconds, theirs, args.mix),
    )
    process.start()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, ours.recv)  # connected
    loop_lags: list[float] = []
    watcher = asyncio.create_task(_watch_loop(loop_lags))
    pauses = _GcPauses()
    gc.callbacks.append(pauses)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    writer_before = _writer_cpu(gateway)
    result: dict[str, Any] = await loop.run_in_executor(None, ours.recv)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    result["writer_cpu"] = _writer_cpu(gateway) - writer_before
    watcher.cancel()
    gc.callbacks.remove(pauses)
    result["gc_seconds"] = sum(pauses.pauses)
    result["gc_max"] = max(pauses.pauses, default=0.0)
    result["gc_count"] = len(pauses.pauses)
    await loop.run_in_executor(None, process.join, 30)
    result["loop_lag_p99"] = _quantile(loop_lags, 0.99)
    result["loop_lag_max"] = max(loop_lags, default=math.nan)
    batchers = [batcher.stats for batcher in gateway.batchers]
    result["gateway_cpu"] = (
        cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime
    )
    batches = sum(stats.batches for stats in batchers)
    result["batches"] = batches
    result["mean_batch"] = sum(stats.items for stats in batchers) / batches if batches else 0
    result["largest_batch"] = max(stats.largest_batch for stats in batchers)
    result["write_seconds"] = sum(stats.write_seconds for stats in batchers)
    result["write_cpu"] = sum(stats.write_cpu_seconds for stats in batchers)
    result["writes"] = [write for stats in batchers for write in stats.recent]
    result["totals"] = dict(gateway.counters.totals)
    result["gateway_rss"] = _memory_mib("self")
    result["writer_rss"] = max(
        (_memory_mib(str(pid)) for pid in _writer_pids(gateway)), default=0.0
    )
    if args.inbox:
        reports = [await loop.run_in_executor(None, w.inbox_report) for w in gateway.writers]
        result["inbox"] = reports
    closing = time.perf_counter()
    await gateway.close()
    result["close_seconds"] = time.perf_counter() - closing
    with box.reading() as session:  # nothing answered is lost, nothing is doubled
        result["archived"] = session.execute(text("SELECT count(*) FROM raw_packets")).scalar()
    return result


def _writer_pids(gateway: Gateway) -> list[int]:
    """The gateway's writer processes (none when it writes in a thread)."""
    return [p.pid for writer in gateway.writers for p in writer.processes if p.pid]


def _writer_cpu(gateway: Gateway) -> float:
    """CPU seconds of the gateway's writer processes so far (0 when it writes in a thread)."""
    total = 0.0
    for pid in _writer_pids(gateway):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _memory_mib(pid: str) -> float:
    """The peak resident memory (VmHWM) of process ``pid`` (or ``self``) in MiB; 0 if gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _report(label: str, r: dict[str, Any]) -> None:
    lat = r["latencies"]
    print(f"{label}:")
    print(
        f"  sent {r['sent']} packets in {r['send_seconds']:.1f} s, answered {r['answered']} "
        f"({r['answered'] / r['seconds']:.0f} answers/s over {r['seconds']:.1f} s), "
        f"mismatched {r['mismatched']}; {r['hourly_sent']} of them hourly (detected on)"
    )
    print(
        f"  answer latency ms: p50 {1000 * _quantile(lat, 0.5):.1f}, "
        f"p95 {1000 * _quantile(lat, 0.95):.1f}, p99 {1000 * _quantile(lat, 0.99):.1f}, "
        f"max {1000 * max(lat, default=math.nan):.1f}, mean {1000 * statistics.fmean(lat):.1f}"
    )
    print(
        f"  CPU: gateway {r['gateway_cpu']:.1f} s, load generator {r['generator_cpu']:.1f} s, "
        f"for {r['seconds']:.1f} s of wall time; "
        f"{r['batches']} transactions, mean {r['mean_batch']:.1f} packets, "
        f"largest {r['largest_batch']}; writer thread busy {r['write_seconds']:.1f} s, "
        f"CPU {r['write_cpu']:.1f} s; writer process CPU {r['writer_cpu']:.1f} s"
    )
    writes = sorted(r["writes"])
    if writes:
        slow = writes[int(0.99 * (len(writes) - 1)) :]
        print(
            f"  write ms: p50 {1000 * writes[len(writes) // 2][0]:.1f}, "
            f"p99 {1000 * slow[0][0]:.1f}, max {1000 * writes[-1][0]:.1f}; packets in the "
            f"slowest 1 %: mean {statistics.fmean(n for _, n in slow):.0f}"
        )
    print(
        f"  peak memory: gateway process {r['gateway_rss']:.0f} MiB (the load generator's "
        f"pre-built packets are not in it), writer process {r['writer_rss']:.0f} MiB"
    )
    for report in r.get("inbox", []):
        stats = report["stats"]
        print(
            f"  inbox: {stats.slices} slices stored, {stats.items} packets "
            f"({stats.items / max(stats.slices, 1):.0f} a slice), {report['backlog']} batches "
            f"waiting at the end of the run; failures {stats.failures}"
        )
    print(
        f"  stopped in {r['close_seconds']:.1f} s; packets archived {r['archived']} "
        f"(answered {r['answered']})"
    )
    print(
        "  p99 ms per second of the run:", " ".join(f"{1000 * v:.0f}" for v in r["per_second_p99"])
    )
    print(
        f"  event loop lag ms: gateway p99 {1000 * r['loop_lag_p99']:.1f} "
        f"(max {1000 * r['loop_lag_max']:.1f}), generator send p99 {1000 * r['lag_p99']:.1f}; "
        f"{r['gc_count']} collections in the gateway took {1000 * r['gc_seconds']:.0f} ms "
        f"(longest {1000 * r['gc_max']:.1f} ms)"
    )


def _run(box: Container, args: argparse.Namespace) -> dict[str, Any]:
    if not args.profile:
        return asyncio.run(_serve(box, args))
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return asyncio.run(_serve(box, args))
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=5000.0, help="packets per second in all")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--normal-sync", action="store_true", help="SQLite synchronous=NORMAL instead of FULL"
    )
    parser.add_argument("--batch-items", type=int, default=DEFAULT_MAX_ITEMS)
    parser.add_argument("--batch-delay-ms", type=float, default=DEFAULT_MAX_DELAY * 1000)
    parser.add_argument(
        "--dry-write", action="store_true", help="diagnostic: judge and answer, store nothing"
    )
    parser.add_argument(
        "--writer-thread",
        action="store_true",
        help="write in a thread of the gateway's process (as before), not in a child process",
    )
    parser.add_argument("--writers", type=int, default=1, help="writer processes")
    parser.add_argument(
        "--inbox", action="store_true", help="the writers answer from their inbox files"
    )
    parser.add_argument("--profile", help="write a cProfile of the gateway's event loop here")
    parser.add_argument(
        "--mix",
        choices=("realistic", "minute"),
        default="realistic",
        help="real-time every 30 s, minute and hourly data (default), or minute data only",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    raise_open_file_limit()
    label = f"{args.backend}, {args.devices} devices, target {args.rate:.0f} packets/s"
    with database(args.backend) as (url, directory):
        box = _prepare(url, directory, args.devices)
        try:
            _report(label, _run(box, args))
        finally:
            box.close()


if __name__ == "__main__":
    main()

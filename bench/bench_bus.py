"""End-to-end throughput over NATS JetStream: devices -> ``ecoradar gateway --bus`` -> stream
-> ``ecoradar worker --bus`` (1 and 2 of them) -> database, with detection on.

For each backend and worker count: a fresh database with the sample city (one device per
monitoring point), the gateway and the workers as the commands people run (processes of their
own, on the NATS server at 127.0.0.1:4222, a stream of this run's own, deleted afterwards), and
a load generator in this process: one TCP connection per device, each sending its hourly
uploads (about 5 factors, Flag A) in order, at most ``--window`` unanswered at a time, as fast
as the gateway answers. Reported:

* answered/s: packets answered by the gateway (JetStream has them) over the time to answer all;
* stored/s end to end: the same packets over the time until the workers had written them all
  (the stream empty, every value in the database);
* CPU seconds per process (gateway, each worker, this load generator) and the load average
  before and after, since the machine is shared.

Run: .venv/bin/python bench/bench_bus.py [--hours 24] [--backend sqlite|postgresql|both]
[--workers 1,2] [--partitions 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from bench_ingest import database, load_city
from sqlalchemy import func, select

from ecoradar.bus.config import BusConfig
from ecoradar.bus.stream import delete
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.simulate.fleet import load_profiles
from ecoradar.simulate.served import free_port
from ecoradar.simulate.traffic import data_packet

NATS = os.environ.get("ECORADAR_BENCH_NATS_URL", "nats://127.0.0.1:4222")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def send_all(port: int, series: Sequence[list[bytes]], window: int) -> float:
    """Every device's packets, in order, ``window`` unanswered at most; when all are answered."""

    async def device(frames: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        slots = asyncio.Semaphore(window)

        async def answers() -> None:
            for _ in frames:
                await asyncio.wait_for(reader.readuntil(b"\r\n"), 60)
                slots.release()

        reading = asyncio.create_task(answers())
        for frame in frames:
            await slots.acquire()
            writer.write(frame)
        await reading
        writer.close()

    await asyncio.gather(*(device(frames) for frames in series))
    return time.perf_counter()


async def stream_messages(config: BusConfig) -> int:
    nc = await nats.connect(config.url)
    try:
        return int((await nc.jetstream().stream_info(config.stream)).state.messages)
    finally:
        await nc.close()


async def remove_stream(config: BusConfig) -> None:
    nc = await nats.connect(config.url)
    try:
        await delete(nc.jetstream(), config)
    finally:
        await nc.close()


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the gateway exited:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the gateway did not listen")


def run(backend: str, workers: int, hours: int, partitions: int, window: int) -> dict[str, Any]:
    with database(backend) as (url, directory):
        box = load_city(url, directory)
        with box.reading() as session:
            profiles = load_profiles(session)
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = now - timedelta(hours=hours + 24)  # recent, never in the future
        series = [
            [
                data_packet(p, "2061", start + timedelta(hours=h), rng, needs_answer=True)
                for h in range(hours)
            ]
            for rng in [random.Random(1)]
            for p in profiles
        ]
        packets = sum(len(s) for s in series)
        stream = f"BENCH_{uuid.uuid4().hex[:8]}"
        config = BusConfig.for_stream(NATS, stream, partitions=partitions)
        env = {
            **os.environ,
            "ECORADAR_DATABASE_URL": url,
            "ECORADAR_HOME": str(directory),
            "ECORADAR_ENVIRONMENT": "development",
        }
        log = directory / "processes.log"
        bus = ["--bus", NATS, "--stream", stream, "--partitions", str(partitions)]

        def command(*args: str) -> subprocess.Popen[bytes]:
            with log.open("ab") as out:
                return subprocess.Popen(
                    [sys.executable, "-m", "ecoradar", *args, *bus],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )

        port = free_port()
        started = [command("worker") for _ in range(workers)]
        gateway = command("gateway", "--port", str(port), "--idle-timeout", "600")
        try:
            wait_listening(port, gateway, log)
            time.sleep(3)  # the workers have joined and split the partitions
            load_before = os.getloadavg()
            own = resource.getrusage(resource.RUSAGE_SELF)
            cpu = {"gateway": cpu_seconds(gateway.pid)} | {
                f"worker {i + 1}": cpu_seconds(w.pid) for i, w in enumerate(started)
            }
            began = time.perf_counter()
            answered_at = asyncio.run(send_all(port, series, window))
            while asyncio.run(stream_messages(config)) > 0:
                time.sleep(0.05)
            with box.reading() as session:
                rows = session.scalar(select(func.count()).select_from(Measurement))
                raws = session.scalar(select(func.count()).select_from(RawPacket))
            stored_at = time.perf_counter()
            cpu = {name: cpu_seconds(p.pid) - cpu[name] for name, p in _named(gateway, started)}
            mine = resource.getrusage(resource.RUSAGE_SELF)
            cpu["load generator"] = mine.ru_utime + mine.ru_stime - own.ru_utime - own.ru_stime
            load_after = os.getloadavg()
        finally:
            for process in [gateway, *started]:
                process.terminate()
            for process in [gateway, *started]:
                process.wait(30)
            asyncio.run(remove_stream(config))
            box.close()
            stats = [
                line.split("stopped: ", 1)[1].strip()
                for line in log.read_text().splitlines()
                if "stopped: WorkerStats" in line
            ]
        if raws != packets:
            raise SystemExit(f"{raws} packets archived of {packets} answered:\n{log.read_text()}")
        return {
            "backend": backend,
            "workers": workers,
            "packets": packets,
            "devices": len(series),
            "values": rows,
            "answered_s": answered_at - began,
            "stored_s": stored_at - began,
            "cpu": cpu,
            "load": (load_before[0], load_after[0]),
            "stats": stats,
        }


def _named(
    gateway: subprocess.Popen[bytes], workers: list[subprocess.Popen[bytes]]
) -> list[tuple[str, subprocess.Popen[bytes]]]:
    return [("gateway", gateway)] + [(f"worker {i + 1}", w) for i, w in enumerate(workers)]


def report(r: dict[str, Any]) -> None:
    n = r["packets"]
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in r["cpu"].items())
    print(
        f"{r['backend']}, {r['workers']} worker(s): {n} hourly packets from {r['devices']} "
        f"devices ({r['values']} values); answered {n / r['answered_s']:,.0f}/s, stored end to "
        f"end {n / r['stored_s']:,.0f}/s ({r['stored_s']:.1f} s); CPU: {cpu}; "
        f"load average {r['load'][0]:.1f} -> {r['load'][1]:.1f}",
        flush=True,
    )
    for line in r["stats"]:
        print(f"  {line}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--window", type=int, default=4, help="unanswered packets per device")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        for count in (int(w) for w in args.workers.split(",")):
            report(run(backend, count, args.hours, args.partitions, args.window))


if __name__ == "__main__":
    main()

"""Memory of the HJ 212 gateway per idle device connection (issue 13: at most 50 KB each with
10,000 idle connections).

Serves the gateway in this process on a fresh SQLite database, then a child process opens
--connections TCP connections to it and sends nothing; the resident set size of this process is
read (``/proc/self/status``) before and after, once the gateway has seen every connection, and
divided by their number. The run stops by itself.

Run: .venv/bin/python bench/bench_idle.py [--connections 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
from multiprocessing.connection import Connection

from bench_ingest import database, load_city

from ecoradar.bootstrap import Container
from ecoradar.cli.gateway import raise_open_file_limit
from ecoradar.hj212.gateway import Gateway, GatewayLimits

WAVE = 500


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _open(port: int, count: int, pipe: Connection) -> None:
    raise_open_file_limit()

    async def hold() -> None:
        connections = []
        for start in range(0, count, WAVE):
            connections += await asyncio.gather(
                *(
                    asyncio.open_connection("127.0.0.1", port)
                    for _ in range(min(WAVE, count - start))
                )
            )
        pipe.send("open")
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        for _, writer in connections:
            writer.close()

    asyncio.run(hold())


async def _serve(box: Container, count: int) -> None:
    gateway = Gateway(box, GatewayLimits(directory_refresh=None, max_connections=count + 100))
    await gateway.start("127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    gc.collect()
    await asyncio.sleep(0.5)
    before = rss_kib()
    ours, theirs = multiprocessing.Pipe()
    opener = multiprocessing.get_context("spawn").Process(
        target=_open, args=(gateway.port, count, theirs)
    )
    opener.start()
    await loop.run_in_executor(None, ours.recv)
    while len(gateway.sessions) < count:
        await asyncio.sleep(0.1)
    gc.collect()
    after = rss_kib()
    sessions = len(gateway.sessions)
    print(
        f"{sessions} idle connections: RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB, "
        f"{(after - before) * 1024 / sessions / 1000:.1f} KB per connection "
        f"(load average {os.getloadavg()[0]:.2f})"
    )
    ours.send("close")
    await loop.run_in_executor(None, opener.join, 30)
    await gateway.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    args = parser.parse_args()
    raise_open_file_limit()
    with database("sqlite") as (url, directory):
        box = load_city(url, directory, enterprises=100)
        try:
            asyncio.run(_serve(box, args.connections))
        finally:
            box.close()


if __name__ == "__main__":
    main()

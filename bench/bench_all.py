"""The monitoring pipeline's figures in one run (issue 13, item 5), each benchmark a process of
its own, one after the other, with the machine's load average before each:

1. the bare pure-Python frame+CRC+split loop beside ``ecoradar ingest`` and ``Intake.run``
   without and with detection, on SQLite and PostgreSQL (``bench_ingest.py``);
2. the gateway at 1,000 / 2,500 / 5,000 packets/s offered by 2,000 devices sending the
   realistic mix (real-time every 30 s, minute and hourly data), on both databases, and on
   SQLite with the writers' inboxes (``--inbox``): latency p50/p99, CPU per process, peak memory
   (``bench_gateway.py``);
3. 1 and 2 storage-and-detection workers over NATS JetStream, both databases
   (``bench_bus.py``);
4. the memory of 10,000 idle device connections (``bench_idle.py``).

Everything goes to standard output and, with ``--output FILE``, into FILE as well. It takes
15-25 minutes; nothing else should run on the machine meanwhile (the load average tells).

Run: .venv/bin/python bench/bench_all.py [--output FILE] [--seconds 20] [--rates 1000,2500,5000]
[--skip ingest,gateway,bus,idle]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TextIO

HERE = Path(__file__).resolve().parent
BACKENDS = ("sqlite", "postgresql")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def _run(title: str, argv: list[str], sinks: list[TextIO]) -> None:
    """Run one benchmark script, copying its output to every sink as it comes."""
    started = time.monotonic()
    header = f"\n## {title}\n$ {' '.join(argv)}\n({_load()} before)\n"
    for sink in sinks:
        sink.write(header)
        sink.flush()
    with subprocess.Popen(
        [sys.executable, *argv],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if "WARNING" in line and "pypi" in line:
                continue
            for sink in sinks:
                sink.write(line)
                sink.flush()
    footer = f"({time.monotonic() - started:.0f} s, exit {process.returncode}, {_load()} after)\n"
    for sink in sinks:
        sink.write(footer)
        sink.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, help="also write the report here")
    parser.add_argument("--seconds", type=float, default=20.0, help="each gateway run")
    parser.add_argument("--rates", default="1000,2500,5000", help="gateway rates offered")
    parser.add_argument("--hours", type=int, default=48, help="hours of data for ingest")
    parser.add_argument("--skip", default="", help="comma-separated: ingest,gateway,bus,idle")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    sinks: list[TextIO] = [sys.stdout]
    report = open(args.output, "w", encoding="utf-8") if args.output else None  # noqa: SIM115
    if report is not None:
        sinks.append(report)
    try:
        for sink in sinks:
            sink.write(
                f"# Monitoring pipeline benchmarks, {datetime.now().astimezone():%Y-%m-%d %H:%M %z}"
                f"\n{os.cpu_count()} CPUs; {_load()}\n"
            )
        bench = str(HERE)
        if "ingest" not in skip:
            _run(
                "Ingest beside the bare decode loop",
                [f"{bench}/bench_ingest.py", "--hours", str(args.hours), "--backend", "both"],
                sinks,
            )
        if "gateway" not in skip:
            variants = [(backend, "") for backend in BACKENDS] + [("sqlite", "--inbox")]
            for backend, inbox in variants:
                for rate in args.rates.split(","):
                    _run(
                        f"Gateway, {backend}{', inbox' if inbox else ''}, {rate} packets/s, "
                        "realistic mix",
                        [
                            f"{bench}/bench_gateway.py",
                            "--devices",
                            "2000",
                            "--rate",
                            rate,
                            "--seconds",
                            str(args.seconds),
                            "--backend",
                            backend,
                            *([inbox] if inbox else []),
                        ],
                        sinks,
                    )
        if "bus" not in skip:
            _run("Over NATS JetStream", [f"{bench}/bench_bus.py", "--backend", "both"], sinks)
        if "idle" not in skip:
            _run("Idle connections", [f"{bench}/bench_idle.py"], sinks)
    finally:
        if report is not None:
            report.close()


if __name__ == "__main__":
    main()

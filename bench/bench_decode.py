"""Decoding speed of the HJ 212 codec: packets per second on one core.

The packet is a realistic hourly upload (CN=2061, HJ 212-2017, ST=31) of 5 flue-gas factors,
each with Min, Avg, Max, ZsAvg and Flag: about 560 bytes on the wire. 200 packets that differ
in QN, DataTime and values are decoded in turn; the best of several rounds is reported (the
least disturbed by other processes). Goal: >= 50,000 packets/s.

Run: ``.venv/bin/python bench/bench_decode.py [--rounds 7] [--packets 20000]``
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta

from ecoradar.hj212 import CST, decode, encode

FACTORS = ("a21026", "a21002", "a34013", "a19001", "a00000")


def hourly_packets(count: int, seed: int = 212) -> list[bytes]:
    """``count`` distinct hourly uploads of 5 factors (Min/Avg/Max/ZsAvg/Flag)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=CST)
    frames = []
    for i in range(count):
        hour = start + timedelta(hours=i)
        items = {}
        for code in FACTORS:
            low = rng.uniform(0, 80)
            avg = low + rng.uniform(0, 20)
            items[code] = {
                "Min": f"{low:.3f}",
                "Avg": f"{avg:.3f}",
                "Max": f"{avg + rng.uniform(0, 20):.3f}",
                "ZsAvg": f"{avg * 1.1:.3f}",
                "Flag": "N",
            }
        sent = hour + timedelta(hours=1, seconds=rng.randrange(60), milliseconds=rng.randrange(999))
        frames.append(
            encode(
                qn=sent.strftime("%Y%m%d%H%M%S") + f"{sent.microsecond // 1000:03d}",
                st="31",
                cn="2061",
                pw="123456",
                mn="010000A8900016F000169DC0",
                flag=5,
                data_time=hour,
                items=items,
            )
        )
    return frames


def measure(frames: list[bytes], total: int) -> float:
    """Seconds to decode ``total`` frames, cycling through ``frames``."""
    work = (frames * (total // len(frames) + 1))[:total]
    started = time.perf_counter()
    for frame in work:
        decode(frame)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--packets", type=int, default=20_000)
    args = parser.parse_args()
    frames = hourly_packets(200)
    measure(frames, 2_000)  # warm up
    best = min(measure(frames, args.packets) for _ in range(args.rounds))
    rate = args.packets / best
    print(
        f"decode: {rate:,.0f} packets/s ({best / args.packets * 1e6:.1f} µs per packet, "
        f"{len(frames[0])}-byte hourly packet of {len(FACTORS)} factors x 5 items, "
        f"best of {args.rounds} rounds of {args.packets:,})"
    )


if __name__ == "__main__":
    main()

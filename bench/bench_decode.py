"""Decoding speed of the HJ 212 codec: pure Python, compiled, and the bare loop, in one run.

The stream is hourly uploads (CN=2061, HJ 212-2017, ST=31) of simulated flue-gas points with five
factors (NOx, SO2, dust with Zs values, flow, O2; about 690 bytes each), one packet per line, as
``simulate.traffic.hourly_series`` makes them; ``--stream FILE`` reads another such file (e.g.
one written from ``bench_ingest.prepare``). Each round times, one after the other on the same
packets: ``../shared/bench/bare_decode.py`` (frame + CRC + split in bare Python, in a child
process of the same interpreter), ``decode_pure`` and the compiled ``decode``. The best round of
each is reported (the least disturbed by other processes), with the load average around the run.
Then ``values.item_rows`` (the items as rows of numbers, float conversion) pure and compiled.

Run: ``.venv/bin/python bench/bench_decode.py [--points 400] [--hours 48] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ecoradar.hj212 import Packet, codec, values
from ecoradar.hj212.native import Decoder
from ecoradar.simulate.traffic import FactorProfile, PointProfile, hourly_series

BARE = Path(__file__).resolve().parents[1] / ".." / "shared" / "bench" / "bare_decode.py"
FACTORS = (FactorProfile("a21002", 200.0, 9.0), FactorProfile("a21026", 100.0, 9.0),
           FactorProfile("a34013", 20.0, 9.0))  # fmt: skip
"""Plus the flow (a00000) and O2 (a19001) items every gas upload carries: five factors."""


def stream(points: int, hours: int) -> list[bytes]:
    """``hours`` hourly uploads of each of ``points`` five-factor flue-gas points."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    frames = []
    for i in range(points):
        profile = PointProfile(f"{i:024X}", f"{i % 1000000:06d}", "gas", FACTORS)
        frames += hourly_series(profile, start, hours)
    return frames


def timed(decode: Decoder, frames: list[bytes]) -> float:
    started = time.perf_counter()
    for frame in frames:
        decode(frame)
    return time.perf_counter() - started


SLOTS = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "ZsRtd": 4, "ZsAvg": 5, "ZsMin": 6,
         "ZsMax": 7, "Cou": 8, "Flag": 9}  # fmt: skip
"""The measurements row's layout (monitoring.intake): ten values, the flag in the last."""


def rows_time(item_rows: values.ItemRows, packets: list[Packet], rounds: int) -> float:
    """Best seconds per packet to turn the items of ``packets`` into measurement rows."""
    best = float("inf")
    now = datetime.now(UTC)
    for _ in range(rounds):
        started = time.perf_counter()
        for packet in packets:
            item_rows(packet.items, SLOTS, 9, 10, (1,), ("hour", packet.data_time), (now,))
        best = min(best, time.perf_counter() - started)
    return best / len(packets)


def bare(path: Path) -> float | None:
    """Packets/s of the bare loop on ``path``; ``None`` when the shared script is missing."""
    if not BARE.is_file():
        return None
    out = subprocess.run(
        [sys.executable, str(BARE), str(path)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=400)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stream", type=Path, help="one packet per line (CR LF ends)")
    parser.add_argument("--save", type=Path, help="write the generated stream here")
    args = parser.parse_args()
    compiled = codec.decode_compiled
    if compiled is None:
        sys.exit("the compiled codec is not built: run `pip install -e .`")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.stream or args.save or Path(tmp) / "stream.txt"
        if args.stream is None:
            path.write_bytes(b"".join(stream(args.points, args.hours)))
        frames = [line + b"\r\n" for line in path.read_bytes().split(b"\r\n")[:-1]]
        for frame in frames[:2000]:  # the same packets, or the figures mean nothing
            assert compiled(frame) == codec.decode_pure(frame)
        load_before = os.getloadavg()
        rates: dict[str, list[float]] = {"bare": [], "pure": [], "compiled": []}
        for _ in range(args.rounds):
            rate = bare(path)
            if rate is not None:
                rates["bare"].append(rate)
            rates["pure"].append(len(frames) / timed(codec.decode_pure, frames))
            rates["compiled"].append(len(frames) / timed(compiled, frames))
        load_after = os.getloadavg()
    size = sum(map(len, frames)) / len(frames)
    what = f"packets of {args.stream}" if args.stream else "hourly packets of 5 factors"
    print(
        f"{len(frames):,} {what}, {size:.0f} bytes on average; best of "
        f"{args.rounds} rounds; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    best = {name: max(values) for name, values in rates.items() if values}
    floor = best.get("bare")
    for name, rate in best.items():
        versus = f", {rate / floor:.2f}x the bare loop" if floor else ""
        print(f"  {name:9} {rate:>11,.0f} packets/s ({1e6 / rate:5.1f} µs per packet{versus})")
    print(f"  compiled / pure: {best['compiled'] / best['pure']:.1f}x")
    packets = [compiled(frame) for frame in frames]
    pure_rows = rows_time(values.item_rows_pure, packets, args.rounds)
    compiled_rows = values.item_rows_compiled
    if compiled_rows is not None:
        fast_rows = rows_time(compiled_rows, packets, args.rounds)
        print(
            f"items -> rows of numbers (values.item_rows): pure {pure_rows * 1e6:.1f} µs, "
            f"compiled {fast_rows * 1e6:.1f} µs per packet"
        )


if __name__ == "__main__":
    main()

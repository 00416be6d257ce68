"""Tuning of the process and of SQLite for serving devices (the gateway's commands apply it).

Durability on SQLite: the engine runs WAL with ``synchronous=NORMAL`` (``core/db.py``), which
survives a crash of the process but may lose the last commits on power loss (the WAL is synced
only at checkpoints). A device answered 9014 does not send again (HJ 212-2017 §6.2), so a lost
commit would be lost data: :func:`require_full_sync` makes every connection of the gateway's
engine ``synchronous=FULL`` (the WAL is synced at each commit; with group commit that is one
sync per batch, about 0.3 ms here). PostgreSQL's default ``synchronous_commit=on`` already
flushes the WAL at commit.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from sqlalchemy import Engine, event

SQLITE_CACHE_KIB = 65_536
"""SQLite page cache per connection (the default is 2 MiB): every batch touches index pages all
over the archive and the measurements; with 64 MiB the writer sustained 4,400 instead of 4,100
packets/s in ``bench/bench_gateway.py``. Pages are only held once read."""
FULL_COLLECTION_THRESHOLD = 1000
"""Middle-generation collections between two full ones (CPython's default is 10)."""
YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations between two young collections (CPython's default is 700)."""
SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits (CPython's default is 0.005)."""


def prepare_process() -> None:
    """Once started, tune this process for serving (process-wide, so the commands call it).

    Measured with ``bench/bench_gateway.py`` (2,000 devices, 5,000 packets/s, decoding and
    answering only): p99 answer latency 164 ms untuned, 15 ms tuned.

    * Full garbage collections are made rare (:data:`FULL_COLLECTION_THRESHOLD`) and everything
      alive after startup (registry, modules) is frozen out of them: a full collection walks
      every object, packets in flight included, and stopped the event loop for up to 145 ms.
      Packets die by reference counting; the young generations still collect cycles.
    * Young collections wait for :data:`YOUNG_COLLECTION_THRESHOLD` allocations: they, and the
      middle ones they lead to, walk the packets, futures and handles in flight. At 2,500
      packets/s (PostgreSQL) the default 700 made 301 collections that stopped the loop 706 ms
      in 20 s (p99 89 ms); 10,000 made 2 that stopped it 8 ms (p99 72 ms).
    * The GIL switch interval drops from 5 ms to :data:`SWITCH_INTERVAL`: when the writer
      thread holds the GIL, the event loop gets it back within that time after each system call.
    """
    gc.collect()
    gc.freeze()
    _, middle, _ = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, FULL_COLLECTION_THRESHOLD)
    sys.setswitchinterval(SWITCH_INTERVAL)


def _sqlite_for_gateway(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def require_full_sync(engine: Engine) -> bool:
    """SQLite: sync the WAL at every commit on this engine's connections (see module doc), and
    give each connection a page cache of :data:`SQLITE_CACHE_KIB`."""
    if engine.dialect.name != "sqlite":
        return False  # PostgreSQL: synchronous_commit=on by default flushes the WAL at commit
    if not event.contains(engine, "connect", _sqlite_for_gateway):
        event.listen(engine, "connect", _sqlite_for_gateway)
        engine.dispose()  # pooled connections were opened with synchronous=NORMAL
    return True

"""What the workers keep in the database: the last message written per partition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, UTCDateTime


class BusPartition(Base):
    """The last message of a partition of a stream whose batch is committed, and who wrote it.

    Updated in the transaction that writes the batch, so a message delivered again (its worker
    died after the commit, before the acknowledgement) is recognised and not written twice; and
    a worker that finds another's name here knows its detection state for the partition is
    stale. ``epoch`` is the stream's creation time: a stream made anew numbers from 1 again.
    """

    __tablename__ = "bus_partitions"

    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    partition_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[str] = mapped_column(String(40))
    last_seq: Mapped[int] = mapped_column(BigInteger)
    """Stream sequence of the last message written."""
    worker: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

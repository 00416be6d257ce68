"""Regions: the administrative tree (province > city > county > township > grid)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoradar.core.db import Base, JSONType, UTCDateTime

LEVELS = ("province", "city", "county", "township", "grid")
"""Levels from the top down; a child's level is always below its parent's."""


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(
            "level IN ('province', 'city', 'county', 'township', 'grid')", name="level"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    geometry: Mapped[dict[str, Any]] = mapped_column(JSONType)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parent: Mapped[Region | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    def __repr__(self) -> str:
        return f"Region({self.code!r}, {self.level}, {self.name!r})"

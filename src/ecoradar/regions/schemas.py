"""Region shapes for the API."""

from __future__ import annotations

from pydantic import BaseModel

from ecoradar.regions.models import Region


class RegionRead(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None

    @classmethod
    def of(cls, region: Region) -> RegionRead:
        return cls(
            code=region.code,
            name=region.name,
            level=region.level,
            parent=region.parent.code if region.parent else None,
        )

"""Shapes of a stored file for the API: the full record for officers, a bare one for the public.

Times go out as ISO 8601 in China Standard Time. ``MediaFilePublic`` carries nothing read from
the sender's file or about the sender (no position, camera, time taken, file name or uploader):
what a member of the public may see of an attachment is its picture, not its provenance.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ecoradar.core.clock import CHINA_TZ
from ecoradar.media.models import MediaFile


class MediaFilePublic(BaseModel):
    id: int
    kind: str
    content_type: str
    byte_size: int
    width: int | None
    height: int | None

    @classmethod
    def of(cls, media: MediaFile) -> MediaFilePublic:
        return cls(
            id=media.id,
            kind=media.kind,
            content_type=media.content_type,
            byte_size=media.byte_size,
            width=media.width,
            height=media.height,
        )


class MediaFileRead(MediaFilePublic):
    """Everything stored about a file, for officers handling what it is attached to."""

    sha256: str
    phash: str | None
    gps_lat: float | None
    """Latitude (WGS84 as the camera wrote it) from the original's EXIF: evidence only."""
    gps_lon: float | None
    taken_at_local: str | None
    """EXIF DateTimeOriginal as the camera's local time, with its offset when it wrote one."""
    camera: str | None
    original_name: str
    public_safe: bool
    uploaded_at: datetime
    uploaded_by: str | None

    @classmethod
    def of(cls, media: MediaFile) -> MediaFileRead:
        return cls(
            id=media.id,
            kind=media.kind,
            content_type=media.content_type,
            byte_size=media.byte_size,
            width=media.width,
            height=media.height,
            sha256=media.sha256,
            phash=media.phash,
            gps_lat=media.gps_lat,
            gps_lon=media.gps_lon,
            taken_at_local=media.taken_at_local,
            camera=media.camera,
            original_name=media.original_name,
            public_safe=media.public_safe,
            uploaded_at=media.uploaded_at.astimezone(CHINA_TZ),
            uploaded_by=media.uploaded_by,
        )

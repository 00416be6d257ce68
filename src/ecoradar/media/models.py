"""Stored attachments: one row per upload; identical content shares one file on disk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ecoradar.core.db import Base, UTCDateTime


class MediaFile(Base):
    """One upload: a re-encoded JPEG image or a PDF document as sent.

    Every upload is its own row, owned by ``uploaded_by`` (the uploader's actor string), with
    what was read from *that* upload: two people sending the same picture get two rows, and
    neither learns of the other's (see ``ecoradar.media.service``). ``sha256`` is the hash of
    the stored bytes and names the file on disk (``ECORADAR_HOME/media/<sha[:2]>/<sha>.<ext>``),
    so identical content is stored once and shared by its rows.
    ``gps_lat``/``gps_lon``, ``taken_at_local`` and ``camera`` come from the original's EXIF:
    evidence for officers, never shown publicly (the stored image no longer carries them).
    ``public_safe`` is True for re-encoded images and False for documents, whose metadata may
    carry names; whether a file is shown at all is up to what it is attached to.
    """

    __tablename__ = "media_files"
    __table_args__ = (CheckConstraint("kind IN ('image', 'document')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    phash: Mapped[str | None] = mapped_column(String(16), index=True)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    taken_at_local: Mapped[str | None] = mapped_column(String(32))
    camera: Mapped[str | None] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(200))
    public_safe: Mapped[bool] = mapped_column(Boolean)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[str | None] = mapped_column(String(120))
